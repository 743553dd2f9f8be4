package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

const (
	evAccount = "000000000000"
	evRegion  = "us-east-1"
	// evOrderPattern matches the test events below.
	evOrderPattern = `{"source":["shop.orders"],"detail-type":["Order Placed"]}`
)

func evFnARN(name string) string {
	return "arn:aws:lambda:" + evRegion + ":" + evAccount + ":function:" + name
}

// evCode returns the AWS error code of err, failing the test if err is not
// an API error.
func evCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want an AWS API error", err)
	}
	return ae.ErrorCode()
}

func evWantError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %s", what, code)
		return
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: error = %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("%s: error = %s: %s, want %s containing %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func evOrder(id string) ebtypes.PutEventsRequestEntry {
	return ebtypes.PutEventsRequestEntry{Source: aws.String("shop.orders"), DetailType: aws.String("Order Placed"),
		Detail: aws.String(`{"orderId":"` + id + `","total":42}`)}
}

// evRecorder is a command function that saves every event it gets as a
// file in dir.
func evRecorder(name, dir string) string {
	return name + `=sh -c 'cat > "$0/$(date +%s%N)-$$.json"; echo "{}"' ` + dir
}

// evRecorded returns the events the recorder saved in dir.
func evRecorded(t *testing.T, dir string) []map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(files)
	var out []map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			continue // still being written
		}
		out = append(out, m)
	}
	return out
}

func TestEventsRuleLifecycle(t *testing.T) {
	v := startVigil(t)
	eb, ctx := v.events(), context.Background()

	bus, err := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(bus.Name) != "default" || aws.ToString(bus.Arn) != "arn:aws:events:us-east-1:000000000000:event-bus/default" {
		t.Errorf("default bus = %s %s", aws.ToString(bus.Name), aws.ToString(bus.Arn))
	}
	buses, err := eb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	if err != nil || len(buses.EventBuses) != 1 {
		t.Fatalf("ListEventBuses = %+v, %v", buses, err)
	}

	put, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"), EventPattern: aws.String(evOrderPattern),
		Description: aws.String("new orders")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.RuleArn) != "arn:aws:events:us-east-1:000000000000:rule/orders" {
		t.Errorf("RuleArn = %s", aws.ToString(put.RuleArn))
	}
	for i := range 4 {
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(fmt.Sprintf("other-%d", i)),
			EventPattern: aws.String(`{"source":["x"]}`), State: ebtypes.RuleStateDisabled}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nightly"), ScheduleExpression: aws.String("cron(0 3 * * ? *)")}); err != nil {
		t.Fatal(err)
	}
	if d, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nightly")}); err != nil ||
		aws.ToString(d.ScheduleExpression) != "cron(0 3 * * ? *)" || d.EventPattern != nil {
		t.Errorf("scheduled rule = %+v, %v", d, err)
	}
	desc, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if desc.State != ebtypes.RuleStateEnabled || aws.ToString(desc.EventPattern) != evOrderPattern ||
		aws.ToString(desc.Description) != "new orders" || aws.ToString(desc.EventBusName) != "default" {
		t.Errorf("DescribeRule = %+v", desc)
	}
	var names []string
	in := &eventbridge.ListRulesInput{NamePrefix: aws.String("other-"), Limit: aws.Int32(3)}
	for pages := 0; pages < 5; pages++ {
		page, err := eb.ListRules(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rules {
			names = append(names, aws.ToString(r.Name))
			if r.State != ebtypes.RuleStateDisabled {
				t.Errorf("%s state %s", aws.ToString(r.Name), r.State)
			}
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	if strings.Join(names, ",") != "other-0,other-1,other-2,other-3" {
		t.Errorf("ListRules with prefix and paging = %v", names)
	}

	if _, err := eb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	if d, _ := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("orders")}); d.State != ebtypes.RuleStateDisabled {
		t.Errorf("after DisableRule state = %s", d.State)
	}
	if _, err := eb.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}

	pt, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []ebtypes.Target{
		{Id: aws.String("fn"), Arn: aws.String(evFnARN("f")), InputPath: aws.String("$.detail")},
		{Id: aws.String("topic"), Arn: aws.String("arn:aws:sns:us-east-1:000000000000:t"),
			RetryPolicy: &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(2), MaximumEventAgeInSeconds: aws.Int32(600)}},
	}})
	if err != nil || pt.FailedEntryCount != 0 {
		t.Fatalf("PutTargets = %+v, %v", pt, err)
	}
	lt, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lt.Targets) != 2 || aws.ToString(lt.Targets[0].InputPath) != "$.detail" ||
		aws.ToInt32(lt.Targets[1].RetryPolicy.MaximumRetryAttempts) != 2 {
		t.Errorf("ListTargetsByRule = %+v", lt.Targets)
	}
	_, err = eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("orders")})
	evWantError(t, "DeleteRule with targets", err, "ValidationException", "Rule can't be deleted since it has targets.")
	if _, err := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("orders"), Ids: []string{"fn", "topic"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	_, err = eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("orders")})
	evWantError(t, "DescribeRule after delete", err, "ResourceNotFoundException", "Rule orders does not exist on EventBus default.")
}

