package server

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"strings"
	"sync"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/policy"
)

// Authorisation: after a call is authenticated and before it runs, the
// front door asks the service what the call acts on (services.Authorizer),
// gathers the caller's policies (PolicySource) and the resource's, and
// decides with package policy, as IAM would. The account root is allowed
// everything no resource policy explicitly denies; every other principal
// starts with nothing. Choices where Vigil differs from AWS or AWS leaves
// room:
//
//   - A principal of type AWSService is one of Vigil's own services acting
//     for itself (CloudTrail putting its events on the bus); no key
//     resolves to one, and only an explicit deny stops it.
//   - A stored policy that package policy cannot parse refuses everything
//     to the principals it governs (its denies cannot be known); a
//     resource policy that cannot be parsed is ignored for the root only,
//     who must stay able to repair it.
//   - Refusals use each service's own code: AccessDenied (IAM, STS),
//     AuthorizationError (SNS), AccessDeniedException (JSON and REST
//     services).

// PolicyDoc is one policy document that governs a principal.
type PolicyDoc struct {
	// ID names the policy in decisions and simulation results, such as a
	// managed policy's ARN or an inline policy's name.
	ID string
	// Type is where the policy comes from, with the SourcePolicyType names
	// of IAM's simulation API (user, group, role, aws-managed,
	// user-managed, none).
	Type     string
	Document []byte
}

// PrincipalPolicies are the policies that decide what a principal may do.
type PrincipalPolicies struct {
	Identity []PolicyDoc
	Boundary *PolicyDoc // nil: no permissions boundary
	Session  []PolicyDoc
	// HasSession is set when the session was given session policies; it
	// may then do only what they allow.
	HasSession bool
}

// PolicySource finds the policies of principals and resolves roles for
// services that act with them. The IAM service is the one source.
type PolicySource interface {
	PrincipalPolicies(ctx context.Context, p identity.Principal) (PrincipalPolicies, error)
	// RoleTrust returns a role's trust policy.
	RoleTrust(ctx context.Context, roleArn string) ([]byte, error)
	// RolePrincipal returns the principal of a session of a role, without
	// credentials.
	RolePrincipal(ctx context.Context, roleArn, sessionName string) (identity.Principal, error)
}

// SetPolicies sets where principals' policies come from. Until it is set,
// every principal but the root has no permissions.
func (s *Server) SetPolicies(ps PolicySource) { s.policySrc = ps }

// compiled caches parsed policy documents: a principal's policies are
// read for every call, and parsing them each time would dominate.
type compiled struct {
	mu   sync.Mutex
	seed maphash.Seed
	m    map[compiledKey]compiledDoc
}

type compiledKey struct {
	kind policy.Kind
	id   string
	hash uint64 // of the document
}

type compiledDoc struct {
	doc string // the document it was parsed from
	p   *policy.Policy
	err error
}

// maxCompiled bounds the cache; when full it starts over.
const maxCompiled = 4096

// get returns doc parsed as kind.
func (c *compiled) get(doc PolicyDoc, kind policy.Kind) (*policy.Policy, error) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCompiled {
		c.m, c.seed = map[compiledKey]compiledDoc{}, maphash.MakeSeed()
	}
	key := compiledKey{kind, doc.ID, maphash.Bytes(c.seed, doc.Document)}
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok && v.doc == string(doc.Document) {
		return v.p, v.err
	}
	p, err := policy.Parse(doc.Document, kind)
	if err == nil {
		p.ID = doc.ID
	}
	c.mu.Lock()
	if len(c.m) < maxCompiled {
		c.m[key] = compiledDoc{string(doc.Document), p, err}
	}
	c.mu.Unlock()
	return p, err
}

// errUnreadablePolicy marks a stored policy that package policy cannot
// parse. Its denies cannot be known, so it refuses every request but the
// root's.
var errUnreadablePolicy = errors.New("a policy that applies cannot be read")

// authorize decides whether call may run. It returns nil to let it run, or
// the error to answer with.
func (s *Server) authorize(ctx context.Context, svc services.Service, call *awsproto.Call) *awsproto.Error {
	if call.Caller.Type == "" {
		// An unsigned call: only the actions a service lets anyone call
		// (SNS's ConfirmSubscription through SubscribeURL) may run.
		if isAnonymous(call) {
			return nil
		}
		return s.denied(call, denial{Action: actionPrefix(call.Service.Name) + ":" + call.Action, Resource: "*",
			Result: policy.Result{Decision: policy.ImplicitDeny, Reason: policy.Identity}})
	}
	info, err := authContext(ctx, svc, call)
	if err != nil {
		var e *awsproto.Error
		if errors.As(err, &e) {
			return e
		}
		s.log.Error("authorisation context", "service", call.Service.Name, "action", call.Action, "err", err)
		return awsproto.Internal(err)
	}
	if info.Public {
		return nil
	}
	d, err := s.decide(ctx, call, &info)
	if err != nil {
		if errors.Is(err, errUnreadablePolicy) {
			s.log.Error("refusing a call: a policy that applies cannot be parsed", "caller", call.Caller.ARN,
				"action", call.Action, "err", err)
			return s.denied(call, d)
		}
		s.log.Error("authorise call", "service", call.Service.Name, "action", call.Action, "err", err)
		return awsproto.Internal(err)
	}
	if d.Result.Decision != policy.Allowed {
		s.log.Info("access denied", "caller", callerName(call.Caller), "action", d.Action, "resource", d.Resource,
			"decision", d.Result.String(), "request", call.RequestID)
		return s.denied(call, d)
	}
	return nil
}

