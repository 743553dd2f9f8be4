package asl

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func testCtx() Context {
	return Context{
		ExecutionArn:     "arn:aws:states:us-east-1:000000000000:execution:sm:ex",
		ExecutionName:    "ex",
		StateMachineArn:  "arn:aws:states:us-east-1:000000000000:stateMachine:sm",
		StateMachineName: "sm",
		RoleArn:          "arn:aws:iam::000000000000:role/r",
	}
}

// executor fakes the service: tasks answer from a function, timers fire
// at once (advancing the fake clock). Each step round-trips the Run
// through JSON, as the service does.
type executor struct {
	t      *testing.T
	m      *Machine
	now    time.Time
	task   func(a Action, call int) Result
	calls  int
	events []HistoryEvent
	tasks  []Action
}

func runMachine(t *testing.T, def, input string, task func(a Action, call int) Result) (*Run, *executor) {
	t.Helper()
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	x := &executor{t: t, m: m, now: t0, task: task}
	run, evs, acts, err := Start(m, testCtx(), json.RawMessage(input), x.now)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	x.events = evs
	for i := 0; len(acts) > 0 && i < 1000; i++ {
		a := acts[0]
		acts = acts[1:]
		var res Result
		if a.Kind == KindTask {
			x.tasks = append(x.tasks, a)
			res = task(a, x.calls)
			x.calls++
		} else if a.Until.After(x.now) {
			x.now = a.Until
		}
		b, err := json.Marshal(run)
		if err != nil {
			t.Fatalf("marshal run: %v", err)
		}
		run = &Run{}
		if err := json.Unmarshal(b, run); err != nil {
			t.Fatalf("unmarshal run: %v", err)
		}
		evs, more, err := run.Complete(m, a.ID, res, x.now)
		if err != nil {
			t.Fatalf("Complete: %v", err)
		}
		x.events = append(x.events, evs...)
		acts = append(acts, more...)
	}
	return run, x
}

// summary renders events as "id/prev:Type" for compact assertions.
func summary(evs []HistoryEvent) string {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = fmt.Sprintf("%d/%d:%s", e.ID, e.PreviousEventID, e.Type)
	}
	return strings.Join(parts, " ")
}

func ok(out string) func(Action, int) Result {
	return func(Action, int) Result { return Result{Output: json.RawMessage(out)} }
}

const awsSDKMachine = `{"StartAt":"Delete","States":{
  "Delete":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:deleteAccessKey",
    "Parameters":{"AccessKeyId.$":"$.detail['check-item-detail']['Access Key ID']","UserName.$":"$.detail['check-item-detail']['User Name']"},
    "ResultPath":"$.deleted","Next":"Notify"},
  "Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
    "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:000000000000:sec","Message.$":"States.Format('Deleted {} of {}', $.detail['check-item-detail']['Access Key ID'], $.detail['check-item-detail']['User Name'])"},
    "ResultSelector":{"id.$":"$.MessageId"},"ResultPath":"$.sns","OutputPath":"$.sns","End":true}}}`

const keyInput = `{"detail":{"check-item-detail":{"Access Key ID":"AKIAEXAMPLE","User Name":"alice"}}}`

