package asl

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"
)

// Error names defined by the States language.
const (
	ErrAll                   = "States.ALL"
	ErrRuntime               = "States.Runtime"
	ErrTimeout               = "States.Timeout"
	ErrHeartbeatTimeout      = "States.HeartbeatTimeout"
	ErrTaskFailed            = "States.TaskFailed"
	ErrNoChoiceMatched       = "States.NoChoiceMatched"
	ErrIntrinsicFailure      = "States.IntrinsicFailure"
	ErrParameterPathFailure  = "States.ParameterPathFailure"
	ErrResultPathMatchFail   = "States.ResultPathMatchFailure"
	ErrBranchFailed          = "States.BranchFailed"
	ErrExceedToleratedFail   = "States.ExceedToleratedFailureThreshold"
	ErrQueryEvaluationError  = "States.QueryEvaluationError"
	ErrDataLimitExceeded     = "States.DataLimitExceeded"
	ErrPermissions           = "States.Permissions"
	ErrItemReaderFailed      = "States.ItemReaderFailed"
	ErrResultWriterFailed    = "States.ResultWriterFailed"
	ErrHTTPSocket            = "States.Http.Socket"
	maxHistoryEvents         = 25000
	defaultRegionPlaceholder = "us-east-1"
)

// Run statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// Action kinds.
const (
	KindTask  = "task"
	KindTimer = "timer"
)

// Context describes the execution; it feeds the $$ context object and
// history details.
type Context struct {
	ExecutionArn     string
	ExecutionName    string
	StateMachineArn  string
	StateMachineName string
	RoleArn          string
	StartTime        time.Time
	// Region fills TaskScheduled events; when empty it comes from
	// StateMachineArn.
	Region string `json:",omitempty"`
	// Seed seeds the run's pseudo-random source (States.UUID,
	// States.MathRandom, retry jitter). Zero derives a seed from
	// ExecutionArn.
	Seed uint64 `json:",omitempty"`
	// TokenKey keys the hash that task tokens are derived from. Tokens
	// are unguessable when it is secret and random (a service passes 32
	// bytes from crypto/rand); empty derives a key from Seed, which keeps
	// tests deterministic.
	TokenKey []byte `json:",omitempty"`
	// RedriveCount is $$.Execution.RedriveCount; Run.Redrive raises it.
	RedriveCount int `json:",omitempty"`
	// Express marks an EXPRESS execution: AWS leaves RedriveCount out of
	// its $$.Execution, as Express executions cannot be redriven.
	Express bool `json:",omitempty"`
	// ActivityExists, when set, is asked before an activity task is
	// scheduled; a missing activity fails the state as AWS does. It is
	// not stored with the run: set it again before each call.
	ActivityExists func(activityArn string) bool `json:"-"`
}

// An Action is work the service must do and then report with Complete.
type Action struct {
	ID               string          `json:"id"`
	Kind             string          `json:"kind"`
	Resource         string          `json:"resource,omitempty"`
	Input            json.RawMessage `json:"input,omitempty"`
	TimeoutSeconds   int             `json:"timeoutSeconds,omitempty"`
	HeartbeatSeconds int             `json:"heartbeatSeconds,omitempty"`
	Until            time.Time       `json:"until,omitzero"`
	State            string          `json:"state"`
	// TaskToken is set for .waitForTaskToken resources and activities:
	// the token the service hands out and later matches with
	// SendTaskSuccess/Failure.
	TaskToken string `json:"taskToken,omitempty"`
}

// Result is the outcome of an Action. Error == "" means success; a timer
// completes with Result{}. A task that timed out completes with Error
// States.Timeout (or States.HeartbeatTimeout).
type Result struct {
	Output json.RawMessage
	Error  string
	Cause  string
}

// A Run is the whole state of one execution. It holds only exported,
// JSON-serialisable data so a service can store it between transitions.
type Run struct {
	Ctx         Context           `json:"context"`
	Input       json.RawMessage   `json:"input"`
	RunStatus   string            `json:"status"`
	RunOutput   json.RawMessage   `json:"output,omitempty"`
	ErrName     string            `json:"error,omitempty"`
	ErrCause    string            `json:"cause,omitempty"`
	LastEventID int64             `json:"lastEventId"`
	ActionSeq   int64             `json:"actionSeq"`
	ThreadSeq   int64             `json:"threadSeq"`
	Threads     map[int64]*Thread `json:"threads"`
	Pending     []Action          `json:"pending"`
	Rand        uint64            `json:"rand"`
	TokenSeq    int64             `json:"tokenSeq,omitempty"`
	// Parked holds the Parallel branches and Map iterations that failed
	// or were cancelled while their state's failure ended the run, so
	// that Redrive can run them again.
	Parked map[int64]*Thread `json:"parked,omitempty"`

	probe *probe // set by TestState only
}

