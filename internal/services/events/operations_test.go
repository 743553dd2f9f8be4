package events

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const ec2Pattern = `{"source":["my.app"],"detail-type":["Order Placed"]}`

func TestRuleLifecycle(t *testing.T) {
	h := newHarness(t)
	var put PutRuleResult
	json.Unmarshal(h.must("PutRule", map[string]any{"Name": "orders", "EventPattern": ec2Pattern, "Description": "d"}), &put)
	if want := "arn:aws:events:us-east-1:123456789012:rule/orders"; put.RuleArn != want {
		t.Fatalf("RuleArn = %q, want %q", put.RuleArn, want)
	}
	var r Rule
	json.Unmarshal(h.must("DescribeRule", map[string]any{"Name": "orders"}), &r)
	if r.State != "ENABLED" || r.EventPattern != ec2Pattern || r.EventBusName != "default" || r.Description != "d" || r.CreatedBy != testAccount {
		t.Fatalf("DescribeRule = %+v", r)
	}
	h.must("DisableRule", map[string]any{"Name": "orders"})
	json.Unmarshal(h.must("DescribeRule", map[string]any{"Name": "orders"}), &r)
	if r.State != "DISABLED" {
		t.Fatalf("after DisableRule state = %s", r.State)
	}
	h.must("EnableRule", map[string]any{"Name": "orders"})
	// An update replaces the rule: the omitted Description is cleared.
	h.must("PutRule", map[string]any{"Name": "orders", "EventPattern": ec2Pattern, "State": "DISABLED"})
	r = Rule{}
	json.Unmarshal(h.must("DescribeRule", map[string]any{"Name": "orders"}), &r)
	if r.State != "DISABLED" || r.Description != "" {
		t.Fatalf("after update = %+v", r)
	}
	h.must("PutTargets", map[string]any{"Rule": "orders", "Targets": []any{map[string]any{"Id": "t1", "Arn": topicARN("t")}}})
	h.fails("DeleteRule", map[string]any{"Name": "orders"}, "ValidationException", "Rule can't be deleted since it has targets.")
	h.must("RemoveTargets", map[string]any{"Rule": "orders", "Ids": []string{"t1"}})
	h.must("DeleteRule", map[string]any{"Name": "orders"})
	h.fails("DescribeRule", map[string]any{"Name": "orders"}, "ResourceNotFoundException", "Rule orders does not exist on EventBus default.")
	h.must("DeleteRule", map[string]any{"Name": "orders"}) // deleting again succeeds, as on AWS
	h.fails("EnableRule", map[string]any{"Name": "orders"}, "ResourceNotFoundException", "does not exist")
}

func TestListRulesPaging(t *testing.T) {
	h := newHarness(t)
	for i := range 7 {
		h.must("PutRule", map[string]any{"Name": fmt.Sprintf("r%d", i), "EventPattern": ec2Pattern})
	}
	h.must("PutRule", map[string]any{"Name": "other", "EventPattern": ec2Pattern})
	var names []string
	token := ""
	for pages := 0; ; pages++ {
		in := map[string]any{"NamePrefix": "r", "Limit": 3}
		if token != "" {
			in["NextToken"] = token
		}
		var out ListRulesResult
		json.Unmarshal(h.must("ListRules", in), &out)
		for _, r := range out.Rules {
			names = append(names, r.Name)
		}
		if out.NextToken == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		token = out.NextToken
	}
	if got := strings.Join(names, ","); got != "r0,r1,r2,r3,r4,r5,r6" {
		t.Fatalf("listed %s", got)
	}
	h.fails("ListRules", map[string]any{"NextToken": "garbage!"}, "ValidationException", "NextToken")
	h.fails("ListRules", map[string]any{"Limit": 101}, "ValidationException", "less than or equal to 100")
	h.fails("ListRules", map[string]any{"EventBusName": "nope"}, "ResourceNotFoundException", "Event bus nope does not exist.")
}