func TestTaskHistory(t *testing.T) {
	run, x := runMachine(t, awsSDKMachine, keyInput, func(a Action, n int) Result {
		if n == 0 {
			return Result{Output: json.RawMessage(`{}`)}
		}
		return Result{Output: json.RawMessage(`{"MessageId":"m-1"}`)}
	})
	if run.Status() != StatusSucceeded || string(run.Output()) != `{"id":"m-1"}` {
		t.Fatalf("status %s output %s", run.Status(), run.Output())
	}
	want := "1/0:ExecutionStarted 2/0:TaskStateEntered 3/2:TaskScheduled 4/3:TaskStarted 5/4:TaskSucceeded 6/5:TaskStateExited " +
		"7/6:TaskStateEntered 8/7:TaskScheduled 9/8:TaskStarted 10/9:TaskSucceeded 11/10:TaskStateExited 12/11:ExecutionSucceeded"
	if got := summary(x.events); got != want {
		t.Errorf("history\n got  %s\n want %s", got, want)
	}
	sch := x.events[2].TaskScheduledEventDetails
	if sch == nil || sch.ResourceType != "aws-sdk:iam" || sch.Resource != "deleteAccessKey" || sch.Region != "us-east-1" ||
		sch.Parameters != `{"AccessKeyId":"AKIAEXAMPLE","UserName":"alice"}` {
		t.Errorf("TaskScheduled details = %+v", sch)
	}
	if x.tasks[1].Resource != "arn:aws:states:::sns:publish" || string(x.tasks[1].Input) != `{"Message":"Deleted AKIAEXAMPLE of alice","TopicArn":"arn:aws:sns:us-east-1:000000000000:sec"}` {
		t.Errorf("sns action = %+v / %s", x.tasks[1], x.tasks[1].Input)
	}
	if x.events[9].TaskSucceededEventDetails.ResourceType != "sns" || *x.events[9].TaskSucceededEventDetails.Output != `{"MessageId":"m-1"}` {
		t.Errorf("TaskSucceeded = %+v", x.events[9].TaskSucceededEventDetails)
	}
	exited := x.events[5].StateExitedEventDetails
	if exited.Output != `{"deleted":{},"detail":{"check-item-detail":{"Access Key ID":"AKIAEXAMPLE","User Name":"alice"}}}` {
		t.Errorf("exit output = %s", exited.Output)
	}
	b, _ := json.Marshal(x.events[2])
	for _, frag := range []string{`"taskScheduledEventDetails":{"resourceType":"aws-sdk:iam","resource":"deleteAccessKey","region":"us-east-1","parameters":`, `"timestamp":1704164645`, `"previousEventId":2`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("event JSON %s lacks %s", b, frag)
		}
	}
	var back HistoryEvent
	if err := json.Unmarshal(b, &back); err != nil || !back.Timestamp.Equal(t0) || back.TaskScheduledEventDetails.Resource != "deleteAccessKey" {
		t.Errorf("round trip: %v %+v", err, back)
	}
}

func TestLambdaHistory(t *testing.T) {
	def := `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:fn","TimeoutSeconds":30,"End":true}}}`
	run, x := runMachine(t, def, `{"a":1}`, ok(`{"r":2}`))
	want := "1/0:ExecutionStarted 2/0:TaskStateEntered 3/2:LambdaFunctionScheduled 4/3:LambdaFunctionStarted 5/4:LambdaFunctionSucceeded 6/5:TaskStateExited 7/6:ExecutionSucceeded"
	if got := summary(x.events); got != want {
		t.Errorf("history\n got  %s\n want %s", got, want)
	}
	d := x.events[2].LambdaFunctionScheduledEventDetails
	if d.Resource != "arn:aws:lambda:us-east-1:000000000000:function:fn" || d.Input != `{"a":1}` || d.TimeoutInSeconds != 30 {
		t.Errorf("LambdaFunctionScheduled = %+v", d)
	}
	if x.tasks[0].TimeoutSeconds != 30 || string(run.Output()) != `{"r":2}` {
		t.Errorf("action %+v output %s", x.tasks[0], run.Output())
	}
}

func TestRetryAndCatch(t *testing.T) {
	def := `{"StartAt":"T","States":{
	  "T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:deleteAccessKey",
	    "Retry":[{"ErrorEquals":["IAM.ThrottlingException"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],
	    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Handle"}],"End":true},
	  "Handle":{"Type":"Pass","End":true}}}`
	var timers []time.Duration
	run, x := runMachine(t, def, `{"k":1}`, func(a Action, n int) Result {
		return Result{Error: "IAM.ThrottlingException", Cause: "slow down"}
	})
	for _, e := range x.events {
		_ = e
	}
	if x.calls != 3 {
		t.Errorf("task called %d times, want 3 (1 + 2 retries)", x.calls)
	}
	if got := x.now.Sub(t0); got != 8*time.Second { // 2s + 6s backoff
		t.Errorf("retries waited %v, want 8s (timers %v)", got, timers)
	}
	want := "1/0:ExecutionStarted 2/0:TaskStateEntered 3/2:TaskScheduled 4/3:TaskStarted 5/4:TaskFailed " +
		"6/5:TaskScheduled 7/6:TaskStarted 8/7:TaskFailed 9/8:TaskScheduled 10/9:TaskStarted 11/10:TaskFailed " +
		"12/11:TaskStateExited 13/12:PassStateEntered 14/13:PassStateExited 15/14:ExecutionSucceeded"
	if got := summary(x.events); got != want {
		t.Errorf("history\n got  %s\n want %s", got, want)
	}
	if string(run.Output()) != `{"err":{"Cause":"slow down","Error":"IAM.ThrottlingException"},"k":1}` {
		t.Errorf("output %s", run.Output())
	}
}

