package store

import (
	"context"
	"testing"
	"time"
)

func TestAmend(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	enqueue := func(kind, payload string) int64 {
		var id int64
		if err := db.Write(ctx, func(tx *Tx) error {
			var err error
			id, err = tx.Enqueue(ctx, kind, []byte(payload), time.Time{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	amend := func(id int64, kind string, keep bool) bool {
		var changed bool
		if err := db.Write(ctx, func(tx *Tx) error {
			var err error
			changed, err = tx.Amend(ctx, id, kind, func(p []byte) ([]byte, bool) { return append(p, '+'), !keep })
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return changed
	}
	payload := func(id int64) string {
		var p string
		if err := db.Read().QueryRow(`SELECT payload FROM jobs WHERE id = ?`, id).Scan(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}

	a := enqueue("a", "x")
	if !amend(a, "a", false) || payload(a) != "x+" {
		t.Fatalf("pending job: payload %q, want x+", payload(a))
	}
	if amend(a, "b", false) {
		t.Error("amended a job of another kind")
	}
	if amend(a, "a", true) || payload(a) != "x+" {
		t.Errorf("amend that declined changed the payload to %q", payload(a))
	}
	if amend(a+100, "a", false) {
		t.Error("amended a job that does not exist")
	}
	jobs, err := db.Claim(ctx, 10, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v, %v", jobs, err)
	}
	if amend(a, "a", false) {
		t.Error("amended a claimed job")
	}
	if err := db.SetPayload(ctx, a, []byte("rest")); err != nil {
		t.Fatal(err)
	}
	if err := db.Retry(ctx, a, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if amend(a, "a", false) {
		t.Error("amended a job tried before")
	}
	if got := payload(a); got != "rest" {
		t.Errorf("payload after SetPayload = %q, want rest", got)
	}
}

func TestReadRow(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "t", []string{`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`}); err != nil {
		t.Fatal(err)
	}
	for i, v := range []string{"one", "two", "three"} {
		if err := db.Write(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (?, ?)`, i+1, v)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// The prepared statement sees each commit.
		var got string
		if err := db.ReadRow(ctx, `SELECT v FROM t WHERE k = ?`, i+1).Scan(&got); err != nil || got != v {
			t.Fatalf("ReadRow(%d) = %q, %v; want %q", i+1, got, err, v)
		}
	}
	if err := db.ReadRow(ctx, `SELECT v FROM t WHERE k = ?`, 9).Scan(new(string)); err == nil {
		t.Error("ReadRow of a missing row: no error")
	}
}
