package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// fanState starts a Parallel state's branches or a Map state's
// iterations.
func (x *exec) fanState(t *Thread, st *State, in any) outcome {
	fail := func(f *failure) outcome { return outcome{fail: f, failAt: t.Last} }
	eff, f := x.inputPath(t, st, in)
	if f != nil {
		return fail(f)
	}
	fan := &Fanout{}
	if st.Type == "Parallel" {
		input := eff
		if st.Parameters != nil {
			if input, f = st.Parameters.eval(x.env(t, eff, st)); f != nil {
				return fail(x.stateErr(t, st, f))
			}
		}
		raw := rawOf(input)
		for range st.Branches {
			fan.Items = append(fan.Items, raw)
		}
		t.Last = x.emit(t.Last, "ParallelStateStarted", nil)
	} else {
		if f := x.mapItems(t, st, eff, fan); f != nil {
			return fail(f)
		}
		n := len(fan.Items)
		t.Last = x.emit(t.Last, "MapStateStarted", func(e *HistoryEvent) {
			e.MapStateStartedEventDetails = &MapStateStartedDetails{Length: n}
		})
		if f := x.mapTolerance(t, st, eff, fan); f != nil {
			return fail(f)
		}
		if st.Distributed {
			fan.MapRun = x.mapRunArn(st)
			t.Last = x.emit(t.Last, "MapRunStarted", func(e *HistoryEvent) {
				e.MapRunStartedEventDetails = &MapRunStartedDetails{MapRunArn: fan.MapRun}
			})
			fan.LastEvent = t.Last
		}
	}
	fan.Results = make([]json.RawMessage, len(fan.Items))
	t.Fan, t.Phase = fan, "fan"
	return x.fanProgress(t, st)
}

// mapItems resolves the items, their selected inputs and the concurrency
// and tolerance settings of a Map state.
func (x *exec) mapItems(t *Thread, st *State, eff any, fan *Fanout) *failure {
	e := x.env(t, eff, st)
	items := eff
	if st.ItemsPath != nil && !st.ItemsPath.null {
		v, ok := e.lookup(st.ItemsPath.p)
		if !ok {
			return x.stateErr(t, st, runtimeErr("Invalid path '%s' : No results for path: %s", st.ItemsPath.p.src, st.ItemsPath.p.normalized()))
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		return x.stateErr(t, st, runtimeErr("Map state input must be an array but was: %s", encodeString(items)))
	}
	var f *failure
	if st.MaxConcurrencyPath != nil {
		if fan.Max, f = pathInt(e, st.MaxConcurrencyPath, "MaxConcurrencyPath"); f != nil {
			return x.stateErr(t, st, f)
		}
	} else {
		fan.Max = st.MaxConcurrency
	}
	for i, item := range arr {
		in := item
		if st.ItemSelector != nil {
			ie := x.env(t, eff, st)
			ie.context().(map[string]any)["Map"] = map[string]any{"Item": map[string]any{"Index": intNumber(int64(i)), "Value": item}}
			if in, f = st.ItemSelector.eval(ie); f != nil {
				return x.stateErr(t, st, f)
			}
		}
		fan.Items = append(fan.Items, rawOf(in))
	}
	if st.Batcher != nil {
		l, f := st.Batcher.limits(e)
		if f == nil {
			fan.Items, f = l.batch(fan.Items)
		}
		if f != nil {
			return x.stateErr(t, st, f)
		}
	}
	return nil
}

// mapTolerance resolves ToleratedFailureCount/Percentage(Path); AWS does
// this after MapStateStarted.
func (x *exec) mapTolerance(t *Thread, st *State, eff any, fan *Fanout) *failure {
	e := x.env(t, eff, st)
	var f *failure
	fan.TolCount, fan.TolPct, fan.HasTol = st.ToleratedFailureCount, st.ToleratedFailurePercentage, st.HasTolerance
	if st.ToleratedFailureCountPath != nil {
		if fan.TolCount, f = pathInt(e, st.ToleratedFailureCountPath, "ToleratedFailureCountPath"); f != nil {
			return x.stateErr(t, st, f)
		}
		if fan.TolCount < 0 {
			return x.stateErr(t, st, runtimeErr("ToleratedFailureCount cannot be negative."))
		}
		fan.HasTol = true
	}
	if p := st.ToleratedPercentagePath; p != nil {
		v, _ := e.lookup(p)
		pct, ok := toFloat(v)
		if str, isStr := v.(string); isStr {
			pct, ok = toFloat(json.Number(strings.TrimSpace(str)))
		}
		if !ok {
			return x.stateErr(t, st, runtimeErr("The ToleratedFailurePercentagePath field refers to value \"%s\" which is not a valid float: %s", shownValue(v), p.src))
		}
		if pct < 0 || pct > 100 {
			return x.stateErr(t, st, runtimeErr("ToleratedFailurePercentage must be between 0 and 100."))
		}
		fan.TolPct, fan.HasTol = pct, true
	}
	return nil
}

func shownValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return encodeString(v)
}

