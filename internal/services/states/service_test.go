package states

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

const (
	testRole = "arn:aws:iam::000000000000:role/vigil-test"
	passDef  = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"ResultPath":"$.r","End":true}}}`
)

// invokeFunc is an Invoker backed by a function.
type invokeFunc func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error)

func (f invokeFunc) Invoke(ctx context.Context, as identity.Principal, service, action string, input any) (json.RawMessage, error) {
	b, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	return f(ctx, service, action, b)
}

// instance is one running service over a data directory.
type instance struct {
	svc    *Service
	db     *store.DB
	cancel context.CancelFunc
	done   chan struct{}
}

func (in *instance) close() {
	in.cancel()
	<-in.done
	in.db.Close()
}

func open(t testing.TB, dir string, inv services.Invoker) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, dir, store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env := &services.Env{DB: db, Runner: runtime.New(db, log, 2), Invoker: inv, Log: log, AccountID: "000000000000", Region: "us-east-1"}
	svc := New(env)
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	in := &instance{svc: svc, db: db, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		env.Runner.Run(ctx)
	}()
	return in
}

func newInstance(t *testing.T, inv services.Invoker) *instance {
	in := open(t, t.TempDir(), inv)
	t.Cleanup(in.close)
	return in
}

// call runs an operation and returns its JSON result or its AWS error.
func (in *instance) call(t testing.TB, action string, input any) (map[string]any, *awsproto.Error) {
	t.Helper()
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	res, err := in.svc.Handle(context.Background(), &awsproto.Call{Service: spec, Action: action, Input: raw})
	if err != nil {
		var e *awsproto.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: non-AWS error %v", action, err)
		}
		return nil, e
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func (in *instance) must(t testing.TB, action string, input any) map[string]any {
	t.Helper()
	out, e := in.call(t, action, input)
	if e != nil {
		t.Fatalf("%s: %v", action, e)
	}
	return out
}

func (in *instance) create(t testing.TB, name, def string) string {
	t.Helper()
	out := in.must(t, "CreateStateMachine", map[string]any{"name": name, "definition": def, "roleArn": testRole})
	return out["stateMachineArn"].(string)
}

// wait polls an execution until it closes.
func (in *instance) wait(t *testing.T, arn string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out := in.must(t, "DescribeExecution", map[string]any{"executionArn": arn})
		if out["status"] != "RUNNING" {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("execution %s still running", arn)
	return nil
}

func (in *instance) history(t *testing.T, arn string) []map[string]any {
	t.Helper()
	out := in.must(t, "GetExecutionHistory", map[string]any{"executionArn": arn, "maxResults": 1000})
	var evs []map[string]any
	for _, e := range out["events"].([]any) {
		evs = append(evs, e.(map[string]any))
	}
	return evs
}

func types(evs []map[string]any) string {
	var ts []string
	for _, e := range evs {
		ts = append(ts, e["type"].(string))
	}
	return strings.Join(ts, ",")
}

func noInvoker() services.Invoker {
	return invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		return nil, errors.New("unexpected call")
	})
}

func TestCreateStateMachineValidation(t *testing.T) {
	in := newInstance(t, noInvoker())
	long := strings.Repeat("a", 81)
	tests := []struct {
		name  string
		input map[string]any
		code  string
		msg   string // substring
	}{
		{"missing all", map[string]any{}, "ValidationException", "3 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"long name", map[string]any{"name": long, "definition": passDef, "roleArn": testRole}, "ValidationException", "Member must have length less than or equal to 80"},
		{"bad name", map[string]any{"name": "a b", "definition": passDef, "roleArn": testRole}, "InvalidName", "Invalid Name: 'a b'"},
		{"slash name", map[string]any{"name": "a/b", "definition": passDef, "roleArn": testRole}, "InvalidName", "Invalid Name: 'a/b'"},
		{"bad role", map[string]any{"name": "m", "definition": passDef, "roleArn": "arn:aws:iam::000000000000:user/u"}, "InvalidArn", "Invalid Role Arn: 'arn:aws:iam::000000000000:user/u'"},
		{"bad type", map[string]any{"name": "m", "definition": passDef, "roleArn": testRole, "type": "FAST"}, "ValidationException", "Member must satisfy enum value set: [STANDARD, EXPRESS]"},
		{"express callback", map[string]any{"name": "m", "definition": `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken","End":true}}}`, "roleArn": testRole, "type": "EXPRESS"}, "InvalidDefinition", "Express state machine does not support '.waitForTaskToken'"},
		{"logging", map[string]any{"name": "m", "definition": passDef, "roleArn": testRole, "loggingConfiguration": map[string]any{"level": "ALL"}}, "InvalidLoggingConfiguration", "logging"},
		{"tracing", map[string]any{"name": "m", "definition": passDef, "roleArn": testRole, "tracingConfiguration": map[string]any{"enabled": true}}, "InvalidTracingConfiguration", "X-Ray"},
		{"not json", map[string]any{"name": "m", "definition": "{", "roleArn": testRole}, "InvalidDefinition", "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION"},
		{"no start", map[string]any{"name": "m", "definition": `{"States":{"P":{"Type":"Pass","End":true}}}`, "roleArn": testRole}, "InvalidDefinition", "StartAt"},
		{"unsupported resource", map[string]any{"name": "m", "definition": `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","End":true}}}`, "roleArn": testRole}, "InvalidDefinition", "'arn:aws:states:::dynamodb:putItem' at /States/T/Resource"},
		{"unsupported nested", map[string]any{"name": "m", "definition": `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:getObject","End":true}}}]}}}`, "roleArn": testRole}, "InvalidDefinition", "at /States/P/Branches[0]/States/T/Resource"},
		{"empty tag key", map[string]any{"name": "m", "definition": passDef, "roleArn": testRole, "tags": []any{map[string]any{"key": "", "value": "v"}}}, "ValidationException", "tags.1.member.key"},
		{"not an object", map[string]any{"name": 3}, "SerializationException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, e := in.call(t, "CreateStateMachine", tc.input)
			if e == nil {
				t.Fatal("created; want an error")
			}
			if e.Code != tc.code || !strings.Contains(e.Message, tc.msg) || e.Status != http.StatusBadRequest {
				t.Errorf("got %d %s: %s; want %s containing %q", e.Status, e.Code, e.Message, tc.code, tc.msg)
			}
		})
	}
}