func TestEventsCustomBus(t *testing.T) {
	v := startVigil(t)
	eb, ctx := v.events(), context.Background()
	cb, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("security")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cb.EventBusArn) != "arn:aws:events:us-east-1:000000000000:event-bus/security" {
		t.Errorf("EventBusArn = %s", aws.ToString(cb.EventBusArn))
	}
	_, err = eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("security")})
	evWantError(t, "CreateEventBus twice", err, "ResourceAlreadyExistsException", "Event bus security already exists.")
	put, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(evOrderPattern),
		EventBusName: cb.EventBusArn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.RuleArn) != "arn:aws:events:us-east-1:000000000000:rule/security/r" {
		t.Errorf("RuleArn = %s", aws.ToString(put.RuleArn))
	}
	rules, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String("security")})
	if err != nil || len(rules.Rules) != 1 || aws.ToString(rules.Rules[0].EventBusName) != "security" {
		t.Fatalf("ListRules on security = %+v, %v", rules, err)
	}
	if rules, _ := eb.ListRules(ctx, &eventbridge.ListRulesInput{}); len(rules.Rules) != 0 {
		t.Errorf("the default bus lists %d rules", len(rules.Rules))
	}
	_, err = eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("default")})
	evWantError(t, "DeleteEventBus default", err, "ValidationException", "Cannot delete event bus default.")
	if _, err := eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("security")}); err != nil {
		t.Fatal(err)
	}
	_, err = eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("security")})
	evWantError(t, "DescribeEventBus after delete", err, "ResourceNotFoundException", "Event bus security does not exist.")
}

func TestEventsPutEventsEntryErrors(t *testing.T) {
	v := startVigil(t)
	eb, ctx := v.events(), context.Background()
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		evOrder("o-1"),
		{DetailType: aws.String("x"), Detail: aws.String("{}")},
		{Source: aws.String("a"), Detail: aws.String("{}")},
		{Source: aws.String("a"), DetailType: aws.String("x")},
		{Source: aws.String("a"), DetailType: aws.String("x"), Detail: aws.String(`{"unclosed":`)},
		{Source: aws.String("a"), DetailType: aws.String("x"), Detail: aws.String(`["not","an","object"]`)},
		{Source: aws.String("aws.health"), DetailType: aws.String("AWS Health Event"), Detail: aws.String("{}")},
		{Source: aws.String("a"), DetailType: aws.String("x"), Detail: aws.String("{}"), Time: aws.Time(time.Unix(1700000000, 0)),
			Resources: []string{"arn:aws:ec2:us-east-1:000000000000:instance/i-1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ code, msg string }{
		{"", ""},
		{"InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."},
		{"InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."},
		{"InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."},
		{"MalformedDetail", "Detail is malformed."},
		{"MalformedDetail", "Detail is malformed."},
		{"", ""}, // root may simulate AWS sources
		{"", ""},
	}
	if int(out.FailedEntryCount) != 5 || len(out.Entries) != len(want) {
		t.Fatalf("FailedEntryCount = %d, entries %d", out.FailedEntryCount, len(out.Entries))
	}
	for i, w := range want {
		e := out.Entries[i]
		if aws.ToString(e.ErrorCode) != w.code || aws.ToString(e.ErrorMessage) != w.msg || (w.code == "") == (aws.ToString(e.EventId) == "") {
			t.Errorf("entry %d = {%s %s %s}, want {%s %s}", i, aws.ToString(e.EventId), aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage), w.code, w.msg)
		}
	}

	var eleven []ebtypes.PutEventsRequestEntry
	for i := range 11 {
		eleven = append(eleven, evOrder(fmt.Sprint(i)))
	}
	_, err = eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: eleven})
	evWantError(t, "PutEvents with 11 entries", err, "ValidationException", "Member must have length less than or equal to 10")
	big := `{"pad":"` + strings.Repeat("x", 257*1024) + `"}`
	_, err = eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("a"), DetailType: aws.String("x"), Detail: aws.String(big)}}})
	evWantError(t, "PutEvents over 256 KB", err, "ValidationException", "Total size of the entries in the request is over the limit.")
}

