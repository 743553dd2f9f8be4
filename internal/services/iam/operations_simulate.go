package iam

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/arn"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/policy"
)

// The policy simulator: SimulatePrincipalPolicy evaluates the policies of
// a user, group or role (plus any passed in), SimulateCustomPolicy only
// the policies passed in, against actions and resources, with package
// policy and the context keys the caller supplies. The keys that describe
// the simulated caller (aws:username, aws:userid, aws:PrincipalArn,
// aws:PrincipalType, aws:PrincipalTag/K...) come from the user or role
// itself, so that an ABAC policy is simulated with the tags the principal
// really has; a context entry the caller passes for one of them wins.
// Any other condition key the caller did not supply is reported in
// MissingContextValues, as AWS does.

type simulateInput struct {
	PolicySourceArn                    *string
	PolicyInputList                    list[string]
	PermissionsBoundaryPolicyInputList list[string]
	ActionNames                        list[string]
	ResourceArns                       list[string]
	ResourcePolicy                     *string
	ResourceOwner                      *string
	CallerArn                          *string
	ContextEntries                     list[contextEntry]
	ResourceHandlingOption             *string
	MaxItems                           awsproto.Int
	Marker                             *string
}

type contextEntry struct {
	ContextKeyName   *string
	ContextKeyValues list[string]
	ContextKeyType   *string
}

