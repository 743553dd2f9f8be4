package asl

import (
	"encoding/json"
	"time"
)

// Progress of a task that has not ended yet: the service reports it so
// that the history shows it where AWS does.

// Submitted records TaskSubmitted for a pending service-integration task
// whose call returned (a callback or .sync task): output is the call's
// response. It changes nothing else and returns nil for an action that
// is not pending or not such a task.
func (r *Run) Submitted(m *Machine, actionID string, output json.RawMessage, now time.Time) []HistoryEvent {
	t, act := r.pendingTask(m, actionID)
	if t == nil {
		return nil
	}
	rk := classify(act.Resource)
	if rk.kind != "service" {
		return nil
	}
	text := "null"
	if v, err := decodeJSON(output); err == nil {
		text = string(rawOf(v))
	}
	x := &exec{m: m, r: r, now: now, mute: t.Silent}
	t.Submitted = actionID
	t.Last = x.emit(t.Last, "TaskSubmitted", func(e *HistoryEvent) {
		e.TaskSubmittedEventDetails = &TaskDetails{ResourceType: rk.resourceType, Resource: rk.resource, Output: &text, OutputDetails: tr()}
	})
	return x.events
}

// AwaitsSubmission reports whether a callback task's call is still going
// out: the task started and its TaskSubmitted is not recorded yet. An
// answer that arrives then must wait for it, or history would show the
// task ending before its call returned.
func (r *Run) AwaitsSubmission(m *Machine, actionID string) bool {
	t, act := r.pendingTask(m, actionID)
	return t != nil && act.TaskToken != "" && classify(act.Resource).kind == "service" && t.Submitted != actionID
}

// ActivityStarted records that a worker took a pending activity task
// (GetActivityTask). workerName may be empty.
func (r *Run) ActivityStarted(m *Machine, actionID, workerName string, now time.Time) []HistoryEvent {
	t, act := r.pendingTask(m, actionID)
	if t == nil || classify(act.Resource).kind != "activity" {
		return nil
	}
	x := &exec{m: m, r: r, now: now, mute: t.Silent}
	t.Last = x.emit(t.Last, "ActivityStarted", func(e *HistoryEvent) {
		e.ActivityStartedEventDetails = &ActivityStartedDetails{WorkerName: workerName}
	})
	return x.events
}

// pendingTask finds the thread waiting on a pending task action.
func (r *Run) pendingTask(m *Machine, actionID string) (*Thread, Action) {
	if m == nil || r.RunStatus != StatusRunning {
		return nil, Action{}
	}
	for _, a := range r.Pending {
		if a.ID != actionID || a.Kind != KindTask {
			continue
		}
		t := r.Threads[actionOwner(a.ID)]
		if t == nil || t.Action != a.ID || t.Phase != "task" {
			return nil, Action{}
		}
		return t, a
	}
	return nil, Action{}
}
