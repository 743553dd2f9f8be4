package states

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
)

// selfInvoker sends states calls back to the service under test and
// answers every other call with {}.
type selfInvoker struct{ svc atomic.Pointer[Service] }

func (s *selfInvoker) Invoke(ctx context.Context, as identity.Principal, service, action string, input any) (json.RawMessage, error) {
	if service != "states" {
		return json.RawMessage(`{}`), nil
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	res, err := s.svc.Load().Handle(ctx, &awsproto.Call{Service: spec, Action: action, Input: raw})
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

func newSelfInstance(t *testing.T) *instance {
	inv := &selfInvoker{}
	in := newInstance(t, inv)
	inv.svc.Store(in.svc)
	return in
}

func TestStartExecutionIntegration(t *testing.T) {
	in := newSelfInstance(t)
	child := in.create(t, "child", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"got.$":"$"},"End":true}}}`)
	failing := in.create(t, "failing", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"SomeFailure","Cause":"no"}}}`)
	parent := func(name, resource, extra string) string {
		return in.create(t, name, `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:`+resource+`",
		  "Parameters":{"StateMachineArn.$":"$.machine","Input":{"n":1,"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$":"$$.Execution.Id"}`+extra+`},"End":true}}}`)
	}
	tests := []struct {
		name, resource, machine, status string
		check                           func(t *testing.T, out map[string]any, d map[string]any)
	}{
		{"plain", "startExecution", child, "SUCCEEDED", func(t *testing.T, out, d map[string]any) {
			if !strings.HasPrefix(out["ExecutionArn"].(string), "arn:aws:states:us-east-1:000000000000:execution:child:") || out["StartDate"] == nil {
				t.Errorf("output %v", out)
			}
		}},
		{"sync", "startExecution.sync", child, "SUCCEEDED", func(t *testing.T, out, d map[string]any) {
			if out["Status"] != "SUCCEEDED" || !strings.Contains(out["Output"].(string), `"n":1`) || out["OutputDetails"] == nil || out["StopDate"] == nil {
				t.Errorf("output %v", out)
			}
		}},
		{"sync2", "startExecution.sync:2", child, "SUCCEEDED", func(t *testing.T, out, d map[string]any) {
			got, _ := out["Output"].(map[string]any)["got"].(map[string]any)
			if got["n"] != 1.0 || !strings.Contains(got["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"].(string), ":execution:sync2:") {
				t.Errorf("output %v", out)
			}
		}},
		{"syncfail", "startExecution.sync", failing, "FAILED", func(t *testing.T, out, d map[string]any) {
			var cause map[string]any
			json.Unmarshal([]byte(d["cause"].(string)), &cause)
			if d["error"] != "States.TaskFailed" || cause["Status"] != "FAILED" || cause["Error"] != "SomeFailure" || cause["Cause"] != "no" {
				t.Errorf("failure %v", d)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arn := parent(tc.name, tc.resource, "")
			ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn, "input": `{"machine":"` + tc.machine + `"}`})["executionArn"].(string)
			d := in.wait(t, ex)
			if d["status"] != tc.status {
				t.Fatalf("status %v", d)
			}
			var out map[string]any
			if o, ok := d["output"].(string); ok {
				json.Unmarshal([]byte(o), &out)
			}
			tc.check(t, out, d)
			want := "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSucceeded,TaskStateExited,ExecutionSucceeded"
			switch tc.name {
			case "sync", "sync2":
				want = "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSubmitted,TaskSucceeded,TaskStateExited,ExecutionSucceeded"
			case "syncfail":
				want = "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSubmitted,TaskFailed,ExecutionFailed"
			}
			if got := types(in.history(t, ex)); got != want {
				t.Errorf("history %s", got)
			}
		})
	}
	arn := parent("missing", "startExecution", "")
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn, "input": `{"machine":"arn:aws:states:us-east-1:000000000000:stateMachine:nope"}`})["executionArn"].(string)
	if d := in.wait(t, ex); d["error"] != "StepFunctions.StateMachineDoesNotExistException" ||
		!strings.Contains(d["cause"].(string), "(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist;") {
		t.Errorf("missing machine: %v", d)
	}
}

func TestChildNameIsStable(t *testing.T) {
	in := newSelfInstance(t)
	child := in.create(t, "child", passDef)
	act := func(id string) string {
		b, _ := json.Marshal(map[string]any{"StateMachineArn": child})
		return childName(taskAction(id, b))
	}
	if act("1.1") != act("1.1") || act("1.1") == act("1.2") {
		t.Errorf("child names must be fixed per action")
	}
	// Repeating a start whose child has finished answers with that child.
	b, _ := json.Marshal(map[string]any{"StateMachineArn": child})
	a := taskAction("1.7", b)
	first := in.svc.startChild(context.Background(), a)
	var started struct{ ExecutionArn string }
	json.Unmarshal(first.Output, &started)
	in.wait(t, started.ExecutionArn)
	second := in.svc.startChild(context.Background(), a)
	var again struct{ ExecutionArn string }
	json.Unmarshal(second.Output, &again)
	if first.Error != "" || second.Error != "" || again.ExecutionArn != started.ExecutionArn {
		t.Errorf("restart of a finished child: %+v / %+v", first, second)
	}
}

func taskAction(id string, input []byte) asl.Action {
	return asl.Action{ID: id, Kind: asl.KindTask, Resource: "arn:aws:states:::states:startExecution", Input: input}
}

func TestSyncChildSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	inv := &selfInvoker{}
	first := open(t, dir, inv)
	inv.svc.Store(first.svc)
	child := first.create(t, "child", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}`)
	parent := first.create(t, "parent", `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
	  "Parameters":{"StateMachineArn":"`+child+`","Input":{"k":"v"}},"OutputPath":"$.Output","End":true}}}`)
	ex := first.must(t, "StartExecution", map[string]any{"stateMachineArn": parent})["executionArn"].(string)
	// Wait until the parent is waiting on its child, then crash.
	for i := 0; i < 200; i++ {
		var n int
		first.db.Read().QueryRow(`SELECT COUNT(*) FROM states_children`).Scan(&n)
		if n == 1 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	first.close()
	second := open(t, dir, inv)
	defer second.close()
	inv.svc.Store(second.svc)
	if d := second.wait(t, ex); d["status"] != "SUCCEEDED" || d["output"] != `{"k":"v"}` {
		t.Errorf("parent %v", d)
	}
}
