package events

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

func TestParseSchedule(t *testing.T) {
	valid := []string{
		"rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
		"cron(0 12 * * ? *)", "cron(15 10 ? * 6L 2022-2030)", "cron(0/15 * * * ? *)", "cron(0 8 1 * ? *)",
		"cron(0/5 8-17 ? * MON-FRI *)", "cron(0 9 ? * 2#1 *)", "cron(0 18 L * ? *)", "cron(0 0 15W * ? *)",
		"cron(0 0 LW * ? *)", "cron(0,30 * ? * FRI-MON *)", "cron(0 0 1 JAN,JUL ? *)",
	}
	for _, v := range valid {
		if _, err := parseSchedule(v); err != nil {
			t.Errorf("parseSchedule(%q): %v", v, err)
		}
	}
	invalid := []string{
		"", "rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(-1 days)", "rate(1 week)", "rate(five minutes)",
		"every 5 minutes", "cron(0 12 * * *)", "cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(60 * * * ? *)",
		"cron(0 24 * * ? *)", "cron(0 0 32 * ? *)", "cron(0 0 ? * 8 *)", "cron(0 0 1 13 ? *)", "cron(0 0 1 * ? 2200)",
		"cron(*/0 * * * ? *)", "cron(0 0 ? * 2#6 *)", "cron(a b c d e f)", "rate(5 minutes",
	}
	for _, v := range invalid {
		if _, err := parseSchedule(v); err == nil {
			t.Errorf("parseSchedule(%q) accepted", v)
		}
	}
}

func TestScheduleNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		expr, from, want string
	}{
		{"rate(5 minutes)", "2024-01-01T00:00:30Z", "2024-01-01T00:05:30Z"},
		{"cron(0 12 * * ? *)", "2024-01-01T11:59:00Z", "2024-01-01T12:00:00Z"},
		{"cron(0 12 * * ? *)", "2024-01-01T12:00:00Z", "2024-01-02T12:00:00Z"},
		{"cron(0/15 * * * ? *)", "2024-01-01T10:07:12Z", "2024-01-01T10:15:00Z"},
		{"cron(0/5 8-17 ? * MON-FRI *)", "2024-01-05T17:56:00Z", "2024-01-08T08:00:00Z"}, // Friday evening to Monday
		{"cron(0 9 ? * 2#1 *)", "2024-01-02T00:00:00Z", "2024-02-05T09:00:00Z"},          // first Monday
		{"cron(0 18 L * ? *)", "2024-02-01T00:00:00Z", "2024-02-29T18:00:00Z"},           // leap year
		{"cron(15 10 ? * 6L *)", "2024-03-01T00:00:00Z", "2024-03-29T10:15:00Z"},         // last Friday
		{"cron(0 0 15W * ? *)", "2024-06-01T00:00:00Z", "2024-06-14T00:00:00Z"},          // the 15th is a Saturday
		{"cron(0 0 1W * ? *)", "2024-06-01T00:00:00Z", "2024-06-03T00:00:00Z"},           // the 1st is a Saturday
		{"cron(0 0 LW * ? *)", "2024-03-01T00:00:00Z", "2024-03-29T00:00:00Z"},           // the 31st is a Sunday
		{"cron(0 0 1 1 ? 2030)", "2024-03-01T00:00:00Z", "2030-01-01T00:00:00Z"},
		{"cron(0 0 ? * SAT-SUN *)", "2024-01-03T00:00:00Z", "2024-01-06T00:00:00Z"},
	}
	for _, tc := range tests {
		s, err := parseSchedule(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		got, ok := s.next(at(tc.from))
		if !ok || !got.Equal(at(tc.want)) {
			t.Errorf("%s after %s = %s (%v), want %s", tc.expr, tc.from, got.Format(time.RFC3339), ok, tc.want)
		}
	}
	s, _ := parseSchedule("cron(0 0 1 1 ? 2020)")
	if got, ok := s.next(at("2024-01-01T00:00:00Z")); ok {
		t.Errorf("a schedule in the past fires at %s", got)
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(0 0 LW * ? *)", "cron(15 10 ? * 6L 2022-2030)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := parseSchedule(expr)
		if err != nil {
			return
		}
		from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		if next, ok := s.next(from); ok && !next.After(from) {
			t.Fatalf("%s: next(%s) = %s is not later", expr, from, next)
		}
	})
}

