package policy

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
)

// This file generates the cases of the differential test against
// @cloud-copilot/iam-simulate (difftest_test.go): random but structured
// requests, and policies built around each request so that a good share of
// them allow, deny or just miss it.

const (
	acctA = "111122223333" // the caller's account
	acctB = "444455556666" // another account
)

// diffPrincipal is a caller with the context keys AWS would set for it.
type diffPrincipal struct {
	p    Principal
	tags map[string]string
}

var diffPrincipals = []diffPrincipal{
	{Principal{Type: User, ARN: "arn:aws:iam::" + acctA + ":user/alice", Account: acctA, ID: "AIDAEXAMPLEALICE0001"}, map[string]string{"team": "blue", "env": "prod"}},
	{Principal{Type: User, ARN: "arn:aws:iam::" + acctA + ":user/dev/carol", Account: acctA, ID: "AIDAEXAMPLECAROL0001"}, map[string]string{"team": "red"}},
	{Principal{Type: AssumedRole, ARN: "arn:aws:sts::" + acctA + ":assumed-role/dev/sess1", RoleARN: "arn:aws:iam::" + acctA + ":role/dev", Account: acctA, ID: "AROAEXAMPLEDEV000001:sess1"}, map[string]string{"team": "blue"}},
	{Principal{Type: User, ARN: "arn:aws:iam::" + acctB + ":user/bob", Account: acctB, ID: "AIDAEXAMPLEBOB000001"}, map[string]string{"team": "Blue"}},
	{Principal{Type: Root, ARN: "arn:aws:iam::" + acctA + ":root", Account: acctA, ID: acctA}, nil},
}

// diffAction is an action with the ARNs of the one resource type it takes
// ("*" for actions that take none). %s is the resource's account.
type diffAction struct {
	action    string
	resources []string
	resPolicy bool // the service has resource-based policies
}

var diffActions = []diffAction{
	{"sns:Publish", []string{"arn:aws:sns:us-east-1:%s:alerts", "arn:aws:sns:us-east-1:%s:app-1", "arn:aws:sns:eu-west-1:%s:blue-events"}, true},
	{"sns:GetTopicAttributes", []string{"arn:aws:sns:us-east-1:%s:alerts", "arn:aws:sns:us-east-1:%s:alice-topic"}, true},
	{"sns:DeleteTopic", []string{"arn:aws:sns:us-east-1:%s:app-1"}, true},
	{"sqs:SendMessage", []string{"arn:aws:sqs:us-east-1:%s:orders", "arn:aws:sqs:us-east-1:%s:app-queue"}, true},
	{"sqs:ReceiveMessage", []string{"arn:aws:sqs:us-east-1:%s:orders"}, true},
	{"lambda:InvokeFunction", []string{"arn:aws:lambda:us-east-1:%s:function:resize", "arn:aws:lambda:us-east-1:%s:function:app-1"}, true},
	{"dynamodb:GetItem", []string{"arn:aws:dynamodb:us-east-1:%s:table/Orders", "arn:aws:dynamodb:us-east-1:%s:table/blue"}, false},
	{"dynamodb:PutItem", []string{"arn:aws:dynamodb:us-east-1:%s:table/Orders"}, false},
	{"states:StartExecution", []string{"arn:aws:states:us-east-1:%s:stateMachine:triage", "arn:aws:states:us-east-1:%s:stateMachine:alice-flow"}, false},
	{"sns:ListTopics", []string{"*"}, false},
	{"ec2:DescribeInstances", []string{"*"}, false},
}

// multiKeys are the multivalued context keys the generator uses.
var multiKeys = map[string]bool{"aws:tagkeys": true, "aws:calledvia": true}

// diffCase is one generated request with its policies, in the form sim.js
// reads; the Go-only fields are not sent.
type diffCase struct {
	ID              int                 `json:"id"`
	PrincipalARN    string              `json:"principal"`
	Action          string              `json:"action"`
	Resource        string              `json:"resource"`
	ResourceAccount string              `json:"resourceAccount"`
	Identity        []map[string]any    `json:"identity"`
	ResourcePolicy  map[string]any      `json:"resourcePolicy,omitempty"`
	Boundary        []map[string]any    `json:"boundary"`
	Session         map[string]any      `json:"session,omitempty"`
	Context         map[string]any      `json:"context"`
	principal       Principal           `json:"-"`
	values          map[string][]string `json:"-"` // the context, every key as a list
}

type gen struct {
	r *rand.Rand
	c *diffCase
}

func (g *gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }
func (g *gen) chance(p float64) bool   { return g.r.Float64() < p }

