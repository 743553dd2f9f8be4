package events

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

// deliveryFor queues one event for a rule with the given target and returns
// its job, ready for the handler.
func (h *harness) deliveryFor(target map[string]any) store.Job {
	h.t.Helper()
	h.clearJobs()
	if _, err := h.call("PutRule", map[string]any{"Name": "r", "EventPattern": ec2Pattern}); err == nil {
		var list struct{ Targets []Target }
		json.Unmarshal(h.must("ListTargetsByRule", map[string]any{"Rule": "r"}), &list)
		for _, t := range list.Targets {
			h.must("RemoveTargets", map[string]any{"Rule": "r", "Ids": []string{t.ID}})
		}
	}
	h.must("PutTargets", map[string]any{"Rule": "r", "Targets": []any{target}})
	h.putEvents(entry("my.app", "Order Placed", `{"orderId":"o-1"}`))
	var j store.Job
	err := h.env.DB.Read().QueryRow(`SELECT id, kind, payload FROM jobs WHERE kind = ?`, deliverKind).Scan(&j.ID, &j.Kind, &j.Payload)
	if err != nil {
		h.t.Fatal(err)
	}
	j.Attempts = 1
	return j
}

var uuidShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestDeliverToEachKind(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	job := h.deliveryFor(map[string]any{"Id": "sm", "Arn": smARN("flow"), "InputPath": "$.detail"})
	if err := h.s.deliver(ctx, job); err != nil {
		t.Fatal(err)
	}
	job = h.deliveryFor(map[string]any{"Id": "topic", "Arn": topicARN("alerts"), "InputTransformer": map[string]any{
		"InputPathsMap": map[string]string{"o": "$.detail.orderId"}, "InputTemplate": `"order <o> placed"`}})
	if err := h.s.deliver(ctx, job); err != nil {
		t.Fatal(err)
	}
	job = h.deliveryFor(map[string]any{"Id": "fn", "Arn": fnARN("handler"), "Input": `{"k":1}`})
	if err := h.s.deliver(ctx, job); err != nil {
		t.Fatal(err)
	}
	calls := h.inv.invocations()
	if len(calls) != 3 {
		t.Fatalf("calls = %+v", calls)
	}
	for _, c := range calls {
		if c.As.InvokedBy != "events.amazonaws.com" || c.As.ARN != "arn:aws:iam::123456789012:root" {
			t.Errorf("%s.%s called as %+v", c.Service, c.Action, c.As)
		}
	}
	var start map[string]string
	json.Unmarshal(calls[0].Input, &start)
	if calls[0].Service != "states" || calls[0].Action != "StartExecution" || start["stateMachineArn"] != smARN("flow") ||
		start["input"] != `{"orderId":"o-1"}` || !uuidShape.MatchString(start["name"]) {
		t.Errorf("StartExecution = %s", calls[0].Input)
	}
	var pub map[string]string
	json.Unmarshal(calls[1].Input, &pub)
	if calls[1].Service != "sns" || calls[1].Action != "Publish" || pub["TopicArn"] != topicARN("alerts") || pub["Message"] != `"order o-1 placed"` {
		t.Errorf("Publish = %s", calls[1].Input)
	}
	var inv struct{ FunctionName, InvocationType, Payload string }
	json.Unmarshal(calls[2].Input, &inv)
	payload, _ := base64.StdEncoding.DecodeString(inv.Payload)
	if calls[2].Service != "lambda" || calls[2].Action != "Invoke" || inv.FunctionName != fnARN("handler") ||
		inv.InvocationType != "Event" || string(payload) != `{"k":1}` {
		t.Errorf("Invoke = %s", calls[2].Input)
	}
}

