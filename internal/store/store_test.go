package store

import (
	"context"
	"errors"
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