// genCase builds case id.
func genCase(r *rand.Rand, id int) *diffCase {
	g := &gen{r: r}
	dp := diffPrincipals[r.IntN(len(diffPrincipals))]
	if dp.p.Type == Root && r.IntN(6) != 0 {
		dp = diffPrincipals[0] // keep the root rare
	}
	act := diffActions[r.IntN(len(diffActions))]
	resAcct := acctA
	if r.IntN(5) == 0 {
		resAcct = acctB
	}
	res := act.resources[r.IntN(len(act.resources))]
	if res != "*" {
		res = strings.ReplaceAll(res, "%s", resAcct)
	}
	c := &diffCase{ID: id, PrincipalARN: dp.p.ARN, Action: act.action, Resource: res, ResourceAccount: resAcct, principal: dp.p}
	g.c = c
	g.context(dp)

	for range 1 + r.IntN(3) {
		c.Identity = append(c.Identity, g.policy(1+r.IntN(4), false, 0.3))
	}
	if dp.p.Type == Root {
		c.Identity = nil // the root user has no identity-based policies
	}
	if act.resPolicy && g.chance(0.5) {
		c.ResourcePolicy = g.policy(1+r.IntN(3), true, 0.25)
	}
	if dp.p.Type != Root && g.chance(0.35) {
		c.Boundary = []map[string]any{g.policy(1+r.IntN(3), false, 0.15)}
	}
	if dp.p.Type == AssumedRole && g.chance(0.4) {
		c.Session = g.policy(1+r.IntN(2), false, 0.15)
	}
	return c
}

// context sets the request context: the principal's keys and a random
// selection of the global keys.
func (g *gen) context(dp diffPrincipal) {
	c := g.c
	c.Context = map[string]any{}
	c.values = map[string][]string{}
	set := func(k string, v ...string) {
		if multiKeys[strings.ToLower(k)] {
			c.Context[k] = v
		} else {
			c.Context[k] = v[0]
		}
		c.values[strings.ToLower(k)] = v
	}
	p := dp.p
	if g.chance(0.9) {
		arn := p.ARN
		if p.Type == AssumedRole {
			arn = p.RoleARN
		}
		set("aws:PrincipalArn", arn)
		set("aws:PrincipalAccount", p.Account)
		set("aws:userid", p.ID)
		set("aws:PrincipalType", p.Type.String())
		if name := p.userName(); name != "" {
			set("aws:username", name)
		}
		for _, k := range slices.Sorted(maps.Keys(dp.tags)) {
			if g.chance(0.8) {
				set("aws:PrincipalTag/"+k, dp.tags[k])
			}
		}
	}
	maybe := func(p float64, k string, vals ...string) {
		if g.chance(p) {
			set(k, g.pick(vals...))
		}
	}
	maybe(0.7, "aws:SourceIp", "203.0.113.50", "198.51.100.7", "10.1.2.3", "2001:db8::1", "2001:db9::5")
	maybe(0.6, "aws:SecureTransport", "true", "false")
	maybe(0.6, "aws:CurrentTime", "2024-05-01T12:00:00Z", "2026-01-15T08:30:00Z")
	maybe(0.4, "aws:EpochTime", "1714564800", "1768465800")
	maybe(0.6, "aws:RequestedRegion", "us-east-1", "eu-west-1")
	maybe(0.4, "aws:MultiFactorAuthAge", "300", "7200")
	maybe(0.5, "aws:ResourceTag/team", "blue", "red", "Blue")
	if g.chance(0.5) {
		sets := [][]string{{"team"}, {"team", "env"}, {"owner", "cost"}, {"env", "Team"}}
		set("aws:TagKeys", sets[g.r.IntN(len(sets))]...)
	}
	if g.chance(0.3) {
		sets := [][]string{{"cloudformation.amazonaws.com"}, {"athena.amazonaws.com", "cloudformation.amazonaws.com"}}
		set("aws:CalledVia", sets[g.r.IntN(len(sets))]...)
	}
}

// policy builds a document of n statements; deny is the share of Deny
// statements.
func (g *gen) policy(n int, resource bool, deny float64) map[string]any {
	var stmts []any
	for range n {
		s := map[string]any{"Effect": "Allow"}
		if g.chance(deny) {
			s["Effect"] = "Deny"
		}
		key := "Action"
		if g.chance(0.12) {
			key = "NotAction"
		}
		s[key] = g.list(1+g.r.IntN(2), g.actionPattern)
		key = "Resource"
		if g.chance(0.12) {
			key = "NotResource"
		}
		s[key] = g.list(1+g.r.IntN(2), g.resourcePattern)
		if resource {
			g.principalElement(s)
		}
		if g.chance(0.6) {
			s["Condition"] = g.conditions(1 + g.r.IntN(2))
		}
		stmts = append(stmts, s)
	}
	return map[string]any{"Version": Version2012, "Statement": stmts}
}