func TestCreateIsIdempotent(t *testing.T) {
	in := newInstance(t, noInvoker())
	first := in.must(t, "CreateStateMachine", map[string]any{"name": "m", "definition": passDef, "roleArn": testRole})
	again := in.must(t, "CreateStateMachine", map[string]any{"name": "m", "definition": passDef, "roleArn": testRole})
	if first["stateMachineArn"] != "arn:aws:states:us-east-1:000000000000:stateMachine:m" || first["stateMachineArn"] != again["stateMachineArn"] || first["creationDate"] != again["creationDate"] {
		t.Errorf("first %v, again %v", first, again)
	}
	_, e := in.call(t, "CreateStateMachine", map[string]any{"name": "m", "definition": strings.Replace(passDef, "true", "false", 1), "roleArn": testRole})
	if e == nil || e.Code != "StateMachineAlreadyExists" || e.Message != "State Machine Already Exists: 'arn:aws:states:us-east-1:000000000000:stateMachine:m'" {
		t.Errorf("different definition: %v", e)
	}
}

func TestARNValidation(t *testing.T) {
	in := newInstance(t, noInvoker())
	tests := []struct {
		action, member, arn, code, msg string
	}{
		{"DescribeStateMachine", "stateMachineArn", "nope", "InvalidArn", "Invalid Arn: 'nope'"},
		{"DescribeStateMachine", "stateMachineArn", "arn:aws:states:us-east-1:000000000000:execution:m:e", "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: execution'"},
		{"DescribeStateMachine", "stateMachineArn", "arn:aws:states:us-east-1:000000000000:stateMachine:none", "StateMachineDoesNotExist", "State Machine Does Not Exist: 'arn:aws:states:us-east-1:000000000000:stateMachine:none'"},
		{"DescribeExecution", "executionArn", "arn:aws:states:us-east-1:000000000000:stateMachine:m", "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: stateMachine'"},
		{"DescribeExecution", "executionArn", "arn:aws:states:us-east-1:000000000000:execution:m:none", "ExecutionDoesNotExist", "Execution Does Not Exist: 'arn:aws:states:us-east-1:000000000000:execution:m:none'"},
		{"GetExecutionHistory", "executionArn", "arn:aws:states:us-east-1:0000:execution:m:e", "InvalidArn", "Invalid Arn: 'arn:aws:states:us-east-1:0000:execution:m:e'"},
		{"StopExecution", "executionArn", "arn:aws:states:us-east-1:000000000000:execution:m:none", "ExecutionDoesNotExist", "Execution Does Not Exist"},
		{"StartExecution", "stateMachineArn", "arn:aws:states:us-east-1:000000000000:stateMachine:none", "StateMachineDoesNotExist", "State Machine Does Not Exist"},
		{"ListExecutions", "stateMachineArn", "arn:aws:states:us-east-1:000000000000:stateMachine:none", "StateMachineDoesNotExist", "State Machine Does Not Exist"},
		{"DeleteStateMachine", "stateMachineArn", "arn:aws:states:us-east-1:000000000000:stateMachine:m/label", "ValidationException", "Distributed Map"},
		{"DescribeExecution", "executionArn", "", "ValidationException", "Member must have length greater than or equal to 1"},
	}
	for _, tc := range tests {
		t.Run(tc.action+" "+tc.arn, func(t *testing.T) {
			_, e := in.call(t, tc.action, map[string]any{tc.member: tc.arn})
			if e == nil || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("got %v; want %s containing %q", e, tc.code, tc.msg)
			}
		})
	}
	// Deleting a machine that does not exist succeeds, as on AWS.
	in.must(t, "DeleteStateMachine", map[string]any{"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:none"})
}

