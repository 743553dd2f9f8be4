package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

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
	key := sessionKey{roleArn, servicePrincipal, sessionName}
	if p, ok := s.sessions.get(key, s.now()); ok {
		return p, nil
	}
	p, refusal, err := s.assumeForService(ctx, roleArn, servicePrincipal, sessionName)
	if err != nil {
		return identity.Principal{}, err
	}
	s.auditAssumeRole(ctx, roleArn, servicePrincipal, sessionName, p, refusal)
	if refusal != nil {
		return identity.Principal{}, refusal
	}
	s.sessions.put(key, p, s.now().Add(serviceSessionTTL))
	return p, nil
}

// assumeForService checks the role's trust policy and builds the session.
// A refusal is returned apart from failures of Vigil itself.
func (s *Server) assumeForService(ctx context.Context, roleArn, servicePrincipal, sessionName string) (p identity.Principal, refusal *awsproto.Error, err error) {
	refuse := awsproto.Errorf(http.StatusForbidden, "AccessDenied",
		"The service principal %s is not authorized to assume the role %s: the role does not exist or its trust policy does not allow %s to perform sts:AssumeRole.",
		servicePrincipal, roleArn, servicePrincipal)
	if s.policySrc == nil {
		return p, refuse, nil
	}
	trust, err := s.policySrc.RoleTrust(ctx, roleArn)
	if err != nil {
		var e *awsproto.Error
		if errors.As(err, &e) && e.Status < 500 {
			return p, refuse, nil
		}
		return p, nil, fmt.Errorf("trust policy of %s: %w", roleArn, err)
	}
	pol, err := s.compiled.get(PolicyDoc{ID: roleArn, Document: trust}, policy.Trust)
	if err != nil {
		s.log.Error("a trust policy cannot be parsed; the role cannot be assumed", "role", roleArn, "err", err)
		return p, refuse, nil
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
		return p, refuse, nil
	}
	p, err = s.policySrc.RolePrincipal(ctx, roleArn, sessionName)
	if err != nil {
		var e *awsproto.Error
		if errors.As(err, &e) && e.Status < 500 {
			return p, refuse, nil
		}
		return p, nil, fmt.Errorf("session of %s: %w", roleArn, err)
	}
	p.InvokedBy = servicePrincipal
	return p, nil, nil
}

// auditAssumeRole records a service's AssumeRole in the audit trail, made
// by the service itself, as CloudTrail shows it on AWS.
func (s *Server) auditAssumeRole(ctx context.Context, roleArn, servicePrincipal, sessionName string, p identity.Principal, refusal *awsproto.Error) {
	stsSvc, ok := s.byName["sts"]
	if s.audit == nil || !ok {
		return
	}
	input, _ := json.Marshal(map[string]string{"roleArn": roleArn, "roleSessionName": sessionName})
	call := &awsproto.Call{Service: stsSvc.Spec(), Action: "AssumeRole", Input: input,
		Caller:    identity.Principal{Type: identity.AWSService, AccountID: s.account, InvokedBy: servicePrincipal},
		RequestID: newRequestID(), Time: s.now().UTC(), Region: s.region, Internal: true,
		SourceIP: servicePrincipal, UserAgent: servicePrincipal,
		Resources: []awsproto.Resource{{ARN: roleArn, Type: "AWS::IAM::Role"}}}
	var result any
	if refusal == nil {
		result = map[string]any{"assumedRoleUser": map[string]string{"assumedRoleId": p.PrincipalID, "arn": p.ARN}}
	}
	if err := s.audit.Record(ctx, call, result, refusal); err != nil {
		s.log.Error("record a service's AssumeRole in the audit trail", "service", servicePrincipal, "role", roleArn, "err", err)
	}
}

// Sessions of a role for a service are reused for a while, as AWS services
// reuse the credentials they obtain: one AssumeRole per session in the
// audit trail, not one per call. The role's policies are still read at
// every call; a changed trust policy applies to new sessions.
const (
	serviceSessionTTL = 15 * time.Minute
	maxServiceSession = 4096
)

type sessionKey struct{ role, service, name string }

type sessionEntry struct {
	p       identity.Principal
	expires time.Time
}

type sessionCache struct {
	mu sync.Mutex
	m  map[sessionKey]sessionEntry
}

func (c *sessionCache) get(k sessionKey, now time.Time) (identity.Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		return identity.Principal{}, false
	}
	return e.p, true
}

func (c *sessionCache) put(k sessionKey, p identity.Principal, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxServiceSession {
		c.m = make(map[sessionKey]sessionEntry) // rare: start over rather than track age
	}
	c.m[k] = sessionEntry{p, expires}
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
