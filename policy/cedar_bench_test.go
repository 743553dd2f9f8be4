package policy

import (
	"fmt"
	"strings"
	"testing"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
)

// The Cedar comparison: benchPolicies translated statement by statement into
// Cedar, decided by github.com/cedar-policy/cedar-go for the same request.
//
// The translation keeps IAM's meaning. Allow is permit and Deny forbid (in
// both languages an applicable forbid wins and nothing applicable means
// deny). Cedar scopes name actions exactly, so the action and the ARN go in
// context and attributes and are matched with like (IAM's * wildcard; both
// lower-cased, as IAM compares actions without case). A condition on a key
// tests that the key is present first, as IAM's operators are false on an
// absent key.

// cedarPolicies returns the Cedar policy set equivalent to
// benchPolicies(n, m).
func cedarPolicies(tb testing.TB, n, m int) *cedar.PolicySet {
	ps := cedar.NewPolicySet()
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			svc := benchServices[(i*m+j)%len(benchServices)]
			conds := []string{
				fmt.Sprintf(`(context.action like "%s:get*" || context.action like "%s:list*" || context.action == "%s:describe%d")`, svc, svc, svc, j),
				fmt.Sprintf(`(resource.arn like "arn:aws:%s:us-east-1:111122223333:app-%d-*" || resource.arn like "arn:aws:%s:*:111122223333:shared/*")`, svc, i, svc),
			}
			switch j % 4 {
			case 1:
				conds = append(conds, `resource.tags has team && principal.tags has team && resource.tags.team == principal.tags.team`)
			case 2:
				conds = append(conds, `context has sourceIp && (context.sourceIp.isInRange(ip("203.0.113.0/24")) || context.sourceIp.isInRange(ip("2001:db8::/32")))`,
					`context has secureTransport && context.secureTransport == true`)
			case 3:
				conds = append(conds, `principal.arn like "arn:aws:iam::*:user/dev-*"`,
					`context has tagKeys && context.tagKeys.containsAny(["team", "env"])`)
			}
			effect := "permit"
			if j == m-1 {
				effect = "forbid"
			}
			text := fmt.Sprintf("%s (principal, action, resource) when {\n  %s\n};", effect, strings.Join(conds, " &&\n  "))
			var p cedar.Policy
			if err := p.UnmarshalCedar([]byte(text)); err != nil {
				tb.Fatalf("policy p%d/S%d: %v\n%s", i, j, err, text)
			}
			ps.Add(cedar.PolicyID(fmt.Sprintf("p%d-S%d", i, j)), &p)
		}
	}
	return ps
}

// cedarRequest translates an IAM request of the benchmark's shape: the
// principal and resource become entities carrying their ARNs and tags.
func cedarRequest(tb testing.TB, req Request) (cedar.EntityMap, cedar.Request) {
	ctx := req.Context.normalized()
	tags := func(prefix string) cedar.Record {
		m := cedar.RecordMap{}
		for k, v := range ctx {
			if name, ok := strings.CutPrefix(k, prefix); ok && len(v) == 1 {
				m[cedar.String(name)] = cedar.String(v[0])
			}
		}
		return cedar.NewRecord(m)
	}
	arn, ok := ctx.single("aws:principalarn") // what IAM's conditions see
	if !ok {
		arn = req.Principal.ARN
	}
	principal := cedar.NewEntityUID("User", cedar.String(req.Principal.ARN))
	resource := cedar.NewEntityUID("Resource", cedar.String(req.Resource))
	entities := cedar.EntityMap{
		principal: {UID: principal, Attributes: cedar.NewRecord(cedar.RecordMap{
			"arn":  cedar.String(arn),
			"tags": tags("aws:principaltag/"),
		})},
		resource: {UID: resource, Attributes: cedar.NewRecord(cedar.RecordMap{
			"arn":  cedar.String(req.Resource),
			"tags": tags("aws:resourcetag/"),
		})},
	}
	c := cedar.RecordMap{"action": cedar.String(strings.ToLower(req.Action))}
	if v, ok := ctx.single("aws:sourceip"); ok {
		ip, err := types.ParseIPAddr(v)
		if err != nil {
			tb.Fatal(err)
		}
		c["sourceIp"] = ip
	}
	if v, ok := ctx.single("aws:securetransport"); ok {
		c["secureTransport"] = cedar.Boolean(strings.EqualFold(v, "true"))
	}
	if vs, ok := ctx["aws:tagkeys"]; ok {
		var set []cedar.Value
		for _, v := range vs {
			set = append(set, cedar.String(v))
		}
		c["tagKeys"] = cedar.NewSet(set...)
	}
	return entities, cedar.Request{
		Principal: principal,
		Action:    cedar.NewEntityUID("Action", cedar.String(strings.ToLower(req.Action))),
		Resource:  resource,
		Context:   cedar.NewRecord(c),
	}
}

