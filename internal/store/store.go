// Package store is Vigil's persistence: one embedded SQLite database per
// data directory (pure Go, no cgo), with per-component migrations and a
// durable queue of due work that workers lease and finish.
//
// Writes go through a single connection in BEGIN IMMEDIATE transactions, the
// way SQLite likes them; reads use a separate pool so they never wait behind
// a writer (WAL mode).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Sync is how hard a commit waits for the disk.
type Sync string

const (
	// SyncFull makes every commit durable against power loss (fsync per commit).
	SyncFull Sync = "full"
	// SyncNormal makes every commit durable against a process crash; a
	// power loss may lose the last commits.
	SyncNormal Sync = "normal"
)

// DB is an open Vigil database.
type DB struct {
	write *sql.DB
	read  *sql.DB

	mu      sync.Mutex
	waiters []chan struct{} // woken after a commit that enqueued work

	stmts   stmtCache
	running sync.Map // job id -> *atomic.Bool: claimed jobs a handler is working on; true once a commit finished it
}

// Open opens (creating if needed) the database in dir.
func Open(ctx context.Context, dir string, sync Sync) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if sync != SyncFull && sync != SyncNormal {
		return nil, fmt.Errorf("unknown sync mode %q (want full or normal)", sync)
	}
	path := filepath.Join(dir, "vigil.db")
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(" + string(sync) + ")"
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(ON)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db := &DB{write: w, read: r}
	if err := db.Migrate(ctx, "store", queueSchema); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stmts.close()
	return errors.Join(db.write.Close(), db.read.Close())
}

// Tx is a write transaction.
type Tx struct {
	*sql.Tx
	db       *DB
	enqueued bool
	finished []int64
}

// Write runs fn in a write transaction and commits it if fn returns nil.
// Work enqueued inside fn becomes visible to workers after the commit.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, db: db}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	db.stmts.prepare(ctx, db.write)
	for _, id := range tx.finished {
		if done, ok := db.running.Load(id); ok {
			done.(*atomic.Bool).Store(true)
		}
	}
	if tx.enqueued {
		db.wake()
	}
	return nil
}

// Read returns the pool for queries that change nothing.
func (db *DB) Read() *sql.DB { return db.read }

// Migrate applies, in order, the statements of component that this database
// has not run yet. Statements are append-only: never edit one that shipped.
func (db *DB) Migrate(ctx context.Context, component string, stmts []string) error {
	return db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("migrations table: %w", err)
		}
		var have int
		err := tx.QueryRowContext(ctx, `SELECT version FROM migrations WHERE component = ?`, component).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("migrate %s: %w", component, err)
		}
		for i := have; i < len(stmts); i++ {
			if _, err := tx.ExecContext(ctx, stmts[i]); err != nil {
				return fmt.Errorf("migrate %s step %d: %w", component, i+1, err)
			}
		}
		if len(stmts) == have {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO migrations (component, version) VALUES (?, ?)
			ON CONFLICT(component) DO UPDATE SET version = excluded.version`, component, len(stmts))
		return err
	})
}

// Notify returns a channel closed after the next commit that enqueues work.
func (db *DB) Notify() <-chan struct{} {
	ch := make(chan struct{})
	db.mu.Lock()
	db.waiters = append(db.waiters, ch)
	db.mu.Unlock()
	return ch
}

func (db *DB) wake() {
	db.mu.Lock()
	ws := db.waiters
	db.waiters = nil
	db.mu.Unlock()
	for _, ch := range ws {
		close(ch)
	}
}
