package events

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/store"
)

func TestPutEventsEntryErrors(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name  string
		entry map[string]any
		code  string
		msg   string
	}{
		{"ok", entry("my.app", "Order Placed", `{"a":1}`), "", ""},
		{"no source", map[string]any{"DetailType": "x", "Detail": "{}"}, "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."},
		{"empty source", entry("", "x", "{}"), "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."},
		{"no detail type", map[string]any{"Source": "a", "Detail": "{}"}, "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."},
		{"no detail", map[string]any{"Source": "a", "DetailType": "x"}, "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."},
		{"detail not json", entry("a", "x", "{"), "MalformedDetail", "Detail is malformed."},
		{"detail array", entry("a", "x", "[1]"), "MalformedDetail", "Detail is malformed."},
		{"detail string", entry("a", "x", `"s"`), "MalformedDetail", "Detail is malformed."},
	}
	entries := make([]map[string]any, len(tests))
	for i, tc := range tests {
		entries[i] = tc.entry
	}
	// Ten at most per request; run in two batches.
	res := h.putEvents(entries[:5]...)
	res2 := h.putEvents(entries[5:]...)
	res.Entries = append(res.Entries, res2.Entries...)
	if res.FailedEntryCount+res2.FailedEntryCount != len(tests)-1 {
		t.Errorf("FailedEntryCount = %d+%d, want %d", res.FailedEntryCount, res2.FailedEntryCount, len(tests)-1)
	}
	for i, tc := range tests {
		got := res.Entries[i]
		if got.ErrorCode != tc.code || got.ErrorMessage != tc.msg {
			t.Errorf("%s: got %s %q, want %s %q", tc.name, got.ErrorCode, got.ErrorMessage, tc.code, tc.msg)
		}
		if (tc.code == "") != (got.EventID != "") {
			t.Errorf("%s: EventId = %q", tc.name, got.EventID)
		}
	}
}