// A Thread is one line of control: the execution itself, a Parallel
// branch or a Map iteration.
type Thread struct {
	ID          int64                      `json:"id"`
	Parent      int64                      `json:"parent,omitempty"`
	Scope       string                     `json:"scope,omitempty"`
	Index       int                        `json:"index"`
	State       string                     `json:"state"`
	Input       json.RawMessage            `json:"input"`
	Entered     bool                       `json:"entered,omitempty"`
	EnteredID   int64                      `json:"enteredId"`
	EnteredPrev int64                      `json:"enteredPrev"`
	EnteredTime time.Time                  `json:"enteredTime"`
	Last        int64                      `json:"last"`
	Attempts    []int                      `json:"attempts,omitempty"`
	RetryCount  int                        `json:"retryCount,omitempty"`
	Phase       string                     `json:"phase,omitempty"`
	Action      string                     `json:"action,omitempty"`
	Params      json.RawMessage            `json:"params,omitempty"`
	Vars        map[string]json.RawMessage `json:"vars,omitempty"`
	Fan         *Fanout                    `json:"fan,omitempty"`
	Submitted   string                     `json:"submitted,omitempty"` // the task action whose TaskSubmitted is recorded
	// Halted is the Fanout of a Parallel or Map state that failed; its
	// unfinished children are parked until the failure is handled.
	Halted *Fanout `json:"halted,omitempty"`
	// Silent threads are distributed Map iterations: their events
	// belong to child executions, not to this history.
	Silent bool `json:"silent,omitempty"`
}

// Fanout tracks the children of a Parallel or Map state.
type Fanout struct {
	Items     []json.RawMessage `json:"items"`
	Results   []json.RawMessage `json:"results"`
	Running   []int64           `json:"running,omitempty"`
	Started   int               `json:"started"`
	Finished  int               `json:"finished"`
	Failed    int               `json:"failed"`
	Max       int               `json:"max,omitempty"`
	TolCount  int               `json:"tolCount"`
	TolPct    float64           `json:"tolPct"`
	HasTol    bool              `json:"hasTol,omitempty"`
	LastEvent int64             `json:"lastEvent"`
	MapRun    string            `json:"mapRun,omitempty"`
}

// Status is RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
func (r *Run) Status() string { return r.RunStatus }

// Output is the execution output once it has succeeded.
func (r *Run) Output() json.RawMessage { return r.RunOutput }

// Error is the error name and cause of a failed, timed-out or aborted
// run.
func (r *Run) Error() (errName, cause string) { return r.ErrName, r.ErrCause }

// PendingActions lists the actions still awaited, so a service can drop
// work (e.g. timers) that the run no longer expects.
func (r *Run) PendingActions() []Action { return append([]Action(nil), r.Pending...) }

// Start begins an execution of m with input. It returns the run, the
// first history events and the actions the service must perform.
func Start(m *Machine, c Context, input json.RawMessage, now time.Time) (*Run, []HistoryEvent, []Action, error) {
	if m == nil || m.root == nil {
		return nil, nil, nil, fmt.Errorf("asl: start: machine is not parsed")
	}
	in, err := decodeJSON(input)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("asl: start: invalid input: %w", err)
	}
	if c.StartTime.IsZero() {
		c.StartTime = now
	}
	r := &Run{Ctx: c, Input: rawOf(in), RunStatus: StatusRunning, Threads: map[int64]*Thread{}}
	r.Rand = c.Seed
	if r.Rand == 0 {
		h := fnv.New64a()
		h.Write([]byte(c.ExecutionArn + "|" + c.ExecutionName))
		r.Rand = h.Sum64() | 1
	}
	x := &exec{m: m, r: r, now: now}
	x.emit(0, "ExecutionStarted", func(e *HistoryEvent) {
		e.ExecutionStartedEventDetails = &ExecutionStartedDetails{Input: string(input), InputDetails: tr(), RoleArn: c.RoleArn}
	})
	if m.TimeoutSeconds > 0 {
		x.addAction(Action{Kind: KindTimer, Until: c.StartTime.Add(time.Duration(m.TimeoutSeconds) * time.Second), State: ""}, 0)
	}
	root := x.newThread(0, "", 0, m.StartAt, r.Input)
	root.Last = 0
	x.queue = append(x.queue, root.ID)
	x.drain()
	return r, x.events, x.actions, nil
}

