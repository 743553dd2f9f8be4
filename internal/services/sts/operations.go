package sts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services/iam"
)

func (s *Service) getCallerIdentity(call *awsproto.Call) (*GetCallerIdentityResult, error) {
	p := call.Caller
	return &GetCallerIdentityResult{UserID: p.PrincipalID, Account: p.AccountID, ARN: p.ARN}, nil
}

func accessDenied(caller identity.Principal, roleArn string) error {
	return awsproto.Errorf(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, roleArn)
}

func (s *Service) assumeRole(ctx context.Context, call *awsproto.Call) (*AssumeRoleResult, error) {
	var in assumeRoleInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	if in.SerialNumber != nil || in.TokenCode != nil {
		return nil, awsproto.QueryValidation("SerialNumber and TokenCode are not supported: Vigil has no MFA devices.")
	}
	caller, roleArn := call.Caller, *in.RoleArn
	if caller.Type == identity.Root {
		return nil, awsproto.Errorf(http.StatusForbidden, "AccessDenied", "Roles may not be assumed by root accounts.")
	}
	if s.iam == nil {
		return nil, awsproto.Internal(errors.New("sts: no IAM service to issue credentials"))
	}
	doc, role, err := s.iam.RoleTrust(ctx, roleArn)
	if err != nil {
		return nil, hideMissingRole(err, caller, roleArn)
	}
	call.AddResource("AWS::IAM::Role", role.ARN)
	duration, err := sessionDuration(in.DurationSeconds, role, caller)
	if err != nil {
		return nil, err
	}
	req := trustRequest(call, &in, role, duration)
	check := s.TrustCheck
	if check == nil {
		check = DefaultTrustCheck
	}
	ok, err := check(ctx, caller, doc, req)
	if err != nil {
		return nil, fmt.Errorf("sts: evaluate trust policy of %s: %w", roleArn, err)
	}
	if !ok {
		return nil, accessDenied(caller, roleArn)
	}
	sess, err := s.iam.IssueSession(ctx, sessionRequest(call, &in, role, duration))
	if err != nil {
		return nil, hideMissingRole(err, caller, roleArn)
	}
	return s.result(call, sess), nil
}

// hideMissingRole answers a role that does not exist as AWS does: the
// caller may not assume it, which says nothing about whether it exists.
func hideMissingRole(err error, caller identity.Principal, roleArn string) error {
	var e *awsproto.Error
	if errors.As(err, &e) && e.Code == "NoSuchEntity" {
		return accessDenied(caller, roleArn)
	}
	return err
}

// sessionDuration applies the role's MaxSessionDuration and the one-hour
// limit of role chaining.
func sessionDuration(d awsproto.Int, role iam.Role, caller identity.Principal) (time.Duration, error) {
	secs := d.Or(defaultDuration)
	if caller.Type == identity.AssumedRole && secs > chainedMax {
		return 0, awsproto.QueryValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if max := role.MaxSessionDuration; max > 0 && secs > int64(max) {
		return 0, awsproto.QueryValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return time.Duration(secs) * time.Second, nil
}

func trustRequest(call *awsproto.Call, in *assumeRoleInput, role iam.Role, d time.Duration) TrustRequest {
	req := TrustRequest{Call: call, RoleArn: role.ARN, Role: role, Actions: []string{"sts:AssumeRole"},
		SessionName: *in.RoleSessionName, ExternalID: deref(in.ExternalId), SourceIdentity: deref(in.SourceIdentity),
		DurationSeconds: int(d / time.Second), TransitiveTagKeys: in.TransitiveTagKeys}
	if len(in.Tags) > 0 {
		req.Actions = append(req.Actions, "sts:TagSession")
		req.SessionTags = make(map[string]string, len(in.Tags))
		for _, t := range in.Tags {
			req.SessionTags[*t.Key] = *t.Value
		}
	}
	if in.SourceIdentity != nil {
		req.Actions = append(req.Actions, "sts:SetSourceIdentity")
	}
	return req
}

func sessionRequest(call *awsproto.Call, in *assumeRoleInput, role iam.Role, d time.Duration) iam.SessionRequest {
	req := iam.SessionRequest{Caller: call.Caller, RoleID: role.RoleID, SessionName: *in.RoleSessionName, Duration: d,
		Policy: deref(in.Policy), TransitiveTagKeys: in.TransitiveTagKeys, SourceIdentity: deref(in.SourceIdentity), Region: call.Region}
	for _, p := range in.PolicyArns {
		req.PolicyArns = append(req.PolicyArns, *p.ARN)
	}
	for _, t := range in.Tags {
		req.Tags = append(req.Tags, iam.Tag{Key: *t.Key, Value: *t.Value})
	}
	return req
}

func (s *Service) result(call *awsproto.Call, sess iam.Session) *AssumeRoleResult {
	res := &AssumeRoleResult{
		Credentials: Credentials{AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.SecretAccessKey,
			SessionToken: sess.SessionToken, Expiration: awsproto.ISOTime(sess.Expiration)},
		AssumedRoleUser: AssumedRoleUser{AssumedRoleID: sess.AssumedRoleID, ARN: sess.ARN},
		SourceIdentity:  sess.SourceIdentity,
	}
	if sess.PackedPolicySize >= 0 {
		n := sess.PackedPolicySize
		res.PackedPolicySize = &n
	}
	var audit assumeRoleAudit
	audit.Credentials.AccessKeyID, audit.Credentials.Expiration = sess.AccessKeyID, awsproto.ISOTime(sess.Expiration)
	audit.AssumedRoleUser.AssumedRoleID, audit.AssumedRoleUser.ARN = sess.AssumedRoleID, sess.ARN
	audit.PackedPolicySize, audit.SourceIdentity = res.PackedPolicySize, sess.SourceIdentity
	call.AuditResponse = audit
	return res
}