// timers returns the queued schedule jobs.
func (h *harness) timers() []timerJob {
	h.t.Helper()
	rows, err := h.env.DB.Read().Query(`SELECT payload FROM jobs WHERE kind = ?`, scheduleKind)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []timerJob
	for rows.Next() {
		var p []byte
		rows.Scan(&p)
		var tj timerJob
		json.Unmarshal(p, &tj)
		out = append(out, tj)
	}
	return out
}

func (h *harness) fireTimers() {
	h.t.Helper()
	rows, err := h.env.DB.Read().Query(`SELECT id, payload FROM jobs WHERE kind = ?`, scheduleKind)
	if err != nil {
		h.t.Fatal(err)
	}
	var jobs []store.Job
	for rows.Next() {
		var j store.Job
		rows.Scan(&j.ID, &j.Payload)
		jobs = append(jobs, j)
	}
	rows.Close()
	for _, j := range jobs {
		if err := h.s.fire(context.Background(), j); err != nil {
			h.t.Fatal(err)
		}
	}
}

func TestScheduledRule(t *testing.T) {
	h := newHarness(t)
	var put PutRuleResult
	json.Unmarshal(h.must("PutRule", map[string]any{"Name": "tick", "ScheduleExpression": "rate(5 minutes)"}), &put)
	h.must("PutTargets", map[string]any{"Rule": "tick", "Targets": []any{map[string]any{"Id": "t", "Arn": smARN("audit")}}})
	timers := h.timers()
	if len(timers) != 1 || time.Until(timers[0].At) < 4*time.Minute || time.Until(timers[0].At) > 5*time.Minute {
		t.Fatalf("timers = %+v", timers)
	}
	first := timers[0].At
	h.fireTimers()
	jobs := h.jobs()
	if len(jobs) != 1 {
		t.Fatalf("deliveries = %d", len(jobs))
	}
	var ev envelope
	json.Unmarshal(jobs[0].Event, &ev)
	if ev.Source != "aws.events" || ev.DetailType != "Scheduled Event" || len(ev.Resources) != 1 || ev.Resources[0] != put.RuleArn ||
		string(ev.Detail) != "{}" || ev.Time != first.UTC().Format(time.RFC3339) {
		t.Errorf("scheduled event = %+v", ev)
	}
	if timers := h.timers(); len(timers) != 1 || !timers[0].At.Equal(first.Add(5*time.Minute)) {
		t.Fatalf("next timer = %+v, want one at %s", timers, first.Add(5*time.Minute))
	}

	// A disabled rule keeps its timer but delivers nothing.
	h.clearJobs()
	h.must("PutRule", map[string]any{"Name": "tick", "ScheduleExpression": "rate(5 minutes)"})
	h.must("DisableRule", map[string]any{"Name": "tick"})
	h.fireTimers()
	if n := len(h.jobs()); n != 0 {
		t.Errorf("disabled rule delivered %d events", n)
	}
	if n := len(h.timers()); n != 1 {
		t.Errorf("timers after a disabled firing = %d", n)
	}

	// Updating the rule retires its old timer; removing the schedule ends it.
	h.clearJobs()
	h.must("PutRule", map[string]any{"Name": "tick", "ScheduleExpression": "rate(1 hour)"})
	h.must("PutRule", map[string]any{"Name": "tick", "ScheduleExpression": "rate(2 hours)"})
	h.fireTimers()
	if timers := h.timers(); len(timers) != 1 || time.Until(timers[0].At) < 3*time.Hour {
		t.Errorf("after two updates timers = %+v, want one, two hours after the next firing", timers)
	}
	if n := len(h.jobs()); n != 1 {
		t.Errorf("two updates fired %d deliveries, want 1", n)
	}
	h.clearJobs()
	h.must("PutRule", map[string]any{"Name": "tick", "EventPattern": ec2Pattern, "ScheduleExpression": "rate(1 day)"})
	h.must("PutRule", map[string]any{"Name": "tick", "EventPattern": ec2Pattern})
	h.fireTimers()
	if n := len(h.timers()) + len(h.jobs()); n != 0 {
		t.Errorf("an unscheduled rule still has %d jobs", n)
	}
}
