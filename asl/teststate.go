package asl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// TestState runs a single state on its own, as Step Functions'
// TestState API does: no history is kept, a Task's call is made through
// Call, a Wait does not wait, and the state's Retry and Catch are
// evaluated without being followed.

// Test statuses.
const (
	TestSucceeded   = "SUCCEEDED"
	TestFailed      = "FAILED"
	TestRetriable   = "RETRIABLE"
	TestCaughtError = "CAUGHT_ERROR"
)

// TestInput is what TestState runs a state with.
type TestInput struct {
	Input     json.RawMessage
	Variables map[string]json.RawMessage
	Context   Context
	Now       time.Time
	// Call performs a Task state's action; it may be nil for other states.
	Call func(Action) Result
	// Mocked says that Call answers with a mocked result (TestState's
	// mock) instead of calling: activities and .sync and
	// .waitForTaskToken tasks can then be tested too.
	Mocked bool
	// ContextObject, when set, is merged over the context object ($$)
	// the state sees.
	ContextObject map[string]any
	// RetrierRetryCount is how many retries the retrier that matches the
	// state's error has made already.
	RetrierRetryCount int
}

// Inspection is the data TestState reports at the DEBUG and TRACE
// levels: the state's data after each processing step, as JSON texts
// (nil when the step did not run).
type Inspection struct {
	Input               json.RawMessage
	AfterInputPath      json.RawMessage
	AfterParameters     json.RawMessage
	AfterArguments      json.RawMessage
	Result              json.RawMessage
	AfterResultSelector json.RawMessage
	AfterResultPath     json.RawMessage
	Variables           json.RawMessage
	// CatchIndex / RetryIndex name the catcher or retrier that matched
	// the state's error (-1: none); RetryBackoffSeconds is the retrier's
	// interval before the next attempt.
	CatchIndex, RetryIndex int
	RetryBackoffSeconds    int
}

// TestResult is the outcome of TestState.
type TestResult struct {
	Status       string // SUCCEEDED, FAILED, RETRIABLE or CAUGHT_ERROR
	Output       json.RawMessage
	Error, Cause string
	NextState    string
	Inspection   Inspection
}

// probe observes a TestState run through hooks in the interpreter.
type probe struct {
	insp    Inspection
	ctx     map[string]any // merged over $$
	retried int            // retries the matching retrier made before

	status string
	output json.RawMessage
	next   string
	err    *failure
}

func (x *exec) note(f func(*Inspection)) {
	if x.r.probe != nil {
		f(&x.r.probe.insp)
	}
}

func (p *probe) retriable(i int, delay time.Duration, f *failure) {
	p.status, p.err = TestRetriable, f
	p.insp.RetryIndex, p.insp.RetryBackoffSeconds = i, int(delay/time.Second)
}

func (p *probe) caught(i int, f *failure) {
	p.status, p.err = TestCaughtError, f
	p.insp.CatchIndex = i
}

func (p *probe) leave(out json.RawMessage, next string) {
	if p.status == "" {
		p.status = TestSucceeded
	}
	p.output, p.next = out, next
}

// ParseState parses definition as either a whole state machine (name
// picks the state; empty means its StartAt) or a single state's
// definition, which is tested under name (default "State"). Transition
// targets of a single state need not exist.
func ParseState(definition []byte, name string) (*Machine, string, error) {
	v, err := decodeJSON(definition)
	if err != nil {
		return nil, "", &DefinitionError{Message: fmt.Sprintf("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: %s'", jsonErrText(err))}
	}
	obj, _ := v.(map[string]any)
	if _, whole := obj["States"]; whole {
		m, err := Parse(definition)
		if err != nil {
			return nil, "", err
		}
		if name == "" {
			name = m.StartAt
		}
		if _, _, ok := m.findState(name); !ok {
			return nil, "", &DefinitionError{Message: fmt.Sprintf("State '%s' does not exist in the definition.", name)}
		}
		return m, name, nil
	}
	if name == "" {
		name = "State"
	}
	p := &parser{m: &Machine{scopes: map[string]*scope{}}, single: true}
	p.top(map[string]any{"StartAt": name, "States": map[string]any{name: v}})
	if len(p.errs) > 0 {
		return nil, "", defErr(p.errs)
	}
	return p.m, name, nil
}

