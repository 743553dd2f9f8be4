package states

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

// BenchmarkThreeTaskWorkflow runs executions of three no-op Task states
// through the durable job queue and reports executions per second, state
// transitions per second (three per execution, one for each state
// entered, as AWS counts them) and the p50 and p99 time from start to
// stop as the executions record it. 50 callers start executions
// concurrently, as a server's requests would; the runner has 8 workers
// or 32 (vigil serve's default).
func BenchmarkThreeTaskWorkflow(b *testing.B) {
	for _, workers := range []int{8, 32} {
		for _, mode := range []store.Sync{store.SyncNormal, store.SyncFull} {
			b.Run(fmt.Sprintf("sync=%s/workers=%d", mode, workers), func(b *testing.B) { benchThreeTasks(b, mode, workers, 50) })
		}
	}
}

func benchThreeTasks(b *testing.B, mode store.Sync, workers, clients int) {
	noop := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{}`), nil
	})
	in := openBench(b, mode, workers, noop)
	defer in.close()
	task := `{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","ResultPath":null,`
	def := `{"StartAt":"A","States":{"A":` + task + `"Next":"B"},"B":` + task + `"Next":"C"},"C":` + task + `"End":true}}}`
	arn := in.create(b, "bench", def)
	input, _ := json.Marshal(map[string]any{"stateMachineArn": arn})
	commits0, writes0 := in.db.WriteStats()
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int, b.N)
	for i := range b.N {
		next <- i
	}
	close(next)
	arns := make([]string, b.N)
	for range clients {
		wg.Go(func() {
			for i := range next {
				out, err := in.svc.Handle(context.Background(), &awsproto.Call{Service: spec, Action: "StartExecution", Input: input})
				if err != nil {
					b.Error(err)
					return
				}
				var started StartExecutionOutput
				raw, _ := json.Marshal(out)
				json.Unmarshal(raw, &started)
				arns[i] = started.ExecutionArn
			}
		})
	}
	wg.Wait()
	// Wait for the executions in start order, each by its key, so that
	// the benchmark's own polling stays cheap.
	for _, arn := range arns {
		for {
			var status string
			in.db.Read().QueryRow(`SELECT status FROM states_executions WHERE arn = ?`, arn).Scan(&status)
			if status != "RUNNING" {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	var last int64
	in.db.Read().QueryRow(`SELECT MAX(stopped) FROM states_executions`).Scan(&last)
	secs := time.Unix(0, last).Sub(start).Seconds()
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/exec")
	b.ReportMetric(float64(b.N)/secs, "executions/s")
	b.ReportMetric(float64(3*b.N)/secs, "transitions/s")
	if commits, writes := in.db.WriteStats(); commits > commits0 {
		b.ReportMetric(float64(writes-writes0)/float64(commits-commits0), "writes/commit")
	}
	lat := latencies(b, in.db)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// latencies returns the sorted stop-minus-start times of the executions
// that succeeded.
func latencies(b *testing.B, db *store.DB) []time.Duration {
	rows, err := db.Read().Query(`SELECT stopped - started FROM states_executions WHERE status = 'SUCCEEDED'`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var ns int64
		if err := rows.Scan(&ns); err != nil {
			b.Fatal(err)
		}
		out = append(out, time.Duration(ns))
	}
	slices.Sort(out)
	return out
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// openBench is open with a chosen durability and number of workers.
func openBench(b *testing.B, mode store.Sync, workers int, inv services.Invoker) *instance {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, b.TempDir(), mode)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env := &services.Env{DB: db, Runner: runtime.New(db, log, workers), Invoker: inv, Log: log, AccountID: "000000000000", Region: "us-east-1"}
	svc := New(env)
	if err := svc.Start(ctx); err != nil {
		b.Fatal(err)
	}
	in := &instance{svc: svc, db: db, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		env.Runner.Run(ctx)
	}()
	return in
}