// Complete feeds back the result of the action with the given id. An
// unknown or no longer awaited id is ignored (nil events, nil error), so
// late results of aborted work are harmless.
func (r *Run) Complete(m *Machine, actionID string, res Result, now time.Time) ([]HistoryEvent, []Action, error) {
	if m == nil || m.root == nil {
		return nil, nil, fmt.Errorf("asl: complete: machine is not parsed")
	}
	if r.RunStatus != StatusRunning {
		return nil, nil, nil
	}
	idx := -1
	for i, a := range r.Pending {
		if a.ID == actionID {
			idx = i
		}
	}
	if idx < 0 {
		return nil, nil, nil
	}
	act := r.Pending[idx]
	r.Pending = append(r.Pending[:idx], r.Pending[idx+1:]...)
	x := &exec{m: m, r: r, now: now}
	owner := actionOwner(act.ID)
	if owner == 0 {
		x.timeoutExecution()
		return x.events, x.actions, nil
	}
	t := r.Threads[owner]
	if t == nil || t.Action != act.ID {
		return nil, nil, nil
	}
	t.Action = ""
	x.mute = t.Silent
	if err := x.resume(t, act, res); err != nil {
		return x.events, x.actions, err
	}
	x.drain()
	return x.events, x.actions, nil
}

// Stop aborts the run (StopExecution) and returns the ExecutionAborted
// event. Pending actions are dropped.
func (r *Run) Stop(errName, cause string, now time.Time) []HistoryEvent {
	if r.RunStatus != StatusRunning {
		return nil
	}
	x := &exec{r: r, now: now}
	// AWS links ExecutionAborted to no event: StopExecution caused it.
	x.emit(0, "ExecutionAborted", func(e *HistoryEvent) {
		e.ExecutionAbortedEventDetails = &ErrorDetails{Error: errName, Cause: cause}
	})
	x.finish(StatusAborted, nil, errName, cause)
	return x.events
}

// exec carries one Start/Complete call's work.
type exec struct {
	m       *Machine
	r       *Run
	now     time.Time
	events  []HistoryEvent
	actions []Action
	queue   []int64
	mute    bool // events of silent threads are not recorded
}

func tr() *Truncation { return &Truncation{} }

func (x *exec) emit(prev int64, typ string, fill func(*HistoryEvent)) int64 {
	if x.mute {
		return 0
	}
	x.r.LastEventID++
	e := HistoryEvent{ID: x.r.LastEventID, PreviousEventID: prev, Timestamp: x.now, Type: typ}
	if fill != nil {
		fill(&e)
	}
	x.events = append(x.events, e)
	return e.ID
}

// action ids are "<thread>.<seq>" so a completion finds its thread; the
// execution timeout timer belongs to thread 0.
func (x *exec) addAction(a Action, thread int64) string {
	x.r.ActionSeq++
	a.ID = fmt.Sprintf("%d.%d", thread, x.r.ActionSeq)
	x.r.Pending = append(x.r.Pending, a)
	x.actions = append(x.actions, a)
	return a.ID
}

func actionOwner(id string) int64 {
	var t, s int64
	if _, err := fmt.Sscanf(id, "%d.%d", &t, &s); err != nil {
		return -1
	}
	return t
}

func (x *exec) newThread(parent int64, scopeID string, index int, start string, input json.RawMessage) *Thread {
	x.r.ThreadSeq++
	t := &Thread{ID: x.r.ThreadSeq, Parent: parent, Scope: scopeID, Index: index, State: start, Input: input}
	x.r.Threads[t.ID] = t
	return t
}

// drain runs queued threads until each blocks or ends.
func (x *exec) drain() {
	for len(x.queue) > 0 && x.r.RunStatus == StatusRunning {
		id := x.queue[0]
		x.queue = x.queue[1:]
		t := x.r.Threads[id]
		if t == nil {
			continue
		}
		x.mute = t.Silent
		x.runThread(t)
		x.mute = false
		if x.r.LastEventID > maxHistoryEvents {
			x.emit(x.r.LastEventID, "ExecutionFailed", func(e *HistoryEvent) {
				e.ExecutionFailedEventDetails = &ErrorDetails{Error: ErrRuntime, Cause: "The execution reached the maximum number of history events (25000)."}
			})
			x.finish(StatusFailed, nil, ErrRuntime, "The execution reached the maximum number of history events (25000).")
		}
	}
}

// finish ends the run and drops all pending work. An unsuccessful run
// keeps its threads: Redrive resumes them.
func (x *exec) finish(status string, out json.RawMessage, errName, cause string) {
	x.r.RunStatus = status
	x.r.RunOutput = out
	x.r.ErrName, x.r.ErrCause = errName, cause
	x.r.Pending = nil
	if status == StatusSucceeded {
		x.r.Threads = map[int64]*Thread{}
		x.r.Parked = nil
	}
	x.queue = nil
}