func pathInt(e *env, p *path, field string) (int, *failure) {
	v, _ := e.lookup(p)
	n, ok := toInt(v)
	if s, isStr := v.(string); isStr {
		n, ok = toInt(json.Number(strings.TrimSpace(s)))
	}
	if !ok || n > math.MaxInt32 {
		return 0, runtimeErr("The %s field refers to value \"%s\" which is not a valid integer: %s", field, shownValue(v), p.src)
	}
	return int(n), nil
}

// fanProgress starts children while concurrency allows and finishes the
// state when every child is done.
func (x *exec) fanProgress(t *Thread, st *State) outcome {
	fan := t.Fan
	for fan.Started < len(fan.Items) && (fan.Max <= 0 || len(fan.Running) < fan.Max) {
		x.startChild(t, st, fan.Started)
		fan.Started++
	}
	if fan.Finished+fan.Failed < len(fan.Items) {
		return outcome{blocked: true}
	}
	prev := x.r.LastEventID
	if st.Type == "Map" && len(fan.Items) > 0 {
		prev = fan.LastEvent
	}
	if fan.MapRun != "" {
		prev = x.emit(fan.LastEvent, "MapRunSucceeded", nil)
	}
	x.emit(prev, st.Type+"StateSucceeded", nil)
	t.Last = prev
	results := make([]any, len(fan.Results))
	for i, r := range fan.Results {
		if r != nil {
			results[i] = valueOf(r)
		}
	}
	t.Fan, t.Phase = nil, ""
	return x.finishResult(t, st, results)
}

func (x *exec) startChild(t *Thread, st *State, i int) {
	fan := t.Fan
	var sc *scope
	last := t.Last
	if st.Type == "Parallel" {
		sc = st.Branches[i]
	} else {
		sc = st.Processor
		x.mute = t.Silent || fan.MapRun != ""
		defer func() { x.mute = t.Silent }()
		last = x.emit(t.Last, "MapIterationStarted", func(e *HistoryEvent) {
			e.MapIterationStartedEventDetails = &MapIterationDetails{Name: st.Name, Index: i}
		})
	}
	if fan.MapRun != "" {
		last = 0
	}
	c := x.newThread(t.ID, sc.id, i, sc.startAt, fan.Items[i])
	c.Last = last
	c.Silent = t.Silent || fan.MapRun != ""
	fan.Running = append(fan.Running, c.ID)
	x.queue = append(x.queue, c.ID)
}

// threadDone ends a thread that reached an End state.
func (x *exec) threadDone(t *Thread, out json.RawMessage) {
	if t.Parent == 0 {
		x.emit(t.Last, "ExecutionSucceeded", func(e *HistoryEvent) {
			e.ExecutionSucceededEventDetails = &OutputDetails{Output: string(out), OutputDetails: tr()}
		})
		x.finish(StatusSucceeded, out, "", "")
		return
	}
	p, st := x.detach(t)
	if p == nil {
		return
	}
	fan := p.Fan
	fan.Results[t.Index] = out
	fan.Finished++
	if !t.Silent || p.Silent {
		p.Last = t.Last
	}
	if st.Type == "Map" {
		id := x.emit(t.Last, "MapIterationSucceeded", func(e *HistoryEvent) {
			e.MapIterationSucceededEventDetails = &MapIterationDetails{Name: st.Name, Index: t.Index}
		})
		if !x.mute {
			fan.LastEvent = id
		}
	}
	x.mute = p.Silent
	if x.settle(p, st, x.fanProgress(p, st)) {
		x.queue = append(x.queue, p.ID)
	}
}

// detach removes child t from its parent's running set.
func (x *exec) detach(t *Thread) (*Thread, *State) {
	delete(x.r.Threads, t.ID)
	p := x.r.Threads[t.Parent]
	if p == nil || p.Fan == nil {
		return nil, nil
	}
	p.Fan.Running = slices.DeleteFunc(p.Fan.Running, func(id int64) bool { return id == t.ID })
	sc := x.m.scopeOf(p.Scope)
	if sc == nil {
		return nil, nil
	}
	return p, sc.states[p.State]
}

