package states

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkThreeTaskWorkflow runs executions of three no-op Task states
// through the durable job queue (SQLite, synchronous=normal) and reports
// executions and state transitions per second.
func BenchmarkThreeTaskWorkflow(b *testing.B) {
	noop := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{}`), nil
	})
	in := open(b, b.TempDir(), noop)
	defer in.close()
	task := `{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","ResultPath":null,`
	def := `{"StartAt":"A","States":{"A":` + task + `"Next":"B"},"B":` + task + `"Next":"C"},"C":` + task + `"End":true}}}`
	arn := in.create(b, "bench", def)
	b.ResetTimer()
	start := time.Now()
	execs := make([]string, b.N)
	for i := range b.N {
		out, e := in.call(b, "StartExecution", map[string]any{"stateMachineArn": arn})
		if e != nil {
			b.Fatal(e)
		}
		execs[i] = out["executionArn"].(string)
	}
	for _, ex := range execs {
		for {
			var status string
			in.db.Read().QueryRow(`SELECT status FROM states_executions WHERE arn = ?`, ex).Scan(&status)
			if status != "RUNNING" {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/secs, "executions/s")
	// Each execution makes 3 task transitions plus its start.
	b.ReportMetric(float64(4*b.N)/secs, "transitions/s")
}