func TestRetryDelay(t *testing.T) {
	rt := Retrier{IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 5}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second} {
		if got := retryDelay(rt, attempt, nil); got != want {
			t.Errorf("attempt %d: %v, want %v", attempt, got, want)
		}
	}
	rt.JitterStrategy = "FULL"
	if got := retryDelay(rt, 3, func() uint64 { return 1 << 63 }); got != 2*time.Second {
		t.Errorf("full jitter at half range = %v, want 2s", got)
	}
}

func TestUncaughtTaskFailure(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Catch":[{"ErrorEquals":["Other"],"Next":"X"}],"End":true},"X":{"Type":"Succeed"}}}`
	run, x := runMachine(t, def, `{}`, func(Action, int) Result { return Result{Error: "SNS.NotFound", Cause: "no topic"} })
	if e, c := run.Error(); run.Status() != StatusFailed || e != "SNS.NotFound" || c != "no topic" {
		t.Errorf("status %s error %s %s", run.Status(), e, c)
	}
	last := x.events[len(x.events)-1]
	if last.Type != "ExecutionFailed" || last.PreviousEventID != 5 || last.ExecutionFailedEventDetails.Error != "SNS.NotFound" {
		t.Errorf("last event %+v", last)
	}
}

func TestTaskTimeoutMatching(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
	  "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"F"},{"ErrorEquals":["States.Timeout"],"Next":"TO"}],"End":true},
	  "F":{"Type":"Fail","Error":"wrong"},"TO":{"Type":"Succeed"}}}`
	run, x := runMachine(t, def, `{}`, func(Action, int) Result { return Result{Error: ErrTimeout} })
	if run.Status() != StatusSucceeded {
		t.Fatalf("status %s: States.TaskFailed must not catch States.Timeout", run.Status())
	}
	if x.events[4].Type != "TaskTimedOut" {
		t.Errorf("event 5 = %s, want TaskTimedOut", x.events[4].Type)
	}
}

func TestRuntimeErrorNotCaught(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"x.$":"$.missing"},
	  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`
	run, x := runMachine(t, def, `{"a":1}`, ok(`{}`))
	e, c := run.Error()
	wantCause := `An error occurred while executing the state 'T' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{"a":1}'`
	if run.Status() != StatusFailed || e != ErrRuntime || c != wantCause {
		t.Errorf("status %s %s\n cause %s\n want  %s", run.Status(), e, c, wantCause)
	}
	if got := summary(x.events); got != "1/0:ExecutionStarted 2/0:TaskStateEntered 3/2:ExecutionFailed" {
		t.Errorf("history %s", got)
	}
}

func TestDataFlow(t *testing.T) {
	tests := []struct {
		name, state, input, want string
	}{
		{"result", `"Result":{"a":1}`, `{"x":1}`, `{"a":1}`},
		{"result path", `"Result":{"a":1},"ResultPath":"$.r"`, `{"x":1}`, `{"r":{"a":1},"x":1}`},
		{"result path null", `"Result":{"a":1},"ResultPath":null`, `{"x":1}`, `{"x":1}`},
		{"input path", `"InputPath":"$.x"`, `{"x":{"y":2}}`, `{"y":2}`},
		{"input path null", `"InputPath":null`, `{"x":1}`, `{}`},
		{"output path", `"OutputPath":"$.x.y"`, `{"x":{"y":[1]}}`, `[1]`},
		{"parameters", `"Parameters":{"k.$":"$.x","lit":"v","nested":{"n.$":"$.x"},"arr":[{"e.$":"$.x"}]}`, `{"x":3}`, `{"arr":[{"e":3}],"k":3,"lit":"v","nested":{"n":3}}`},
		{"context", `"Parameters":{"n.$":"$$.Execution.Name","s.$":"$$.State.Name","sm.$":"$$.StateMachine.Name"}`, `{}`, `{"n":"ex","s":"P","sm":"sm"}`},
		{"intrinsic", `"Parameters":{"a.$":"States.Array($.x, 'y')","j.$":"States.JsonToString($.x)"}`, `{"x":1}`, `{"a":[1,"y"],"j":"1"}`},
		{"quoted keys", `"Parameters":{"id.$":"$.detail['check-item-detail']['Access Key ID']"}`, keyInput, `{"id":"AKIAEXAMPLE"}`},
		{"wildcard", `"Parameters":{"ids.$":"$.items[*].id"}`, `{"items":[{"id":1},{"id":2}]}`, `{"ids":[1,2]}`},
		{"filter", `"Parameters":{"big.$":"$.items[?(@.id > 1)].id"}`, `{"items":[{"id":1},{"id":2}]}`, `{"big":[2]}`},
		{"numbers kept", `"Parameters":{"f.$":"$.f"}`, `{"f":1.50}`, `{"f":1.50}`},
	}
	for _, tc := range tests {
		def := `{"StartAt":"P","States":{"P":{"Type":"Pass",` + tc.state + `,"End":true}}}`
		run, _ := runMachine(t, def, tc.input, nil)
		if run.Status() != StatusSucceeded {
			e, c := run.Error()
			t.Errorf("%s: status %s %s %s", tc.name, run.Status(), e, c)
			continue
		}
		if string(run.Output()) != tc.want {
			t.Errorf("%s: output %s, want %s", tc.name, run.Output(), tc.want)
		}
	}
}

