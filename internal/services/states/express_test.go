package states

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func (in *instance) createExpress(t testing.TB, name, def string) string {
	t.Helper()
	out := in.must(t, "CreateStateMachine", map[string]any{"name": name, "definition": def, "roleArn": testRole, "type": "EXPRESS"})
	return out["stateMachineArn"].(string)
}

func TestExpressSync(t *testing.T) {
	var calls atomic.Int32
	inv := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		calls.Add(1)
		return json.RawMessage(`{"Account":"000000000000"}`), nil
	})
	in := newInstance(t, inv)
	def := `{"StartAt":"Both","States":{
	  "Both":{"Type":"Parallel","Branches":[
	    {"StartAt":"Who","States":{"Who":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","OutputPath":"$.Account","End":true}}},
	    {"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":1,"Next":"Each"},
	      "Each":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"Id","States":{"Id":{"Type":"Pass","End":true}}},"End":true}}}],
	   "Next":"Check"},
	  "Check":{"Type":"Choice","Choices":[{"Variable":"$[0]","StringEquals":"000000000000","Next":"Done"}],"Default":"Bad"},
	  "Bad":{"Type":"Fail","Error":"Bad","Cause":"wrong account"},
	  "Done":{"Type":"Succeed"}}}`
	arn := in.createExpress(t, "fast", def)
	if d := in.must(t, "DescribeStateMachine", map[string]any{"stateMachineArn": arn}); d["type"] != "EXPRESS" {
		t.Errorf("describe: type %v", d["type"])
	}
	begin := time.Now()
	out := in.must(t, "StartSyncExecution", map[string]any{"stateMachineArn": arn, "name": "one", "input": `{"items":[1,2]}`})
	if took := time.Since(begin); took < time.Second {
		t.Errorf("returned after %s, before the Wait ended", took)
	}
	if out["status"] != "SUCCEEDED" || out["output"] != `["000000000000",[1,2]]` || out["name"] != "one" || calls.Load() != 1 {
		t.Fatalf("sync: %v (calls %d)", out, calls.Load())
	}
	if ea := out["executionArn"].(string); !strings.HasPrefix(ea, "arn:aws:states:us-east-1:000000000000:express:fast:one:") || len(ea) != len("arn:aws:states:us-east-1:000000000000:express:fast:one:")+36 {
		t.Errorf("execution ARN %s", ea)
	}
	bd := out["billingDetails"].(map[string]any)
	if bd["billedMemoryUsedInMB"] != 64.0 || bd["billedDurationInMilliseconds"].(float64) < 1000 || int(bd["billedDurationInMilliseconds"].(float64))%100 != 0 {
		t.Errorf("billing %v", bd)
	}
	out = in.must(t, "StartSyncExecution", map[string]any{"stateMachineArn": arn, "input": `{"items":[]}`, "includedData": "METADATA_ONLY"})
	if out["status"] != "SUCCEEDED" || out["output"] != nil || out["input"] != nil || out["inputDetails"].(map[string]any)["included"] != false {
		t.Errorf("metadata only: %v", out)
	}

	fail := in.createExpress(t, "failing", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}`)
	out = in.must(t, "StartSyncExecution", map[string]any{"stateMachineArn": fail})
	if out["status"] != "FAILED" || out["error"] != "E" || out["cause"] != "C" || out["output"] != nil {
		t.Errorf("failed sync: %v", out)
	}
}

func TestExpressRefusals(t *testing.T) {
	in := newInstance(t, noInvoker())
	express := in.createExpress(t, "x", passDef)
	standard := in.create(t, "s", passDef)
	const notSupported = "This operation is not supported by this type of state machine"
	for _, tc := range []struct {
		action string
		input  map[string]any
		code   string
		msg    string
	}{
		{"StartSyncExecution", map[string]any{"stateMachineArn": standard}, "StateMachineTypeNotSupported", notSupported},
		{"StartSyncExecution", map[string]any{"stateMachineArn": express + "-gone"}, "StateMachineDoesNotExist", "State Machine Does Not Exist"},
		{"StartSyncExecution", map[string]any{"stateMachineArn": express, "input": "{"}, "InvalidExecutionInput", "Invalid State Machine Execution Input"},
		{"StartSyncExecution", map[string]any{"stateMachineArn": express, "includedData": "SOME"}, "ValidationException", "includedData"},
		{"ListExecutions", map[string]any{"stateMachineArn": express}, "StateMachineTypeNotSupported", notSupported},
		{"DescribeExecution", map[string]any{"executionArn": "arn:aws:states:us-east-1:000000000000:express:x:a:b"}, "InvalidArn", "Resource type not valid in this context: express"},
		{"GetExecutionHistory", map[string]any{"executionArn": "arn:aws:states:us-east-1:000000000000:express:x:a:b"}, "InvalidArn", "Resource type not valid in this context: express"},
		{"StopExecution", map[string]any{"executionArn": "arn:aws:states:us-east-1:000000000000:express:x:a:b"}, "InvalidArn", "Resource type not valid in this context: express"},
	} {
		_, e := in.call(t, tc.action, tc.input)
		if e == nil || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s %v: %v, want %s %q", tc.action, tc.input, e, tc.code, tc.msg)
		}
	}
}

func TestExpressDefinitionRules(t *testing.T) {
	in := newInstance(t, noInvoker())
	task := func(res string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + res + `","End":true}}}`
	}
	for _, tc := range []struct{ res, want string }{
		{"arn:aws:states:::sns:publish.waitForTaskToken", "Express state machine does not support '.waitForTaskToken' service integration  at /States/T/Resource"},
		{"arn:aws:states:::states:startExecution.sync", "Express state machine does not support '.sync' service integration at /States/T/Resource"},
		{"arn:aws:states:us-east-1:000000000000:activity:work", "Express state machine does not support Activity ARN at /States/T/Resource"},
	} {
		_, e := in.call(t, "CreateStateMachine", map[string]any{"name": "bad", "definition": task(tc.res), "roleArn": testRole, "type": "EXPRESS"})
		if e == nil || e.Code != "InvalidDefinition" || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%s: %v", tc.res, e)
		}
		out := in.must(t, "ValidateStateMachineDefinition", map[string]any{"definition": task(tc.res), "type": "EXPRESS"})
		if out["result"] != "FAIL" {
			t.Errorf("validate %s: %v", tc.res, out)
		}
		in.create(t, "fine", task(tc.res)) // a STANDARD machine may
		in.must(t, "DeleteStateMachine", map[string]any{"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:fine"})
	}
}

