package asl

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSubmittedAndActivityEvents(t *testing.T) {
	def := `{"StartAt":"C","States":{
	  "C":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken","Parameters":{"Message.$":"$$.Task.Token"},"Next":"A"},
	  "A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:000000000000:activity:work","TimeoutSeconds":60,"HeartbeatSeconds":10,"End":true}}}`
	m := mustParse(t, def)
	run, evs, acts, _ := Start(m, testCtx(), json.RawMessage(`{"x":1}`), t0)
	sub := run.Submitted(m, acts[0].ID, json.RawMessage(`{"MessageId": "m"}`), t0)
	if len(sub) != 1 || sub[0].Type != "TaskSubmitted" || sub[0].PreviousEventID != 4 || *sub[0].TaskSubmittedEventDetails.Output != `{"MessageId":"m"}` ||
		sub[0].TaskSubmittedEventDetails.Resource != "publish.waitForTaskToken" {
		t.Fatalf("submitted %+v", sub)
	}
	if run.Submitted(m, "9.9", nil, t0) != nil || run.ActivityStarted(m, acts[0].ID, "w", t0) != nil {
		t.Errorf("progress for unknown or mismatched actions must be ignored")
	}
	evs = append(evs, sub...)
	more, acts := step(t, m, &run, acts[0].ID, Result{Output: json.RawMessage(`{"y":2}`)})
	evs = append(evs, more...)
	if len(acts) != 1 || acts[0].TaskToken == "" || acts[0].TimeoutSeconds != 60 || acts[0].HeartbeatSeconds != 10 {
		t.Fatalf("activity action %+v", acts)
	}
	started := run.ActivityStarted(m, acts[0].ID, "worker-1", t0)
	evs = append(evs, started...)
	more, _ = step(t, m, &run, acts[0].ID, Result{Error: ErrHeartbeatTimeout})
	evs = append(evs, more...)
	want := "1/0:ExecutionStarted 2/0:TaskStateEntered 3/2:TaskScheduled 4/3:TaskStarted 5/4:TaskSubmitted 6/5:TaskSucceeded 7/6:TaskStateExited " +
		"8/7:TaskStateEntered 9/8:ActivityScheduled 10/9:ActivityStarted 11/10:ActivityTimedOut 12/11:ExecutionFailed"
	if got := summary(evs); got != want {
		t.Errorf("history\n got  %s\n want %s", got, want)
	}
	if d := evs[9].ActivityStartedEventDetails; d == nil || d.WorkerName != "worker-1" {
		t.Errorf("ActivityStarted %+v", d)
	}
	if d := evs[8].ActivityScheduledEventDetails; d.Input != `{"y":2}` || d.TimeoutInSeconds != 60 || d.HeartbeatInSecs != 10 {
		t.Errorf("ActivityScheduled %+v", d)
	}
}

func TestMissingActivity(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:000000000000:activity:gone","End":true}}}`
	m := mustParse(t, def)
	c := testCtx()
	c.ActivityExists = func(arn string) bool { return false }
	run, evs, acts, _ := Start(m, c, json.RawMessage(`{}`), t0)
	errName, cause := run.Error()
	if len(acts) != 0 || summary(evs) != "1/0:ExecutionStarted 2/0:TaskStateEntered 3/2:ExecutionFailed" || errName != ErrRuntime ||
		cause != "An error occurred while executing the state 'A' (entered at the event id #2). The activity arn:aws:states:us-east-1:000000000000:activity:gone does not exist." {
		t.Errorf("%s %s %s", summary(evs), errName, cause)
	}
}

func TestDataLimitExceeded(t *testing.T) {
	big := `"` + strings.Repeat("a", MaxPayloadBytes) + `"`
	pass := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":` + big + `,"End":true}}}`
	run, x := runMachine(t, pass, `{}`, nil)
	e, cause := run.Error()
	if run.Status() != StatusFailed || e != ErrDataLimitExceeded || summary(x.events) != "1/0:ExecutionStarted 2/0:PassStateEntered 3/2:ExecutionFailed" ||
		cause != "The state/task 'P' returned a result with a size exceeding the maximum number of bytes service limit." {
		t.Errorf("pass: %s %s %s %s", run.Status(), e, cause, summary(x.events))
	}
	task := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
	  "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Wrong"},{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
	  "Wrong":{"Type":"Fail"},"Caught":{"Type":"Pass","End":true}}}`
	run, x = runMachine(t, task, `{}`, ok(big))
	if run.Status() != StatusSucceeded || x.events[4].Type != "TaskFailed" || x.events[4].TaskFailedEventDetails.Error != ErrDataLimitExceeded ||
		!strings.Contains(string(run.Output()), "The state/task 'lambda' returned a result") {
		t.Errorf("task: %s %s %s", run.Status(), run.Output(), summary(x.events))
	}
}

func TestTaskTokensAreKeyed(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken",
	  "Parameters":{"Message.$":"States.UUID()"},"End":true}}}`
	m := mustParse(t, def)
	tokens := map[string]bool{}
	uuids := map[string]bool{}
	for _, key := range []string{"", "k1", "k2"} {
		c := testCtx()
		c.Seed = 42
		if key != "" {
			c.TokenKey = []byte(key)
		}
		_, _, acts, _ := Start(m, c, json.RawMessage(`{}`), t0)
		tok := acts[0].TaskToken
		if len(tok) < 40 || tokens[tok] {
			t.Errorf("token %q is short or repeats", tok)
		}
		tokens[tok] = true
		uuids[string(acts[0].Input)] = true
		// Same inputs give the same token: the interpreter stays deterministic.
		_, _, again, _ := Start(m, c, json.RawMessage(`{}`), t0)
		if again[0].TaskToken != tok {
			t.Errorf("token not deterministic: %q vs %q", again[0].TaskToken, tok)
		}
	}
	if len(uuids) != 1 {
		t.Errorf("the token key must not change the run's random stream: %v", uuids)
	}
}