func TestPutEventsAWSSourceFromService(t *testing.T) {
	h := newHarness(t)
	h.must("PutRule", map[string]any{"Name": "trail", "EventPattern": `{"source":["aws.iam"]}`})
	h.must("PutTargets", map[string]any{"Rule": "trail", "Targets": []any{map[string]any{"Id": "t", "Arn": topicARN("t")}}})
	svc := identity.Principal{Type: identity.AWSService, ARN: "cloudtrail.amazonaws.com", AccountID: testAccount}
	out, err := h.callAs(svc, "PutEvents", map[string]any{"Entries": []any{entry("aws.iam", "AWS API Call via CloudTrail", `{"eventName":"DeleteAccessKey"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if res := out.(*PutEventsResult); res.FailedEntryCount != 0 {
		t.Fatalf("AWS service refused: %+v", res.Entries)
	}
	if n := len(h.jobs()); n != 1 {
		t.Fatalf("jobs = %d, want 1", n)
	}
}

func TestAWSSourcesFromRootOnly(t *testing.T) {
	h := newHarness(t)
	health := entry("aws.health", "AWS Health Event", `{"service":"RISK"}`)
	user := identity.Principal{Type: identity.IAMUser, ARN: "arn:aws:iam::" + testAccount + ":user/u", AccountID: testAccount, UserName: "u"}
	out, err := h.callAs(user, "PutEvents", map[string]any{"Entries": []any{health}})
	if err != nil {
		t.Fatal(err)
	}
	if res := out.(*PutEventsResult); res.Entries[0].ErrorCode != "NotAuthorizedForSourceException" || res.Entries[0].ErrorMessage != "Not authorized for the source." {
		t.Fatalf("an IAM user put an aws. event: %+v", res.Entries[0])
	}
	if res := h.putEvents(health); res.FailedEntryCount != 0 {
		t.Fatalf("root refused: %+v", res.Entries[0])
	}
}

func TestPutEventsRequestErrors(t *testing.T) {
	h := newHarness(t)
	eleven := make([]any, 11)
	for i := range eleven {
		eleven[i] = entry("a", "b", "{}")
	}
	h.fails("PutEvents", map[string]any{"Entries": eleven}, "ValidationException", "Member must have length less than or equal to 10")
	h.fails("PutEvents", map[string]any{"Entries": []any{}}, "ValidationException", "greater than or equal to 1")
	h.fails("PutEvents", map[string]any{}, "ValidationException", "Value null at 'entries'")
	big := `{"x":"` + strings.Repeat("a", 200*1024) + `"}`
	h.fails("PutEvents", map[string]any{"Entries": []any{entry("a", "b", big), entry("a", "b", big)}}, "ValidationException",
		"Total size of the entries in the request is over the limit.")
	// Exactly at the limit is fine: 256 KiB counting Source, DetailType and Detail.
	exact := `{"x":"` + strings.Repeat("a", 256*1024-len(`{"x":""}`)-2) + `"}`
	h.must("PutEvents", map[string]any{"Entries": []any{entry("a", "b", exact)}})
}

func TestPutEventsEnvelopeAndFanOut(t *testing.T) {
	h := newHarness(t)
	h.must("PutRule", map[string]any{"Name": "orders", "EventPattern": ec2Pattern})
	h.must("PutRule", map[string]any{"Name": "all", "EventPattern": `{"source":[{"prefix":"my."}]}`})
	h.must("PutRule", map[string]any{"Name": "off", "EventPattern": ec2Pattern, "State": "DISABLED"})
	h.must("PutRule", map[string]any{"Name": "notargets", "EventPattern": ec2Pattern})
	for _, r := range []string{"orders", "all", "off"} {
		h.must("PutTargets", map[string]any{"Rule": r, "Targets": []any{
			map[string]any{"Id": "a", "Arn": topicARN("a")}, map[string]any{"Id": "b", "Arn": smARN("b")}}})
	}
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	res := h.putEvents(map[string]any{"Source": "my.app", "DetailType": "Order Placed", "Detail": `{ "id": 7, "html": "<b>&" }`,
		"Resources": []string{"arn:aws:x"}, "Time": when.Unix()})
	if res.FailedEntryCount != 0 {
		t.Fatal(res.Entries)
	}
	jobs := h.jobs()
	if len(jobs) != 4 { // two rules x two targets; the disabled rule and the rule without targets add none
		t.Fatalf("jobs = %d, want 4", len(jobs))
	}
	var ev map[string]any
	if err := json.Unmarshal(jobs[0].Event, &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"version": "0", "id": res.Entries[0].EventID, "detail-type": "Order Placed", "source": "my.app",
		"account": testAccount, "time": "2024-05-06T07:08:09Z", "region": testRegion}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("event[%s] = %v, want %v", k, ev[k], v)
		}
	}
	if !strings.Contains(string(jobs[0].Event), `"detail":{"id":7,"html":"<b>&"}`) {
		t.Errorf("detail not carried verbatim and compact: %s", jobs[0].Event)
	}
	if !strings.HasPrefix(string(jobs[0].Event), `{"version":"0","id":`) {
		t.Errorf("envelope order: %s", jobs[0].Event)
	}
	rules := map[string]int{}
	for _, j := range jobs {
		rules[j.Rule]++
	}
	if rules["orders"] != 2 || rules["all"] != 2 {
		t.Errorf("deliveries per rule = %v", rules)
	}

	// Disabling a rule takes effect for the next event.
	h.clearJobs()
	h.must("DisableRule", map[string]any{"Name": "all"})
	h.putEvents(entry("my.app", "Order Placed", "{}"))
	if n := len(h.jobs()); n != 2 {
		t.Errorf("after DisableRule jobs = %d, want 2", n)
	}
	// A removed target is not delivered to.
	h.clearJobs()
	h.must("RemoveTargets", map[string]any{"Rule": "orders", "Ids": []string{"a"}})
	h.putEvents(entry("my.app", "Order Placed", "{}"))
	if jobs := h.jobs(); len(jobs) != 1 || !strings.Contains(string(jobs[0].Target), `"Id":"b"`) {
		t.Errorf("after RemoveTargets jobs = %+v", jobs)
	}
	// No match, no job.
	h.clearJobs()
	h.putEvents(entry("your.app", "Order Placed", "{}"))
	if n := len(h.jobs()); n != 0 {
		t.Errorf("unmatched event made %d jobs", n)
	}
}

// TestMatchersSurviveRestart checks that Start rebuilds the matchers from
// the store, so that rules keep working after a restart.
func TestMatchersSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir, store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := startHarness(t, db)
	h.must("PutRule", map[string]any{"Name": "orders", "EventPattern": ec2Pattern})
	h.must("PutRule", map[string]any{"Name": "off", "EventPattern": ec2Pattern, "State": "DISABLED"})
	for _, r := range []string{"orders", "off"} {
		h.must("PutTargets", map[string]any{"Rule": r, "Targets": []any{map[string]any{"Id": "a", "Arn": topicARN("a")}}})
	}
	h2 := startHarness(t, db) // a new process on the same data
	h2.putEvents(entry("my.app", "Order Placed", "{}"))
	if jobs := h2.jobs(); len(jobs) != 1 || jobs[0].Rule != "orders" {
		t.Fatalf("after restart jobs = %+v", jobs)
	}
}