func TestPutRuleValidation(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name  string
		input map[string]any
		code  string
		msg   string
	}{
		{"no name", map[string]any{"EventPattern": ec2Pattern}, "ValidationException", "Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"bad name", map[string]any{"Name": "a b", "EventPattern": ec2Pattern}, "ValidationException", "Member must satisfy regular expression pattern"},
		{"long name", map[string]any{"Name": strings.Repeat("a", 65), "EventPattern": ec2Pattern}, "ValidationException", "length less than or equal to 64"},
		{"bad state", map[string]any{"Name": "r", "EventPattern": ec2Pattern, "State": "ON"}, "ValidationException", "enum value set: [ENABLED, DISABLED"},
		{"no pattern", map[string]any{"Name": "r"}, "ValidationException", "EventPattern or ScheduleExpression must be specified"},
		{"bad schedule", map[string]any{"Name": "r", "ScheduleExpression": "rate(1 minutes)"}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"schedule on a custom bus", map[string]any{"Name": "r", "ScheduleExpression": "rate(5 minutes)", "EventBusName": "other"}, "ValidationException", "ScheduleExpression is supported only on the default event bus."},
		{"invalid pattern", map[string]any{"Name": "r", "EventPattern": `{"source":"x"}`}, "InvalidEventPatternException", "Event pattern is not valid."},
		{"pattern not JSON", map[string]any{"Name": "r", "EventPattern": `{`}, "InvalidEventPatternException", ""},
		{"no bus", map[string]any{"Name": "r", "EventPattern": ec2Pattern, "EventBusName": "nope"}, "ResourceNotFoundException", "Event bus nope does not exist."},
		{"foreign bus arn", map[string]any{"Name": "r", "EventPattern": ec2Pattern, "EventBusName": "arn:aws:events:us-east-1:999999999999:event-bus/default"}, "ResourceNotFoundException", "does not exist"},
		{"two errors", map[string]any{"Name": "a b", "Description": strings.Repeat("x", 513), "EventPattern": ec2Pattern}, "ValidationException", "2 validation errors detected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			h.fails("PutRule", tc.input, tc.code, tc.msg)
		})
	}
}

func TestCustomBus(t *testing.T) {
	h := newHarness(t)
	var created CreateEventBusResult
	json.Unmarshal(h.must("CreateEventBus", map[string]any{"Name": "sec", "Description": "security"}), &created)
	if want := "arn:aws:events:us-east-1:123456789012:event-bus/sec"; created.EventBusArn != want {
		t.Fatalf("EventBusArn = %s", created.EventBusArn)
	}
	h.fails("CreateEventBus", map[string]any{"Name": "sec"}, "ResourceAlreadyExistsException", "Event bus sec already exists.")
	h.fails("CreateEventBus", map[string]any{"Name": "default"}, "ResourceAlreadyExistsException", "already exists")
	h.fails("CreateEventBus", map[string]any{"Name": "aws.x"}, "ValidationException", "aws.")
	var put PutRuleResult
	json.Unmarshal(h.must("PutRule", map[string]any{"Name": "r", "EventPattern": ec2Pattern, "EventBusName": created.EventBusArn}), &put)
	if want := "arn:aws:events:us-east-1:123456789012:rule/sec/r"; put.RuleArn != want {
		t.Fatalf("RuleArn = %s, want %s", put.RuleArn, want)
	}
	var list ListEventBusesResult
	json.Unmarshal(h.must("ListEventBuses", map[string]any{}), &list)
	if len(list.EventBuses) != 2 || list.EventBuses[0].Name != "default" || list.EventBuses[1].Name != "sec" {
		t.Fatalf("ListEventBuses = %+v", list)
	}
	var bus EventBus
	json.Unmarshal(h.must("DescribeEventBus", map[string]any{}), &bus)
	if bus.Arn != "arn:aws:events:us-east-1:123456789012:event-bus/default" {
		t.Fatalf("default bus = %+v", bus)
	}
	// Rules are per bus.
	h.fails("DescribeRule", map[string]any{"Name": "r"}, "ResourceNotFoundException", "")
	h.must("DescribeRule", map[string]any{"Name": "r", "EventBusName": "sec"})

	h.must("PutTargets", map[string]any{"Rule": "r", "EventBusName": "sec", "Targets": []any{map[string]any{"Id": "t", "Arn": topicARN("t")}}})
	res := h.putEvents(map[string]any{"Source": "my.app", "DetailType": "Order Placed", "Detail": "{}", "EventBusName": "sec"},
		entry("my.app", "Order Placed", "{}"))
	if res.FailedEntryCount != 0 || len(h.jobs()) != 1 {
		t.Fatalf("PutEvents = %+v, jobs %d; want one delivery from bus sec only", res, len(h.jobs()))
	}
	h.fails("DeleteEventBus", map[string]any{"Name": "default"}, "ValidationException", "Cannot delete event bus default.")
	h.must("DeleteEventBus", map[string]any{"Name": "sec"})
	h.fails("DescribeEventBus", map[string]any{"Name": "sec"}, "ResourceNotFoundException", "Event bus sec does not exist.")
	h.clearJobs()
	h.putEvents(map[string]any{"Source": "my.app", "DetailType": "Order Placed", "Detail": "{}", "EventBusName": "sec"})
	if n := len(h.jobs()); n != 0 {
		t.Fatalf("deleted bus still delivers: %d jobs", n)
	}
	// Its rules went with it.
	h.must("CreateEventBus", map[string]any{"Name": "sec"})
	h.fails("DescribeRule", map[string]any{"Name": "r", "EventBusName": "sec"}, "ResourceNotFoundException", "")
}

