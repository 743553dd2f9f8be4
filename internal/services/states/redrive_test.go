package states

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
)

func TestRedriveExecution(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	inv := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		if fail.Load() {
			return nil, sdkError("ServiceFailure", "down", 500)
		}
		return json.RawMessage(`{"Account":"000000000000"}`), nil
	})
	in := newInstance(t, inv)
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"first","ResultPath":"$.p","Next":"T"},
	  "T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","ResultPath":"$.who","End":true}}}`
	arn := in.create(t, "m", def)
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn, "input": `{"a":1}`})["executionArn"].(string)
	if d := in.wait(t, ex); d["status"] != "FAILED" || d["redriveStatus"] != "REDRIVABLE" || d["redriveCount"] != 0.0 {
		t.Fatalf("first attempt %v", d)
	}
	fail.Store(false)
	out := in.must(t, "RedriveExecution", map[string]any{"executionArn": ex})
	if out["redriveDate"] == nil {
		t.Errorf("redrive output %v", out)
	}
	d := in.wait(t, ex)
	if d["status"] != "SUCCEEDED" || d["output"] != `{"a":1,"p":"first","who":{"Account":"000000000000"}}` || d["redriveCount"] != 1.0 || d["redriveDate"] == nil ||
		d["redriveStatus"] != "NOT_REDRIVABLE" || d["redriveStatusReason"] != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("after redrive %v", d)
	}
	want := "ExecutionStarted,PassStateEntered,PassStateExited,TaskStateEntered,TaskScheduled,TaskStarted,TaskFailed,ExecutionFailed," +
		"ExecutionRedriven,TaskStateEntered,TaskScheduled,TaskStarted,TaskSucceeded,TaskStateExited,ExecutionSucceeded"
	if got := types(in.history(t, ex)); got != want {
		t.Errorf("history %s", got)
	}
	if _, e := in.call(t, "RedriveExecution", map[string]any{"executionArn": ex}); e == nil || e.Code != "ExecutionNotRedrivable" {
		t.Errorf("redriving a succeeded execution: %v", e)
	}
	list := in.must(t, "ListExecutions", map[string]any{"stateMachineArn": arn, "redriveFilter": "REDRIVEN"})
	if items := list["executions"].([]any); len(items) != 1 || items[0].(map[string]any)["redriveCount"] != 1.0 {
		t.Errorf("REDRIVEN filter %v", list)
	}
	list = in.must(t, "ListExecutions", map[string]any{"stateMachineArn": arn, "redriveFilter": "NOT_REDRIVEN"})
	if items := list["executions"].([]any); len(items) != 0 {
		t.Errorf("NOT_REDRIVEN filter %v", list)
	}
}

func TestRedriveStoppedExecution(t *testing.T) {
	in := newInstance(t, noInvoker())
	arn := in.create(t, "m", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"Next":"P"},"P":{"Type":"Pass","End":true}}}`)
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
	if _, e := in.call(t, "RedriveExecution", map[string]any{"executionArn": ex}); e == nil || e.Code != "ExecutionNotRedrivable" ||
		e.Message != "Execution is RUNNING and cannot be redriven" {
		t.Errorf("redriving a running execution: %v", e)
	}
	in.must(t, "StopExecution", map[string]any{"executionArn": ex})
	in.must(t, "RedriveExecution", map[string]any{"executionArn": ex})
	d := in.must(t, "DescribeExecution", map[string]any{"executionArn": ex})
	if d["status"] != "RUNNING" || d["stopDate"] != nil {
		t.Errorf("redriven %v", d)
	}
	if got := types(in.history(t, ex)); got != "ExecutionStarted,WaitStateEntered,ExecutionAborted,ExecutionRedriven,WaitStateEntered" {
		t.Errorf("history %s", got)
	}
}
