package states

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
)

const activityDef = `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"%s","TimeoutSeconds":60,"HeartbeatSeconds":30,"ResultPath":"$.r","End":true}}}`

func TestActivityLifecycle(t *testing.T) {
	in := newInstance(t, noInvoker())
	out := in.must(t, "CreateActivity", map[string]any{"name": "review"})
	arn := out["activityArn"].(string)
	if arn != "arn:aws:states:us-east-1:000000000000:activity:review" {
		t.Fatalf("arn %s", arn)
	}
	again := in.must(t, "CreateActivity", map[string]any{"name": "review", "tags": []map[string]string{{"key": "k", "value": "v"}}})
	if again["activityArn"] != arn || again["creationDate"] != out["creationDate"] {
		t.Errorf("CreateActivity is not idempotent: %v vs %v", again, out)
	}
	in.must(t, "CreateActivity", map[string]any{"name": "another"})
	d := in.must(t, "DescribeActivity", map[string]any{"activityArn": arn})
	if d["name"] != "review" || d["encryptionConfiguration"].(map[string]any)["type"] != "AWS_OWNED_KEY" {
		t.Errorf("describe %v", d)
	}
	page := in.must(t, "ListActivities", map[string]any{"maxResults": 1})
	acts := page["activities"].([]any)
	if len(acts) != 1 || acts[0].(map[string]any)["name"] != "another" || page["nextToken"] == nil {
		t.Fatalf("first page %v", page)
	}
	page = in.must(t, "ListActivities", map[string]any{"maxResults": 1, "nextToken": page["nextToken"]})
	if acts = page["activities"].([]any); len(acts) != 1 || acts[0].(map[string]any)["name"] != "review" || page["nextToken"] != nil {
		t.Errorf("second page %v", page)
	}
	for _, tc := range []struct {
		input map[string]any
		code  string
	}{
		{map[string]any{"name": "a:b"}, "InvalidName"},
		{map[string]any{"name": "x", "encryptionConfiguration": map[string]any{"type": "CUSTOMER_MANAGED_KMS_KEY"}}, "InvalidEncryptionConfiguration"},
	} {
		if _, e := in.call(t, "CreateActivity", tc.input); e == nil || e.Code != tc.code {
			t.Errorf("CreateActivity %v: %v, want %s", tc.input, e, tc.code)
		}
	}
	if _, e := in.call(t, "DescribeActivity", map[string]any{"activityArn": "no_an_activity_arn"}); e == nil || e.Code != "InvalidArn" || e.Message != "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'" {
		t.Errorf("invalid arn: %v", e)
	}
	in.must(t, "DeleteActivity", map[string]any{"activityArn": arn})
	in.must(t, "DeleteActivity", map[string]any{"activityArn": arn})
	if _, e := in.call(t, "DescribeActivity", map[string]any{"activityArn": arn}); e == nil || e.Code != "ActivityDoesNotExist" {
		t.Errorf("after delete: %v", e)
	}
	if _, e := in.call(t, "GetActivityTask", map[string]any{"activityArn": arn}); e == nil || e.Code != "ActivityDoesNotExist" {
		t.Errorf("poll after delete: %v", e)
	}
}

func TestActivityTaskRoundTrip(t *testing.T) {
	dir := t.TempDir()
	first := open(t, dir, noInvoker())
	arn := first.must(t, "CreateActivity", map[string]any{"name": "work"})["activityArn"].(string)
	machine := first.create(t, "m", strings.Replace(activityDef, "%s", arn, 1))
	ex := first.must(t, "StartExecution", map[string]any{"stateMachineArn": machine, "input": `{"job":1}`})["executionArn"].(string)
	// The task was scheduled before the crash; a worker gets it after.
	first.close()
	in := open(t, dir, noInvoker())
	defer in.close()
	task := in.must(t, "GetActivityTask", map[string]any{"activityArn": arn, "workerName": "w1"})
	token, _ := task["taskToken"].(string)
	if token == "" || task["input"] != `{"job":1}` {
		t.Fatalf("task %v", task)
	}
	in.must(t, "SendTaskHeartbeat", map[string]any{"taskToken": token})
	in.must(t, "SendTaskSuccess", map[string]any{"taskToken": token, "output": `{"done":true}`})
	d := in.wait(t, ex)
	if d["status"] != "SUCCEEDED" || d["output"] != `{"job":1,"r":{"done":true}}` {
		t.Errorf("execution %v", d)
	}
	evs := in.history(t, ex)
	if got := types(evs); got != "ExecutionStarted,TaskStateEntered,ActivityScheduled,ActivityStarted,ActivitySucceeded,TaskStateExited,ExecutionSucceeded" {
		t.Errorf("history %s", got)
	}
	if w := evs[3]["activityStartedEventDetails"].(map[string]any)["workerName"]; w != "w1" {
		t.Errorf("workerName %v", w)
	}
	if _, e := in.call(t, "SendTaskSuccess", map[string]any{"taskToken": token, "output": "{}"}); e == nil || e.Code != "TaskTimedOut" {
		t.Errorf("late callback: %v", e)
	}
	var jobs int
	in.db.Read().QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&jobs)
	if jobs != 0 {
		t.Errorf("%d jobs left", jobs)
	}
}

