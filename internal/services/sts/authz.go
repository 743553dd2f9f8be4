package sts

import (
	"context"
	"errors"
	"strconv"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
)

// What each STS operation needs, for the front door's IAM policy
// evaluation. AssumeRole acts on the role and must be allowed by its
// trust policy, which the front door evaluates as the role's
// resource-based policy; GetCallerIdentity needs no permission at all.

// AuthContext implements services.Authorizer.
func (s *Service) AuthContext(ctx context.Context, call *awsproto.Call) (services.AuthInfo, error) {
	var info services.AuthInfo
	switch call.Action {
	case "GetCallerIdentity":
		// AWS answers it even when a policy denies sts:GetCallerIdentity.
		info.Public = true
		return info, nil
	case "AssumeRole":
		if call.Caller.IsRoot() {
			// AssumeRole refuses the root user itself, with its own message.
			return info, nil
		}
	default:
		return info, nil
	}
	var in struct {
		RoleArn, RoleSessionName, ExternalId, SourceIdentity string
		DurationSeconds                                      awsproto.Int
		Tags                                                 []struct{ Key, Value string }
		TransitiveTagKeys                                    []string
	}
	services.DecodeLoose(call, &in)
	info.Resources = []string{in.RoleArn}
	info.ResourcePolicyRequired = true
	keys := map[string][]string{"sts:RoleSessionName": {in.RoleSessionName}}
	if in.ExternalId != "" {
		keys["sts:ExternalId"] = []string{in.ExternalId}
	}
	if in.SourceIdentity != "" {
		keys["sts:SourceIdentity"] = []string{in.SourceIdentity}
	}
	if in.DurationSeconds.Set {
		keys["sts:DurationSeconds"] = []string{strconv.FormatInt(in.DurationSeconds.Value, 10)}
	}
	if in.TransitiveTagKeys != nil {
		keys["sts:TransitiveTagKeys"] = in.TransitiveTagKeys
	}
	if s.iam != nil && in.RoleArn != "" {
		doc, role, err := s.iam.RoleTrust(ctx, in.RoleArn)
		var e *awsproto.Error
		switch {
		case errors.As(err, &e) && e.Status < 500:
			// No such role: nothing allows assuming it.
		case err != nil:
			return info, err
		default:
			info.ResourcePolicies = []services.ResourcePolicy{{ID: role.ARN, Document: doc, Kind: "trust"}}
			if len(role.Tags) > 0 {
				info.ResourceTags = map[string]string{}
				for _, t := range role.Tags {
					info.ResourceTags[t.Key] = t.Value
					keys["iam:ResourceTag/"+t.Key] = []string{t.Value}
				}
			}
		}
	}
	info.Keys = keys
	// Session tags and a source identity need permissions of their own,
	// which the trust policy must grant as well.
	also := func(action string) {
		info.Also = append(info.Also, services.Check{Action: action, Resource: in.RoleArn, Keys: keys,
			ResourceTags: info.ResourceTags, WithResourcePolicies: true})
	}
	if len(in.Tags) > 0 {
		also("sts:TagSession")
	}
	if in.SourceIdentity != "" {
		also("sts:SetSourceIdentity")
	}
	return info, nil
}
