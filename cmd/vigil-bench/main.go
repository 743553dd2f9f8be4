// Command vigil-bench measures how fast Vigil runs Step Functions
// executions: executions per second, state transitions per second and
// the latency from StartExecution to the end of the execution, for a
// STANDARD state machine of three states.
//
// It starts a fresh `vigil serve` per measurement (or uses one given by
// --url), creates the machine, keeps --concurrency executions in flight
// until --n have finished, and prints a markdown table. Two shapes are
// measured: three Task states calling sts:GetCallerIdentity through
// Vigil's own dispatch ("task"), and three Pass states ("pass"), which
// leaves only the interpreter and the durable store.
//
// A state transition is counted the way AWS bills them: one per state
// entered, so both shapes make 3 per execution. The Temporal harness in
// BENCHMARKS-states.md counts one per activity, 3 per workflow.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// transitionsPerExecution is the number of states each execution enters.
const transitionsPerExecution = 3

type options struct {
	n, concurrency, warmup, runs, workers int
	shapes, syncs                         []string
	poll                                  time.Duration
	vigil, url, creds, dataDir            string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "vigil-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	var results []result
	for r := 1; r <= cfg.runs; r++ {
		for _, syncMode := range cfg.syncs {
			for _, shape := range cfg.shapes {
				res, err := measure(ctx, cfg, shape, syncMode, r)
				if err != nil {
					return fmt.Errorf("run %d, %s, sync %s: %w", r, shape, syncMode, err)
				}
				slog.Info("measured", "run", r, "shape", shape, "sync", syncMode,
					"exec/s", fmt.Sprintf("%.0f", res.execsPerSec()), "transitions/s", fmt.Sprintf("%.0f", res.transitionsPerSec()))
				results = append(results, res)
			}
		}
	}
	fmt.Printf("N=%d executions per measurement, concurrency %d, %d warm-up executions, poll %s\n\n", cfg.n, cfg.concurrency, cfg.warmup, cfg.poll)
	writeTable(os.Stdout, results, cfg.runs > 1)
	return nil
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("vigil-bench", flag.ContinueOnError)
	cfg := &options{}
	fs.IntVar(&cfg.n, "n", 2000, "executions per measurement")
	fs.IntVar(&cfg.concurrency, "concurrency", 50, "executions kept in flight")
	fs.IntVar(&cfg.warmup, "warmup", 50, "executions run and not measured before each measurement")
	fs.IntVar(&cfg.runs, "runs", 1, "repetitions of every measurement; more than one adds median rows")
	fs.IntVar(&cfg.workers, "workers", 32, "vigil serve --workers (its default is 32), for a server this program starts")
	shapes := fs.String("shape", "task,pass", "comma-separated shapes: task (3 Task states) and/or pass (3 Pass states)")
	syncs := fs.String("sync", "full,normal", "comma-separated vigil serve --sync modes to measure, for a server this program starts")
	fs.DurationVar(&cfg.poll, "poll", 5*time.Millisecond, "interval between ListExecutions(RUNNING) calls that detect finished executions")
	fs.StringVar(&cfg.vigil, "vigil", "vigil", "vigil binary to start (ignored with --url)")
	fs.StringVar(&cfg.dataDir, "data", "", "parent of the servers' data directories (default: a temporary directory, removed afterwards)")
	fs.StringVar(&cfg.url, "url", "", "use this running server instead of starting one")
	fs.StringVar(&cfg.creds, "creds", "", "with --url: its credentials file (profile vigil)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg.shapes = strings.Split(*shapes, ",")
	for _, s := range cfg.shapes {
		if _, ok := definitions[s]; !ok {
			return nil, fmt.Errorf("--shape %q: want task or pass", s)
		}
	}
	cfg.syncs = strings.Split(*syncs, ",")
	for _, s := range cfg.syncs {
		if s != "full" && s != "normal" {
			return nil, fmt.Errorf("--sync %q: want full or normal", s)
		}
	}
	if cfg.url != "" {
		if cfg.creds == "" {
			return nil, errors.New("--url needs --creds")
		}
		cfg.syncs = []string{"external"}
	}
	if cfg.n < 1 || cfg.concurrency < 1 || cfg.runs < 1 || cfg.warmup < 0 || cfg.poll <= 0 {
		return nil, errors.New("--n, --concurrency, --runs and --poll must be positive, --warmup not negative")
	}
	return cfg, nil
}

// measure runs one measurement against a fresh server (or the given one).
func measure(ctx context.Context, cfg *options, shape, syncMode string, runNo int) (result, error) {
	url, creds := cfg.url, cfg.creds
	var srv *server
	if url == "" {
		var err error
		if srv, err = startServer(ctx, cfg, syncMode); err != nil {
			return result{}, err
		}
		defer srv.stop()
		url, creds = srv.url, srv.creds
	}
	c, err := newClient(ctx, url, creds, cfg.concurrency)
	if err != nil {
		return result{}, err
	}
	name := fmt.Sprintf("bench-%s-%d-%d", shape, runNo, time.Now().UnixNano())
	arn, err := c.createMachine(ctx, name, definitions[shape])
	if err != nil {
		return result{}, err
	}
	if cfg.warmup > 0 {
		if _, err := c.drive(ctx, arn, "warmup", cfg.warmup, min(cfg.concurrency, cfg.warmup), cfg.poll); err != nil {
			return result{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	load := loadAverage()
	cpu0 := srv.cpuTime()
	res, err := c.drive(ctx, arn, "run", cfg.n, cfg.concurrency, cfg.poll)
	if err != nil {
		return result{}, err
	}
	if cpu0 > 0 {
		res.serverCPU = srv.cpuTime() - cpu0
	}
	res.shape, res.sync, res.run, res.load = shape, syncMode, runNo, load
	return res, nil
}