// TestCedarEquivalent checks that the translation decides like Evaluate on
// requests that exercise each kind of statement, so that the benchmark
// compares equal work.
func TestCedarEquivalent(t *testing.T) {
	in := Input{Identity: benchPolicies(t, 10, 5)}
	ps := cedarPolicies(t, 10, 5)
	base := benchRequest()
	variants := map[string]func(r *Request){
		"benchmark request": func(r *Request) {},
		"other team":        func(r *Request) { r.Context.Set("aws:ResourceTag/team", "red") },
		"no resource tag":   func(r *Request) { delete(r.Context, "aws:resourcetag/team") },
		"action not listed": func(r *Request) { r.Action = "sns:Publish" },
		"action case":       func(r *Request) { r.Action = "SNS:gettopicattributes" },
		"other account":     func(r *Request) { r.Resource = "arn:aws:sns:us-east-1:444455556666:shared/alerts" },
		"denied service": func(r *Request) {
			r.Action, r.Resource = "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:shared/t"
		},
		"ip and transport": func(r *Request) {
			r.Action, r.Resource = "sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:111122223333:app-0-q"
		},
		"ip outside": func(r *Request) {
			r.Action, r.Resource = "sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:111122223333:app-0-q"
			r.Context.Set("aws:SourceIp", "198.51.100.1")
		},
		"insecure transport": func(r *Request) {
			r.Action, r.Resource = "sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:111122223333:app-0-q"
			r.Context.Set("aws:SecureTransport", "false")
		},
		"arn and tag keys": func(r *Request) {
			r.Action, r.Resource = "dynamodb:ListTables", "arn:aws:dynamodb:us-east-1:111122223333:shared/x"
			r.Context.Set("aws:PrincipalArn", "arn:aws:iam::111122223333:user/dev-bob")
			r.Context.Set("aws:TagKeys", "env", "cost")
		},
		"arn without tag keys": func(r *Request) {
			r.Action, r.Resource = "dynamodb:ListTables", "arn:aws:dynamodb:us-east-1:111122223333:shared/x"
			r.Context.Set("aws:PrincipalArn", "arn:aws:iam::111122223333:user/dev-bob")
		},
	}
	allowed := 0
	for name, change := range variants {
		req := base
		req.Context = Context{}
		for k, v := range base.Context {
			req.Context[k] = v
		}
		change(&req)
		want := Evaluate(in, req).Decision == Allowed
		entities, creq := cedarRequest(t, req)
		d, diag := cedar.Authorize(ps, entities, creq)
		if len(diag.Errors) > 0 {
			t.Errorf("%s: cedar errors %v", name, diag.Errors)
		}
		if got := d == cedar.Allow; got != want {
			t.Errorf("%s: cedar allows %v, Evaluate allows %v", name, got, want)
		}
		if want {
			allowed++
		}
	}
	if allowed < 3 || allowed == len(variants) {
		t.Errorf("%d of %d variants allowed: the variants do not exercise both outcomes", allowed, len(variants))
	}
}

// The principal with cedar-go: 10 policies of 5 statements, the
// same request as BenchmarkEvaluate10x5.
func BenchmarkCedar10x5(b *testing.B) {
	ps := cedarPolicies(b, 10, 5)
	entities, req := cedarRequest(b, benchRequest())
	if d, diag := cedar.Authorize(ps, entities, req); d != cedar.Allow || len(diag.Errors) > 0 {
		b.Fatalf("benchmark request: %v %v", d, diag)
	}
	b.ReportAllocs()
	for b.Loop() {
		cedar.Authorize(ps, entities, req)
	}
}
