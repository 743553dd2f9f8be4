package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// outcome is how a state body ended: blocked on an action or children,
// finished with output (and maybe assigned variables), or failed.
type outcome struct {
	blocked bool
	output  any
	assign  map[string]any
	fail    *failure
	failAt  int64 // event the failure follows (previousEventId)
	next    string
}

// runThread executes t's states until it blocks or the thread ends.
func (x *exec) runThread(t *Thread) {
	for x.r.RunStatus == StatusRunning {
		sc := x.m.scopeOf(t.Scope)
		if sc == nil {
			x.fatal(t, runtimeErr("unknown scope %q", t.Scope))
			return
		}
		st := sc.states[t.State]
		if st == nil {
			x.fatal(t, runtimeErr("unknown state %q", t.State))
			return
		}
		if !t.Entered {
			x.enter(t, st)
		}
		o := x.body(t, st)
		if !x.settle(t, st, o) {
			return
		}
	}
}

func (x *exec) enter(t *Thread, st *State) {
	t.Entered = true
	t.EnteredTime = x.now
	t.Attempts = nil
	t.RetryCount = 0
	t.Phase = ""
	t.EnteredPrev = t.Last
	t.EnteredID = x.emit(t.Last, st.Type+"StateEntered", func(e *HistoryEvent) {
		e.StateEnteredEventDetails = &StateEnteredDetails{Name: st.Name, Input: string(t.Input), InputDetails: tr()}
	})
	t.Last = t.EnteredID
}

// settle applies an outcome; it reports whether the thread goes on to
// another state right away.
func (x *exec) settle(t *Thread, st *State, o outcome) bool {
	switch {
	case o.blocked:
		return false
	case o.fail != nil:
		return x.handleFailure(t, st, o.fail, o.failAt)
	}
	outRaw := rawOf(o.output)
	if len(outRaw) > MaxPayloadBytes {
		return x.handleFailure(t, st, dataLimit(st.Name), t.Last)
	}
	return x.leaveRaw(t, st, outRaw, o.assign, o.next, t.Last)
}

// MaxPayloadBytes is the largest input or output a state may pass on
// (256 KiB); beyond it the state fails with States.DataLimitExceeded.
const MaxPayloadBytes = 256 * 1024