func TestStartExecutionValidation(t *testing.T) {
	in := newInstance(t, noInvoker())
	arn := in.create(t, "m", passDef)
	tests := []struct {
		name  string
		input map[string]any
		code  string
		msg   string
	}{
		{"bad json", map[string]any{"stateMachineArn": arn, "input": "{"}, "InvalidExecutionInput", "Invalid State Machine Execution Input: '"},
		{"two values", map[string]any{"stateMachineArn": arn, "input": "{} {}"}, "InvalidExecutionInput", "Invalid State Machine Execution Input"},
		{"bad name", map[string]any{"stateMachineArn": arn, "name": "a:b"}, "InvalidName", "Invalid Name: 'a:b'"},
		{"too big", map[string]any{"stateMachineArn": arn, "input": `"` + strings.Repeat("x", maxPayloadBytes) + `"`}, "ValidationException", "Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144"},
		{"no arn", map[string]any{}, "ValidationException", "Value null at 'stateMachineArn'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, e := in.call(t, "StartExecution", tc.input)
			if e == nil || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("got %v; want %s containing %q", e, tc.code, tc.msg)
			}
		})
	}
}

func TestPassExecution(t *testing.T) {
	in := newInstance(t, noInvoker())
	arn := in.create(t, "m", passDef)
	start := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn, "name": "e1", "input": `{"a":1}`})
	exArn := start["executionArn"].(string)
	if exArn != "arn:aws:states:us-east-1:000000000000:execution:m:e1" {
		t.Fatalf("execution ARN %s", exArn)
	}
	d := in.wait(t, exArn)
	if d["status"] != "SUCCEEDED" || d["output"] != `{"a":1,"r":{"ok":true}}` || d["stopDate"] == nil {
		t.Errorf("describe: %v", d)
	}
	evs := in.history(t, exArn)
	if got := types(evs); got != "ExecutionStarted,PassStateEntered,PassStateExited,ExecutionSucceeded" {
		t.Errorf("history %s", got)
	}
	for i, e := range evs {
		if int(e["id"].(float64)) != i+1 {
			t.Errorf("event %d has id %v", i, e["id"])
		}
	}
	// The same name and input while running would return the same
	// execution; after it closed, the name is taken.
	_, e := in.call(t, "StartExecution", map[string]any{"stateMachineArn": arn, "name": "e1", "input": `{"a":1}`})
	if e == nil || e.Code != "ExecutionAlreadyExists" || e.Message != "Execution Already Exists: '"+exArn+"'" {
		t.Errorf("reuse of a closed name: %v", e)
	}
	sm := in.must(t, "DescribeStateMachineForExecution", map[string]any{"executionArn": exArn})
	if sm["definition"] != passDef || sm["name"] != "m" {
		t.Errorf("DescribeStateMachineForExecution: %v", sm)
	}
}