// TestExpressAsyncRestart: an acknowledged asynchronous start runs again
// from the start when the process stopped while it ran.
func TestExpressAsyncRestart(t *testing.T) {
	// The run outlasts the grace: its job is ended by the run itself,
	// while the runner comes back to it every recheck.
	oldRecheck, oldGrace := expressRecheck, expressGrace
	expressRecheck, expressGrace = 200*time.Millisecond, 50*time.Millisecond
	t.Cleanup(func() { expressRecheck, expressGrace = oldRecheck, oldGrace })
	dir := t.TempDir()
	madeBefore := make(chan string, 1)
	blocking := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		madeBefore <- action
		return nil, ctx.Err()
	})
	first := open(t, dir, blocking)
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"T"},
	  "T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:createUser","Parameters":{"UserName.$":"$$.Execution.Name"},"End":true}}}`
	arn := first.createExpress(t, "async", def)
	out := first.must(t, "StartExecution", map[string]any{"stateMachineArn": arn, "name": "run-1", "input": `{}`})
	if ea := out["executionArn"].(string); !strings.Contains(ea, ":express:async:run-1:") {
		t.Errorf("execution ARN %s", ea)
	}
	time.Sleep(100 * time.Millisecond)
	first.close()

	select {
	case <-time.After(1500 * time.Millisecond):
	case got := <-madeBefore:
		t.Fatalf("the first run went on after its server stopped: %s", got)
	}
	made := make(chan string, 4)
	answering := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		made <- service + ":" + action + ":" + string(input)
		return json.RawMessage(`{}`), nil
	})
	second := open(t, dir, answering)
	defer second.close()
	select {
	case got := <-made:
		if got != `iam:CreateUser:{"UserName":"run-1"}` {
			t.Errorf("call %s", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the express execution did not run again after the restart")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var jobs int
		second.db.Read().QueryRow(`SELECT COUNT(*) FROM jobs WHERE kind = ?`, jobExpress).Scan(&jobs)
		if jobs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d express jobs left", jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestExpressMaxDuration: an Express execution ends TIMED_OUT five
// minutes after its start.
func TestExpressMaxDuration(t *testing.T) {
	in := newInstance(t, noInvoker())
	arn := in.createExpress(t, "slow", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)
	meta, err := getMachineMeta(context.Background(), in.db.Read(), arn)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := in.svc.machineFor(context.Background(), in.db.Read(), meta.DefHash)
	if err != nil {
		t.Fatal(err)
	}
	st := expressStart{Execution: "arn:aws:states:us-east-1:000000000000:express:slow:a:b", Machine: arn, Name: "a", Input: "{}",
		Started: time.Now().Add(-expressMaxDuration + 200*time.Millisecond), DefHash: meta.DefHash, RoleARN: testRole}
	res := in.svc.runExpress(context.Background(), parsed, st)
	if res.Status != "TIMED_OUT" || res.Error != "States.Timeout" {
		t.Errorf("outcome %+v", res)
	}
}
