package iam

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/awsproto"
)

func simulate(t *testing.T, s *Service, action string, input any) (*SimulatePolicyResult, error) {
	t.Helper()
	raw, _ := json.Marshal(input)
	res, err := s.Handle(context.Background(), &awsproto.Call{Service: spec, Action: action, Input: raw, Caller: rootCaller()})
	if err != nil {
		return nil, err
	}
	return res.(*SimulatePolicyResult), nil
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "ann", "Path": "/ops/"})
	mustCall[CreateGroupResult](t, s, "CreateGroup", map[string]any{"GroupName": "g"})
	mustCall[struct{}](t, s, "AddUserToGroup", map[string]any{"GroupName": "g", "UserName": "ann"})
	mustCall[struct{}](t, s, "PutUserPolicy", map[string]any{"UserName": "ann", "PolicyName": "own",
		"PolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}`})
	mustCall[struct{}](t, s, "PutGroupPolicy", map[string]any{"GroupName": "g", "PolicyName": "deny",
		"PolicyDocument": "{\"Version\":\"2012-10-17\",\n\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"sns:Publish\",\"Resource\":\"arn:aws:sns:us-east-1:123456789012:secret\"}]}"})
	user := "arn:aws:iam::" + testAccount + ":user/ops/ann"
	out, err := simulate(t, s, "SimulatePrincipalPolicy", map[string]any{"PolicySourceArn": user, "ActionNames": []string{"sns:Publish"},
		"ResourceArns": []string{"arn:aws:sns:us-east-1:123456789012:open", "arn:aws:sns:us-east-1:123456789012:secret"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.EvaluationResults) != 2 {
		t.Fatalf("results %+v", out.EvaluationResults)
	}
	open, secret := out.EvaluationResults[0], out.EvaluationResults[1]
	if open.EvalDecision != "allowed" || len(open.MatchedStatements) != 1 || open.MatchedStatements[0].SourcePolicyID != "own" ||
		open.MatchedStatements[0].SourcePolicyType != "user" || open.MatchedStatements[0].StartPosition != (SimPosition{1, 38}) {
		t.Errorf("open topic %+v", open)
	}
	if secret.EvalDecision != "explicitDeny" || secret.MatchedStatements[0].SourcePolicyType != "group" ||
		secret.MatchedStatements[0].StartPosition.Line != 2 || len(secret.ResourceSpecificResults) != 1 {
		t.Errorf("secret topic %+v", secret)
	}
	// The result encodes as IAM's XML.
	b, err := xml.Marshal(out)
	if err != nil || !strings.Contains(string(b), "<EvaluationResults><member><EvalActionName>sns:Publish</EvalActionName>") ||
		!strings.Contains(string(b), "<SourcePolicyType>group</SourcePolicyType>") {
		t.Errorf("XML %s, %v", b, err)
	}

	for _, tt := range []struct {
		input any
		code  string
	}{
		{map[string]any{"ActionNames": []string{"sns:Publish"}}, "ValidationError"},
		{map[string]any{"PolicySourceArn": user}, "ValidationError"},
		{map[string]any{"PolicySourceArn": "arn:aws:iam::" + testAccount + ":user/nobody", "ActionNames": []string{"a:b"}}, "NoSuchEntity"},
		{map[string]any{"PolicySourceArn": "arn:aws:iam::" + testAccount + ":user/ann", "ActionNames": []string{"a:b"}}, "NoSuchEntity"}, // wrong path
		{map[string]any{"PolicySourceArn": "not-an-arn", "ActionNames": []string{"a:b"}}, "InvalidInput"},
		{map[string]any{"PolicySourceArn": user, "ActionNames": []string{"a:b"}, "PolicyInputList": []string{"{"}}, "InvalidInput"},
		{map[string]any{"PolicySourceArn": user, "ActionNames": []string{"a:b"}, "Marker": "x"}, "InvalidInput"},
	} {
		_, err := simulate(t, s, "SimulatePrincipalPolicy", tt.input)
		if e, ok := err.(*awsproto.Error); !ok || e.Code != tt.code {
			t.Errorf("%v: %v, want %s", tt.input, err, tt.code)
		}
	}
}

func TestSimulateCustomPolicyPages(t *testing.T) {
	s := newTestService(t)
	in := map[string]any{"PolicyInputList": []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
		"ActionNames": []string{"a:One", "a:Two", "a:Three"}, "MaxItems": 2}
	first, err := simulate(t, s, "SimulateCustomPolicy", in)
	if err != nil || len(first.EvaluationResults) != 2 || !first.IsTruncated || first.Marker == "" {
		t.Fatalf("first page %+v, %v", first, err)
	}
	in["Marker"] = first.Marker
	second, err := simulate(t, s, "SimulateCustomPolicy", in)
	if err != nil || len(second.EvaluationResults) != 1 || second.IsTruncated || second.EvaluationResults[0].EvalActionName != "a:Three" {
		t.Fatalf("second page %+v, %v", second, err)
	}
	// Context entries feed conditions; what is missing is reported.
	in = map[string]any{"PolicyInputList": []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
		"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`}, "ActionNames": []string{"a:b"}}
	out, _ := simulate(t, s, "SimulateCustomPolicy", in)
	if r := out.EvaluationResults[0]; r.EvalDecision != "implicitDeny" || len(r.MissingContextValues) != 1 {
		t.Errorf("without context %+v", r)
	}
	in["ContextEntries"] = []map[string]any{{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": []string{"10.1.1.1"}, "ContextKeyType": "ip"}}
	out, _ = simulate(t, s, "SimulateCustomPolicy", in)
	if r := out.EvaluationResults[0]; r.EvalDecision != "allowed" || len(r.MissingContextValues) != 0 {
		t.Errorf("with context %+v", r)
	}
}

// The simulated principal's keys come from the user or role: its tags feed
// aws:PrincipalTag, its name ${aws:username}; a context entry still wins.
func TestSimulatePrincipalKeysFromEntity(t *testing.T) {
	s := newTestService(t)
	abac := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*",
		"Condition":{"StringEquals":{"aws:ResourceTag/Department":"${aws:PrincipalTag/Department}"}}},
		{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::` + testAccount + `:user/${aws:username}"}]}`
	tags := func(v string) []map[string]string { return []map[string]string{{"Key": "Department", "Value": v}} }
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "sam", "Tags": tags("Serverless")})
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "fin", "Path": "/fin/", "Tags": tags("Finance")})
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "untagged"})
	mustCall[RoleResult](t, s, "CreateRole", map[string]any{"RoleName": "profile", "Tags": tags("Finance"),
		"AssumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + testAccount + `"},"Action":"sts:AssumeRole"}]}`})
	for _, u := range []string{"sam", "untagged"} {
		mustCall[struct{}](t, s, "PutUserPolicy", map[string]any{"UserName": u, "PolicyName": "abac", "PolicyDocument": abac})
	}
	mustCall[struct{}](t, s, "PutRolePolicy", map[string]any{"RoleName": "profile", "PolicyName": "abac", "PolicyDocument": abac})

	user := func(name string) string { return "arn:aws:iam::" + testAccount + ":user/" + name }
	topicOf := func(dept string) map[string]any {
		return map[string]any{"ContextKeyName": "aws:ResourceTag/Department", "ContextKeyValues": []string{dept}, "ContextKeyType": "string"}
	}
	tests := []struct {
		name, source, caller, action, resource string
		context                                []map[string]any
		want                                   string
	}{
		{"user's tag matches", user("sam"), "", "sns:Publish", "*", []map[string]any{topicOf("Serverless")}, "allowed"},
		{"user's tag differs", user("sam"), "", "sns:Publish", "*", []map[string]any{topicOf("Finance")}, "implicitDeny"},
		{"untagged user", user("untagged"), "", "sns:Publish", "*", []map[string]any{topicOf("Serverless")}, "implicitDeny"},
		{"role's tag matches", "arn:aws:iam::" + testAccount + ":role/profile", "", "sns:Publish", "*", []map[string]any{topicOf("Finance")}, "allowed"},
		{"role's tag differs", "arn:aws:iam::" + testAccount + ":role/profile", "", "sns:Publish", "*", []map[string]any{topicOf("Serverless")}, "implicitDeny"},
		{"caller's tags, source's policies", user("sam"), user("fin/fin"), "sns:Publish", "*", []map[string]any{topicOf("Finance")}, "allowed"},
		{"context entry wins", user("sam"), "", "sns:Publish", "*", []map[string]any{topicOf("Finance"),
			{"ContextKeyName": "aws:PrincipalTag/Department", "ContextKeyValues": []string{"Finance"}, "ContextKeyType": "string"}}, "allowed"},
		{"aws:username of the user", user("sam"), "", "iam:GetUser", user("sam"), nil, "allowed"},
		{"aws:username of another", user("sam"), "", "iam:GetUser", user("untagged"), nil, "implicitDeny"},
		{"a role has no aws:username", "arn:aws:iam::" + testAccount + ":role/profile", "", "iam:GetUser", user("profile"), nil, "implicitDeny"},
	}
	for _, tt := range tests {
		in := map[string]any{"PolicySourceArn": tt.source, "ActionNames": []string{tt.action}, "ResourceArns": []string{tt.resource}}
		if tt.caller != "" {
			in["CallerArn"] = tt.caller
		}
		if tt.context != nil {
			in["ContextEntries"] = tt.context
		}
		out, err := simulate(t, s, "SimulatePrincipalPolicy", in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		r := out.EvaluationResults[0]
		if r.EvalDecision != tt.want {
			t.Errorf("%s: %s, want %s (missing %v)", tt.name, r.EvalDecision, tt.want, r.MissingContextValues)
		}
		if tt.want == "allowed" && len(r.MissingContextValues) != 0 {
			t.Errorf("%s: missing %v", tt.name, r.MissingContextValues)
		}
	}
}