func TestHistoryPaging(t *testing.T) {
	in := newInstance(t, noInvoker())
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"C"},"C":{"Type":"Pass","End":true}}}`
	arn := in.create(t, "m", def)
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
	in.wait(t, ex)
	for _, reverse := range []bool{false, true} {
		var ids []int
		token := ""
		for pages := 0; pages < 10; pages++ {
			req := map[string]any{"executionArn": ex, "maxResults": 3, "reverseOrder": reverse}
			if token != "" {
				req["nextToken"] = token
			}
			out := in.must(t, "GetExecutionHistory", req)
			for _, e := range out["events"].([]any) {
				ids = append(ids, int(e.(map[string]any)["id"].(float64)))
			}
			token, _ = out["nextToken"].(string)
			if token == "" {
				break
			}
		}
		if len(ids) != 8 {
			t.Fatalf("reverse=%v: ids %v", reverse, ids)
		}
		for i, id := range ids {
			want := i + 1
			if reverse {
				want = 8 - i
			}
			if id != want {
				t.Errorf("reverse=%v: ids %v", reverse, ids)
				break
			}
		}
	}
	out := in.must(t, "GetExecutionHistory", map[string]any{"executionArn": ex, "includeExecutionData": false})
	first := out["events"].([]any)[0].(map[string]any)["executionStartedEventDetails"].(map[string]any)
	if _, has := first["input"]; has {
		t.Errorf("includeExecutionData=false kept the input: %v", first)
	}
	if _, e := in.call(t, "GetExecutionHistory", map[string]any{"executionArn": ex, "nextToken": "garbage!"}); e == nil || e.Code != "InvalidToken" {
		t.Errorf("bad token: %v", e)
	}
}

func TestListPaging(t *testing.T) {
	in := newInstance(t, noInvoker())
	for _, n := range []string{"c", "a", "b", "d", "e"} {
		in.create(t, n, passDef)
	}
	var names []string
	token := ""
	for {
		req := map[string]any{"maxResults": 2}
		if token != "" {
			req["nextToken"] = token
		}
		out := in.must(t, "ListStateMachines", req)
		for _, m := range out["stateMachines"].([]any) {
			names = append(names, m.(map[string]any)["name"].(string))
		}
		if token, _ = out["nextToken"].(string); token == "" {
			break
		}
	}
	if strings.Join(names, "") != "abcde" {
		t.Errorf("names %v", names)
	}

	arn := in.create(t, "x", passDef)
	var started []string
	for range 5 {
		ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
		in.wait(t, ex)
		started = append(started, ex)
	}
	seen := map[string]bool{}
	token = ""
	for {
		req := map[string]any{"stateMachineArn": arn, "maxResults": 2, "statusFilter": "SUCCEEDED"}
		if token != "" {
			req["nextToken"] = token
		}
		out := in.must(t, "ListExecutions", req)
		for _, e := range out["executions"].([]any) {
			a := e.(map[string]any)["executionArn"].(string)
			if seen[a] {
				t.Errorf("%s listed twice", a)
			}
			seen[a] = true
		}
		if token, _ = out["nextToken"].(string); token == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Errorf("listed %d of 5 executions", len(seen))
	}
	out := in.must(t, "ListExecutions", map[string]any{"stateMachineArn": arn, "statusFilter": "RUNNING"})
	if n := len(out["executions"].([]any)); n != 0 {
		t.Errorf("%d running executions listed", n)
	}
	if _, e := in.call(t, "ListExecutions", map[string]any{"stateMachineArn": arn, "statusFilter": "DONE"}); e == nil || e.Code != "ValidationException" {
		t.Errorf("bad status filter: %v", e)
	}
	if _, e := in.call(t, "ListStateMachines", map[string]any{"maxResults": 1001}); e == nil || e.Code != "ValidationException" {
		t.Errorf("maxResults 1001: %v", e)
	}
}

func sdkError(code, msg string, status int) error {
	return &awsproto.Error{Code: code, Message: msg, Status: status}
}

func TestTaskCatchesSDKError(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	inv := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		mu.Lock()
		calls = append(calls, service+"."+action+" "+string(input))
		mu.Unlock()
		if action == "GetUser" {
			return nil, sdkError("NoSuchEntity", "The user with name ghost cannot be found.", 404)
		}
		return json.RawMessage(`{"MessageId":"m-1"}`), nil
	})
	in := newInstance(t, inv)
	def := `{"StartAt":"Get","States":{
		"Get":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:getUser","Parameters":{"UserName.$":"$.user"},
			"Catch":[{"ErrorEquals":["Iam.NoSuchEntityException"],"ResultPath":"$.err","Next":"Notify"}],"End":true},
		"Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:aws:sns:us-east-1:000000000000:t","Message.$":"$.err"},"End":true}}}`
	arn := in.create(t, "m", def)
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn, "input": `{"user":"ghost"}`})["executionArn"].(string)
	d := in.wait(t, ex)
	if d["status"] != "SUCCEEDED" {
		t.Fatalf("describe %v", d)
	}
	var out struct {
		MessageID string `json:"MessageId"`
	}
	json.Unmarshal([]byte(d["output"].(string)), &out)
	if out.MessageID != "m-1" {
		t.Errorf("output %v", d["output"])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 || calls[0] != `iam.GetUser {"UserName":"ghost"}` || !strings.HasPrefix(calls[1], "sns.Publish ") {
		t.Fatalf("calls %q", calls)
	}
	// The caught error reaches SNS as the JSON text of {Error, Cause}.
	var pub struct{ Message string }
	json.Unmarshal([]byte(strings.TrimPrefix(calls[1], "sns.Publish ")), &pub)
	var caught struct{ Error, Cause string }
	if err := json.Unmarshal([]byte(pub.Message), &caught); err != nil || caught.Error != "Iam.NoSuchEntityException" ||
		!strings.HasPrefix(caught.Cause, "The user with name ghost cannot be found. (Service: Iam, Status Code: 404, Request ID: ") {
		t.Errorf("published %q (%v)", pub.Message, err)
	}
	evs := in.history(t, ex)
	want := "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskFailed,TaskStateExited,TaskStateEntered,TaskScheduled,TaskStarted,TaskSucceeded,TaskStateExited,ExecutionSucceeded"
	if got := types(evs); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
}

func TestLambdaFunctionError(t *testing.T) {
	inv := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		var req struct {
			FunctionName string
			Payload      []byte
		}
		json.Unmarshal(input, &req)
		if service != "lambda" || action != "Invoke" || string(req.Payload) != `{"x":1}` {
			return nil, errors.New("unexpected call " + string(input))
		}
		return json.Marshal(map[string]any{"StatusCode": 200, "FunctionError": "Unhandled",
			"Payload": []byte(`{"errorType":"KeyError","errorMessage":"boom"}`)})
	})
	in := newInstance(t, inv)
	def := `{"StartAt":"F","States":{"F":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:f","End":true}}}`
	arn := in.create(t, "m", def)
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn, "input": `{"x":1}`})["executionArn"].(string)
	d := in.wait(t, ex)
	if d["status"] != "FAILED" || d["error"] != "KeyError" || d["cause"] != `{"errorType":"KeyError","errorMessage":"boom"}` {
		t.Errorf("describe %v", d)
	}
}

