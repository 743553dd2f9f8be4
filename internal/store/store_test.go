package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMigrateAppliesOnlyNewSteps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	steps := []string{`CREATE TABLE t (a INTEGER)`}
	if err := db.Migrate(ctx, "test", steps); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, dir, SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Running step 1 again would fail: the table exists.
	steps = append(steps, `ALTER TABLE t ADD COLUMN b TEXT`)
	if err := db.Migrate(ctx, "test", steps); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	if err := db.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO t (a, b) VALUES (1, 'x')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestWriteRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	boom := errors.New("boom")
	err = db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Enqueue(ctx, "k", nil, time.Time{}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want boom", err)
	}
	var n int
	db.Read().QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&n)
	if n != 0 {
		t.Errorf("%d jobs after a rolled-back enqueue, want 0", n)
	}
}

func TestOpenRejectsUnknownSync(t *testing.T) {
	if _, err := Open(context.Background(), t.TempDir(), "sometimes"); err == nil {
		t.Fatal("want an error for an unknown sync mode")
	}
}

// TestConcurrentWritesShareCommits checks group commit: writers running
// at once all commit, a failing one undoes only its own writes, and the
// writes take fewer commits than there are writers.
func TestConcurrentWritesShareCommits(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "test", []string{`CREATE TABLE t (a INTEGER PRIMARY KEY)`}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	commits0, _ := db.WriteStats()
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.Write(ctx, func(tx *Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (a) VALUES (?)`, i); err != nil {
					return err
				}
				if i%10 == 0 {
					return boom // after its insert, which must be undone
				}
				if i%10 == 1 {
					panic("write panics")
				}
				return nil
			})
		}()
	}
	var failed, panicked int
	for range n {
		switch err := <-errs; {
		case errors.Is(err, boom):
			failed++
		case err != nil && strings.Contains(err.Error(), "panic"):
			panicked++
		case err != nil:
			t.Errorf("Write: %v", err)
		}
	}
	if failed != n/10 || panicked != n/10 {
		t.Errorf("%d writes failed and %d panicked, want %d each", failed, panicked, n/10)
	}
	var rows, bad int
	db.Read().QueryRow(`SELECT COUNT(*), COUNT(CASE WHEN a % 10 IN (0, 1) THEN 1 END) FROM t`).Scan(&rows, &bad)
	if rows != n-2*n/10 || bad != 0 {
		t.Errorf("%d rows committed (%d of failed writes), want %d (0)", rows, bad, n-2*n/10)
	}
	if commits, _ := db.WriteStats(); commits-commits0 >= n {
		t.Errorf("%d commits for %d concurrent writes, want fewer", commits-commits0, n)
	}
}

// TestWriteWakesAfterCommit checks that work enqueued in a shared commit
// is visible to a reader by the time Notify's channel closes.
func TestWriteWakesAfterCommit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	woken := db.Notify()
	done := make(chan error, 2)
	for range 2 {
		go func() {
			done <- db.Write(ctx, func(tx *Tx) error {
				_, err := tx.Enqueue(ctx, "k", nil, time.Time{})
				return err
			})
		}()
	}
	<-woken
	var n int
	db.Read().QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&n)
	if n == 0 {
		t.Error("woken before the enqueued job was committed")
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteAfterClose(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.Write(ctx, func(tx *Tx) error { return nil }); err == nil {
		t.Error("Write after Close succeeded")
	}
}

// TestCanceledWriterInBatch checks that a writer whose context ends while
// it waits neither runs nor spoils the batch it was queued in.
func TestCanceledWriterInBatch(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "test", []string{`CREATE TABLE t (a INTEGER)`}); err != nil {
		t.Fatal(err)
	}
	// Hold the committer so the next writers queue up behind it.
	release := make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- db.Write(ctx, func(tx *Tx) error { <-release; return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	canceled, cancel := context.WithCancel(ctx)
	results := make(chan error, 2)
	go func() {
		results <- db.Write(canceled, func(tx *Tx) error {
			_, err := tx.ExecContext(canceled, `INSERT INTO t (a) VALUES (1)`)
			return err
		})
	}()
	go func() {
		results <- db.Write(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO t (a) VALUES (2)`)
			return err
		})
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	var ok, canceledErr int
	for range 2 {
		switch err := <-results; {
		case err == nil:
			ok++
		case errors.Is(err, context.Canceled):
			canceledErr++
		default:
			t.Errorf("Write: %v", err)
		}
	}
	var sum int
	db.Read().QueryRow(`SELECT COALESCE(SUM(a), 0) FROM t`).Scan(&sum)
	if ok != 1 || canceledErr != 1 || sum != 2 {
		t.Errorf("%d writes committed, %d canceled, rows sum to %d; want 1, 1, 2", ok, canceledErr, sum)
	}
}