// SimulatePolicyResult is the output of both simulation operations.
type SimulatePolicyResult struct {
	EvaluationResults members[EvaluationResult] `xml:"EvaluationResults" json:"EvaluationResults"`
	IsTruncated       bool                      `xml:"IsTruncated" json:"IsTruncated"`
	Marker            string                    `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// EvaluationResult is the decision for one action on one resource.
type EvaluationResult struct {
	EvalActionName                    string                             `xml:"EvalActionName" json:"EvalActionName"`
	EvalResourceName                  string                             `xml:"EvalResourceName" json:"EvalResourceName"`
	EvalDecision                      string                             `xml:"EvalDecision" json:"EvalDecision"`
	MatchedStatements                 members[SimulatedStatement]        `xml:"MatchedStatements" json:"MatchedStatements"`
	MissingContextValues              members[string]                    `xml:"MissingContextValues" json:"MissingContextValues"`
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail `xml:"PermissionsBoundaryDecisionDetail,omitempty" json:"PermissionsBoundaryDecisionDetail,omitempty"`
	ResourceSpecificResults           members[ResourceSpecificResult]    `xml:"ResourceSpecificResults,omitempty" json:"ResourceSpecificResults,omitempty"`
}

// ResourceSpecificResult is the decision on one resource named in
// ResourceArns.
type ResourceSpecificResult struct {
	EvalResourceName                  string                             `xml:"EvalResourceName" json:"EvalResourceName"`
	EvalResourceDecision              string                             `xml:"EvalResourceDecision" json:"EvalResourceDecision"`
	MatchedStatements                 members[SimulatedStatement]        `xml:"MatchedStatements" json:"MatchedStatements"`
	MissingContextValues              members[string]                    `xml:"MissingContextValues" json:"MissingContextValues"`
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail `xml:"PermissionsBoundaryDecisionDetail,omitempty" json:"PermissionsBoundaryDecisionDetail,omitempty"`
}

// SimulatedStatement is a statement that decided, and where it is.
type SimulatedStatement struct {
	SourcePolicyID   string      `xml:"SourcePolicyId" json:"SourcePolicyId"`
	SourcePolicyType string      `xml:"SourcePolicyType" json:"SourcePolicyType"`
	StartPosition    SimPosition `xml:"StartPosition" json:"StartPosition"`
	EndPosition      SimPosition `xml:"EndPosition" json:"EndPosition"`
}

// SimPosition is a line and column in a policy document, both counted
// from 1.
type SimPosition struct {
	Line   int `xml:"Line" json:"Line"`
	Column int `xml:"Column" json:"Column"`
}

// PermissionsBoundaryDecisionDetail says whether the boundary allowed the
// action.
type PermissionsBoundaryDecisionDetail struct {
	AllowedByPermissionsBoundary bool `xml:"AllowedByPermissionsBoundary" json:"AllowedByPermissionsBoundary"`
}

// simPolicy is a compiled policy with how the simulator names it.
type simPolicy struct {
	p        *policy.Policy
	id, kind string // SourcePolicyId, SourcePolicyType
}

// simulation is everything one simulation call evaluates.
type simulation struct {
	principal policy.Principal
	tags      map[string]string // the principal's tags: aws:PrincipalTag/K
	known     bool              // principal is a user or role Vigil holds
	identity  []simPolicy
	boundary  []simPolicy // nil: no boundary
	resource  []simPolicy
	owner     string
	context   policy.Context
}

func (s *Service) simulate(ctx context.Context, call *awsproto.Call) (*SimulatePolicyResult, error) {
	var in simulateInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	principalSim := call.Action == "SimulatePrincipalPolicy"
	var v violations
	if principalSim {
		v.required("policySourceArn", in.PolicySourceArn != nil)
	} else {
		v.required("policyInputList", in.PolicyInputList != nil)
	}
	v.required("actionNames", in.ActionNames != nil)
	v.maxItems(in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	sim, err := s.simulationOf(ctx, &in, principalSim)
	if err != nil {
		return nil, err
	}
	resources := []string(in.ResourceArns)
	results := make([]EvaluationResult, 0, len(in.ActionNames)*max(1, len(resources)))
	for _, action := range in.ActionNames {
		if len(resources) == 0 {
			results = append(results, sim.result(action, "*", false))
			continue
		}
		for _, r := range resources {
			results = append(results, sim.result(action, r, true))
		}
	}
	return paginateSim(results, in.MaxItems, in.Marker)
}

// simulationOf gathers the policies and context a simulation evaluates.
func (s *Service) simulationOf(ctx context.Context, in *simulateInput, principalSim bool) (*simulation, error) {
	sim := &simulation{context: policy.Context{}, principal: policy.Principal{Type: policy.User, Account: s.env.AccountID}}
	if principalSim {
		if err := s.principalPolicies(ctx, deref(in.PolicySourceArn), sim); err != nil {
			return nil, err
		}
	}
	add := func(docs []string, kind policy.Kind, idPrefix, typ string) ([]simPolicy, error) {
		var out []simPolicy
		for i, d := range docs {
			p, err := policy.Parse([]byte(d), kind)
			if err != nil {
				return nil, invalidInput("%s.%d is not a valid policy document: %v", idPrefix, i+1, err)
			}
			out = append(out, simPolicy{p: p, id: idPrefix + "." + strconv.Itoa(i+1), kind: typ})
		}
		return out, nil
	}
	extra, err := add(in.PolicyInputList, policy.Identity, "PolicyInputList", "none")
	if err != nil {
		return nil, err
	}
	sim.identity = append(sim.identity, extra...)
	if len(in.PermissionsBoundaryPolicyInputList) > 0 {
		b, err := add(in.PermissionsBoundaryPolicyInputList, policy.Boundary, "PermissionsBoundaryPolicyInputList", "none")
		if err != nil {
			return nil, err
		}
		sim.boundary = b
	}
	if in.ResourcePolicy != nil {
		p, err := policy.Parse([]byte(*in.ResourcePolicy), policy.Resource)
		if err != nil {
			return nil, invalidInput("ResourcePolicy is not a valid policy document: %v", err)
		}
		sim.resource = []simPolicy{{p: p, id: "ResourcePolicy", kind: "resource"}}
	}
	if in.CallerArn != nil {
		if err := s.callerOf(ctx, *in.CallerArn, sim); err != nil {
			return nil, err
		}
	}
	if sim.known {
		sim.context.SetPrincipal(sim.principal, sim.tags)
	}
	sim.owner = deref(in.ResourceOwner)
	if a := accountOfARN(sim.owner); a != "" {
		sim.owner = a
	}
	for _, e := range in.ContextEntries {
		if e.ContextKeyName == nil {
			return nil, invalidInput("Every context entry needs a ContextKeyName.")
		}
		sim.context.Set(*e.ContextKeyName, e.ContextKeyValues...)
	}
	return sim, nil
}

// principalPolicies loads the policies of the user, group or role arn
// names: for a user its own, its groups' and its boundary; for a role its
// own and its boundary; for a group its own.
func (s *Service) principalPolicies(ctx context.Context, source string, sim *simulation) error {
	a, err := arn.Parse(source)
	if err != nil || a.Service != "iam" {
		return invalidInput("PolicySourceArn %s is not the ARN of a user, group or role.", source)
	}
	notFound := awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "The entity with ARN %s cannot be found.", source)
	q := s.env.DB.Read()
	rest := a.Resource
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	var pol Policies
	switch {
	case strings.HasPrefix(rest, "user/"):
		u, ok, err := userByName(ctx, q, name)
		if err != nil {
			return err
		}
		if !ok || s.userARN(u.path, u.name) != source {
			return notFound
		}
		if pol, err = s.userPolicies(ctx, u.id); err != nil {
			return err
		}
		sim.principal = policy.Principal{Type: policy.User, ARN: source, Account: s.env.AccountID, ID: u.id}
		sim.tags, sim.known = tagMap(u.tags), true
	case strings.HasPrefix(rest, "group/"):
		g, ok, err := groupByName(ctx, q, name)
		if err != nil {
			return err
		}
		if !ok || s.groupARN(g.path, g.name) != source {
			return notFound
		}
		if pol.Identity, err = s.entityDocs(ctx, q, entGroup, g.id, g.name); err != nil {
			return err
		}
	case strings.HasPrefix(rest, "role/"):
		r, err := s.roleByARN(ctx, q, source)
		if err != nil {
			return notFound
		}
		if pol.Identity, err = s.entityDocs(ctx, q, entRole, r.id, r.name); err != nil {
			return err
		}
		if pol.Boundary, err = s.boundaryDoc(ctx, q, r.boundary); err != nil {
			return err
		}
		sim.principal = policy.Principal{Type: policy.AssumedRole, ARN: s.assumedRoleARN(r.name, "simulation"),
			RoleARN: source, Account: s.env.AccountID, ID: r.id + ":simulation"}
		sim.tags, sim.known = tagMap(r.tags), true
	default:
		return invalidInput("PolicySourceArn %s is not the ARN of a user, group or role.", source)
	}
	for _, d := range pol.Identity {
		p, err := policy.Parse(d.Document, policy.Identity)
		if err != nil {
			return &awsproto.Error{Code: "PolicyEvaluation", Status: http.StatusInternalServerError,
				Message: "The policy " + d.Name + " cannot be evaluated: " + err.Error()}
		}
		sim.identity = append(sim.identity, simPolicy{p: p, id: d.Name, kind: d.Type})
	}
	if pol.Boundary != nil {
		p, err := policy.Parse(pol.Boundary.Document, policy.Boundary)
		if err != nil {
			return &awsproto.Error{Code: "PolicyEvaluation", Status: http.StatusInternalServerError,
				Message: "The permissions boundary cannot be evaluated: " + err.Error()}
		}
		sim.boundary = []simPolicy{{p: p, id: pol.Boundary.Name, kind: "none"}}
	}
	return nil
}

// callerOf makes CallerArn the simulated caller. A user of this account
// that exists is the caller with its id and tags; any other ARN (a user of
// another account, a role, the root) is a caller whose tags Vigil does not
// know.
func (s *Service) callerOf(ctx context.Context, caller string, sim *simulation) error {
	sim.principal, sim.tags, sim.known = callerPrincipal(caller), nil, false
	a, err := arn.Parse(caller)
	if err != nil || a.Service != "iam" || a.AccountID != s.env.AccountID || !strings.HasPrefix(a.Resource, "user/") {
		return nil
	}
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	u, ok, err := userByName(ctx, s.env.DB.Read(), name)
	if err != nil {
		return err
	}
	if ok && s.userARN(u.path, u.name) == caller {
		sim.principal = policy.Principal{Type: policy.User, ARN: caller, Account: s.env.AccountID, ID: u.id}
		sim.tags, sim.known = tagMap(u.tags), true
	}
	return nil
}

// callerPrincipal reads CallerArn: a user, a role or the root.
func callerPrincipal(s string) policy.Principal {
	p := policy.Principal{Type: policy.User, ARN: s, Account: accountOfARN(s)}
	switch {
	case strings.HasSuffix(s, ":root"):
		p.Type = policy.Root
	case strings.Contains(s, ":role/"):
		p = policy.Principal{Type: policy.AssumedRole, RoleARN: s, Account: accountOfARN(s)}
	}
	return p
}

func accountOfARN(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.AccountID
}

// result evaluates one action on one resource.
func (sim *simulation) result(action, resource string, specific bool) EvaluationResult {
	byID := map[string]simPolicy{}
	compile := func(ps []simPolicy) []*policy.Policy {
		if ps == nil {
			return nil
		}
		out := make([]*policy.Policy, 0, len(ps))
		for i, p := range ps {
			// The evaluator names statements by Policy.ID; give each policy
			// a unique one and map it back.
			c := *p.p
			c.ID = p.kind + "\x00" + p.id + "\x00" + strconv.Itoa(i)
			byID[c.ID] = p
			out = append(out, &c)
		}
		return out
	}
	in := policy.Input{Identity: compile(sim.identity), Resource: compile(sim.resource), Boundary: compile(sim.boundary),
		ResourceAccount: sim.owner}
	req := policy.Request{Principal: sim.principal, Action: action, Resource: resource, Context: sim.context}
	res := policy.Evaluate(in, req)
	out := EvaluationResult{EvalActionName: action, EvalResourceName: resource, EvalDecision: res.Decision.String(),
		MatchedStatements: members[SimulatedStatement]{}, MissingContextValues: members[string](res.MissingContextValues)}
	for _, m := range res.Matched {
		p := byID[m.PolicyID]
		out.MatchedStatements = append(out.MatchedStatements, SimulatedStatement{SourcePolicyID: p.id, SourcePolicyType: p.kind,
			StartPosition: SimPosition{m.Span.Start.Line, m.Span.Start.Column + 1},
			EndPosition:   SimPosition{m.Span.End.Line, m.Span.End.Column + 1}})
	}
	if sim.boundary != nil {
		b := policy.Evaluate(policy.Input{Identity: in.Boundary}, req)
		out.PermissionsBoundaryDecisionDetail = &PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: b.Decision == policy.Allowed}
	}
	if specific {
		out.ResourceSpecificResults = members[ResourceSpecificResult]{{EvalResourceName: resource, EvalResourceDecision: out.EvalDecision,
			MatchedStatements: out.MatchedStatements, MissingContextValues: out.MissingContextValues,
			PermissionsBoundaryDecisionDetail: out.PermissionsBoundaryDecisionDetail}}
	}
	return out
}

// paginateSim cuts the results to MaxItems (100 by default), from Marker.
func paginateSim(results []EvaluationResult, maxItems awsproto.Int, marker *string) (*SimulatePolicyResult, error) {
	start := 0
	if marker != nil {
		n, err := strconv.Atoi(*marker)
		if err != nil || n < 0 || n > len(results) {
			return nil, invalidInput("Marker %q is not valid.", *marker)
		}
		start = n
	}
	limit := 100
	if maxItems.Set {
		limit = int(maxItems.Value)
	}
	end := min(len(results), start+limit)
	out := &SimulatePolicyResult{EvaluationResults: results[start:end]}
	if end < len(results) {
		out.IsTruncated, out.Marker = true, strconv.Itoa(end)
	}
	return out, nil
}
