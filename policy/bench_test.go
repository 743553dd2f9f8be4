package policy

import (
	"fmt"
	"strings"
	"testing"
)

var benchServices = []string{"ssm", "sns", "sqs", "dynamodb", "lambda", "states", "events", "logs", "kms", "secretsmanager"}

// benchPolicies builds n identity policies of m statements in the style of
// real least-privilege policies: specific actions, ARNs with wildcards, and
// conditions on tags, the caller's address and the transport.
func benchPolicies(tb testing.TB, n, m int) []*Policy {
	services := benchServices
	var out []*Policy
	for i := 0; i < n; i++ {
		var stmts []string
		for j := 0; j < m; j++ {
			svc := services[(i*m+j)%len(services)]
			cond := ""
			switch j % 4 {
			case 1:
				cond = `,"Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`
			case 2:
				cond = `,"Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]},"Bool":{"aws:SecureTransport":"true"}}`
			case 3:
				cond = `,"Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/dev-*"},"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`
			}
			effect := "Allow"
			if j == m-1 {
				effect = "Deny"
			}
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%d","Effect":%q,"Action":["%s:Get*","%s:List*","%s:Describe%d"],"Resource":["arn:aws:%s:us-east-1:111122223333:app-%d-*","arn:aws:%s:*:111122223333:shared/*"]%s}`,
				j, effect, svc, svc, svc, j, svc, i, svc, cond))
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		out = append(out, mustParse(tb, Identity, fmt.Sprintf("p%d", i), doc))
	}
	return out
}

func benchRequest() Request {
	ctx := Context{}
	ctx.SetPrincipal(alice, map[string]string{"team": "blue", "env": "prod"})
	ctx.Set("aws:SourceIp", "203.0.113.50")
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:CurrentTime", "2024-05-01T12:00:00Z")
	ctx.Set("aws:RequestedRegion", "us-east-1")
	ctx.Set("aws:ResourceTag/team", "blue")
	return Request{Principal: alice, Action: "sns:GetTopicAttributes", Resource: "arn:aws:sns:us-east-1:111122223333:shared/alerts", Context: ctx}
}

func benchEvaluate(b *testing.B, n, m int) {
	in := Input{Identity: benchPolicies(b, n, m)}
	req := benchRequest()
	if r := Evaluate(in, req); r.Decision != Allowed {
		b.Fatalf("benchmark request: %v", r)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(in, req)
	}
}

// A realistic user: 5 policies of 10 statements.
func BenchmarkEvaluate5x10(b *testing.B) { benchEvaluate(b, 5, 10) }

// The principal: 10 policies of 5 statements.
func BenchmarkEvaluate10x5(b *testing.B) { benchEvaluate(b, 10, 5) }

func BenchmarkEvaluateDenied(b *testing.B) {
	in := Input{Identity: benchPolicies(b, 5, 10)}
	req := benchRequest()
	req.Action = "iam:CreateUser"
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(in, req)
	}
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(fuzzSeeds[2])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, Resource); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:List*","s3:GetObject"],"Resource":"arn:aws:s3:::HumanResources"},{"Effect":"Allow","Action":"codebuild:BatchGet*","Resource":"*","Condition":{"StringEquals":{"ec2:Region":"us-west-2"}}}]}`)
	Validate(doc, Identity)
	b.ReportAllocs()
	for b.Loop() {
		Validate(doc, Identity)
	}
}
