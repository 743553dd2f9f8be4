package playbooks

import (
	"testing"

	"github.com/vigilsec/vigil/policy"
)

// TestExposedKeyPolicyIsClean checks the playbook's role policy and trust
// policy the way Access Analyzer would: no errors, no warnings.
func TestExposedKeyPolicyIsClean(t *testing.T) {
	fn := "arn:aws:lambda:us-east-1:123456789012:function:"
	doc := exposedKeyPolicy("123456789012", "arn:aws:sns:us-east-1:123456789012:SecurityNotificationTopic", fn,
		"arn:aws:states:us-east-1:123456789012:stateMachine:ExposedKeyResponse")
	for _, tt := range []struct {
		doc  string
		kind policy.Kind
	}{{doc, policy.Identity}, {responseTrust, policy.Trust}} {
		for _, f := range policy.Validate([]byte(tt.doc), tt.kind) {
			if f.Type != policy.FindingSuggestion {
				t.Errorf("%s policy: %s", tt.kind, f)
			}
		}
	}
}

// TestExposedKeyPolicyAllowsExactly evaluates the role policy against what
// the response does, and a few things it must not do.
func TestExposedKeyPolicyAllowsExactly(t *testing.T) {
	const acct = "123456789012"
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:"
	topic := "arn:aws:sns:us-east-1:" + acct + ":SecurityNotificationTopic"
	machine := "arn:aws:states:us-east-1:" + acct + ":stateMachine:ExposedKeyResponse"
	p, err := policy.Parse([]byte(exposedKeyPolicy(acct, topic, fn, machine)), policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	role := policy.Principal{Type: policy.AssumedRole, ARN: "arn:aws:sts::" + acct + ":assumed-role/" + exposedKeyRole + "/x",
		RoleARN: "arn:aws:iam::" + acct + ":role/" + exposedKeyRole, Account: acct}
	for _, tt := range []struct {
		action, resource string
		want             bool
	}{
		{"iam:GetAccessKeyLastUsed", "arn:aws:iam::" + acct + ":user/test-user", true},
		{"iam:DeleteAccessKey", "arn:aws:iam::" + acct + ":user/team/test-user", true},
		{"cloudtrail:LookupEvents", "*", true},
		{"sns:Publish", topic, true},
		{"lambda:InvokeFunction", fn + summarizeFunction, true},
		{"lambda:InvokeFunction", fn + formatFunction, true},
		{"states:StartExecution", machine, true},
		{"iam:DeleteUser", "arn:aws:iam::" + acct + ":user/test-user", false},
		{"iam:CreateAccessKey", "arn:aws:iam::" + acct + ":user/test-user", false},
		{"sns:Publish", "arn:aws:sns:us-east-1:" + acct + ":other", false},
		{"lambda:InvokeFunction", fn + "other", false},
		{"states:StartExecution", machine + "2", false},
	} {
		res := policy.Evaluate(policy.Input{Identity: []*policy.Policy{p}},
			policy.Request{Principal: role, Action: tt.action, Resource: tt.resource, Context: policy.Context{}})
		if got := res.Decision == policy.Allowed; got != tt.want {
			t.Errorf("%s on %s: %s, want allowed=%v", tt.action, tt.resource, res.Decision, tt.want)
		}
	}
}
