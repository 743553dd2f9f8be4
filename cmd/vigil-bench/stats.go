package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// result is one measurement.
type result struct {
	shape, sync string
	run         int // 0 for a median row
	executions  int
	failed      int
	pollCalls   int             // API calls the poller made to see executions end
	wall        time.Duration   // first StartExecution sent to last end seen
	server      []time.Duration // stopDate - startDate, per execution
	client      []time.Duration // StartExecution sent to end seen, per execution
	startCall   []time.Duration // StartExecution's own round trip, per execution
	serverCPU   time.Duration   // CPU the server used during the measurement; 0 if unknown
	load        float64         // the machine's 1-minute load average when it began

	// A median row carries its figures here instead.
	medians *figures
}

// figures are the numbers a table row shows.
type figures struct {
	execsPerSec, transitionsPerSec             float64
	serverP50, serverP99, clientP50, clientP99 time.Duration
	startP99                                   time.Duration
	cpuPerExec                                 time.Duration
	load                                       float64
}

func (r result) execsPerSec() float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(r.executions) / r.wall.Seconds()
}

func (r result) transitionsPerSec() float64 {
	return r.execsPerSec() * transitionsPerExecution
}

func (r result) figures() figures {
	if r.medians != nil {
		return *r.medians
	}
	return figures{
		execsPerSec: r.execsPerSec(), transitionsPerSec: r.transitionsPerSec(),
		serverP50: percentile(r.server, 50), serverP99: percentile(r.server, 99),
		clientP50: percentile(r.client, 50), clientP99: percentile(r.client, 99),
		startP99: percentile(r.startCall, 99), cpuPerExec: r.cpuPerExec(), load: r.load,
	}
}

// cpuPerExec is the server's CPU time per measured execution.
func (r result) cpuPerExec() time.Duration {
	if r.executions == 0 {
		return 0
	}
	return r.serverCPU / time.Duration(r.executions)
}

// percentile returns the nearest-rank p-th percentile of ds, 0 if empty.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s)) + 0.999999999)
	return s[min(max(rank, 1), len(s))-1]
}

// median returns the middle value of xs (the mean of the two middle ones
// for an even count).
func median[T float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medianRow summarizes the runs of one shape and sync mode, taking the
// median of every figure separately.
func medianRow(rs []result) result {
	var eps, tps []float64
	var s50, s99, c50, c99, st99, cpu []time.Duration
	var load []float64
	out := result{shape: rs[0].shape, sync: rs[0].sync}
	for _, r := range rs {
		f := r.figures()
		eps, tps = append(eps, f.execsPerSec), append(tps, f.transitionsPerSec)
		s50, s99 = append(s50, f.serverP50), append(s99, f.serverP99)
		c50, c99 = append(c50, f.clientP50), append(c99, f.clientP99)
		st99 = append(st99, f.startP99)
		cpu, load = append(cpu, f.cpuPerExec), append(load, f.load)
		out.executions += r.executions
		out.failed += r.failed
		out.pollCalls += r.pollCalls
	}
	out.medians = &figures{median(eps), median(tps), median(s50), median(s99), median(c50), median(c99), median(st99), median(cpu), median(load)}
	return out
}

// writeTable prints the results as a markdown table, followed by a
// median row per shape and sync mode when withMedians is set.
func writeTable(w io.Writer, rs []result, withMedians bool) {
	fmt.Fprintln(w, "| shape | sync | run | executions | failed | executions/s | transitions/s | p50 server ms | p99 server ms | p50 client ms | p99 client ms | p99 StartExecution ms | poll calls | server CPU ms/execution | load |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	rows := slices.Clone(rs)
	if withMedians {
		type key struct{ shape, sync string }
		var order []key
		groups := map[key][]result{}
		for _, r := range rs {
			k := key{r.shape, r.sync}
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
		}
		for _, k := range order {
			rows = append(rows, medianRow(groups[k]))
		}
	}
	for _, r := range rows {
		f := r.figures()
		run := fmt.Sprint(r.run)
		if r.medians != nil {
			run = "**median**"
		}
		cpu := "?"
		if f.cpuPerExec > 0 {
			cpu = fmt.Sprintf("%.2f", float64(f.cpuPerExec)/float64(time.Millisecond))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d | %d | %.0f | %.0f | %s | %s | %s | %s | %s | %d | %s | %.1f |\n",
			r.shape, r.sync, run, r.executions, r.failed, f.execsPerSec, f.transitionsPerSec,
			ms(f.serverP50), ms(f.serverP99), ms(f.clientP50), ms(f.clientP99), ms(f.startP99), r.pollCalls, cpu, f.load)
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}