func TestDeliverRetryDecisions(t *testing.T) {
	serverError := awsproto.Errorf(500, "InternalFailure", "boom")
	tests := []struct {
		name     string
		target   map[string]any
		attempts int
		respond  error
		result   json.RawMessage
		want     string // "done", "retry" or "give up"
	}{
		{"success", nil, 1, nil, nil, "done"},
		{"server error retries", nil, 1, serverError, nil, "retry"},
		{"throttling retries", nil, 3, awsproto.Errorf(400, "ThrottlingException", "slow down"), nil, "retry"},
		{"client error is final", nil, 1, awsproto.Errorf(400, "StateMachineDoesNotExist", "no"), nil, "give up"},
		{"execution already started", nil, 2, awsproto.Errorf(400, "ExecutionAlreadyExists", "dup"), nil, "done"},
		{"no retries allowed", map[string]any{"RetryPolicy": map[string]any{"MaximumRetryAttempts": 0}}, 1, serverError, nil, "give up"},
		{"retries used up", map[string]any{"RetryPolicy": map[string]any{"MaximumRetryAttempts": 3}}, 4, serverError, nil, "give up"},
		{"retries left", map[string]any{"RetryPolicy": map[string]any{"MaximumRetryAttempts": 3}}, 3, serverError, nil, "retry"},
		{"dead-letter queue", map[string]any{"DeadLetterConfig": map[string]any{"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"}}, 1,
			awsproto.Errorf(404, "ResourceNotFoundException", "gone"), nil, "give up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			target := map[string]any{"Id": "t", "Arn": smARN("flow")}
			for k, v := range tc.target {
				target[k] = v
			}
			job := h.deliveryFor(target)
			job.Attempts = tc.attempts
			h.inv.respond = func(string, string, json.RawMessage) (json.RawMessage, error) { return tc.result, tc.respond }
			err := h.s.deliver(context.Background(), job)
			var at *runtime.RetryAt
			got := "give up"
			switch {
			case err == nil:
				got = "done"
			case errors.As(err, &at):
				got = "retry"
				if !at.At.After(time.Now()) || at.At.After(time.Now().Add(retryCap*2)) {
					t.Errorf("retry at %s", at.At)
				}
			}
			if got != tc.want {
				t.Errorf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
}

func TestDeliverLambdaFunctionError(t *testing.T) {
	h := newHarness(t)
	job := h.deliveryFor(map[string]any{"Id": "fn", "Arn": fnARN("f")})
	h.inv.respond = func(string, string, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"StatusCode":200,"FunctionError":"Unhandled","Payload":"eyJlcnJvclR5cGUiOiJYIn0="}`), nil
	}
	err := h.s.deliver(context.Background(), job)
	var at *runtime.RetryAt
	if err == nil || errors.As(err, &at) {
		t.Fatalf("function error: %v, want a final failure", err)
	}
}

func TestDeliverTooOld(t *testing.T) {
	h := newHarness(t)
	job := h.deliveryFor(map[string]any{"Id": "t", "Arn": smARN("flow"), "RetryPolicy": map[string]any{"MaximumEventAgeInSeconds": 60}})
	var d deliveryJob
	json.Unmarshal(job.Payload, &d)
	d.Ingested = d.Ingested.Add(-2 * time.Minute)
	job.Payload, _ = json.Marshal(d)
	if err := h.s.deliver(context.Background(), job); err == nil {
		t.Fatal("an event past its maximum age was delivered")
	}
	if n := len(h.inv.invocations()); n != 0 {
		t.Fatalf("target called %d times", n)
	}
}

// TestDeliveryThroughRunner runs the real worker: one event reaches its
// target, and one the target refuses ends in dead_jobs.
func TestDeliveryThroughRunner(t *testing.T) {
	h := newHarness(t)
	h.inv.respond = func(service, action string, in json.RawMessage) (json.RawMessage, error) {
		if service == "sns" {
			return nil, awsproto.Errorf(404, "NotFound", "Topic does not exist")
		}
		return json.RawMessage(`{}`), nil
	}
	h.must("PutRule", map[string]any{"Name": "r", "EventPattern": ec2Pattern})
	h.must("PutTargets", map[string]any{"Rule": "r", "Targets": []any{
		map[string]any{"Id": "ok", "Arn": smARN("flow")}, map[string]any{"Id": "bad", "Arn": topicARN("gone")}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.env.Runner.Run(ctx) }()
	defer func() { cancel(); <-done }()
	h.putEvents(entry("my.app", "Order Placed", "{}"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		var live, dead int
		db := h.env.DB.Read()
		db.QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&live)
		db.QueryRow(`SELECT COUNT(*) FROM dead_jobs WHERE kind = ?`, deliverKind).Scan(&dead)
		if live == 0 && dead == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs %d, dead %d; want 0 and 1", live, dead)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var states int
	for _, c := range h.inv.invocations() {
		if c.Service == "states" {
			states++
		}
	}
	if states != 1 {
		t.Fatalf("StartExecution called %d times", states)
	}
}
