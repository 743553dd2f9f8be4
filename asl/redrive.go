package asl

import (
	"fmt"
	"sort"
	"time"
)

// park keeps a failed or cancelled child thread for Redrive.
func (x *exec) park(t *Thread) {
	if x.r.Parked == nil {
		x.r.Parked = map[int64]*Thread{}
	}
	x.r.Parked[t.ID] = t
}

// unpark forgets what t's failed Parallel or Map state left behind, once
// the failure has been handled (retried or caught) or the state is left.
func (x *exec) unpark(t *Thread) {
	t.Halted = nil
	if len(x.r.Parked) == 0 {
		return
	}
	for _, id := range sortedIDs(x.r.Parked) {
		if c := x.r.Parked[id]; c != nil && c.Parent == t.ID {
			delete(x.r.Parked, id)
			x.unpark(c)
		}
	}
	if len(x.r.Parked) == 0 {
		x.r.Parked = nil
	}
}

// Redrive restarts a FAILED, TIMED_OUT or ABORTED run from where it
// stopped (RedriveExecution): the states that failed or were cut short
// run again from their entry with the input they had, Parallel branches
// and Map iterations that succeeded keep their results, and the
// execution timeout starts over. It records ExecutionRedriven and
// returns the new events and actions.
func (r *Run) Redrive(m *Machine, now time.Time) ([]HistoryEvent, []Action, error) {
	if m == nil || m.root == nil {
		return nil, nil, fmt.Errorf("asl: redrive: machine is not parsed")
	}
	switch r.RunStatus {
	case StatusFailed, StatusTimedOut, StatusAborted:
	default:
		return nil, nil, fmt.Errorf("asl: redrive: execution is %s", r.RunStatus)
	}
	var root *Thread
	for _, t := range r.Threads {
		if t.Parent == 0 {
			root = t
		}
	}
	if root == nil {
		return nil, nil, fmt.Errorf("asl: redrive: the run kept no state to resume")
	}
	r.Ctx.RedriveCount++
	r.RunStatus, r.RunOutput, r.ErrName, r.ErrCause = StatusRunning, nil, "", ""
	x := &exec{m: m, r: r, now: now}
	id := x.emit(0, "ExecutionRedriven", func(e *HistoryEvent) {
		e.ExecutionRedrivenEventDetails = &RedrivenDetails{RedriveCount: r.Ctx.RedriveCount}
	})
	if m.TimeoutSeconds > 0 {
		x.addAction(Action{Kind: KindTimer, Until: now.Add(time.Duration(m.TimeoutSeconds) * time.Second)}, 0)
	}
	if err := x.revive(root, id); err != nil {
		return x.events, x.actions, err
	}
	x.drain()
	return x.events, x.actions, nil
}

// revive makes thread t run again after a redrive; prev is the event
// its next event follows.
func (x *exec) revive(t *Thread, prev int64) error {
	sc := x.m.scopeOf(t.Scope)
	if sc == nil || sc.states[t.State] == nil {
		return fmt.Errorf("asl: redrive: run does not match the machine (state %q)", t.State)
	}
	st := sc.states[t.State]
	t.Action, t.Last = "", prev
	switch {
	case t.Halted != nil:
		// A Parallel or Map state that failed: run its unfinished
		// children again, keep the results of the others.
		fan := t.Halted
		t.Fan, t.Halted, t.Phase = fan, nil, "fan"
		fan.Failed, fan.Running = 0, nil
		var kids []*Thread
		for _, c := range x.r.Parked {
			if c.Parent == t.ID {
				kids = append(kids, c)
			}
		}
		sort.Slice(kids, func(i, j int) bool { return kids[i].Index < kids[j].Index })
		for _, c := range kids {
			delete(x.r.Parked, c.ID)
			x.r.Threads[c.ID] = c
			fan.Running = append(fan.Running, c.ID)
			if err := x.reviveChild(t, st, c, prev); err != nil {
				return err
			}
		}
		if x.settle(t, st, x.fanProgress(t, st)) {
			x.queue = append(x.queue, t.ID)
		}
	case t.Fan != nil:
		// Stopped or timed out while its children ran.
		for _, id := range t.Fan.Running {
			if c := x.r.Threads[id]; c != nil {
				if err := x.reviveChild(t, st, c, prev); err != nil {
					return err
				}
			}
		}
	default:
		t.Entered, t.Phase, t.Params = false, "", nil
		x.queue = append(x.queue, t.ID)
	}
	return nil
}

func (x *exec) reviveChild(p *Thread, st *State, c *Thread, prev int64) error {
	if st.Type == "Map" && p.Fan.MapRun == "" {
		saved := x.mute
		x.mute = c.Silent
		if id := x.emit(prev, "MapIterationStarted", func(e *HistoryEvent) {
			e.MapIterationStartedEventDetails = &MapIterationDetails{Name: st.Name, Index: c.Index}
		}); id != 0 {
			prev = id
		}
		x.mute = saved
	}
	return x.revive(c, prev)
}