// TestRestartResumesTasks stops a service while its tasks are in flight
// and checks that a new one over the same data finishes them.
func TestRestartResumesTasks(t *testing.T) {
	dir := t.TempDir()
	block := make(chan struct{})
	blocking := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		select {
		case <-block:
		case <-ctx.Done():
		}
		return nil, ctx.Err()
	})
	first := open(t, dir, blocking)
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","ResultPath":"$.who","End":true}}}`
	arn := first.create(t, "m", def)
	var execs []string
	for range 3 {
		execs = append(execs, first.must(t, "StartExecution", map[string]any{"stateMachineArn": arn, "input": `{}`})["executionArn"].(string))
	}
	time.Sleep(100 * time.Millisecond)
	first.close()

	answering := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"Account":"000000000000"}`), nil
	})
	second := open(t, dir, answering)
	defer second.close()
	for _, ex := range execs {
		d := second.wait(t, ex)
		if d["status"] != "SUCCEEDED" || d["output"] != `{"who":{"Account":"000000000000"}}` {
			t.Errorf("%s: %v", ex, d)
		}
		if got := types(second.history(t, ex)); got != "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSucceeded,TaskStateExited,ExecutionSucceeded" {
			t.Errorf("%s history %s", ex, got)
		}
	}
	var jobs int
	second.db.Read().QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&jobs)
	if jobs != 0 {
		t.Errorf("%d jobs left", jobs)
	}
}

func TestStopExecution(t *testing.T) {
	in := newInstance(t, noInvoker())
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
	arn := in.create(t, "m", def)
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
	in.must(t, "StopExecution", map[string]any{"executionArn": ex, "error": "Why", "cause": "Because"})
	d := in.must(t, "DescribeExecution", map[string]any{"executionArn": ex})
	if d["status"] != "ABORTED" || d["error"] != "Why" || d["cause"] != "Because" {
		t.Errorf("describe %v", d)
	}
	evs := in.history(t, ex)
	last := evs[len(evs)-1]
	if last["type"] != "ExecutionAborted" {
		t.Errorf("last event %v", last)
	}
	var jobs int
	in.db.Read().QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&jobs)
	if jobs != 0 {
		t.Errorf("the stopped execution's timer is still queued (%d jobs)", jobs)
	}
	// Stopping again changes nothing.
	in.must(t, "StopExecution", map[string]any{"executionArn": ex})
	if n := len(in.history(t, ex)); n != len(evs) {
		t.Errorf("second stop added events: %d -> %d", len(evs), n)
	}
}

func TestDeleteWithRunningExecution(t *testing.T) {
	in := newInstance(t, noInvoker())
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}`
	arn := in.create(t, "m", def)
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
	in.must(t, "DeleteStateMachine", map[string]any{"stateMachineArn": arn})
	if d := in.must(t, "DescribeStateMachine", map[string]any{"stateMachineArn": arn}); d["status"] != "DELETING" {
		t.Errorf("status %v", d["status"])
	}
	if _, e := in.call(t, "StartExecution", map[string]any{"stateMachineArn": arn}); e == nil || e.Code != "StateMachineDeleting" {
		t.Errorf("start on deleting machine: %v", e)
	}
	if d := in.wait(t, ex); d["status"] != "ABORTED" {
		t.Errorf("execution %v", d)
	}
	if _, e := in.call(t, "DescribeStateMachine", map[string]any{"stateMachineArn": arn}); e == nil || e.Code != "StateMachineDoesNotExist" {
		t.Errorf("machine after its execution ended: %v", e)
	}
	// The execution stays describable, with its definition.
	if sm := in.must(t, "DescribeStateMachineForExecution", map[string]any{"executionArn": ex}); sm["definition"] != def {
		t.Errorf("definition %v", sm["definition"])
	}
}