func TestActivityLongPoll(t *testing.T) {
	in := newInstance(t, noInvoker())
	in.svc.pollTimeout = 300 * time.Millisecond
	arn := in.must(t, "CreateActivity", map[string]any{"name": "work"})["activityArn"].(string)
	start := time.Now()
	if out := in.must(t, "GetActivityTask", map[string]any{"activityArn": arn}); len(out) != 0 {
		t.Errorf("empty poll returned %v", out)
	}
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Errorf("poll returned after %s, before its timeout", took)
	}
	// A poll waiting when the task is scheduled gets it at once.
	in.svc.pollTimeout = 10 * time.Second
	got := make(chan map[string]any, 1)
	go func() { got <- in.must(t, "GetActivityTask", map[string]any{"activityArn": arn}) }()
	time.Sleep(100 * time.Millisecond)
	machine := in.create(t, "m", strings.Replace(activityDef, "%s", arn, 1))
	in.must(t, "StartExecution", map[string]any{"stateMachineArn": machine, "input": `{"n":2}`})
	select {
	case task := <-got:
		if task["input"] != `{"n":2}` {
			t.Errorf("task %v", task)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting poll did not get the task")
	}
	// A cancelled poll returns at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := in.svc.Handle(ctx, callOf(t, "GetActivityTask", map[string]any{"activityArn": arn})); err == nil {
		t.Errorf("cancelled poll succeeded")
	}
}

func TestActivityMissingAndTimeout(t *testing.T) {
	in := newInstance(t, noInvoker())
	gone := "arn:aws:states:us-east-1:000000000000:activity:gone"
	machine := in.create(t, "m", strings.Replace(activityDef, "%s", gone, 1))
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": machine})["executionArn"].(string)
	d := in.wait(t, ex)
	if d["status"] != "FAILED" || d["error"] != "States.Runtime" || !strings.HasSuffix(d["cause"].(string), "The activity "+gone+" does not exist.") {
		t.Errorf("missing activity: %v", d)
	}
	arn := in.must(t, "CreateActivity", map[string]any{"name": "slow"})["activityArn"].(string)
	hb := in.create(t, "hb", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+arn+`","HeartbeatSeconds":1,"End":true}}}`)
	ex = in.must(t, "StartExecution", map[string]any{"stateMachineArn": hb})["executionArn"].(string)
	time.Sleep(1500 * time.Millisecond)
	if d := in.must(t, "DescribeExecution", map[string]any{"executionArn": ex}); d["status"] != "RUNNING" {
		t.Fatalf("heartbeat ran before a worker took the task: %v", d)
	}
	in.must(t, "GetActivityTask", map[string]any{"activityArn": arn})
	d = in.wait(t, ex)
	if d["status"] != "FAILED" || d["error"] != "States.HeartbeatTimeout" {
		t.Errorf("heartbeat: %v", d)
	}
	if got := types(in.history(t, ex)); got != "ExecutionStarted,TaskStateEntered,ActivityScheduled,ActivityStarted,ActivityTimedOut,ExecutionFailed" {
		t.Errorf("history %s", got)
	}
}

func callOf(t *testing.T, action string, input any) *awsproto.Call {
	t.Helper()
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	return &awsproto.Call{Service: spec, Action: action, Input: raw}
}

func TestActivityTags(t *testing.T) {
	in := newInstance(t, noInvoker())
	arn := in.must(t, "CreateActivity", map[string]any{"name": "tagged", "tags": []map[string]string{{"key": "team", "value": "sec"}}})["activityArn"].(string)
	in.must(t, "TagResource", map[string]any{"resourceArn": arn, "tags": []map[string]string{{"key": "env", "value": "prod"}}})
	in.must(t, "UntagResource", map[string]any{"resourceArn": arn, "tagKeys": []string{"team"}})
	out := in.must(t, "ListTagsForResource", map[string]any{"resourceArn": arn})
	tags := out["tags"].([]any)
	if len(tags) != 1 || tags[0].(map[string]any)["key"] != "env" {
		t.Errorf("tags %v", out)
	}
	if _, e := in.call(t, "ListTagsForResource", map[string]any{"resourceArn": arn + "x"}); e == nil || e.Code != "ResourceNotFound" {
		t.Errorf("missing activity: %v", e)
	}
}