// findState finds a state by name in any scope.
func (m *Machine) findState(name string) (*scope, *State, bool) {
	ids := make([]string, 0, len(m.scopes))
	for id := range m.scopes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if st := m.scopes[id].states[name]; st != nil {
			return m.scopes[id], st, true
		}
	}
	return nil, nil, false
}

// TestState runs state name of m once. Map and Parallel states, activities
// and .sync or .waitForTaskToken tasks cannot be tested this way.
func TestState(m *Machine, name string, in TestInput) (*TestResult, error) {
	sc, st, ok := m.findState(name)
	if !ok {
		return nil, fmt.Errorf("state '%s' does not exist in the definition", name)
	}
	switch rk := classify(st.Resource); {
	case st.Type == "Map" || st.Type == "Parallel":
		return nil, fmt.Errorf("TestState does not support %s states", st.Type)
	case st.Type == "Task" && !in.Mocked && (rk.kind == "activity" || rk.token || strings.Contains(rk.resource, ".sync")):
		return nil, fmt.Errorf("TestState does not support activities or .sync and .waitForTaskToken integrations")
	}
	input, err := decodeJSON(nonEmpty(in.Input))
	if err != nil {
		return nil, fmt.Errorf("invalid input: %w", err)
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := in.Context
	if c.StartTime.IsZero() {
		c.StartTime = now
	}
	r := &Run{Ctx: c, Input: rawOf(input), RunStatus: StatusRunning, Threads: map[int64]*Thread{}, Rand: c.Seed | 1}
	r.probe = &probe{insp: Inspection{Input: rawOf(input), CatchIndex: -1, RetryIndex: -1}, ctx: in.ContextObject, retried: in.RetrierRetryCount}
	x := &exec{m: m, r: r, now: now}
	t := x.newThread(0, sc.id, 0, name, r.Input)
	if len(in.Variables) > 0 {
		t.Vars = in.Variables
		r.probe.insp.Variables = rawOf(mapOfRaw(in.Variables))
	}
	x.queue = append(x.queue, t.ID)
	x.drain()
	for steps := 0; r.RunStatus == StatusRunning && len(r.Pending) > 0 && steps < 100; steps++ {
		a := r.Pending[0]
		res := Result{}
		if a.Kind == KindTask {
			if in.Call == nil {
				return nil, fmt.Errorf("no way to call %s", a.Resource)
			}
			res = in.Call(a)
		}
		if _, _, err := r.Complete(m, a.ID, res, now); err != nil {
			return nil, err
		}
	}
	return r.probe.result(r), nil
}

func (p *probe) result(r *Run) *TestResult {
	res := &TestResult{Status: p.status, Output: p.output, NextState: p.next, Inspection: p.insp}
	if p.err != nil {
		res.Error, res.Cause = p.err.Error, p.err.Cause
	}
	if r.RunStatus == StatusFailed {
		res.Status, res.Output, res.NextState = TestFailed, nil, ""
		res.Error, res.Cause = r.Error()
	}
	if res.Status == TestRetriable {
		res.Output = nil
	}
	return res
}

func nonEmpty(b json.RawMessage) json.RawMessage {
	if len(strings.TrimSpace(string(b))) == 0 {
		return json.RawMessage("{}")
	}
	return b
}

func mapOfRaw(m map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = valueOf(v)
	}
	return out
}

// Lookup returns the state with the given name in any scope of m, or nil.
func (m *Machine) Lookup(name string) *State {
	_, st, _ := m.findState(name)
	return st
}

// mergeObject returns over merged into base: objects merge key by key,
// anything else in over replaces what base has.
func mergeObject(base, over map[string]any) map[string]any {
	for k, v := range over {
		bo, isObj := base[k].(map[string]any)
		oo, overObj := v.(map[string]any)
		if isObj && overObj {
			base[k] = mergeObject(bo, oo)
			continue
		}
		base[k] = v
	}
	return base
}