func TestValidateDefinition(t *testing.T) {
	in := newInstance(t, noInvoker())
	out := in.must(t, "ValidateStateMachineDefinition", map[string]any{"definition": passDef})
	if out["result"] != "OK" || len(out["diagnostics"].([]any)) != 0 {
		t.Errorf("valid: %v", out)
	}
	out = in.must(t, "ValidateStateMachineDefinition", map[string]any{"definition": `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::glue:startJobRun","End":true}}}`})
	diags := out["diagnostics"].([]any)
	if out["result"] != "FAIL" || len(diags) != 1 {
		t.Fatalf("invalid: %v", out)
	}
	if d := diags[0].(map[string]any); d["code"] != "SCHEMA_VALIDATION_FAILED" || d["location"] != "/States/T/Resource" || d["severity"] != "ERROR" {
		t.Errorf("diagnostic %v", d)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParallelTasks(t *testing.T) {
	inv := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		time.Sleep(10 * time.Millisecond)
		return json.RawMessage(`{"Echo":` + string(input) + `}`), nil
	})
	in := newInstance(t, inv)
	branch := func(n int) string {
		return fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","Parameters":{"Branch":%d},"End":true}}}`, n)
	}
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[` + branch(1) + `,` + branch(2) + `]}}}`
	arn := in.create(t, "m", def)
	var execs []string
	for range 4 {
		execs = append(execs, in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string))
	}
	for _, ex := range execs {
		d := in.wait(t, ex)
		if d["status"] != "SUCCEEDED" || d["output"] != `[{"Echo":{"Branch":1}},{"Echo":{"Branch":2}}]` {
			t.Errorf("%s: %v", ex, d)
		}
	}
}

func TestBranchFailureDropsSiblings(t *testing.T) {
	inv := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		if strings.Contains(string(input), "fail") {
			return nil, sdkError("AccessDenied", "no", 403)
		}
		<-ctx.Done() // the sibling never answers
		return nil, ctx.Err()
	})
	in := newInstance(t, inv)
	branch := func(p string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","Parameters":{"P":"` + p + `"},"End":true}}}`
	}
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[` + branch("hang") + `,` + branch("fail") + `]}}}`
	arn := in.create(t, "m", def)
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
	d := in.wait(t, ex)
	if d["status"] != "FAILED" || d["error"] != "Sts.AccessDeniedException" {
		t.Errorf("describe %v", d)
	}
	var jobs, actions int
	var awaited string
	in.db.Read().QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&jobs)
	in.db.Read().QueryRow(`SELECT COUNT(*) FROM states_actions`).Scan(&actions)
	in.db.Read().QueryRow(`SELECT jobs FROM states_executions WHERE arn = ?`, ex).Scan(&awaited)
	if jobs != 0 || actions != 0 || awaited != "{}" {
		t.Errorf("after the run ended: %d jobs, %d actions, %s awaited", jobs, actions, awaited)
	}
}

func TestTaskTimeout(t *testing.T) {
	inv := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	in := newInstance(t, inv)
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","TimeoutSeconds":1,"End":true}}}`
	arn := in.create(t, "m", def)
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
	d := in.wait(t, ex)
	if d["status"] != "FAILED" || d["error"] != "States.Timeout" {
		t.Errorf("describe %v", d)
	}
	if got := types(in.history(t, ex)); !strings.Contains(got, "TaskStarted,TaskTimedOut") {
		t.Errorf("history %s", got)
	}
}