func TestTags(t *testing.T) {
	h := newHarness(t)
	var put PutRuleResult
	json.Unmarshal(h.must("PutRule", map[string]any{"Name": "r", "EventPattern": ec2Pattern,
		"Tags": []any{map[string]any{"Key": "team", "Value": "sec"}}}), &put)
	h.must("TagResource", map[string]any{"ResourceARN": put.RuleArn, "Tags": []any{map[string]any{"Key": "env", "Value": "prod"}}})
	h.must("UntagResource", map[string]any{"ResourceARN": put.RuleArn, "TagKeys": []string{"team"}})
	var out ListTagsForResourceResult
	json.Unmarshal(h.must("ListTagsForResource", map[string]any{"ResourceARN": put.RuleArn}), &out)
	if len(out.Tags) != 1 || out.Tags[0] != (Tag{"env", "prod"}) {
		t.Fatalf("tags = %+v", out.Tags)
	}
	h.fails("ListTagsForResource", map[string]any{"ResourceARN": put.RuleArn + "x"}, "ResourceNotFoundException", "")
	h.fails("TagResource", map[string]any{"ResourceARN": put.RuleArn, "Tags": []any{map[string]any{"Key": "k", "Value": "1"}, map[string]any{"Key": "k", "Value": "2"}}},
		"ValidationException", "Duplicate")
}

func TestTestEventPattern(t *testing.T) {
	h := newHarness(t)
	event := `{"id":"1","account":"123456789012","source":"my.app","time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail-type":"Order Placed","detail":{"n":5}}`
	tests := []struct {
		pattern string
		event   string
		want    bool
		code    string
	}{
		{ec2Pattern, event, true, ""},
		{`{"source":["other"]}`, event, false, ""},
		{`{"detail":{"n":[{"numeric":[">",3]}]}}`, event, true, ""},
		{`{"source":"my.app"}`, event, false, "InvalidEventPatternException"},
		{ec2Pattern, `{"source":"my.app"}`, false, "ValidationException"},
		{ec2Pattern, `not json`, false, "ValidationException"},
	}
	for _, tc := range tests {
		out, err := h.call("TestEventPattern", map[string]any{"EventPattern": tc.pattern, "Event": tc.event})
		if tc.code != "" {
			if err == nil || !strings.Contains(err.Error(), tc.code) {
				t.Errorf("TestEventPattern(%s, %s) error = %v, want %s", tc.pattern, tc.event, err, tc.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("TestEventPattern(%s): %v", tc.pattern, err)
			continue
		}
		if got := out.(*TestEventPatternResult).Result; got != tc.want {
			t.Errorf("TestEventPattern(%s) = %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

func TestUnknownOperation(t *testing.T) {
	h := newHarness(t)
	h.fails("PutPartnerEvents", map[string]any{}, "UnknownOperationException", "PutPartnerEvents")
	h.fails("PutRule", "not an object", "SerializationException", "")
}

// TestListRulesShape checks ListRules' members against its Rule shape,
// which, unlike DescribeRule's output, has no CreatedBy.
func TestListRulesShape(t *testing.T) {
	h := newHarness(t)
	h.must("PutRule", map[string]any{"Name": "orders", "EventPattern": ec2Pattern})
	var out struct{ Rules []map[string]any }
	json.Unmarshal(h.must("ListRules", map[string]any{}), &out)
	if len(out.Rules) != 1 {
		t.Fatalf("ListRules = %+v, want one rule", out)
	}
	allowed := map[string]bool{"Name": true, "Arn": true, "EventPattern": true, "State": true, "Description": true,
		"ScheduleExpression": true, "RoleArn": true, "ManagedBy": true, "EventBusName": true}
	for k := range out.Rules[0] {
		if !allowed[k] {
			t.Errorf("ListRules rule has member %s, which the Rule shape lacks", k)
		}
	}
	var r map[string]any
	json.Unmarshal(h.must("DescribeRule", map[string]any{"Name": "orders"}), &r)
	if r["CreatedBy"] != testAccount {
		t.Errorf("DescribeRule CreatedBy = %v, want %s", r["CreatedBy"], testAccount)
	}
}