func (x *exec) timeoutExecution() {
	const cause = "Execution timed out."
	x.emit(x.r.LastEventID, "ExecutionTimedOut", func(e *HistoryEvent) {
		e.ExecutionTimedOutEventDetails = &ErrorDetails{Error: ErrTimeout, Cause: ""}
	})
	_ = cause
	x.finish(StatusTimedOut, nil, ErrTimeout, "")
}

// lookupVar finds a variable in t's scope chain.
func (x *exec) lookupVar(t *Thread, name string) (any, bool) {
	for t != nil {
		if raw, ok := t.Vars[name]; ok {
			return valueOf(raw), true
		}
		if t.Parent == 0 {
			break
		}
		t = x.r.Threads[t.Parent]
	}
	return nil, false
}

// rand64 advances the run's splitmix64 source.
func (x *exec) rand64() uint64 {
	x.r.Rand += 0x9e3779b97f4a7c15
	z := x.r.Rand
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// taskToken derives the token of a new callback task from a keyed hash
// rather than from the run's pseudo-random stream, so that neither a
// token nor a States.UUID value reveals another token.
func (x *exec) taskToken() string {
	x.r.TokenSeq++
	key := x.r.Ctx.TokenKey
	if len(key) == 0 {
		key = binary.LittleEndian.AppendUint64([]byte("asl-token|"), x.r.Ctx.Seed)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s\x00%d", x.r.Ctx.ExecutionArn, x.r.TokenSeq)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (x *exec) uuid() string {
	a, b := x.rand64(), x.rand64()
	a = a&^(0xf<<12) | 4<<12
	b = b&^(3<<62) | 2<<62
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func (x *exec) env(t *Thread, input any, st *State) *env {
	return &env{
		input: input,
		ctxf:  func() any { return x.contextObject(t, st) },
		vars:  func(n string) (any, bool) { return x.lookupVar(t, n) },
		rnd: func(seed *int64, n int64) int64 {
			if seed != nil {
				s := uint64(*seed)*0x9e3779b97f4a7c15 + 1
				return int64(s>>1) % n
			}
			return int64(x.rand64()>>1) % n
		},
		uuidf: x.uuid,
		now:   x.now,
	}
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// contextObject builds $$ for thread t in state st.
func (x *exec) contextObject(t *Thread, st *State) map[string]any {
	c := x.r.Ctx
	state := map[string]any{"Name": t.State, "EnteredTime": isoTime(t.EnteredTime)}
	if st != nil && st.Type == "Task" {
		state["RetryCount"] = intNumber(int64(t.RetryCount))
	}
	execution := map[string]any{
		"Id": c.ExecutionArn, "Input": valueOf(x.r.Input), "Name": c.ExecutionName,
		"RoleArn": c.RoleArn, "StartTime": isoTime(c.StartTime),
	}
	if !c.Express {
		execution["RedriveCount"] = intNumber(int64(c.RedriveCount))
	}
	obj := map[string]any{
		"Execution":    execution,
		"StateMachine": map[string]any{"Id": c.StateMachineArn, "Name": c.StateMachineName},
		"State":        state,
	}
	if p := x.r.probe; p != nil && p.ctx != nil {
		obj = mergeObject(obj, deepCopy(p.ctx).(map[string]any))
	}
	return obj
}

// region is the region named in TaskScheduled events.
func (x *exec) region(resource string) string {
	if x.r.Ctx.Region != "" {
		return x.r.Ctx.Region
	}
	for _, a := range []string{x.r.Ctx.StateMachineArn, x.r.Ctx.ExecutionArn, resource} {
		if parts := strings.SplitN(a, ":", 6); len(parts) == 6 && parts[3] != "" {
			return parts[3]
		}
	}
	return defaultRegionPlaceholder
}

// errorMatches reports whether a retrier/catcher list matches name.
func errorMatches(list []string, name string) bool {
	for _, e := range list {
		switch {
		case e == name:
			return true
		case name == ErrRuntime:
			// Only an explicit name catches it.
		case e == ErrAll:
			// States.ALL catches States.DataLimitExceeded too (as AWS
			// recorded), though States.TaskFailed does not.
			return true
		case name == ErrDataLimitExceeded:
		case e == ErrTaskFailed && name != ErrTimeout && name != ErrHeartbeatTimeout:
			return true
		}
	}
	return false
}

func sortedIDs(m map[int64]*Thread) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