func TestEventsTestEventPattern(t *testing.T) {
	v := startVigil(t)
	eb, ctx := v.events(), context.Background()
	event := `{"id":"e1","account":"000000000000","source":"aws.health","time":"2024-01-01T00:00:00Z","region":"us-east-1",` +
		`"resources":[],"detail-type":"AWS Health Event","detail":{"service":"RISK","eventTypeCode":"AWS_RISK_CREDENTIALS_EXPOSED",` +
		`"affectedEntities":[{"entityValue":"AKIAEXAMPLE"}]}}`
	tests := []struct {
		pattern string
		want    bool
	}{
		{`{"source":["aws.health"],"detail":{"service":["RISK"]}}`, true},
		{`{"detail":{"affectedEntities":{"entityValue":[{"prefix":"AKIA"}]}}}`, true},
		{`{"detail":{"eventTypeCode":[{"anything-but":"AWS_RISK_CREDENTIALS_EXPOSED"}]}}`, false},
		{`{"source":["aws.ec2"]}`, false},
	}
	for _, tc := range tests {
		out, err := eb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(tc.pattern), Event: aws.String(event)})
		if err != nil {
			t.Errorf("TestEventPattern(%s): %v", tc.pattern, err)
			continue
		}
		if out.Result != tc.want {
			t.Errorf("TestEventPattern(%s) = %v, want %v", tc.pattern, out.Result, tc.want)
		}
	}
	_, err := eb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"source":"aws.health"}`), Event: aws.String(event)})
	evWantError(t, "TestEventPattern with a bad pattern", err, "InvalidEventPatternException", "Event pattern is not valid.")
	_, err = eb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"source":["a"]}`), Event: aws.String(`{"source":"a"}`)})
	evWantError(t, "TestEventPattern with an incomplete event", err, "ValidationException", "Parameter Event is not valid.")
}