// authContext asks the service what call acts on, turning a panic into
// an error: no input may take the server down.
func authContext(ctx context.Context, svc services.Service, call *awsproto.Call) (info services.AuthInfo, err error) {
	az, ok := svc.(services.Authorizer)
	if !ok {
		return info, nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in %s authorisation of %s: %v", call.Service.Name, call.Action, p)
		}
	}()
	return az.AuthContext(ctx, call)
}

// denial is the decision that refused a call, or the last one that
// allowed it.
type denial struct {
	Action   string // with its prefix, as the policy names it
	Resource string
	Result   policy.Result
}

// policySet is a caller's compiled policies.
type policySet struct {
	identity, boundary, session []*policy.Policy
	hasBoundary, hasSession     bool
}

// decide evaluates every permission call needs, stopping at the first
// that is refused.
func (s *Server) decide(ctx context.Context, call *awsproto.Call, info *services.AuthInfo) (denial, error) {
	name := info.Action
	if name == "" {
		name = call.Action
	}
	action := actionPrefix(call.Service.Name) + ":" + name
	resources := info.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	refused := denial{Action: action, Resource: resources[0]}
	pols, err := s.callerPolicies(ctx, call.Caller)
	if err != nil {
		return refused, err
	}
	resPols, err := s.resourcePolicies(info.ResourcePolicies, call.Caller)
	if err != nil {
		return refused, err
	}
	base := s.requestContext(ctx, call)
	var last denial
	for _, r := range resources {
		c := withResource(base, r, s.accountOf(call), info.ResourceTags, info.Keys)
		in := pols.input(resPols, info.ResourcePolicyRequired)
		in.ResourceAccount = arnAccount(r) // another account's resource needs its policy's grant too
		last = s.evaluate(call.Caller, action, r, c, in)
		if last.Result.Decision != policy.Allowed {
			return last, nil
		}
	}
	for _, chk := range info.Also {
		r := chk.Resource
		if r == "" {
			r = "*"
		}
		c := withResource(base, r, s.accountOf(call), chk.ResourceTags, chk.Keys)
		in := pols.input(nil, false)
		if chk.WithResourcePolicies {
			in = pols.input(resPols, info.ResourcePolicyRequired)
		}
		in.ResourceAccount = arnAccount(r)
		last = s.evaluate(call.Caller, chk.Action, r, c, in)
		if last.Result.Decision != policy.Allowed {
			return last, nil
		}
	}
	return last, nil
}

func (ps *policySet) input(resource []*policy.Policy, required bool) policy.Input {
	in := policy.Input{Identity: ps.identity, Resource: resource, ResourcePolicyRequired: required}
	if ps.hasBoundary {
		in.Boundary = nonNil(ps.boundary)
	}
	if ps.hasSession {
		in.Session = nonNil(ps.session)
	}
	return in
}

// nonNil keeps "a boundary that allows nothing" distinct from "no boundary".
func nonNil(ps []*policy.Policy) []*policy.Policy {
	if ps == nil {
		return []*policy.Policy{}
	}
	return ps
}

// evaluate decides one action on one resource. A service principal is one
// of Vigil's own services acting for itself, never a client (no key
// resolves to one), so only an explicit deny stops it.
func (s *Server) evaluate(caller identity.Principal, action, resource string, c policy.Context, in policy.Input) denial {
	req := policy.Request{Principal: policyPrincipal(caller), Action: action, Resource: resource, Context: c}
	res := policy.Evaluate(in, req)
	if caller.Type == identity.AWSService && res.Decision == policy.ImplicitDeny {
		res.Decision = policy.Allowed
	}
	return denial{Action: action, Resource: resource, Result: res}
}

