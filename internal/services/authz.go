package services

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
)

// Authorizer is implemented by services that tell the front door what a
// call acts on, so that it can evaluate IAM policies before the call runs.
// A service that does not implement it is authorised on resource "*".
//
// AuthContext must not change anything and must not fail because the
// resource does not exist: AWS decides access before it looks, so a caller
// without permission learns nothing about what exists. An input it cannot
// read still gets the resources it can name. It reads the caller only
// where an operation defaults to the caller (IAM's GetUser without a
// UserName), and to skip lookups that cannot matter
// (OnlyResourcePoliciesLimit).
type Authorizer interface {
	AuthContext(ctx context.Context, call *awsproto.Call) (AuthInfo, error)
}

// AuthInfo is what a call needs permission for.
type AuthInfo struct {
	// Action is the IAM action's name when it differs from the operation's
	// (Lambda's Invoke is lambda:InvokeFunction); "" means the operation
	// name. It never carries the service prefix.
	Action string
	// Resources are the ARNs the action acts on, as the AWS Service
	// Authorization Reference defines them for the action; the caller needs
	// permission on each. None means "*" (actions without resource-level
	// permissions).
	Resources []string
	// ResourceTags are the tags of the resource acted on
	// (aws:ResourceTag/K); nil when it has none or does not exist yet.
	ResourceTags map[string]string
	// Keys are service-specific condition keys, such as sns:Protocol or
	// iam:PermissionsBoundary, by name.
	Keys map[string][]string
	// ResourcePolicies are the resource-based policies of the resource,
	// such as an SNS topic's access policy or a role's trust policy.
	ResourcePolicies []ResourcePolicy
	// ResourcePolicyRequired is set where a resource-based policy must
	// grant access even within the account (a role's trust policy).
	ResourcePolicyRequired bool
	// Also lists further permissions the call needs, such as iam:PassRole
	// for a role the call hands to a service, or iam:TagUser for CreateUser
	// with tags.
	Also []Check
	// Public is set for operations that AWS answers for every
	// authenticated caller whatever the policies say
	// (sts:GetCallerIdentity).
	Public bool
}

// ResourcePolicy is one resource-based policy document.
type ResourcePolicy struct {
	ID       string // names it in evaluation results, e.g. the topic ARN
	Document []byte
	// Kind is "resource" (the default) or "trust" for a role's trust
	// policy, whose grammar has no Resource element.
	Kind string
}

// Check is one more permission a call needs.
type Check struct {
	Action   string // with its service prefix, e.g. "iam:PassRole"
	Resource string // ARN, or "" for "*"
	// Keys are condition keys that apply to this check only, such as
	// iam:PassedToService.
	Keys map[string][]string
	// ResourceTags are the tags of Resource, if any.
	ResourceTags map[string]string
	// WithResourcePolicies applies the AuthInfo's resource policies to
	// this check too (sts:TagSession must be allowed by the trust policy,
	// like sts:AssumeRole).
	WithResourcePolicies bool
}

// RoleAssumer is implemented by the front door (the Invoker a service is
// built with): it lets a service act with a role its resource names, the
// way Step Functions acts with a state machine's RoleArn.
type RoleAssumer interface {
	// AssumeRoleForService returns an assumed-role session of roleArn for
	// servicePrincipal (such as "states.amazonaws.com"), after checking
	// that the role's trust policy lets that service assume it. A role that
	// does not exist or does not trust the service is an *awsproto.Error
	// AccessDenied, as AWS reports it.
	AssumeRoleForService(ctx context.Context, roleArn, servicePrincipal, sessionName string) (identity.Principal, error)
}

// ActAs returns who a service should call other services as when its
// resource names roleArn: a session of that role for servicePrincipal. It
// fails with AccessDenied when the role does not exist or does not trust
// the service. With an empty roleArn, or an Invoker that cannot assume
// roles (unit tests), it returns the account root acting through the
// service, as Vigil did before roles existed.
func ActAs(ctx context.Context, env *Env, roleArn, servicePrincipal, sessionName string) (identity.Principal, error) {
	ra, ok := env.Invoker.(RoleAssumer)
	if roleArn == "" || !ok {
		p := env.Root()
		p.InvokedBy = servicePrincipal
		return p, nil
	}
	p, err := ra.AssumeRoleForService(ctx, roleArn, servicePrincipal, sessionName)
	if err != nil {
		var e *awsproto.Error
		if errors.As(err, &e) {
			return identity.Principal{}, e
		}
		return identity.Principal{}, fmt.Errorf("assume role %s for %s: %w", roleArn, servicePrincipal, err)
	}
	return p, nil
}

// OnlyResourcePoliciesLimit reports whether only a resource-based policy
// can refuse p anything: the account root and Vigil's own services acting
// for themselves. A service that holds no resource-based policies may
// answer AuthContext for them without looking anything up.
func OnlyResourcePoliciesLimit(p identity.Principal) bool {
	return p.IsRoot() || p.Type == identity.AWSService
}

// DecodeLoose unmarshals a call's input for AuthContext, ignoring what does
// not fit: the service reports bad input itself, after authorisation.
func DecodeLoose(call *awsproto.Call, v any) {
	if len(call.Input) > 0 {
		json.Unmarshal(call.Input, v)
	}
}

// Tag is a tag a call passes.
type Tag struct{ Key, Value string }

// RequestTags returns the tags a call's input passes, in order: the member
// Tags or tags, a list of Key/Value pairs (in any case, as IAM, SNS,
// EventBridge and Step Functions spell them) or a map (Lambda). It
// returns nil when the input passes no tags.
func RequestTags(input json.RawMessage) []Tag {
	// encoding/json matches member names without regard to case, so the
	// two spellings are read apart by hand.
	var raw map[string]json.RawMessage
	if json.Unmarshal(input, &raw) != nil {
		return nil
	}
	if tags := parseTags(raw["Tags"]); tags != nil {
		return tags
	}
	return parseTags(raw["tags"])
}

func parseTags(raw json.RawMessage) []Tag {
	if len(raw) == 0 {
		return nil
	}
	var list []map[string]*string
	if json.Unmarshal(raw, &list) == nil {
		out := []Tag{}
		for _, m := range list {
			var t Tag
			found := false
			for name, val := range m {
				switch {
				case strings.EqualFold(name, "key") && val != nil:
					t.Key, found = *val, true
				case strings.EqualFold(name, "value") && val != nil:
					t.Value = *val
				}
			}
			if found {
				out = append(out, t)
			}
		}
		return out
	}
	var m map[string]string
	if json.Unmarshal(raw, &m) == nil {
		out := []Tag{}
		for k, v := range m {
			out = append(out, Tag{k, v})
		}
		return out
	}
	return nil
}

// TagOnCreate is the tagging permission (such as iam:TagRole) that a
// create call passing tags needs as well, or ok=false when it passes none.
// The resource does not exist yet; its tags for the check
// (aws:ResourceTag) are the ones requested, which it will carry.
func TagOnCreate(action, resource string, input json.RawMessage) (c Check, ok bool) {
	tags := RequestTags(input)
	if len(tags) == 0 {
		return Check{}, false
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return Check{Action: action, Resource: resource, ResourceTags: m}, true
}
