package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/app"
	"github.com/vigilsec/vigil/internal/store"
)

// TestDrive runs a small measurement of each shape against an in-process
// server and checks that every execution is counted and timed.
func TestDrive(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	urlc := make(chan string, 1)
	a, err := app.New(ctx, app.Config{
		Listen: "127.0.0.1:0", DataDir: dir, AccountID: "000000000000", Region: "us-east-1",
		Sync: store.SyncNormal, Workers: 4, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready: func(u string) { urlc <- u },
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, nil) }()
	defer func() { stop(); <-done }()
	var url string
	select {
	case url = <-urlc:
	case err := <-done:
		t.Fatalf("server ended before listening: %v", err)
	}
	c, err := newClient(ctx, url, filepath.Join(dir, "credentials"), 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, shape := range []string{"task", "pass"} {
		arn, err := c.createMachine(ctx, "bench-"+shape, definitions[shape])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.drive(ctx, arn, "warmup", 3, 3, time.Millisecond); err != nil {
			t.Fatalf("%s warm-up: %v", shape, err)
		}
		res, err := c.drive(ctx, arn, "run", 12, 4, time.Millisecond)
		if err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		if res.failed != 0 || len(res.server) != 12 || len(res.client) != 12 || res.wall <= 0 || res.pollCalls == 0 {
			t.Errorf("%s: failed %d, %d server and %d client times, wall %v, %d poll calls",
				shape, res.failed, len(res.server), len(res.client), res.wall, res.pollCalls)
		}
		for i, d := range res.client {
			if d <= 0 || d > res.wall {
				t.Errorf("%s: client latency %d = %v outside (0, %v]", shape, i, d, res.wall)
			}
		}
	}
}