func TestEventsInvalidInputs(t *testing.T) {
	v := startVigil(t)
	eb, ctx := v.events(), context.Background()
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(evOrderPattern)}); err != nil {
		t.Fatal(err)
	}
	target := func(t ebtypes.Target) *eventbridge.PutTargetsInput {
		if t.Id == nil {
			t.Id = aws.String("t1")
		}
		if t.Arn == nil {
			t.Arn = aws.String(evFnARN("f"))
		}
		return &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []ebtypes.Target{t}}
	}
	cases := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"PutRule bad name", func() error {
			_, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad name"), EventPattern: aws.String(evOrderPattern)})
			return err
		}, "ValidationException", "Member must satisfy regular expression pattern"},
		{"PutRule invalid pattern", func() error {
			_, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("p"), EventPattern: aws.String(`{"source":[{"prefix":5}]}`)})
			return err
		}, "InvalidEventPatternException", "Event pattern is not valid."},
		{"PutRule without pattern", func() error {
			_, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("p")})
			return err
		}, "ValidationException", "EventPattern or ScheduleExpression"},
		{"PutRule bad schedule", func() error {
			_, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("p"), ScheduleExpression: aws.String("rate(1 hours)")})
			return err
		}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"PutRule unknown bus", func() error {
			_, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("p"), EventPattern: aws.String(evOrderPattern), EventBusName: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", "Event bus nope does not exist."},
		{"EnableRule unknown", func() error {
			_, err := eb.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", "Rule nope does not exist on EventBus default."},
		{"PutTargets unknown rule", func() error {
			in := target(ebtypes.Target{})
			in.Rule = aws.String("nope")
			_, err := eb.PutTargets(ctx, in)
			return err
		}, "ResourceNotFoundException", "Rule nope does not exist"},
		{"PutTargets SQS target", func() error {
			_, err := eb.PutTargets(ctx, target(ebtypes.Target{Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:q")}))
			return err
		}, "ValidationException", "not a supported target"},
		{"PutTargets two inputs", func() error {
			_, err := eb.PutTargets(ctx, target(ebtypes.Target{Input: aws.String("{}"), InputPath: aws.String("$.detail")}))
			return err
		}, "ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target t1."},
		{"PutTargets bad template", func() error {
			_, err := eb.PutTargets(ctx, target(ebtypes.Target{InputTransformer: &ebtypes.InputTransformer{
				InputPathsMap: map[string]string{"k": "$.source"}, InputTemplate: aws.String(`{<k>: 1}`)}}))
			return err
		}, "ValidationException", "Invalid InputTemplate for target t1"},
		{"PutTargets too many", func() error {
			var ts []ebtypes.Target
			for i := range 6 {
				ts = append(ts, ebtypes.Target{Id: aws.String(fmt.Sprint(i)), Arn: aws.String(evFnARN("f"))})
			}
			_, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: ts})
			return err
		}, "LimitExceededException", "The requested resource exceeds the maximum number allowed."},
		{"ListRules bad limit", func() error {
			_, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{Limit: aws.Int32(1000)})
			return err
		}, "ValidationException", "less than or equal to 100"},
	}
	for _, tc := range cases {
		evWantError(t, tc.name, tc.call(), tc.code, tc.msg)
	}
}

// TestEventsDeliverToFunction routes an event through a rule with an input
// transformer to a command function and checks what the function got.
func TestEventsDeliverToFunction(t *testing.T) {
	dir := t.TempDir()
	v := startVigil(t, "--function", evRecorder("recorder", dir))
	eb, ctx := v.events(), context.Background()
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"), EventPattern: aws.String(evOrderPattern)}); err != nil {
		t.Fatal(err)
	}
	_, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []ebtypes.Target{{
		Id: aws.String("fn"), Arn: aws.String(evFnARN("recorder")),
		InputTransformer: &ebtypes.InputTransformer{
			InputPathsMap: map[string]string{"order": "$.detail.orderId", "total": "$.detail.total"},
			InputTemplate: aws.String(`{"order": <order>, "total": <total>, "text": "order <order> placed", "rule": <aws.events.rule-name>, "event": <aws.events.event.json>}`),
		},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{evOrder("o-7")}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents = %+v, %v", out, err)
	}
	var got []map[string]any
	eventually(t, 20*time.Second, func() error {
		if got = evRecorded(t, dir); len(got) == 0 {
			return errors.New("the function has not been called")
		}
		return nil
	})
	g := got[0]
	if g["order"] != "o-7" || g["total"] != 42.0 || g["text"] != "order o-7 placed" || g["rule"] != "orders" {
		t.Errorf("function got %v", g)
	}
	ev, _ := g["event"].(map[string]any)
	if ev["id"] != aws.ToString(out.Entries[0].EventId) || ev["source"] != "shop.orders" || ev["account"] != evAccount || ev["version"] != "0" {
		t.Errorf("aws.events.event.json = %v", ev)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(evRecorded(t, dir)); n != 1 {
		t.Errorf("the function ran %d times, want once", n)
	}
}

// TestEventsSurviveKill kills the server right after PutEvents is answered
// and checks that every accepted event still reaches its target.
func TestEventsSurviveKill(t *testing.T) {
	dir := t.TempDir()
	v := startVigil(t, "--function", evRecorder("recorder", dir))
	eb, ctx := v.events(), context.Background()
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"), EventPattern: aws.String(evOrderPattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []ebtypes.Target{
		{Id: aws.String("fn"), Arn: aws.String(evFnARN("recorder"))}}}); err != nil {
		t.Fatal(err)
	}
	var entries []ebtypes.PutEventsRequestEntry
	for i := range 10 {
		entries = append(entries, evOrder(fmt.Sprint(i)))
	}
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents = %+v, %v", out, err)
	}
	v.kill()
	v.start(t)
	want := map[string]bool{}
	for _, e := range out.Entries {
		want[aws.ToString(e.EventId)] = true
	}
	eventually(t, 30*time.Second, func() error {
		seen := map[string]bool{}
		for _, ev := range evRecorded(t, dir) {
			if id, _ := ev["id"].(string); want[id] {
				seen[id] = true
			}
		}
		if len(seen) != len(want) {
			return fmt.Errorf("%d of %d events delivered", len(seen), len(want))
		}
		return nil
	})
}