// list returns one string or a list of n, as policies write them.
func (g *gen) list(n int, f func() string) any {
	if n == 1 && g.chance(0.5) {
		return f()
	}
	out := make([]string, n)
	for i := range out {
		out[i] = f()
	}
	return out
}

func (g *gen) actionPattern() string {
	a := g.c.Action
	svc, name, _ := strings.Cut(a, ":")
	switch g.r.IntN(10) {
	case 0, 1:
		return a
	case 2:
		return strings.ToLower(a)
	case 3:
		return svc + ":*"
	case 4:
		return svc + ":" + name[:3] + "*"
	case 5:
		return svc + ":" + name[:len(name)-1] + "?"
	case 6:
		return "*"
	case 7:
		return g.pick("sns:Get*", "sqs:*Message", "ec2:Describe*", "dynamodb:*Item", "lambda:Invoke*", "states:List*")
	default:
		return diffActions[g.r.IntN(len(diffActions))].action
	}
}

func (g *gen) resourcePattern() string {
	res := g.c.Resource
	if res == "*" {
		res = "arn:aws:sns:us-east-1:" + acctA + ":alerts"
	}
	parts := strings.SplitN(res, ":", 6)
	switch g.r.IntN(12) {
	case 0, 1:
		return res
	case 2:
		return "*"
	case 3:
		return strings.Join(parts[:5], ":") + ":*"
	case 4:
		return "arn:aws:" + parts[2] + ":*:*:*"
	case 5:
		return "arn:aws:" + parts[2] + ":us-east-1:" + parts[4] + ":app-*"
	case 6:
		// Variables go only in the resource part: iam-simulate does not
		// resolve them before the fifth colon.
		return "arn:aws:" + parts[2] + ":*:" + g.pick(acctA, acctB) + ":*"
	case 7:
		return strings.Join(parts[:5], ":") + ":" + g.pick("${aws:username}-*", "*${aws:PrincipalTag/team}*", "table/${aws:PrincipalTag/team}", "${aws:username, 'alice'}-topic", "function:${*}")
	case 8:
		// Resource names are case-sensitive.
		return strings.Join(parts[:5], ":") + ":" + strings.ToUpper(parts[5])
	case 9:
		return strings.Join(parts[:5], ":") + ":" + g.pick("al?rts", "orders", "table/*", "function:*", "stateMachine:*", "*-flow")
	default:
		a := diffActions[g.r.IntN(len(diffActions))]
		if r := a.resources[0]; r != "*" {
			return strings.ReplaceAll(r, "%s", acctA)
		}
		return "*"
	}
}

func (g *gen) principalElement(s map[string]any) {
	ids := []string{
		"arn:aws:iam::" + acctA + ":root", acctA, acctB,
		"arn:aws:iam::" + acctA + ":user/alice", "arn:aws:iam::" + acctA + ":user/dev/carol",
		"arn:aws:iam::" + acctA + ":role/dev", "arn:aws:sts::" + acctA + ":assumed-role/dev/sess1",
		"arn:aws:iam::" + acctB + ":user/bob", "arn:aws:iam::" + acctB + ":root",
	}
	var v any
	switch {
	case g.chance(0.2):
		v = "*"
	case g.chance(0.1):
		v = map[string]any{"AWS": "*"}
	default:
		v = map[string]any{"AWS": g.list(1+g.r.IntN(2), func() string { return g.pick(ids...) })}
	}
	if s["Effect"] == "Deny" && v != "*" && g.chance(0.15) {
		s["NotPrincipal"] = v
		return
	}
	s["Principal"] = v
}

// condTemplate is a context key with the operators and policy values that
// suit it.
type condTemplate struct {
	key    string
	ops    []string
	values []string
}

