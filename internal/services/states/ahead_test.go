package states

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
)

func TestEncodeEventsMatchesMarshal(t *testing.T) {
	ts := time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name   string
		events []asl.HistoryEvent
	}{
		{"one", []asl.HistoryEvent{{ID: 1, Type: "PassStateEntered", Timestamp: ts,
			StateEnteredEventDetails: &asl.StateEnteredDetails{Name: "A", Input: `{"a":1}`}}}},
		{"escapes", []asl.HistoryEvent{
			{ID: 2, PreviousEventID: 1, Type: "TaskScheduled", Timestamp: ts,
				TaskScheduledEventDetails: &asl.TaskScheduledDetails{Resource: "x", Parameters: `{"h":"<b>&amp;</b>\u2028"}`}},
			{ID: 3, PreviousEventID: 2, Type: "ExecutionFailed", Timestamp: ts,
				ExecutionFailedEventDetails: &asl.ErrorDetails{Error: "E<>", Cause: "line\nbreak \"quoted\" \x01"}},
		}},
		{"bare", []asl.HistoryEvent{{ID: 4}, {ID: 5, Type: "Succeed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.events)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeEvents(tt.events)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encodeEvents:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestAheadFits(t *testing.T) {
	a := &ahead{from: snapshot{run: []byte(`{"x":1}`), defHash: "h", machineStatus: statusActive}}
	tests := []struct {
		name   string
		a      *ahead
		ex     *execution
		status string
		want   bool
	}{
		{"same", a, &execution{Run: []byte(`{"x":1}`), DefHash: "h"}, statusActive, true},
		{"run changed", a, &execution{Run: []byte(`{"x":2}`), DefHash: "h"}, statusActive, false},
		{"machine deleting", a, &execution{Run: []byte(`{"x":1}`), DefHash: "h"}, statusDeleting, false},
		{"other definition", a, &execution{Run: []byte(`{"x":1}`), DefHash: "g"}, statusActive, false},
		{"none", nil, &execution{Run: []byte(`{"x":1}`), DefHash: "h"}, statusActive, false},
	}
	for _, tt := range tests {
		if got := tt.a.fits(tt.ex, tt.status); got != tt.want {
			t.Errorf("%s: fits = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestStaleSnapshot feeds a task result computed ahead from a run that
// is no longer the stored one: the step must be computed again from the
// stored run, so the history has no gap and no repeat.
func TestStaleSnapshot(t *testing.T) {
	noop := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{}`), nil
	})
	in := open(t, t.TempDir(), noop)
	defer in.close()
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"P"},"P":{"Type":"Pass","End":true}}}`
	arn := in.create(t, "stale", def)
	input, _ := json.Marshal(map[string]any{"stateMachineArn": arn})
	out, err := in.svc.Handle(context.Background(), &awsproto.Call{Service: spec, Action: "StartExecution", Input: input})
	if err != nil {
		t.Fatal(err)
	}
	execARN := out.(*StartExecutionOutput).ExecutionArn
	ex, status, err := loadRunning(context.Background(), in.db.Read(), execARN)
	if err != nil || ex == nil {
		t.Fatalf("load: %v, %v", ex, err)
	}
	var run asl.Run
	if err := json.Unmarshal(ex.Run, &run); err != nil {
		t.Fatal(err)
	}
	timer := run.PendingActions()[0].ID
	stale := &snapshot{run: append([]byte(nil), ex.Run...), defHash: ex.DefHash, machineStatus: status}
	// A snapshot whose run is not the stored one: a step computed from it
	// numbers its events from 100, and must not be used.
	run.LastEventID = 99
	if stale.run, err = json.Marshal(&run); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.advanceChain(context.Background(), 0, jobPayload{Execution: execARN, Action: timer}, asl.Result{}, false, stale); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := in.db.Read().QueryRow(`SELECT status FROM states_executions WHERE arn = ?`, execARN).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "SUCCEEDED" {
		t.Fatalf("status = %s, want SUCCEEDED", got)
	}
	events, err := readHistory(context.Background(), in.db.Read(), execARN, 0, false, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range events {
		if e.id != int64(i+1) {
			t.Fatalf("event %d has id %d", i, e.id)
		}
	}
}