// TestEventsDeliverToStateMachine starts an execution with the part of the
// event InputPath selects.
func TestEventsDeliverToStateMachine(t *testing.T) {
	v := startVigil(t)
	eb, sf, ctx := v.events(), v.sfn(), context.Background()
	sm, err := sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("on-order"),
		RoleArn:    aws.String("arn:aws:iam::000000000000:role/vigil-states"),
		Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	// EventBridge starts the execution with the target's role.
	evRole(t, v, "vigil-events", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"states:StartExecution","Resource":"`+aws.ToString(sm.StateMachineArn)+`"}]}`)
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"), EventPattern: aws.String(evOrderPattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []ebtypes.Target{{
		Id: aws.String("sm"), Arn: sm.StateMachineArn, InputPath: aws.String("$.detail"),
		RoleArn: aws.String("arn:aws:iam::000000000000:role/vigil-events")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{evOrder("o-9")}}); err != nil {
		t.Fatal(err)
	}
	var exec sfntypes.ExecutionListItem
	eventually(t, 20*time.Second, func() error {
		l, err := sf.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
		if err != nil {
			return err
		}
		if len(l.Executions) != 1 || l.Executions[0].Status != sfntypes.ExecutionStatusSucceeded {
			return fmt.Errorf("executions: %+v", l.Executions)
		}
		exec = l.Executions[0]
		return nil
	})
	d, err := sf.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: exec.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var in map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(d.Input)), &in); err != nil || in["orderId"] != "o-9" {
		t.Errorf("execution input = %s", aws.ToString(d.Input))
	}
}

// TestEventsDeliverToTopic sends a transformed event to an SNS topic with
// a confirmed HTTP subscriber.
func TestEventsDeliverToTopic(t *testing.T) {
	v := startVigil(t)
	eb, sn, ctx := v.events(), v.sns(), context.Background()
	var mu sync.Mutex
	var messages []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m struct{ Type, Message, SubscribeURL string }
		json.Unmarshal(b, &m)
		switch m.Type {
		case "SubscriptionConfirmation":
			if resp, err := http.Get(m.SubscribeURL); err == nil {
				resp.Body.Close()
			}
		case "Notification":
			mu.Lock()
			messages = append(messages, m.Message)
			mu.Unlock()
		}
	}))
	defer srv.Close()
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(srv.URL)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() error {
		l, err := sn.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
		if err != nil {
			return err
		}
		if len(l.Subscriptions) != 1 || aws.ToString(l.Subscriptions[0].SubscriptionArn) == "PendingConfirmation" {
			return errors.New("subscription not confirmed yet")
		}
		return nil
	})
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"), EventPattern: aws.String(evOrderPattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []ebtypes.Target{{
		Id: aws.String("topic"), Arn: topic.TopicArn, InputTransformer: &ebtypes.InputTransformer{
			InputPathsMap: map[string]string{"order": "$.detail.orderId"},
			InputTemplate: aws.String(`"Order <order> was placed"`)}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{evOrder("o-3")}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(messages) == 0 {
			return errors.New("no notification yet")
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if messages[0] != `"Order o-3 was placed"` {
		t.Errorf("topic message = %q", messages[0])
	}
}

// TestEventsCloudTrailRule reacts to an IAM call: CloudTrail puts the call
// on the default bus as an aws.iam event, which only it may do.
func TestEventsCloudTrailRule(t *testing.T) {
	dir := t.TempDir()
	v := startVigil(t, "--function", evRecorder("recorder", dir))
	eb, ctx := v.events(), context.Background()
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("iam-calls"),
		EventPattern: aws.String(`{"source":["aws.iam"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["CreateUser"]}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("iam-calls"), Targets: []ebtypes.Target{
		{Id: aws.String("fn"), Arn: aws.String(evFnARN("recorder")), InputPath: aws.String("$.detail")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.iam().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func() error {
		for _, d := range evRecorded(t, dir) {
			if d["eventName"] == "CreateUser" && d["eventSource"] == "iam.amazonaws.com" {
				return nil
			}
		}
		return errors.New("no CreateUser event delivered")
	})
}

// evRole creates a role that EventBridge may assume, with policy as its
// only permissions.
func evRole(t *testing.T, v *vigil, name, policy string) {
	t.Helper()
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := v.iam().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.iam().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("target"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
}