func TestTags(t *testing.T) {
	in := newInstance(t, noInvoker())
	out := in.must(t, "CreateStateMachine", map[string]any{"name": "m", "definition": passDef, "roleArn": testRole,
		"tags": []any{map[string]any{"key": "team", "value": "sec"}}})
	arn := out["stateMachineArn"].(string)
	in.must(t, "TagResource", map[string]any{"resourceArn": arn, "tags": []any{map[string]any{"key": "team", "value": "ops"}, map[string]any{"key": "env", "value": "prod"}}})
	in.must(t, "UntagResource", map[string]any{"resourceArn": arn, "tagKeys": []string{"env"}})
	tags := in.must(t, "ListTagsForResource", map[string]any{"resourceArn": arn})["tags"]
	if b := mustJSON(t, tags); string(b) != `[{"key":"team","value":"ops"}]` {
		t.Errorf("tags %s", b)
	}
	_, e := in.call(t, "TagResource", map[string]any{"resourceArn": arn + "x", "tags": []any{}})
	if e == nil || e.Code != "ResourceNotFound" {
		t.Errorf("tag missing machine: %v", e)
	}
}

// tokenCatcher answers every call and remembers the Token parameter.
type tokenCatcher struct {
	mu     sync.Mutex
	tokens []string
}

func (c *tokenCatcher) Invoke(ctx context.Context, as identity.Principal, service, action string, input any) (json.RawMessage, error) {
	b, _ := json.Marshal(input)
	var p struct{ Token string }
	json.Unmarshal(b, &p)
	c.mu.Lock()
	c.tokens = append(c.tokens, p.Token)
	c.mu.Unlock()
	return json.RawMessage(`{}`), nil
}

func (c *tokenCatcher) wait(t *testing.T, n int) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c.mu.Lock()
		if len(c.tokens) >= n {
			tok := c.tokens[n-1]
			c.mu.Unlock()
			return tok
		}
		c.mu.Unlock()
	}
	t.Fatalf("no call %d with a token", n)
	return ""
}

