package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/policy"
)

// Roles for services: a state machine, a rule target and the like name a
// role, and the service acts with a session of it, as AWS services do.

// AssumeRoleForService returns a session of roleArn for servicePrincipal
// (such as "states.amazonaws.com"): the principal, with the role's tags,
// that the service then passes to Invoke. The role's trust policy must
// allow sts:AssumeRole to the service principal; a role that does not
// exist or does not trust the service is an AccessDenied error, worded as
// AWS words it, and the service must fail the work that needed the role.
//
// The session has no access key: it never leaves the process, and the
// front door evaluates the role's policies (and its permissions boundary)
// for every call made with it. The service is recorded as invokedBy in
// the audit trail.
func (s *Server) AssumeRoleForService(ctx context.Context, roleArn, servicePrincipal, sessionName string) (identity.Principal, error) {
	refuse := awsproto.Errorf(http.StatusForbidden, "AccessDenied",
		"The service principal %s is not authorized to assume the role %s: the role does not exist or its trust policy does not allow %s to perform sts:AssumeRole.",
		servicePrincipal, roleArn, servicePrincipal)
	if s.policySrc == nil {
		return identity.Principal{}, refuse
	}
	trust, err := s.policySrc.RoleTrust(ctx, roleArn)
	if err != nil {
		var e *awsproto.Error
		if errors.As(err, &e) && e.Status < 500 {
			return identity.Principal{}, refuse
		}
		return identity.Principal{}, fmt.Errorf("trust policy of %s: %w", roleArn, err)
	}
	pol, err := s.compiled.get(PolicyDoc{ID: roleArn, Document: trust}, policy.Trust)
	if err != nil {
		s.log.Error("a trust policy cannot be parsed; the role cannot be assumed", "role", roleArn, "err", err)
		return identity.Principal{}, refuse
	}
	c := policy.Context{}
	svc := policy.Principal{Type: policy.Service, Service: servicePrincipal}
	c.SetPrincipal(svc, nil)
	now := s.now().UTC()
	c.Set("aws:CurrentTime", now.Format("2006-01-02T15:04:05Z"))
	c.Set("aws:EpochTime", fmt.Sprint(now.Unix()))
	if s.account != "" {
		// The service acts for a resource of this account.
		c.Set("aws:SourceAccount", s.account)
	}
	c.Set("sts:RoleSessionName", sessionName)
	res := policy.Evaluate(policy.Input{Resource: []*policy.Policy{pol}, ResourcePolicyRequired: true},
		policy.Request{Principal: svc, Action: "sts:AssumeRole", Resource: roleArn, Context: c})
	if res.Decision != policy.Allowed {
		s.log.Info("service may not assume role", "service", servicePrincipal, "role", roleArn, "decision", res.String())
		return identity.Principal{}, refuse
	}
	p, err := s.policySrc.RolePrincipal(ctx, roleArn, sessionName)
	if err != nil {
		var e *awsproto.Error
		if errors.As(err, &e) && e.Status < 500 {
			return identity.Principal{}, refuse
		}
		return identity.Principal{}, fmt.Errorf("session of %s: %w", roleArn, err)
	}
	p.InvokedBy = servicePrincipal
	return p, nil
}

// Authorized reports whether call, made by its caller, passes the
// authorisation the front door applies. STS uses it to evaluate a role's
// trust policy in AssumeRole with the same logic and context.
func (s *Server) Authorized(ctx context.Context, call *awsproto.Call) (bool, error) {
	svc, ok := s.byName[call.Service.Name]
	if !ok {
		return false, fmt.Errorf("authorize %s.%s: no such service", call.Service.Name, call.Action)
	}
	e := s.authorize(ctx, svc, call)
	if e == nil {
		return true, nil
	}
	if e.Status >= 500 {
		return false, e
	}
	return false, nil
}