func TestRuntimePathErrors(t *testing.T) {
	tests := []struct{ state, input, cause string }{
		{`"OutputPath":"$.nope"`, `{}`, `Invalid path '$.nope' : No results for path: $['nope']`},
		{`"InputPath":"$.a.b"`, `{"a":1}`, `Invalid path '$.a.b' : No results for path: $['a']['b']`},
		{`"Result":1,"ResultPath":"$.a.b"`, `{"a":"s"}`, `Invalid path '$.a.b': unable to set a field in a value of type string`},
		{`"Parameters":{"v.$":"States.ArrayGetItem($.a, 3)"}`, `{"a":[]}`, ``},
	}
	for _, tc := range tests {
		def := `{"StartAt":"P","States":{"P":{"Type":"Pass",` + tc.state + `,"End":true}}}`
		run, _ := runMachine(t, def, tc.input, nil)
		e, c := run.Error()
		if run.Status() != StatusFailed {
			t.Errorf("%s: status %s", tc.state, run.Status())
			continue
		}
		if tc.cause == "" {
			if e != ErrIntrinsicFailure {
				t.Errorf("%s: error %s, want %s", tc.state, e, ErrIntrinsicFailure)
			}
			continue
		}
		want := "An error occurred while executing the state 'P' (entered at the event id #2). " + tc.cause
		if e != ErrRuntime || c != want {
			t.Errorf("%s:\n got  %s %s\n want %s", tc.state, e, c, want)
		}
	}
}

func TestChoiceRules(t *testing.T) {
	tests := []struct {
		rule, input string
		match       bool
	}{
		{`"Variable":"$.s","StringEquals":"a"`, `{"s":"a"}`, true},
		{`"Variable":"$.s","StringEqualsPath":"$.t"`, `{"s":"a","t":"a"}`, true},
		{`"Variable":"$.s","StringLessThan":"b"`, `{"s":"a"}`, true},
		{`"Variable":"$.s","StringGreaterThanEquals":"b"`, `{"s":"a"}`, false},
		{`"Variable":"$.s","StringMatches":"log-*.txt"`, `{"s":"log-2024.txt"}`, true},
		{`"Variable":"$.s","StringMatches":"a\\*b"`, `{"s":"a*b"}`, true},
		{`"Variable":"$.s","StringMatches":"a\\*b"`, `{"s":"axb"}`, false},
		{`"Variable":"$.n","NumericEquals":1`, `{"n":1.0}`, true},
		{`"Variable":"$.n","NumericGreaterThanPath":"$.m"`, `{"n":2,"m":1}`, true},
		{`"Variable":"$.n","NumericLessThanEquals":1`, `{"n":"1"}`, false},
		{`"Variable":"$.b","BooleanEquals":true`, `{"b":true}`, true},
		{`"Variable":"$.t","TimestampLessThan":"2024-01-01T00:00:00Z"`, `{"t":"2023-12-31T23:59:59Z"}`, true},
		{`"Variable":"$.t","TimestampEqualsPath":"$.u"`, `{"t":"2023-01-01T00:00:00Z","u":"2023-01-01T01:00:00+01:00"}`, true},
		{`"Variable":"$.x","IsPresent":false`, `{}`, true},
		{`"Variable":"$.x","IsNull":true`, `{"x":null}`, true},
		{`"Variable":"$.x","IsNumeric":true`, `{"x":"1"}`, false},
		{`"Variable":"$.x","IsString":true`, `{"x":"1"}`, true},
		{`"Variable":"$.x","IsBoolean":true`, `{"x":false}`, true},
		{`"Variable":"$.x","IsTimestamp":true`, `{"x":"2016-03-14T01:59:00Z"}`, true},
		{`"Variable":"$.missing","IsString":true`, `{}`, false},
		{`"And":[{"Variable":"$.n","NumericGreaterThan":1},{"Variable":"$.n","NumericLessThan":3}]`, `{"n":2}`, true},
		{`"Or":[{"Variable":"$.n","NumericEquals":5},{"Not":{"Variable":"$.n","NumericEquals":2}}]`, `{"n":2}`, false},
		{`"Variable":"$$.Execution.Name","StringEquals":"ex"`, `{}`, true},
	}
	for _, tc := range tests {
		def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{` + tc.rule + `,"Next":"Yes"}],"Default":"No"},
		  "Yes":{"Type":"Pass","Result":"yes","End":true},"No":{"Type":"Pass","Result":"no","End":true}}}`
		run, _ := runMachine(t, def, tc.input, nil)
		want := `"no"`
		if tc.match {
			want = `"yes"`
		}
		if string(run.Output()) != want {
			e, c := run.Error()
			t.Errorf("rule %s on %s: output %s (%s %s %s), want %s", tc.rule, tc.input, run.Output(), run.Status(), e, c, want)
		}
	}
}

func TestChoiceNoMatch(t *testing.T) {
	def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"S"}]},"S":{"Type":"Succeed"}}}`
	run, x := runMachine(t, def, `{"n":2}`, nil)
	if e, _ := run.Error(); run.Status() != StatusFailed || e != ErrNoChoiceMatched {
		t.Errorf("status %s error %s", run.Status(), e)
	}
	if got := summary(x.events); got != "1/0:ExecutionStarted 2/0:ChoiceStateEntered 3/2:ExecutionFailed" {
		t.Errorf("history %s", got)
	}
}