func dataLimit(name string) *failure {
	return &failure{Error: ErrDataLimitExceeded, Cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", name)}
}

// leave emits the Exited event and moves to the next state or ends the
// thread.
func (x *exec) leave(t *Thread, st *State, out any, assign map[string]any, next string, prev int64) bool {
	return x.leaveRaw(t, st, rawOf(out), assign, next, prev)
}

func (x *exec) leaveRaw(t *Thread, st *State, outRaw json.RawMessage, assign map[string]any, next string, prev int64) bool {
	x.unpark(t)
	if p := x.r.probe; p != nil {
		if next == "" && !st.End {
			next = st.Next
		}
		p.leave(outRaw, next)
		x.finish(StatusSucceeded, outRaw, "", "")
		return false
	}
	var assigned map[string]string
	if len(assign) > 0 {
		if t.Vars == nil {
			t.Vars = map[string]json.RawMessage{}
		}
		assigned = map[string]string{}
		for k, v := range assign {
			t.Vars[k] = rawOf(v)
			assigned[k] = encodeString(v)
		}
	} else if assign != nil {
		assign = nil
	}
	if st.Type != "Fail" {
		t.Last = x.emit(prev, st.Type+"StateExited", func(e *HistoryEvent) {
			e.StateExitedEventDetails = &StateExitedDetails{Name: st.Name, Output: string(outRaw), OutputDetails: tr()}
			if assigned != nil {
				e.StateExitedEventDetails.AssignedVariables = assigned
				e.StateExitedEventDetails.AssignedVariablesDetails = tr()
			}
		})
	}
	if next == "" {
		next = st.Next
	}
	if st.End || st.Type == "Succeed" || next == "" {
		x.threadDone(t, outRaw)
		return false
	}
	t.State, t.Input, t.Entered, t.Phase, t.Params = next, outRaw, false, "", nil
	return true
}

// body runs the type-specific part of a state once it has been entered.
func (x *exec) body(t *Thread, st *State) outcome {
	if st.JSONata {
		return x.jbody(t, st)
	}
	in := valueOf(t.Input)
	switch st.Type {
	case "Pass":
		return x.pass(t, st, in)
	case "Succeed":
		eff, f := x.inputPath(t, st, in)
		if f != nil {
			return outcome{fail: f, failAt: t.Last}
		}
		x.note(func(i *Inspection) { i.AfterInputPath = rawOf(eff) })
		out, f := x.outputPath(t, st, eff)
		return outcome{output: out, fail: f, failAt: t.Last}
	case "Fail":
		return x.failState(t, st, in)
	case "Choice":
		return x.choiceState(t, st, in)
	case "Wait":
		return x.waitState(t, st, in)
	case "Task":
		return x.taskState(t, st, in)
	case "Parallel", "Map":
		return x.fanState(t, st, in)
	}
	return outcome{fail: runtimeErr("unsupported state type %q", st.Type), failAt: t.Last}
}

// stateErr prefixes a runtime cause the way AWS does.
func (x *exec) stateErr(t *Thread, st *State, f *failure) *failure {
	if f.Error == ErrRuntime && !strings.HasPrefix(f.Cause, "An error occurred while executing the state") {
		return &failure{Error: f.Error, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", st.Name, t.EnteredID, f.Cause)}
	}
	return f
}

func (x *exec) inputPath(t *Thread, st *State, in any) (any, *failure) {
	return x.applyPath(t, st, st.InputPath, in, in)
}

func (x *exec) outputPath(t *Thread, st *State, out any) (any, *failure) {
	return x.applyPath(t, st, st.OutputPath, out, out)
}

// applyPath applies an InputPath/OutputPath/ItemsPath: absent keeps v,
// null gives {}.
func (x *exec) applyPath(t *Thread, st *State, op *optPath, v, _ any) (any, *failure) {
	if op == nil {
		return v, nil
	}
	if op.null {
		return map[string]any{}, nil
	}
	got, ok := x.env(t, v, st).lookup(op.p)
	if !ok {
		return nil, x.stateErr(t, st, runtimeErr("Invalid path '%s' : No results for path: %s", op.p.src, op.p.normalized()))
	}
	return deepCopy(got), nil
}

// resultPath merges result into the raw state input.
func (x *exec) resultPath(t *Thread, st *State, op *optPath, in, result any) (any, *failure) {
	if op == nil {
		return result, nil
	}
	if op.null {
		return in, nil
	}
	if len(op.p.steps) == 0 {
		return result, nil
	}
	out, err := setPath(deepCopy(in), op.p.steps, result)
	if err != nil {
		return nil, x.stateErr(t, st, runtimeErr("Invalid path '%s': %v", op.p.src, err))
	}
	return out, nil
}

// setPath stores val at the definite path steps inside root, creating
// objects as needed.
func setPath(root any, steps []pathStep, val any) (any, error) {
	if len(steps) == 0 {
		return val, nil
	}
	s := steps[0]
	switch s.kind {
	case stepChild:
		m, ok := root.(map[string]any)
		if !ok {
			if root != nil {
				return nil, fmt.Errorf("unable to set a field in a value of type %s", typeName(root))
			}
			m = map[string]any{}
		}
		sub, err := setPath(m[s.names[0]], steps[1:], val)
		if err != nil {
			return nil, err
		}
		m[s.names[0]] = sub
		return m, nil
	case stepIndex:
		a, ok := root.([]any)
		i := s.indexes[0]
		if !ok || i < 0 || i >= len(a) {
			return nil, fmt.Errorf("index %d is out of bounds", i)
		}
		sub, err := setPath(a[i], steps[1:], val)
		if err != nil {
			return nil, err
		}
		a[i] = sub
		return a, nil
	}
	return nil, fmt.Errorf("ResultPath must be a reference path")
}

// assign evaluates an Assign block; all values see the variables as they
// were before the state.
func (x *exec) assign(t *Thread, st *State, tp *template, input any) (map[string]any, *failure) {
	if tp == nil {
		return nil, nil
	}
	v, f := tp.eval(x.env(t, input, st))
	if f != nil {
		return nil, x.stateErr(t, st, f)
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

func (x *exec) pass(t *Thread, st *State, in any) outcome {
	fail := func(f *failure) outcome { return outcome{fail: f, failAt: t.Last} }
	eff, f := x.inputPath(t, st, in)
	if f != nil {
		return fail(f)
	}
	result := eff
	if st.Parameters != nil {
		if result, f = st.Parameters.eval(x.env(t, eff, st)); f != nil {
			return fail(x.stateErr(t, st, f))
		}
	}
	if st.HasResult {
		result = deepCopy(st.Result)
		x.note(func(i *Inspection) { i.Result = rawOf(result) })
	} else {
		x.note(func(i *Inspection) { i.AfterInputPath, i.AfterParameters = rawOf(eff), rawOf(result) })
	}
	x.note(func(i *Inspection) { i.AfterResultSelector = rawOf(result) })
	vars, f := x.assign(t, st, st.Assign, result)
	if f != nil {
		return fail(f)
	}
	out, f := x.resultPath(t, st, st.ResultPath, in, result)
	if f != nil {
		return fail(f)
	}
	x.note(func(i *Inspection) { i.AfterResultPath = rawOf(out) })
	if out, f = x.outputPath(t, st, out); f != nil {
		return fail(f)
	}
	return outcome{output: out, assign: vars}
}

func (x *exec) failState(t *Thread, st *State, in any) outcome {
	x.note(func(i *Inspection) { i.AfterInputPath = rawOf(in) })
	f := &failure{Error: st.Error, Cause: st.Cause}
	e := x.env(t, in, st)
	for _, d := range []struct {
		expr  *dynExpr
		field string
		dst   *string
	}{{st.ErrorPath, "ErrorPath", &f.Error}, {st.CausePath, "CausePath", &f.Cause}} {
		if d.expr == nil {
			continue
		}
		var v any
		var ff *failure
		if d.expr.path != nil {
			got, ok := e.lookup(d.expr.path)
			if !ok {
				ff = runtimeErr("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", d.expr.src, d.field, encodeString(in))
			}
			v = got
		} else {
			v, ff = d.expr.eval(e, d.field)
		}
		if ff != nil {
			return outcome{fail: x.stateErr(t, st, ff), failAt: t.Last}
		}
		s, ok := v.(string)
		if !ok {
			s = encodeString(v)
		}
		*d.dst = s
	}
	return outcome{fail: f, failAt: t.Last}
}

func (x *exec) choiceState(t *Thread, st *State, in any) outcome {
	fail := func(f *failure) outcome { return outcome{fail: f, failAt: t.Last} }
	eff, f := x.inputPath(t, st, in)
	if f != nil {
		return fail(f)
	}
	x.note(func(i *Inspection) { i.AfterInputPath = rawOf(eff) })
	e := x.env(t, eff, st)
	next := ""
	var matched *choiceRule
	for _, r := range st.Choices {
		ok, f := r.eval(e)
		if f != nil {
			return fail(x.stateErr(t, st, f))
		}
		if ok {
			next, matched = r.Next, r
			break
		}
	}
	if next == "" {
		next = st.Default
	}
	if next == "" {
		return fail(&failure{Error: ErrNoChoiceMatched, Cause: fmt.Sprintf("No Matches! at state %s", st.Name)})
	}
	var vars map[string]any
	if matched != nil && matched.assign != nil {
		if vars, f = x.assign(t, st, matched.assign, eff); f != nil {
			return fail(f)
		}
	} else if st.Assign != nil {
		if vars, f = x.assign(t, st, st.Assign, eff); f != nil {
			return fail(f)
		}
	}
	out, f := x.outputPath(t, st, eff)
	if f != nil {
		return fail(f)
	}
	return outcome{output: out, assign: vars, next: next}
}

func (x *exec) waitState(t *Thread, st *State, in any) outcome {
	fail := func(f *failure) outcome { return outcome{fail: x.stateErr(t, st, f), failAt: t.Last} }
	eff, f := x.inputPath(t, st, in)
	if f != nil {
		return outcome{fail: f, failAt: t.Last}
	}
	x.note(func(i *Inspection) { i.AfterInputPath = rawOf(eff) })
	if t.Phase == "waited" {
		return x.waitDone(t, st, eff)
	}
	var until time.Time
	e := x.env(t, eff, st)
	switch {
	case st.Seconds != nil:
		until = x.now.Add(time.Duration(*st.Seconds) * time.Second)
	case st.Timestamp != nil:
		until = *st.Timestamp
	case st.SecondsPath != nil:
		v, ok := e.lookup(st.SecondsPath)
		if !ok {
			return fail(runtimeErr("The SecondsPath parameter does not reference an input value: %s", st.SecondsPath.src))
		}
		n, isInt := toInt(v)
		if !isInt {
			return fail(runtimeErr("The SecondsPath parameter cannot be parsed as a long value: %s == %s", st.SecondsPath.src, encodeString(v)))
		}
		if n < 0 {
			return fail(runtimeErr("The SecondsPath parameter references a negative value: %s == %d", st.SecondsPath.src, n))
		}
		until = x.now.Add(time.Duration(min(n, math.MaxInt64/int64(time.Second))) * time.Second)
	case st.TimestampPath != nil:
		v, ok := e.lookup(st.TimestampPath)
		if !ok {
			return fail(runtimeErr("The TimestampPath parameter does not reference an input value: %s", st.TimestampPath.src))
		}
		s, _ := v.(string)
		ts, err := parseTimestamp(s)
		if err != nil {
			shown := s
			if _, isStr := v.(string); !isStr {
				shown = encodeString(v)
			}
			return fail(runtimeErr("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", st.TimestampPath.src, shown))
		}
		until = ts
	}
	if !until.After(x.now) {
		return x.waitDone(t, st, eff)
	}
	t.Phase = "waiting"
	t.Action = x.addAction(Action{Kind: KindTimer, Until: until, State: st.Name}, t.ID)
	return outcome{blocked: true}
}

func (x *exec) waitDone(t *Thread, st *State, eff any) outcome {
	vars, f := x.assign(t, st, st.Assign, eff)
	if f != nil {
		return outcome{fail: f, failAt: t.Last}
	}
	out, f := x.outputPath(t, st, eff)
	if f != nil {
		return outcome{fail: f, failAt: t.Last}
	}
	return outcome{output: out, assign: vars}
}

// handleFailure applies Retry and Catch to a failed state. It reports
// whether the thread goes on to another state right away.
func (x *exec) handleFailure(t *Thread, st *State, f *failure, at int64) bool {
	if f.Error != ErrRuntime {
		for i, rt := range st.Retry {
			if !errorMatches(rt.ErrorEquals, f.Error) {
				continue
			}
			for len(t.Attempts) < len(st.Retry) {
				t.Attempts = append(t.Attempts, 0)
			}
			if p := x.r.probe; p != nil && t.Attempts[i] < p.retried {
				t.Attempts[i] = p.retried // TestState's stateConfiguration
			}
			if t.Attempts[i] >= rt.MaxAttempts {
				break
			}
			t.Attempts[i]++
			t.RetryCount++
			t.Last = at
			delay := retryDelay(rt, t.Attempts[i], x.rand64)
			if p := x.r.probe; p != nil {
				p.retriable(i, delay, f)
				return false
			}
			t.Phase = "retry"
			t.Action = x.addAction(Action{Kind: KindTimer, Until: x.now.Add(delay), State: st.Name}, t.ID)
			x.unpark(t)
			return false
		}
		for ci, c := range st.Catch {
			if !errorMatches(c.ErrorEquals, f.Error) {
				continue
			}
			if p := x.r.probe; p != nil {
				p.caught(ci, f)
			}
			errOut := map[string]any{"Error": f.Error, "Cause": f.Cause}
			t.Last = at
			if st.JSONata {
				sc := x.jscopeFor(t, st, valueOf(t.Input), map[string]any{"errorOutput": errOut})
				o := x.jfinishWith(t, st, sc, errOut, c.jOutput, c.jAssign)
				if o.fail != nil {
					return x.failThread(t, o.fail, o.failAt)
				}
				st2 := *st
				st2.End = false
				x.leave(t, &st2, o.output, o.assign, c.Next, at)
				return true
			}
			vars, ff := x.assign(t, st, c.Assign, errOut)
			if ff != nil {
				return x.failThread(t, ff, at)
			}
			out, ff := x.resultPath(t, st, c.ResultPath, valueOf(t.Input), errOut)
			if ff != nil {
				return x.failThread(t, ff, at)
			}
			end := st.End
			st2 := *st
			st2.End = false
			x.leave(t, &st2, out, vars, c.Next, at)
			_ = end
			return true
		}
	}
	return x.failThread(t, f, at)
}

// retryDelay is IntervalSeconds × BackoffRate^(attempt-1), capped by
// MaxDelaySeconds, with FULL jitter drawing uniformly below it.
func retryDelay(rt Retrier, attempt int, rnd func() uint64) time.Duration {
	secs := float64(rt.IntervalSeconds) * math.Pow(rt.BackoffRate, float64(attempt-1))
	if rt.MaxDelaySeconds > 0 && secs > float64(rt.MaxDelaySeconds) {
		secs = float64(rt.MaxDelaySeconds)
	}
	secs = math.Min(secs, 366*24*3600)
	if rt.JitterStrategy == "FULL" {
		secs *= float64(rnd()>>11) / (1 << 53)
	}
	return time.Duration(secs * float64(time.Second))
}

// fatal ends the execution on an internal inconsistency.
func (x *exec) fatal(t *Thread, f *failure) {
	x.failThread(t, f, t.Last)
}

// resume continues a thread whose action completed.
func (x *exec) resume(t *Thread, act Action, res Result) error {
	sc := x.m.scopeOf(t.Scope)
	if sc == nil || sc.states[t.State] == nil {
		return fmt.Errorf("asl: complete: run does not match the machine (state %q)", t.State)
	}
	st := sc.states[t.State]
	switch t.Phase {
	case "waiting":
		t.Phase = "waited"
		x.queue = append(x.queue, t.ID)
	case "retry":
		t.Phase = "retrying"
		x.queue = append(x.queue, t.ID)
	case "task":
		o := x.taskDone(t, st, act, res)
		if x.settle(t, st, o) {
			x.queue = append(x.queue, t.ID)
		}
	default:
		return fmt.Errorf("asl: complete: thread %d is not waiting (phase %q)", t.ID, t.Phase)
	}
	return nil
}