// callerPolicies compiles the caller's identity-based policies, boundary
// and session policies.
func (s *Server) callerPolicies(ctx context.Context, p identity.Principal) (*policySet, error) {
	out := &policySet{}
	if p.Type != identity.IAMUser && p.Type != identity.AssumedRole {
		return out, nil
	}
	if s.policySrc == nil {
		return out, nil
	}
	pp, err := s.policySrc.PrincipalPolicies(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("policies of %s: %w", p.ARN, err)
	}
	var errs []error
	add := func(dst *[]*policy.Policy, docs []PolicyDoc, kind policy.Kind) {
		for _, d := range docs {
			pol, err := s.compiled.get(d, kind)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", d.Type, d.ID, err))
				continue
			}
			*dst = append(*dst, pol)
		}
	}
	add(&out.identity, pp.Identity, policy.Identity)
	if pp.Boundary != nil {
		out.hasBoundary = true
		add(&out.boundary, []PolicyDoc{*pp.Boundary}, policy.Boundary)
	}
	if pp.HasSession {
		out.hasSession = true
		add(&out.session, pp.Session, policy.Session)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", errUnreadablePolicy, errors.Join(errs...))
	}
	return out, nil
}

// resourcePolicies compiles a resource's policies. One that cannot be
// parsed refuses everyone but the root, who must stay able to repair it.
func (s *Server) resourcePolicies(docs []services.ResourcePolicy, caller identity.Principal) ([]*policy.Policy, error) {
	var out []*policy.Policy
	for _, d := range docs {
		kind := policy.Resource
		if d.Kind == "trust" {
			kind = policy.Trust
		}
		p, err := s.compiled.get(PolicyDoc{ID: d.ID, Document: d.Document}, kind)
		if err != nil {
			if caller.IsRoot() {
				s.log.Warn("ignoring a resource policy that cannot be parsed", "policy", d.ID, "err", err)
				continue
			}
			return nil, fmt.Errorf("%w: resource policy %s: %w", errUnreadablePolicy, d.ID, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// actionPrefix is the IAM service prefix of a Vigil service: its signing
// name, which for every service Vigil serves is the same.
func actionPrefix(service string) string { return service }

func policyPrincipal(p identity.Principal) policy.Principal {
	out := policy.Principal{ARN: p.ARN, Account: p.AccountID, ID: p.PrincipalID}
	switch p.Type {
	case identity.Root:
		out.Type = policy.Root
	case identity.IAMUser:
		out.Type = policy.User
	case identity.AssumedRole:
		out.Type, out.RoleARN = policy.AssumedRole, p.RoleARN
	case identity.AWSService:
		out = policy.Principal{Type: policy.Service, Service: p.InvokedBy}
	default:
		out = policy.Principal{Type: policy.Anonymous}
	}
	return out
}

func callerName(p identity.Principal) string {
	switch {
	case p.ARN != "":
		return p.ARN
	case p.InvokedBy != "":
		return p.InvokedBy
	}
	return "anonymous"
}

// denied builds the error AWS answers a refused call with, in the
// service's dialect: awsQuery services AccessDenied (SNS
// AuthorizationError) with status 403, JSON services AccessDeniedException
// with 400, REST services AccessDeniedException with 403.
func (s *Server) denied(call *awsproto.Call, d denial) *awsproto.Error {
	action := d.Action
	if call.Service.Name == "sns" {
		// SNS writes its prefix in capitals in its messages and policies.
		if _, rest, ok := strings.Cut(action, ":"); ok && strings.HasPrefix(action, "sns:") {
			action = "SNS:" + rest
		}
	}
	msg := deniedMessage(callerName(call.Caller), action, d.Resource, d.Result)
	switch call.Service.Protocol {
	case awsproto.Query:
		code := "AccessDenied"
		if call.Service.Name == "sns" {
			code = "AuthorizationError"
		}
		return awsproto.Errorf(http.StatusForbidden, code, "%s", msg)
	case awsproto.RESTJSON:
		return awsproto.Errorf(http.StatusForbidden, "AccessDeniedException", "%s", msg)
	}
	return awsproto.Errorf(http.StatusBadRequest, "AccessDeniedException", "%s", msg)
}

// deniedMessage words a refusal as AWS does, naming the kind of policy
// that decided: "User: ARN is not authorized to perform: ACTION on
// resource: RES because no identity-based policy allows the ACTION action"
// or "... with an explicit deny in a permissions boundary".
func deniedMessage(caller, action, resource string, r policy.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "User: %s is not authorized to perform: %s", caller, action)
	if resource != "" && resource != "*" {
		b.WriteString(" on resource: " + resource)
	}
	kind, article := policyKindName(r.Reason)
	if r.Decision == policy.ExplicitDeny {
		fmt.Fprintf(&b, " with an explicit deny in %s %s", article, kind)
	} else {
		fmt.Fprintf(&b, " because no %s allows the %s action", kind, action)
	}
	return b.String()
}

func policyKindName(k policy.Kind) (name, article string) {
	switch k {
	case policy.Resource, policy.Trust:
		return "resource-based policy", "a"
	case policy.Boundary:
		return "permissions boundary", "a"
	case policy.Session:
		return "session policy", "a"
	case policy.SCP:
		return "service control policy", "a"
	}
	return "identity-based policy", "an"
}