func TestFailState(t *testing.T) {
	def := `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('bad {}', $.c)"}}}`
	run, _ := runMachine(t, def, `{"e":"MyError","c":"thing"}`, nil)
	if e, c := run.Error(); e != "MyError" || c != "bad thing" {
		t.Errorf("error %q cause %q", e, c)
	}
}

func TestWaitTimers(t *testing.T) {
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","Next":"U"},"U":{"Type":"Wait","Timestamp":"2030-01-01T00:00:00Z","End":true}}}`
	m, _ := Parse([]byte(def))
	run, _, acts, err := Start(m, testCtx(), json.RawMessage(`{"s":10}`), t0)
	if err != nil || len(acts) != 1 || acts[0].Kind != KindTimer || !acts[0].Until.Equal(t0.Add(10*time.Second)) || acts[0].State != "W" {
		t.Fatalf("first action %+v err %v", acts, err)
	}
	evs, acts, _ := run.Complete(m, acts[0].ID, Result{}, t0.Add(10*time.Second))
	if len(acts) != 1 || !acts[0].Until.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || summary(evs) != "3/2:WaitStateExited 4/3:WaitStateEntered" {
		t.Fatalf("after first timer: %s %+v", summary(evs), acts)
	}
	if evs, _, err := run.Complete(m, "9.99", Result{}, t0); evs != nil || err != nil {
		t.Errorf("unknown action: %v %v", evs, err)
	}
	evs = run.Stop("Manual", "stopped by test", t0.Add(time.Minute))
	if run.Status() != StatusAborted || len(evs) != 1 || evs[0].Type != "ExecutionAborted" || evs[0].ExecutionAbortedEventDetails.Cause != "stopped by test" {
		t.Errorf("stop: %s %+v", run.Status(), evs)
	}
	if len(run.PendingActions()) != 0 {
		t.Errorf("pending after stop: %+v", run.PendingActions())
	}
}

func TestExecutionTimeout(t *testing.T) {
	def := `{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`
	m, _ := Parse([]byte(def))
	run, _, acts, _ := Start(m, testCtx(), json.RawMessage(`{}`), t0)
	if len(acts) != 2 {
		t.Fatalf("actions %+v", acts)
	}
	evs, _, _ := run.Complete(m, acts[0].ID, Result{}, t0.Add(5*time.Second))
	if run.Status() != StatusTimedOut || len(evs) != 1 || evs[0].Type != "ExecutionTimedOut" {
		t.Errorf("status %s events %s", run.Status(), summary(evs))
	}
}

