package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

func openDB(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dir, store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func enqueue(t *testing.T, db *store.DB, kind, payload string, due time.Time) {
	t.Helper()
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Enqueue(context.Background(), kind, []byte(payload), due)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRunnerRunsRetriesAndBuries(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	r := New(db, quiet(), 2)
	var mu sync.Mutex
	seen := map[string]int{}
	done := make(chan string, 10)
	r.Handle("ok", func(ctx context.Context, j store.Job) error {
		done <- "ok:" + string(j.Payload)
		return nil
	}, DefaultPolicy)
	r.Handle("flaky", func(ctx context.Context, j store.Job) error {
		mu.Lock()
		seen["flaky"]++
		n := seen["flaky"]
		mu.Unlock()
		if n < 3 {
			return errors.New("not yet")
		}
		done <- "flaky"
		return nil
	}, Policy{MaxAttempts: 5, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	r.Handle("doomed", func(ctx context.Context, j store.Job) error {
		return Permanent(errors.New("cannot ever work"))
	}, DefaultPolicy)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	enqueue(t, db, "ok", "a", time.Time{})
	enqueue(t, db, "flaky", "", time.Time{})
	enqueue(t, db, "doomed", "", time.Time{})
	enqueue(t, db, "ok", "later", time.Now().Add(150*time.Millisecond))
	got := map[string]bool{}
	timeout := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case s := <-done:
			got[s] = true
		case <-timeout:
			t.Fatalf("jobs done so far: %v", got)
		}
	}
	if seen["flaky"] != 3 {
		t.Errorf("flaky ran %d times, want 3", seen["flaky"])
	}
	eventuallyCount(t, db, `SELECT COUNT(*) FROM dead_jobs WHERE kind = 'doomed'`, 1)
	eventuallyCount(t, db, `SELECT COUNT(*) FROM jobs`, 0)
}

func TestLeasedWorkResumesAfterCrash(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	enqueue(t, db, "work", "x", time.Time{})
	// A run claims the job and dies before finishing it.
	jobs, err := db.Claim(context.Background(), 10, time.Hour)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v, %d jobs", err, len(jobs))
	}
	db.Close()

	db = openDB(t, dir)
	defer db.Close()
	r := New(db, quiet(), 1)
	var runs atomic.Int32
	ran := make(chan int, 1)
	r.Handle("work", func(ctx context.Context, j store.Job) error {
		runs.Add(1)
		ran <- j.Attempts
		return nil
	}, DefaultPolicy)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	select {
	case attempts := <-ran:
		if attempts != 2 {
			t.Errorf("attempts = %d, want 2 (one before the crash)", attempts)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the leased job did not run after restart")
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	p := Policy{Backoff: time.Second, MaxBackoff: 10 * time.Second}
	prev := time.Duration(0)
	for i := 1; i <= 3; i++ {
		d := Backoff(p, i)
		if d < prev {
			t.Errorf("attempt %d: backoff %v shrank from %v", i, d, prev)
		}
		prev = d
	}
	if d := Backoff(p, 30); d < 10*time.Second || d > 12*time.Second {
		t.Errorf("backoff after 30 attempts = %v, want the 10s cap plus at most 20%% jitter", d)
	}
}

func eventuallyCount(t *testing.T, db *store.DB, query string, want int) {
	t.Helper()
	var n int
	for i := 0; i < 200; i++ {
		if err := db.Read().QueryRow(query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s = %d, want %d", query, n, want)
}

func TestLongJobKeepsItsLease(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	r := New(db, quiet(), 2)
	r.lease = 150 * time.Millisecond
	var runs atomic.Int32
	done := make(chan struct{})
	r.Handle("slow", func(ctx context.Context, j store.Job) error {
		if runs.Add(1) == 1 {
			time.Sleep(800 * time.Millisecond) // several leases long
			close(done)
		}
		return nil
	}, DefaultPolicy)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	enqueue(t, db, "slow", "", time.Time{})
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("slow job did not finish")
	}
	eventuallyCount(t, db, `SELECT COUNT(*) FROM jobs`, 0)
	if n := runs.Load(); n != 1 {
		t.Errorf("slow job ran %d times, want 1: its lease lapsed while it worked", n)
	}
}

func TestJobFinishedByItsHandlerIsNotWrittenAgain(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	r := New(db, quiet(), 1)
	ran := make(chan struct{})
	r.Handle("self", func(ctx context.Context, j store.Job) error {
		defer close(ran)
		return db.Write(ctx, func(tx *store.Tx) error { return tx.Finish(ctx, j.ID) })
	}, DefaultPolicy)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	enqueue(t, db, "self", "", time.Time{})
	<-ran
	eventuallyCount(t, db, `SELECT COUNT(*) FROM jobs`, 0)
}

// A job finished by some other job's handler (a timer cancelled by the
// step that made it moot, say) must not make the runner skip an unrelated
// job later: ids are never reused and only running jobs are tracked.
func TestFinishingAnotherJobDoesNotLeak(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	ctx := context.Background()
	enqueue(t, db, "victim", "", time.Now().Add(time.Hour))
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.Finish(ctx, 1) }); err != nil {
		t.Fatal(err)
	}
	enqueue(t, db, "next", "", time.Time{})
	jobs, err := db.Claim(ctx, 1, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	if jobs[0].ID == 1 {
		t.Fatal("a deleted job's id was reused")
	}
	db.Running(jobs[0].ID)
	if db.Done(jobs[0].ID) {
		t.Error("a job nobody finished is reported finished")
	}
}