var condTemplates = []condTemplate{
	{"aws:username", []string{"StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase"}, []string{"alice", "Alice", "ali*", "bob", "*", "${aws:PrincipalTag/team}"}},
	{"aws:PrincipalTag/team", []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike"}, []string{"blue", "Blue", "red", "b*", "${aws:ResourceTag/team}", "${aws:PrincipalTag/missing, 'blue'}"}},
	{"aws:ResourceTag/team", []string{"StringEquals", "StringNotEquals", "StringLike"}, []string{"${aws:PrincipalTag/team}", "blue", "r?d", "${aws:username}"}},
	{"aws:RequestedRegion", []string{"StringEquals", "StringNotEquals", "StringLike"}, []string{"us-east-1", "eu-*", "us-west-2"}},
	{"aws:userid", []string{"StringLike", "StringEquals"}, []string{"AIDA*", "AROAEXAMPLEDEV000001:*", "${aws:userid}", "AROA*:${aws:username}"}},
	{"aws:PrincipalType", []string{"StringEquals", "StringNotEquals"}, []string{"User", "AssumedRole", "Account"}},
	{"aws:MultiFactorAuthAge", []string{"NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericEquals", "NumericNotEquals", "NumericGreaterThanEquals"}, []string{"3600", "300", "7200.0", "0"}},
	{"aws:EpochTime", []string{"NumericGreaterThan", "NumericLessThan", "NumericLessThanEquals"}, []string{"1714564800", "1750000000"}},
	{"aws:EpochTime", []string{"DateGreaterThan", "DateLessThan", "DateEquals"}, []string{"1714564800", "1750000000", "2025-06-01T00:00:00Z"}},
	{"aws:CurrentTime", []string{"DateGreaterThan", "DateLessThan", "DateEquals", "DateNotEquals", "DateLessThanEquals", "DateGreaterThanEquals"}, []string{"2025-01-01T00:00:00Z", "2024-05-01T12:00:00Z", "2024-05-01T12:00:00+00:00", "1750000000"}},
	{"aws:SecureTransport", []string{"Bool"}, []string{"true", "false"}},
	{"aws:SourceIp", []string{"IpAddress", "NotIpAddress"}, []string{"203.0.113.0/24", "198.51.100.7", "10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0"}},
	{"aws:PrincipalArn", []string{"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"}, []string{"arn:aws:iam::*:user/alice", "arn:aws:iam::" + acctA + ":role/dev", "arn:aws:iam::*:user/*", "arn:aws:iam::" + acctA + ":*", "arn:aws:iam::*:user/${aws:username}"}},
	{"aws:PrincipalArn", []string{"StringLike", "StringEquals"}, []string{"arn:aws:iam::*:user/alice", "arn:aws:iam::" + acctA + ":role/dev"}},
	{"aws:TagKeys", []string{"ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAllValues:StringLike", "ForAnyValue:StringLike", "ForAnyValue:StringNotEquals", "ForAllValues:StringNotLike", "ForAllValues:StringEqualsIgnoreCase"}, []string{"team", "env", "t*", "owner", "Team"}},
	{"aws:CalledVia", []string{"ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringLike"}, []string{"cloudformation.amazonaws.com", "athena.amazonaws.com", "*.amazonaws.com"}},
	{"aws:PrincipalTag/team", []string{"ForAnyValue:StringEquals", "ForAllValues:StringLike"}, []string{"blue", "red"}},
}

var nullKeys = []string{"aws:PrincipalTag/team", "aws:SourceIp", "aws:TagKeys", "aws:ResourceTag/team", "aws:MultiFactorAuthAge", "aws:CalledVia", "aws:username"}

// conditions builds a Condition block of n tests.
func (g *gen) conditions(n int) map[string]any {
	block := map[string]any{}
	for range n {
		var op, key string
		var vals []string
		if g.chance(0.1) {
			op, key = "Null", g.pick(nullKeys...)
			vals = []string{g.pick("true", "false")}
		} else {
			t := condTemplates[g.r.IntN(len(condTemplates))]
			op, key = g.pick(t.ops...), t.key
			if g.chance(0.2) {
				op += "IfExists"
			}
			for range 1 + g.r.IntN(2) {
				vals = append(vals, g.pick(t.values...))
			}
		}
		keys, _ := block[op].(map[string]any)
		if keys == nil {
			keys = map[string]any{}
			block[op] = keys
		}
		if len(vals) == 1 && g.chance(0.5) {
			keys[key] = vals[0]
		} else {
			keys[key] = vals
		}
	}
	return block
}

// input parses the case's documents into an Input for Evaluate.
func (c *diffCase) input() (Input, error) {
	parse := func(doc map[string]any, kind Kind) (*Policy, error) {
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		return Parse(b, kind)
	}
	var in Input
	for _, d := range c.Identity {
		p, err := parse(d, Identity)
		if err != nil {
			return in, err
		}
		in.Identity = append(in.Identity, p)
	}
	if c.ResourcePolicy != nil {
		p, err := parse(c.ResourcePolicy, Resource)
		if err != nil {
			return in, err
		}
		in.Resource = []*Policy{p}
	}
	if c.Boundary != nil {
		in.Boundary = []*Policy{}
		for _, d := range c.Boundary {
			p, err := parse(d, Boundary)
			if err != nil {
				return in, err
			}
			in.Boundary = append(in.Boundary, p)
		}
	}
	if c.Session != nil {
		p, err := parse(c.Session, Session)
		if err != nil {
			return in, err
		}
		in.Session = []*Policy{p}
	}
	in.ResourceAccount = c.ResourceAccount
	return in, nil
}