func TestVariables(t *testing.T) {
	def := `{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Assign":{"x":1,"y.$":"$.in"},"Next":"B"},
	  "B":{"Type":"Pass","Assign":{"x":2,"old.$":"$x"},"Parameters":{"x.$":"$x","y.$":"$y"},"Next":"C"},
	  "C":{"Type":"Pass","Parameters":{"x.$":"$x","old.$":"$old","sum.$":"States.MathAdd($x, $old)"},"End":true}}}`
	run, x := runMachine(t, def, `{"in":"v"}`, nil)
	if string(run.Output()) != `{"old":1,"sum":3,"x":2}` {
		t.Errorf("output %s", run.Output())
	}
	av := x.events[2].StateExitedEventDetails.AssignedVariables
	if av["x"] != "1" || av["y"] != `"v"` {
		t.Errorf("assignedVariables %v", av)
	}
}

func TestParallelAndMapActions(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.keys","MaxConcurrency":2,
	  "ItemSelector":{"key.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
	  "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:deleteAccessKey","End":true}}},"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	run, _, acts, _ := Start(m, testCtx(), json.RawMessage(`{"keys":["k0","k1","k2"]}`), t0)
	if len(acts) != 2 || string(acts[0].Input) != `{"i":0,"key":"k0"}` || string(acts[1].Input) != `{"i":1,"key":"k1"}` {
		t.Fatalf("want two concurrent tasks, got %+v", acts)
	}
	// Complete out of order: the second iteration first.
	_, more, _ := run.Complete(m, acts[1].ID, Result{Output: json.RawMessage(`"r1"`)}, t0)
	if len(more) != 1 || string(more[0].Input) != `{"i":2,"key":"k2"}` {
		t.Fatalf("third iteration not started: %+v", more)
	}
	run.Complete(m, acts[0].ID, Result{Output: json.RawMessage(`"r0"`)}, t0)
	run.Complete(m, more[0].ID, Result{Output: json.RawMessage(`"r2"`)}, t0)
	if run.Status() != StatusSucceeded || string(run.Output()) != `["r0","r1","r2"]` {
		t.Errorf("status %s output %s", run.Status(), run.Output())
	}
}

func TestParallelBranchFailureAborts(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
	  {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","End":true}}},
	  {"StartAt":"B","States":{"B":{"Type":"Fail","Error":"Boom","Cause":"b"}}}],
	  "Catch":[{"ErrorEquals":["Boom"],"Next":"Done"}],"End":true},"Done":{"Type":"Pass","End":true}}}`
	m, _ := Parse([]byte(def))
	run, evs, acts, _ := Start(m, testCtx(), json.RawMessage(`{}`), t0)
	if run.Status() != StatusSucceeded || string(run.Output()) != `{"Cause":"b","Error":"Boom"}` {
		t.Fatalf("status %s output %s history %s", run.Status(), run.Output(), summary(evs))
	}
	if len(acts) != 1 || len(run.PendingActions()) != 0 {
		t.Errorf("the aborted branch's task must not stay pending: %+v", run.PendingActions())
	}
	if evs2, _, err := run.Complete(m, acts[0].ID, Result{Output: json.RawMessage(`{}`)}, t0); evs2 != nil || err != nil {
		t.Errorf("late completion produced %v %v", evs2, err)
	}
}

func TestTaskToken(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
	  "Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},"End":true}}}`
	m, _ := Parse([]byte(def))
	_, evs, acts, _ := Start(m, testCtx(), json.RawMessage(`{}`), t0)
	if len(acts) != 1 || acts[0].TaskToken == "" || !strings.Contains(string(acts[0].Input), acts[0].TaskToken) {
		t.Fatalf("action %+v", acts)
	}
	if d := evs[2].TaskScheduledEventDetails; d.ResourceType != "sqs" || d.Resource != "sendMessage.waitForTaskToken" {
		t.Errorf("scheduled %+v", d)
	}
}

func TestDeterministicRandomness(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"u.$":"States.UUID()","r.$":"States.MathRandom(0, 1000)"},"End":true}}}`
	a, _ := runMachine(t, def, `{}`, nil)
	b, _ := runMachine(t, def, `{}`, nil)
	if string(a.Output()) != string(b.Output()) {
		t.Errorf("same seed gave %s and %s", a.Output(), b.Output())
	}
	var out struct{ U string }
	json.Unmarshal(a.Output(), &out)
	if len(out.U) != 36 || out.U[14] != '4' {
		t.Errorf("not a v4 UUID: %q", out.U)
	}
}
