package policy

import (
	"slices"
	"strings"
)

// Request is one authorization question: may Principal perform Action on
// Resource, given the condition keys in Context?
type Request struct {
	Principal Principal
	// Action is "service:Operation", such as "sns:Publish".
	Action string
	// Resource is the ARN of the resource, or "*" for actions that do not
	// act on a resource.
	Resource string
	// Context holds the condition keys; see Context.SetPrincipal for the
	// principal's keys.
	Context Context
}

// Input is the set of policies that apply to a request.
type Input struct {
	// Identity holds the caller's identity-based policies: for a user its
	// inline and managed policies and those of its groups; for a role
	// session the role's.
	Identity []*Policy
	// Resource holds the resource-based policies of the resource (an SNS
	// topic policy, a role's trust policy for sts:AssumeRole, ...).
	Resource []*Policy
	// ResourceAccount owns the resource; empty means the caller's account.
	ResourceAccount string
	// Boundary is the caller's permissions boundary; nil means none. (A
	// non-nil empty slice is a boundary that allows nothing.)
	Boundary []*Policy
	// Session holds the session policies of a role or federated-user
	// session; nil means none were passed.
	Session []*Policy
	// SCPs holds the service control policies of each level of the
	// caller's organization, root first; every level must allow the action.
	// nil means the account is not governed by SCPs.
	SCPs [][]*Policy
	// ResourcePolicyRequired is set for resources whose policy must grant
	// access even within the account: a role's trust policy for
	// sts:AssumeRole* and a KMS key policy. Identity-based policies then
	// count only where the resource policy names the caller's account.
	ResourcePolicyRequired bool
}

// Decision is the outcome of an evaluation.
type Decision uint8

const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

// String returns the EvalDecision value of the IAM simulation APIs.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	default:
		return "implicitDeny"
	}
}

// Match is a statement that took part in a decision.
type Match struct {
	PolicyID string // Policy.ID
	Kind     Kind
	Sid      string
	Index    int // statement index within the policy
	Effect   Effect
	Span     Span
}

// Result is the outcome of Evaluate.
type Result struct {
	Decision Decision
	// Matched lists the statements that decided: the denying statements
	// for ExplicitDeny, the allowing statements that count for Allowed, and
	// nothing for ImplicitDeny.
	Matched []Match
	// Reason is the kind of policy that decided: for ExplicitDeny the kind
	// holding the first deny; for ImplicitDeny the kind that lacked an
	// allow (Identity, Boundary, Session, SCP, or Resource when only a
	// resource-based policy could have allowed); for Allowed the kind whose
	// allow was needed (Identity or Resource).
	Reason Kind
	// MissingContextValues lists condition keys (and policy variables)
	// that statements applying to the action and resource referred to but
	// the context lacked, sorted and without duplicates.
	MissingContextValues []string
}

// stmtMatch is an applicable statement with how its principal matched.
type stmtMatch struct {
	p     *Policy
	s     *Statement
	level matchLevel
}

// evaluator carries per-request state.
type evaluator struct {
	req         *Request
	ctx         Context
	service     string // lower-case action service prefix
	name        string // lower-case action name
	missing     []string
	hasBoundary bool
}

// Evaluate decides a request the way AWS documents its policy evaluation
// logic: an explicit deny in any policy wins; otherwise the request needs an
// allow that is not cut back by an SCP, a permissions boundary or a session
// policy; otherwise it is implicitly denied. The account root user is allowed
// everything in its own account that no policy explicitly denies.
func Evaluate(in Input, req Request) Result {
	ev := &evaluator{req: &req, ctx: req.Context.normalized(), hasBoundary: in.Boundary != nil}
	lower := strings.ToLower(req.Action)
	ev.service, ev.name, _ = strings.Cut(lower, ":")

	var denies []stmtMatch
	collect := func(ps []*Policy, principals bool) []stmtMatch {
		var allows []stmtMatch
		for _, p := range ps {
			if p == nil {
				continue
			}
			for _, s := range p.Statements {
				lvl, ok := ev.applies(s, principals)
				if !ok {
					continue
				}
				m := stmtMatch{p: p, s: s, level: lvl}
				if s.Effect == Deny {
					denies = append(denies, m)
				} else {
					allows = append(allows, m)
				}
			}
		}
		return allows
	}
	idAllow := collect(in.Identity, false)
	resAllow := collect(in.Resource, true)
	var bAllow, sAllow []stmtMatch
	if in.Boundary != nil {
		bAllow = collect(in.Boundary, false)
	}
	if in.Session != nil {
		sAllow = collect(in.Session, false)
	}
	scpOK := true
	var scpAllow []stmtMatch
	for _, level := range in.SCPs {
		a := collect(level, false)
		scpOK = scpOK && len(a) > 0
		scpAllow = append(scpAllow, a...)
	}

	res := Result{MissingContextValues: dedupe(ev.missing)}
	if len(denies) > 0 {
		res.Decision, res.Reason = ExplicitDeny, denies[0].p.Kind
		res.Matched = toMatches(denies)
		return res
	}
	if !scpOK && req.Principal.Type != Service && req.Principal.Type != Anonymous {
		res.Reason = SCP
		return res
	}
	allowed, reason, used := decide(&in, &req.Principal, idAllow, resAllow, bAllow, sAllow)
	res.Reason = reason
	if allowed {
		res.Decision = Allowed
		used = append(used, scpAllow...)
		res.Matched = toMatches(used)
	}
	return res
}

