package states

import (
	"strings"
	"testing"
	"unicode"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"simple", true},
		{"with-dash_and.dot", true},
		{"ünïcødé", true},
		{strings.Repeat("a", 80), true},
		{strings.Repeat("a", 81), false},
		{"", false},
		{"a b", false},
		{"tab\there", false},
		{"nbsp\u00a0", false},
		{"a<b", false}, {"a{b", false}, {"a]b", false},
		{"a?b", false}, {"a*b", false},
		{`a"b`, false}, {"a#b", false}, {"a%b", false}, {`a\b`, false}, {"a^b", false}, {"a|b", false},
		{"a~b", false}, {"a`b", false}, {"a$b", false}, {"a&b", false}, {"a,b", false}, {"a;b", false},
		{"a:b", false}, {"a/b", false},
		{"ctl\x01", false}, {"ctl\u0085", false}, {"del\x7f", false},
	}
	for _, tc := range tests {
		if got := validName(tc.name); got != tc.ok {
			t.Errorf("validName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestParseResource(t *testing.T) {
	tests := []struct {
		res                   string
		ok                    bool
		kind, service, action string
	}{
		{"arn:aws:states:::aws-sdk:iam:deleteAccessKey", true, "sdk", "iam", "DeleteAccessKey"},
		{"arn:aws:states:::aws-sdk:eventbridge:putEvents", true, "sdk", "eventbridge", "PutEvents"},
		{"arn:aws:states:::aws-sdk:sfn:startExecution", true, "sdk", "sfn", "StartExecution"},
		{"arn:aws:states:::aws-sdk:cloudtrail:lookupEvents", true, "sdk", "cloudtrail", "LookupEvents"},
		{"arn:aws:states:::aws-sdk:s3:getObject", false, "", "", ""},
		{"arn:aws:states:::aws-sdk:iam:tagUser.waitForTaskToken", true, "sdk", "iam", "TagUser"},
		{"arn:aws:states:::aws-sdk:iam:getUser.sync", false, "", "", ""},
		{"arn:aws:states:::aws-sdk:iam:", false, "", "", ""},
		{"arn:aws:states:::sns:publish", true, "sns", "", ""},
		{"arn:aws:states:::sns:publish.sync", false, "", "", ""},
		{"arn:aws:states:::sns:publish.waitForTaskToken", true, "sns", "", ""},
		{"arn:aws:states:::lambda:invoke", true, "lambda", "", ""},
		{"arn:aws:lambda:us-east-1:000000000000:function:summarise", true, "function", "", ""},
		{"arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST", true, "function", "", ""},
		{"arn:aws:lambda:us-east-1:0000:function:f", false, "", "", ""},
		{"arn:aws:states:us-east-1:000000000000:activity:a", true, "activity", "", ""},
		{"arn:aws:states:us-east-1:000000000000:activity:a/b", false, "", "", ""},
		{"arn:aws:states:::states:startExecution", true, "sfn", "", ""},
		{"arn:aws:states:::states:startExecution.sync", true, "sfn", "", ""},
		{"arn:aws:states:::states:startExecution.sync:2", true, "sfn", "", ""},
		{"arn:aws:states:::states:startExecution.waitForTaskToken", true, "sfn", "", ""},
		{"arn:aws:states:::states:startExecution.sync:3", false, "", "", ""},
		{"arn:aws:states:::dynamodb:putItem", false, "", "", ""},
		{"not an arn", false, "", "", ""},
	}
	for _, tc := range tests {
		in, ok := parseResource(tc.res)
		if ok != tc.ok || in.kind != tc.kind || in.service != tc.service || in.action != tc.action {
			t.Errorf("parseResource(%q) = %+v, %v; want %s %s %s, %v", tc.res, in, ok, tc.kind, tc.service, tc.action, tc.ok)
		}
	}
}

func TestSDKFailureNames(t *testing.T) {
	tests := []struct{ prefix, code, want string }{
		{"Iam", "NoSuchEntity", "Iam.NoSuchEntityException"},
		{"Sfn", "StateMachineDoesNotExist", "Sfn.StateMachineDoesNotExistException"},
		{"EventBridge", "ResourceNotFoundException", "EventBridge.ResourceNotFoundException"},
	}
	for _, tc := range tests {
		res := sdkFailure(tc.prefix, sdkError(tc.code, "m", 400))
		if res.Error != tc.want || !strings.HasPrefix(res.Cause, "m (Service: "+tc.prefix+", Status Code: 400, Request ID: ") {
			t.Errorf("sdkFailure(%s, %s) = %+v", tc.prefix, tc.code, res)
		}
	}
}

func TestRecase(t *testing.T) {
	in := decodeAny([]byte(`{"StateMachineArn":"x","Tags":[{"Key":"k","Value":"v"}],"":1}`))
	got := string(mustJSON(t, recase(in, unicode.ToLower)))
	if got != `{"":1,"stateMachineArn":"x","tags":[{"key":"k","value":"v"}]}` {
		t.Errorf("recase = %s", got)
	}
}

func TestDiagnostic(t *testing.T) {
	d := diagnostic("Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next'")
	if d.Code != "MISSING_TRANSITION_TARGET" || d.Message != "Missing 'Next' target: X" || d.Location != "/States/A/Next" {
		t.Errorf("diagnostic = %+v", d)
	}
}

// FuzzARNs checks that no ARN or page token makes the parsers panic and
// that a token decodes to what was encoded.
func FuzzARNs(f *testing.F) {
	for _, s := range []string{
		"arn:aws:states:us-east-1:000000000000:stateMachine:m",
		"arn:aws:states:us-east-1:000000000000:execution:m:e",
		"arn:aws:states:::aws-sdk:iam:getUser",
		"arn:aws:lambda:us-east-1:000000000000:function:f",
		"arn:aws:iam::000000000000:role/r", ":::::::", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkMachineARN(s)
		checkExecutionARN(s)
		checkRoleArn(s)
		parseResource(s)
		validName(s)
		decodeToken(s)
		if got, err := decodeToken(encodeToken(s)); err != nil || got != s {
			t.Errorf("token round trip of %q gave %q, %v", s, got, err)
		}
		if checkExecutionARN(s) == nil && !strings.Contains(s, ":execution:") {
			t.Errorf("%q accepted as an execution ARN", s)
		}
	})
}
