package states

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The second task of a sequence runs in the worker that ran the first,
// without a job; one held when the process stops runs after the restart.
func TestHeldTaskSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	var calls atomic.Int32
	blockSecond := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		if calls.Add(1) == 1 {
			return json.RawMessage(`{"n":1}`), nil
		}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	first := open(t, dir, blockSecond)
	task := `{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity",`
	arn := first.create(t, "m", `{"StartAt":"A","States":{"A":`+task+`"ResultPath":"$.a","Next":"B"},"B":`+task+`"ResultPath":"$.b","End":true}}}`)
	ex := first.must(t, "StartExecution", map[string]any{"stateMachineArn": arn, "input": `{}`})["executionArn"].(string)
	for i := 0; calls.Load() < 2 && i < 500; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	var jobsMap string
	first.db.Read().QueryRow(`SELECT jobs FROM states_executions WHERE arn = ?`, ex).Scan(&jobsMap)
	if !strings.Contains(jobsMap, ":-1") {
		t.Fatalf("the second task is not held: %s", jobsMap)
	}
	first.close()
	second := open(t, dir, invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"n":2}`), nil
	}))
	defer second.close()
	if d := second.wait(t, ex); d["status"] != "SUCCEEDED" || d["output"] != `{"a":{"n":1},"b":{"n":2}}` {
		t.Errorf("after restart: %v", d)
	}
}
