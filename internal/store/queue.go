package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

var queueSchema = []string{
	`CREATE TABLE jobs (
		id          INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never reused: the runner tracks jobs by id
		kind        TEXT    NOT NULL,
		payload     BLOB    NOT NULL,
		due_at      INTEGER NOT NULL, -- unix nanoseconds
		attempts    INTEGER NOT NULL DEFAULT 0,
		lease_until INTEGER NOT NULL DEFAULT 0,
		last_error  TEXT    NOT NULL DEFAULT '',
		created_at  INTEGER NOT NULL
	)`,
	`CREATE INDEX jobs_due ON jobs (due_at)`,
	`CREATE TABLE dead_jobs (
		id         INTEGER PRIMARY KEY,
		kind       TEXT    NOT NULL,
		payload    BLOB    NOT NULL,
		attempts   INTEGER NOT NULL,
		last_error TEXT    NOT NULL,
		created_at INTEGER NOT NULL,
		died_at    INTEGER NOT NULL
	)`,
}

// Job is a unit of durable work.
type Job struct {
	ID       int64
	Kind     string
	Payload  []byte
	Attempts int // including the current one
	Created  time.Time
}

// Enqueue adds a job that becomes due at due (zero means now). It is
// claimable once tx commits.
func (tx *Tx) Enqueue(ctx context.Context, kind string, payload []byte, due time.Time) (int64, error) {
	now := time.Now()
	if due.IsZero() {
		due = now
	}
	if payload == nil {
		payload = []byte{}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO jobs (kind, payload, due_at, created_at) VALUES (?, ?, ?, ?)`,
		kind, payload, due.UnixNano(), now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	tx.enqueued = true
	return res.LastInsertId()
}

// Amend changes the payload of job id, of the given kind, while no worker
// has claimed it yet, for a producer that gathers work into the job it
// queued last. amend gets the payload and returns the new one, or false
// to keep it. Amend reports whether the job changed; it changes nothing
// when the job is gone, of another kind, claimed or tried before.
func (tx *Tx) Amend(ctx context.Context, id int64, kind string, amend func(payload []byte) ([]byte, bool)) (bool, error) {
	var payload []byte
	err := tx.QueryRowContext(ctx, `SELECT payload FROM jobs WHERE id = ? AND kind = ? AND lease_until = 0 AND attempts = 0`, id, kind).Scan(&payload)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load job %d: %w", id, err)
	}
	payload, ok := amend(payload)
	if !ok {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET payload = ? WHERE id = ?`, payload, id); err != nil {
		return false, fmt.Errorf("amend job %d: %w", id, err)
	}
	return true, nil
}

// SetPayload replaces the payload of job id, claimed or not: a handler
// that did part of its job keeps only the rest for its next attempt.
func (db *DB) SetPayload(ctx context.Context, id int64, payload []byte) error {
	return db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET payload = ? WHERE id = ?`, payload, id); err != nil {
			return fmt.Errorf("set payload of job %d: %w", id, err)
		}
		return nil
	})
}

// Finish deletes a job inside tx, so that a handler's effects and the end
// of its job commit together.
func (tx *Tx) Finish(ctx context.Context, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE id = ?`, id); err != nil {
		return fmt.Errorf("finish job %d: %w", id, err)
	}
	tx.finished = append(tx.finished, id)
	return nil
}

// Running marks a claimed job as being worked on, so that Done can tell
// whether the handler's own commit finished it.
func (db *DB) Running(id int64) {
	db.running.Store(id, new(atomic.Bool))
}

// Done ends the mark Running set and reports whether a committed
// transaction finished the job meanwhile, in which case the runner need
// not spend a write on deleting it again.
func (db *DB) Done(id int64) (finished bool) {
	done, ok := db.running.LoadAndDelete(id)
	return ok && done.(*atomic.Bool).Load()
}

// Extend renews a job's lease while its handler is still working.
func (db *DB) Extend(ctx context.Context, id int64, lease time.Duration) error {
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_until = ? WHERE id = ?`, time.Now().Add(lease).UnixNano(), id)
		return err
	})
}

// Claim leases up to n due jobs of the given kinds for lease.
func (db *DB) Claim(ctx context.Context, n int, lease time.Duration) ([]Job, error) {
	var jobs []Job
	now := time.Now()
	err := db.Write(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE jobs SET lease_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM jobs WHERE due_at <= ? AND lease_until <= ? ORDER BY due_at, id LIMIT ?)
			RETURNING id, kind, payload, attempts, created_at`, now.Add(lease).UnixNano(), now.UnixNano(), now.UnixNano(), n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j Job
			var created int64
			if err := rows.Scan(&j.ID, &j.Kind, &j.Payload, &j.Attempts, &created); err != nil {
				return err
			}
			j.Created = time.Unix(0, created)
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return jobs, nil
}

// NextDue returns when the earliest unleased job falls due, or ok=false.
func (db *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var due sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT MIN(MAX(due_at, lease_until)) FROM jobs`).Scan(&due)
	if err != nil || !due.Valid {
		return time.Time{}, false, err
	}
	return time.Unix(0, due.Int64), true, nil
}

// Release ends the leases of every job; a process that owns the database
// alone calls it at start, so work a crashed run had claimed runs again now.
func (db *DB) Release(ctx context.Context) error {
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_until = 0 WHERE lease_until > 0`)
		tx.enqueued = true
		return err
	})
}

// Finish deletes a finished job (a no-op if its handler already did).
func (db *DB) Finish(ctx context.Context, id int64) error {
	return db.Write(ctx, func(tx *Tx) error { return tx.Finish(ctx, id) })
}

// Retry reschedules a job for at, remembering why it failed.
func (db *DB) Retry(ctx context.Context, id int64, at time.Time, cause error) error {
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET due_at = ?, lease_until = 0, last_error = ? WHERE id = ?`,
			at.UnixNano(), errText(cause), id)
		tx.enqueued = true
		return err
	})
}

// Bury moves a job that will never succeed to dead_jobs.
func (db *DB) Bury(ctx context.Context, id int64, cause error) error {
	return db.Write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO dead_jobs (id, kind, payload, attempts, last_error, created_at, died_at)
			SELECT id, kind, payload, attempts, ?, created_at, ? FROM jobs WHERE id = ?`, errText(cause), time.Now().UnixNano(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errors.New("no such job")
		}
		return tx.Finish(ctx, id)
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
