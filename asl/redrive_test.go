package asl

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// step completes action a and returns the new events and actions,
// round-tripping the run through JSON as the service does.
func step(t *testing.T, m *Machine, run **Run, id string, res Result) ([]HistoryEvent, []Action) {
	t.Helper()
	b, err := json.Marshal(*run)
	if err != nil {
		t.Fatal(err)
	}
	*run = &Run{}
	if err := json.Unmarshal(b, *run); err != nil {
		t.Fatal(err)
	}
	evs, acts, err := (*run).Complete(m, id, res, t0)
	if err != nil {
		t.Fatal(err)
	}
	return evs, acts
}

func mustParse(t *testing.T, def string) *Machine {
	t.Helper()
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRedriveFailedTask(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"n":1},"Next":"T"},
	  "T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:getUser","Retry":[{"ErrorEquals":["Nope"],"MaxAttempts":0}],"End":true}}}`
	m := mustParse(t, def)
	run, evs, acts, _ := Start(m, testCtx(), json.RawMessage(`{}`), t0)
	more, _ := step(t, m, &run, acts[0].ID, Result{Error: "Iam.NoSuchEntityException", Cause: "no"})
	evs = append(evs, more...)
	if run.Status() != StatusFailed {
		t.Fatalf("status %s", run.Status())
	}
	if _, _, err := run.Complete(m, acts[0].ID, Result{}, t0); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(run)
	run = &Run{}
	json.Unmarshal(b, run)
	more, acts, err := run.Redrive(m, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	evs = append(evs, more...)
	if len(acts) != 1 || string(acts[0].Input) != `{"n":1}` {
		t.Fatalf("redriven task %+v", acts)
	}
	more, _ = step(t, m, &run, acts[0].ID, Result{Output: json.RawMessage(`{"ok":true}`)})
	evs = append(evs, more...)
	want := "1/0:ExecutionStarted 2/0:PassStateEntered 3/2:PassStateExited 4/3:TaskStateEntered 5/4:TaskScheduled 6/5:TaskStarted 7/6:TaskFailed 8/7:ExecutionFailed " +
		"9/0:ExecutionRedriven 10/9:TaskStateEntered 11/10:TaskScheduled 12/11:TaskStarted 13/12:TaskSucceeded 14/13:TaskStateExited 15/14:ExecutionSucceeded"
	if got := summary(evs); got != want || run.Status() != StatusSucceeded || string(run.Output()) != `{"ok":true}` {
		t.Errorf("history\n got  %s\n want %s\nstatus %s output %s", got, want, run.Status(), run.Output())
	}
	if evs[8].ExecutionRedrivenEventDetails == nil || evs[8].ExecutionRedrivenEventDetails.RedriveCount != 1 || run.Ctx.RedriveCount != 1 {
		t.Errorf("redriven details %+v", evs[8])
	}
	if _, _, err := run.Redrive(m, t0); err == nil {
		t.Errorf("redriving a succeeded run must fail")
	}
}

func TestRedriveParallelRerunsOnlyFailedBranch(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
	  {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:getUser","End":true}}},
	  {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:listUsers","End":true}}},
	  {"StartAt":"C","States":{"C":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:listRoles","End":true}}}],"End":true}}}`
	m := mustParse(t, def)
	run, _, acts, _ := Start(m, testCtx(), json.RawMessage(`{}`), t0)
	if len(acts) != 3 {
		t.Fatalf("actions %+v", acts)
	}
	step(t, m, &run, acts[0].ID, Result{Output: json.RawMessage(`"a"`)})
	evs, _ := step(t, m, &run, acts[1].ID, Result{Error: "Boom", Cause: "b"})
	// The failing branch's state and the running sibling are aborted.
	if got, want := summary(evs), "15/9:TaskFailed 16/15:TaskStateAborted 17/15:TaskStateAborted 18/15:ParallelStateFailed 19/18:ExecutionFailed"; got != want {
		t.Errorf("failure events\n got  %s\n want %s", got, want)
	}
	if run.Status() != StatusFailed {
		t.Fatalf("status %s", run.Status())
	}
	_, acts, err := run.Redrive(m, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 2 || acts[0].Resource != "arn:aws:states:::aws-sdk:iam:listUsers" || acts[1].Resource != "arn:aws:states:::aws-sdk:iam:listRoles" {
		t.Fatalf("redrive must rerun the failed and the aborted branch only: %+v", acts)
	}
	step(t, m, &run, acts[0].ID, Result{Output: json.RawMessage(`"b"`)})
	step(t, m, &run, acts[1].ID, Result{Output: json.RawMessage(`"c"`)})
	if run.Status() != StatusSucceeded || string(run.Output()) != `["a","b","c"]` {
		t.Errorf("status %s output %s", run.Status(), run.Output())
	}
}

func TestRedriveMapIteration(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{
	  "T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:getUser","End":true}}},"End":true}}}`
	m := mustParse(t, def)
	run, _, acts, _ := Start(m, testCtx(), json.RawMessage(`[1,2,3]`), t0)
	step(t, m, &run, acts[0].ID, Result{Output: json.RawMessage(`10`)})
	step(t, m, &run, acts[2].ID, Result{Output: json.RawMessage(`30`)})
	evs, _ := step(t, m, &run, acts[1].ID, Result{Error: "Boom"})
	if got := summary(evs); !strings.Contains(got, "MapIterationFailed") || !strings.Contains(got, "TaskStateAborted") || !strings.Contains(got, "MapStateFailed") {
		t.Errorf("failure events %s", got)
	}
	evs, acts, err := run.Redrive(m, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || string(acts[0].Input) != `2` {
		t.Fatalf("redrive must rerun iteration 1 only: %+v", acts)
	}
	if got := summary(evs); !strings.Contains(got, ":ExecutionRedriven") || !strings.Contains(got, ":MapIterationStarted") {
		t.Errorf("redrive events %s", got)
	}
	step(t, m, &run, acts[0].ID, Result{Output: json.RawMessage(`20`)})
	if run.Status() != StatusSucceeded || string(run.Output()) != `[10,20,30]` {
		t.Errorf("status %s output %s", run.Status(), run.Output())
	}
}

func TestRedriveAfterStopAndTimeout(t *testing.T) {
	def := `{"TimeoutSeconds":30,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"P"},"P":{"Type":"Pass","End":true}}}`
	m := mustParse(t, def)
	run, _, _, _ := Start(m, testCtx(), json.RawMessage(`{"a":1}`), t0)
	if evs := run.Stop("", "", t0); len(evs) != 1 || evs[0].PreviousEventID != 0 {
		t.Fatalf("ExecutionAborted must follow no event: %s", summary(evs))
	}
	evs, acts, err := run.Redrive(m, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if summary(evs) != "4/0:ExecutionRedriven 5/4:WaitStateEntered" || len(acts) != 2 {
		t.Fatalf("redrive %s %+v", summary(evs), acts)
	}
	// The execution timeout starts over at the redrive.
	if !acts[0].Until.Equal(t0.Add(time.Minute+30*time.Second)) || acts[1].State != "W" {
		t.Errorf("timers %+v", acts)
	}
	step(t, m, &run, acts[0].ID, Result{})
	if run.Status() != StatusTimedOut {
		t.Fatalf("status %s", run.Status())
	}
	_, acts, _ = run.Redrive(m, t0)
	step(t, m, &run, acts[1].ID, Result{})
	if run.Status() != StatusSucceeded || string(run.Output()) != `{"a":1}` || run.Ctx.RedriveCount != 2 {
		t.Errorf("status %s output %s redrives %d", run.Status(), run.Output(), run.Ctx.RedriveCount)
	}
}
