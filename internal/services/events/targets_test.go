package events

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestPutTargetsValidation(t *testing.T) {
	h := newHarness(t)
	h.must("PutRule", map[string]any{"Name": "r", "EventPattern": ec2Pattern})
	target := func(extra map[string]any) map[string]any {
		t := map[string]any{"Id": "t1", "Arn": smARN("sm")}
		for k, v := range extra {
			t[k] = v
		}
		return t
	}
	tests := []struct {
		name   string
		target map[string]any
		code   string
		msg    string
	}{
		{"no id", map[string]any{"Arn": smARN("sm")}, "ValidationException", "Value null at 'targets.1.member.id'"},
		{"bad id", target(map[string]any{"Id": "a b"}), "ValidationException", "targets.1.member.id"},
		{"no arn", map[string]any{"Id": "t"}, "ValidationException", "targets.1.member.arn"},
		{"not an arn", target(map[string]any{"Arn": "queue"}), "ValidationException", "not a valid ARN"},
		{"sqs", target(map[string]any{"Arn": "arn:aws:sqs:us-east-1:123456789012:q"}), "ValidationException", "not a supported target"},
		{"other account", target(map[string]any{"Arn": "arn:aws:sns:us-east-1:999999999999:t"}), "ValidationException", "another account"},
		{"input and path", target(map[string]any{"Input": "{}", "InputPath": "$.detail"}), "ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target t1."},
		{"input not json", target(map[string]any{"Input": "{"}), "ValidationException", "Input for target t1 is not a valid JSON text."},
		{"bad path", target(map[string]any{"InputPath": "detail"}), "ValidationException", "InputPath for target t1"},
		{"no template", target(map[string]any{"InputTransformer": map[string]any{}}), "ValidationException", "inputTransformer.inputTemplate"},
		{"template key placeholder", target(map[string]any{"InputTransformer": map[string]any{
			"InputPathsMap": map[string]string{"k": "$.source"}, "InputTemplate": `{<k>: 1}`}}), "ValidationException", "Invalid InputTemplate for target t1"},
		{"template undefined var", target(map[string]any{"InputTransformer": map[string]any{"InputTemplate": `{"a": <nope>}`}}), "ValidationException", "Invalid InputTemplate"},
		{"bad map key", target(map[string]any{"InputTransformer": map[string]any{
			"InputPathsMap": map[string]string{"a.b": "$.source"}, "InputTemplate": `"x"`}}), "ValidationException", "inputPathsMap.key"},
		{"retries", target(map[string]any{"RetryPolicy": map[string]any{"MaximumRetryAttempts": 186}}), "ValidationException", "less than or equal to 185"},
		{"event age", target(map[string]any{"RetryPolicy": map[string]any{"MaximumEventAgeInSeconds": 59}}), "ValidationException", "greater than or equal to 60"},
		{"dlq not sqs", target(map[string]any{"DeadLetterConfig": map[string]any{"Arn": topicARN("x")}}), "ValidationException", "SQS queue"},
		{"unsupported params", target(map[string]any{"SqsParameters": map[string]any{"MessageGroupId": "g"}}), "ValidationException", "SqsParameters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			h.fails("PutTargets", map[string]any{"Rule": "r", "Targets": []any{tc.target}}, tc.code, tc.msg)
		})
	}
	h.t = t
	h.fails("PutTargets", map[string]any{"Rule": "nope", "Targets": []any{target(nil)}}, "ResourceNotFoundException", "Rule nope does not exist on EventBus default.")
	h.fails("PutTargets", map[string]any{"Rule": "r"}, "ValidationException", "Value null at 'targets'")
}

func TestTargetsLimitAndListing(t *testing.T) {
	h := newHarness(t)
	h.must("PutRule", map[string]any{"Name": "r", "EventPattern": ec2Pattern})
	var targets []any
	for i := range 5 {
		targets = append(targets, map[string]any{"Id": fmt.Sprintf("t%d", i), "Arn": fnARN("f")})
	}
	h.must("PutTargets", map[string]any{"Rule": "r", "Targets": targets})
	h.fails("PutTargets", map[string]any{"Rule": "r", "Targets": []any{map[string]any{"Id": "t9", "Arn": fnARN("f")}}},
		"LimitExceededException", "The requested resource exceeds the maximum number allowed.")
	// Updating an existing target does not count against the limit.
	h.must("PutTargets", map[string]any{"Rule": "r", "Targets": []any{map[string]any{"Id": "t0", "Arn": topicARN("x"),
		"InputTransformer": map[string]any{"InputPathsMap": map[string]string{"s": "$.source"}, "InputTemplate": `"<s> happened"`},
		"RetryPolicy":      map[string]any{"MaximumRetryAttempts": 3}}}})
	var ids []string
	token := ""
	for {
		in := map[string]any{"Rule": "r", "Limit": 2}
		if token != "" {
			in["NextToken"] = token
		}
		var out struct {
			Targets   []Target
			NextToken string
		}
		json.Unmarshal(h.must("ListTargetsByRule", in), &out)
		for _, tg := range out.Targets {
			ids = append(ids, tg.ID)
			if tg.ID == "t0" && (tg.Arn != topicARN("x") || tg.InputTransformer == nil || *tg.RetryPolicy.MaximumRetryAttempts != 3) {
				t.Errorf("updated target = %+v", tg)
			}
		}
		if token = out.NextToken; token == "" {
			break
		}
	}
	if got := strings.Join(ids, ","); got != "t0,t1,t2,t3,t4" {
		t.Errorf("listed %s", got)
	}
	var names ListRuleNamesByTargetResult
	json.Unmarshal(h.must("ListRuleNamesByTarget", map[string]any{"TargetArn": fnARN("f")}), &names)
	if len(names.RuleNames) != 1 || names.RuleNames[0] != "r" {
		t.Errorf("ListRuleNamesByTarget = %+v", names)
	}
	h.fails("ListTargetsByRule", map[string]any{"Rule": "nope"}, "ResourceNotFoundException", "")
}