// failThread ends a thread with an unhandled failure; a child's failure
// becomes its Parallel or Map state's failure. It reports whether the
// parent goes on at once (never for the root).
func (x *exec) failThread(t *Thread, f *failure, at int64) bool {
	if t.Parent == 0 {
		x.emit(at, "ExecutionFailed", func(e *HistoryEvent) {
			e.ExecutionFailedEventDetails = &ErrorDetails{Error: f.Error, Cause: f.Cause}
		})
		x.finish(StatusFailed, nil, f.Error, f.Cause)
		return false
	}
	p, st := x.detach(t)
	if p == nil {
		return false
	}
	x.park(t)
	fan := p.Fan
	fan.Failed++
	if st.Type == "Map" {
		x.emit(at, "MapIterationFailed", func(e *HistoryEvent) {
			e.MapIterationFailedEventDetails = &MapIterationDetails{Name: st.Name, Index: t.Index}
		})
	}
	x.abortState(t, at)
	if st.Type == "Map" {
		x.mute = p.Silent
		if t.Silent && !p.Silent {
			at = p.Last
		}
		if f.Error != ErrRuntime && fan.HasTol && tolerated(fan, len(fan.Items)) {
			p.Last = at
			if fan.MapRun == "" {
				fan.LastEvent = x.r.LastEventID
			}
			if x.settle(p, st, x.fanProgress(p, st)) {
				x.queue = append(x.queue, p.ID)
			}
			return false
		}
		if fan.HasTol && f.Error != ErrRuntime {
			f = &failure{Error: ErrExceedToleratedFail, Cause: "The specified tolerance threshold was exceeded"}
		}
	}
	x.mute = p.Silent
	x.abortChildren(p, st, at)
	if fan.MapRun != "" {
		at = x.emit(fan.LastEvent, "MapRunFailed", func(e *HistoryEvent) {
			e.MapRunFailedEventDetails = &ErrorDetails{Error: f.Error, Cause: f.Cause}
		})
	}
	p.Fan, p.Halted = nil, fan
	p.Last = at
	if x.handleFailureGiveUp(p, st, f, at, func() int64 {
		return x.emit(at, st.Type+"StateFailed", nil)
	}) {
		x.queue = append(x.queue, p.ID)
	}
	return false
}

// tolerated reports whether the failures so far stay within the Map's
// ToleratedFailureCount/Percentage.
func tolerated(fan *Fanout, n int) bool {
	if fan.Failed <= fan.TolCount {
		return true
	}
	return n > 0 && float64(fan.Failed)*100/float64(n) <= fan.TolPct
}

// abortChildren removes p's running children (p is in state st) and
// everything below them, with their pending actions. AWS records each
// cancelled iteration and the state each child was in, after the event
// at that caused it.
func (x *exec) abortChildren(p *Thread, st *State, at int64) {
	if p.Fan == nil {
		return
	}
	for _, id := range p.Fan.Running {
		c := x.r.Threads[id]
		if c == nil {
			continue
		}
		saved := x.mute
		x.mute = c.Silent
		if st.Type == "Map" && c.Entered {
			x.emit(at, "MapIterationAborted", func(e *HistoryEvent) {
				e.MapIterationAbortedEventDetails = &MapIterationDetails{Name: st.Name, Index: c.Index}
			})
		}
		if c.Fan != nil {
			if sc := x.m.scopeOf(c.Scope); sc != nil && sc.states[c.State] != nil {
				x.abortChildren(c, sc.states[c.State], at)
			}
		}
		x.abortState(c, at)
		x.mute = saved
		delete(x.r.Threads, id)
		if c.Action != "" {
			x.r.Pending = slices.DeleteFunc(x.r.Pending, func(a Action) bool { return a.ID == c.Action })
		}
		if c.Fan != nil {
			c.Fan, c.Halted = nil, c.Fan
		}
		c.Action = ""
		x.park(c)
	}
	p.Fan.Running = nil
}

// abortState records that thread t left its current state without
// exiting it: <Type>StateAborted. Fail states end by design, and a Map
// or Parallel state that failed has said so with its own Failed event.
func (x *exec) abortState(t *Thread, at int64) {
	if !t.Entered {
		return
	}
	sc := x.m.scopeOf(t.Scope)
	if sc == nil || sc.states[t.State] == nil {
		return
	}
	switch typ := sc.states[t.State].Type; {
	case typ == "Fail":
	case (typ == "Map" || typ == "Parallel") && t.Fan == nil:
	default:
		x.emit(at, typ+"StateAborted", nil)
	}
}

// handleFailureGiveUp is handleFailure for a state whose giving up (no
// retry) is marked by an extra event, such as MapStateFailed.
func (x *exec) handleFailureGiveUp(t *Thread, st *State, f *failure, at int64, giveUp func() int64) bool {
	if f.Error != ErrRuntime {
		for i, rt := range st.Retry {
			if errorMatches(rt.ErrorEquals, f.Error) {
				if i < len(t.Attempts) && t.Attempts[i] >= rt.MaxAttempts || rt.MaxAttempts == 0 {
					break
				}
				return x.handleFailure(t, st, f, at)
			}
		}
	}
	return x.handleFailure(t, &State{Name: st.Name, Type: st.Type, Catch: st.Catch, Next: st.Next, End: st.End, ResultPath: st.ResultPath}, f, giveUp())
}

var _ = fmt.Sprintf

// mapRunArn names a distributed Map run.
func (x *exec) mapRunArn(st *State) string {
	label := st.Label
	if label == "" {
		label = st.Name
	}
	base := strings.Replace(x.r.Ctx.StateMachineArn, ":stateMachine:", ":mapRun:", 1)
	return base + "/" + label + ":" + x.uuid()
}