// decide applies the allow rules once no explicit deny applies. It returns
// the statements whose allows count.
func decide(in *Input, p *Principal, idAllow, resAllow, bAllow, sAllow []stmtMatch) (bool, Kind, []stmtMatch) {
	byLevel := func(levels ...matchLevel) []stmtMatch {
		var out []stmtMatch
		for _, m := range resAllow {
			if slices.Contains(levels, m.level) {
				out = append(out, m)
			}
		}
		return out
	}
	direct := byLevel(matchDirect)
	switch p.Type {
	case Anonymous, Service, WebIdentity:
		// Only a resource-based policy can let these in.
		return len(direct) > 0, Resource, direct
	}
	same := in.ResourceAccount == "" || in.ResourceAccount == p.Account
	if p.Type == Root {
		if same && !in.ResourcePolicyRequired {
			return true, Identity, resAllow
		}
		return len(resAllow) > 0, Resource, resAllow
	}
	boundaryOK := in.Boundary == nil || len(bAllow) > 0
	// A federated-user session without a session policy has no permissions.
	sessionOK := len(sAllow) > 0 || in.Session == nil && p.Type != FederatedUser
	identityOK := len(idAllow) > 0
	limits := func() []stmtMatch {
		out := append([]stmtMatch(nil), bAllow...)
		return append(out, sAllow...)
	}
	if !same {
		// Across accounts both sides must allow, and the caller's side is cut
		// back by its boundary and session policies.
		switch {
		case len(resAllow) == 0:
			return false, Resource, nil
		case !identityOK:
			return false, Identity, nil
		case !boundaryOK:
			return false, Boundary, nil
		case !sessionOK:
			return false, Session, nil
		}
		return true, Identity, append(append(resAllow, idAllow...), limits()...)
	}
	// Within the account a resource-based policy that names the caller
	// itself (or "*") allows on its own; one that names the role of the
	// session, or the user behind a federated session, is still cut back by
	// the boundary and the session policy.
	if len(direct) > 0 {
		return true, Resource, direct
	}
	sess := byLevel(matchSessionRole, matchSessionUser)
	if len(sess) > 0 && boundaryOK && sessionOK {
		return true, Resource, append(sess, limits()...)
	}
	switch {
	case !identityOK && len(sess) > 0:
		// The resource policy would have allowed but for the limits.
		if !boundaryOK {
			return false, Boundary, nil
		}
		return false, Session, nil
	case !identityOK:
		if in.ResourcePolicyRequired {
			return false, Resource, nil
		}
		return false, Identity, nil
	case !boundaryOK:
		return false, Boundary, nil
	case !sessionOK:
		return false, Session, nil
	}
	if in.ResourcePolicyRequired {
		acct := byLevel(matchAccount)
		if len(acct) == 0 {
			return false, Resource, nil
		}
		return true, Identity, append(append(acct, idAllow...), limits()...)
	}
	return true, Identity, append(idAllow, limits()...)
}

// applies reports whether s applies to the request (principal, action,
// resource and conditions) and, for resource-based policies, how its
// principal element named the caller.
func (ev *evaluator) applies(s *Statement, principals bool) (matchLevel, bool) {
	if !ev.actionMatches(s) || !ev.resourceMatches(s) {
		return matchNone, false
	}
	lvl := matchDirect
	if principals {
		p := &ev.req.Principal
		switch {
		case s.princ == nil:
			return matchNone, false
		case s.notPrinc:
			// AWS: a Deny with NotPrincipal in a resource-based policy always
			// denies a caller that has a permissions boundary.
			if !(s.Effect == Deny && ev.hasBoundary) && s.princ.excludes(p, s.Effect) {
				return matchNone, false
			}
		default:
			if lvl = s.princ.match(p); lvl == matchNone {
				return matchNone, false
			}
		}
	}
	ok := true
	for _, c := range s.Conditions {
		// Every condition is evaluated, not just up to the first failure, so
		// that MissingContextValues is complete.
		if !c.eval(ev.ctx, &ev.missing) {
			ok = false
		}
	}
	return lvl, ok
}

func (ev *evaluator) actionMatches(s *Statement) bool {
	for i := range s.actions {
		if s.actions[i].match(ev.service, ev.name) {
			return !s.notAction
		}
	}
	return s.notAction
}

func (ev *evaluator) resourceMatches(s *Statement) bool {
	if !s.hasRes {
		return true // trust policies have no Resource element
	}
	for _, r := range s.resources {
		if s.notRes && !r.resolvable(ev.ctx) {
			// A variable without a value makes the statement invalid; it
			// must not make the NotResource statement apply to everything.
			return false
		}
		if r.match(ev.req.Resource, ev.ctx, false) {
			return !s.notRes
		}
	}
	return s.notRes
}

func toMatches(ms []stmtMatch) []Match {
	out := make([]Match, 0, len(ms))
	for _, m := range ms {
		out = append(out, Match{PolicyID: m.p.ID, Kind: m.p.Kind, Sid: m.s.Sid, Index: m.s.Index, Effect: m.s.Effect, Span: m.s.Span})
	}
	return out
}

func dedupe(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	return slices.Compact(s)
}