func callbackDef(extra string) string {
	return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity.waitForTaskToken",
		"Parameters":{"Token.$":"$$.Task.Token"},` + extra + `"End":true}}}`
}

func TestCallbackSuccessAndFailure(t *testing.T) {
	catcher := &tokenCatcher{}
	in := newInstance(t, catcher)
	arn := in.create(t, "m", callbackDef(""))

	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
	token := catcher.wait(t, 1)
	if token == "" {
		t.Fatal("the call did not carry $$.Task.Token")
	}
	time.Sleep(50 * time.Millisecond)
	if d := in.must(t, "DescribeExecution", map[string]any{"executionArn": ex}); d["status"] != "RUNNING" {
		t.Fatalf("callback task ended before its callback: %v", d)
	}
	if _, e := in.call(t, "SendTaskSuccess", map[string]any{"taskToken": token, "output": "{"}); e == nil || e.Code != "InvalidOutput" {
		t.Errorf("bad output: %v", e)
	}
	if _, e := in.call(t, "SendTaskSuccess", map[string]any{"taskToken": "nope", "output": "{}"}); e == nil || e.Code != "InvalidToken" {
		t.Errorf("unknown token: %v", e)
	}
	in.must(t, "SendTaskSuccess", map[string]any{"taskToken": token, "output": `{"approved":true}`})
	if d := in.wait(t, ex); d["status"] != "SUCCEEDED" || d["output"] != `{"approved":true}` {
		t.Errorf("after success: %v", d)
	}
	if _, e := in.call(t, "SendTaskSuccess", map[string]any{"taskToken": token, "output": "{}"}); e == nil || e.Code != "TaskTimedOut" {
		t.Errorf("second callback: %v", e)
	}

	ex = in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
	token = catcher.wait(t, 2)
	in.must(t, "SendTaskFailure", map[string]any{"taskToken": token, "error": "Rejected", "cause": "by a human"})
	if d := in.wait(t, ex); d["status"] != "FAILED" || d["error"] != "Rejected" || d["cause"] != "by a human" {
		t.Errorf("after failure: %v", d)
	}
}

func TestCallbackTimeouts(t *testing.T) {
	catcher := &tokenCatcher{}
	in := newInstance(t, catcher)
	hb := in.create(t, "hb", callbackDef(`"TimeoutSeconds":30,"HeartbeatSeconds":1,`))
	to := in.create(t, "to", callbackDef(`"TimeoutSeconds":1,`))

	exHB := in.must(t, "StartExecution", map[string]any{"stateMachineArn": hb})["executionArn"].(string)
	token := catcher.wait(t, 1)
	start := time.Now()
	time.Sleep(600 * time.Millisecond)
	in.must(t, "SendTaskHeartbeat", map[string]any{"taskToken": token})
	d := in.wait(t, exHB)
	if d["status"] != "FAILED" || d["error"] != "States.HeartbeatTimeout" {
		t.Errorf("heartbeat: %v", d)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("the heartbeat did not extend the task: it ended after %s", took)
	}

	exTO := in.must(t, "StartExecution", map[string]any{"stateMachineArn": to})["executionArn"].(string)
	catcher.wait(t, 2)
	if d := in.wait(t, exTO); d["status"] != "FAILED" || d["error"] != "States.Timeout" {
		t.Errorf("timeout: %v", d)
	}
	if got := types(in.history(t, exTO)); got != "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSubmitted,TaskTimedOut,ExecutionFailed" {
		t.Errorf("history %s", got)
	}
	var jobs int
	in.db.Read().QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&jobs)
	if jobs != 0 {
		t.Errorf("%d jobs left after both tasks ended", jobs)
	}
}

// TestCallbackAnsweredBeforeTheCallReturns answers a callback task from
// inside its own call, as a fast child execution does: history must still
// show TaskSubmitted before the task's end.
func TestCallbackAnsweredBeforeTheCallReturns(t *testing.T) {
	var in *instance
	answered := make(chan error, 4)
	inv := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		var p struct{ Token string }
		json.Unmarshal(input, &p)
		_, e := in.call(t, "SendTaskSuccess", map[string]any{"taskToken": p.Token, "output": `{"early":true}`})
		if e != nil {
			answered <- e
		} else {
			answered <- nil
		}
		return json.RawMessage(`{"Account":"000000000000"}`), nil
	})
	in = newInstance(t, inv)
	arn := in.create(t, "m", callbackDef(""))
	ex := in.must(t, "StartExecution", map[string]any{"stateMachineArn": arn})["executionArn"].(string)
	if err := <-answered; err != nil {
		t.Fatalf("SendTaskSuccess during the call: %v", err)
	}
	if d := in.wait(t, ex); d["status"] != "SUCCEEDED" || d["output"] != `{"early":true}` {
		t.Errorf("execution: %v", d)
	}
	if got := types(in.history(t, ex)); got != "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSubmitted,TaskSucceeded,TaskStateExited,ExecutionSucceeded" {
		t.Errorf("history %s", got)
	}
	var held int
	in.db.Read().QueryRow(`SELECT COUNT(*) FROM states_early_results`).Scan(&held)
	if held != 0 {
		t.Errorf("%d early answers left", held)
	}
}
