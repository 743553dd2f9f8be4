// Package store is Vigil's persistence: one embedded SQLite database per
// data directory (pure Go, no cgo), with per-component migrations and a
// durable queue of due work that workers lease and finish.
//
// Writes go through a single connection in BEGIN IMMEDIATE transactions, the
// way SQLite likes them, and concurrent writes share one commit (see
// group.go); reads use a separate pool so they never wait behind a writer
// (WAL mode).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

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
	ck    *checkpointer

	mu      sync.Mutex
	waiters []chan struct{} // woken after a commit that enqueued work

	commit    committer
	stmts     stmtCache
	readStmts readStmts
	running   sync.Map // job id -> *atomic.Bool: claimed jobs a handler is working on; true once a commit finished it
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
	// The writer keeps its savepoints' journals in memory: a group commit
	// runs each write in a savepoint, and on a file every page a write
	// first changes would cost two more system calls.
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint("+strconv.Itoa(writerCheckpointPages)+")")
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
	// Keep readers open: a new connection starts with an empty page cache.
	r.SetMaxIdleConns(4)
	r.SetConnMaxIdleTime(0)
	ck, err := startCheckpointer(dsn)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s for checkpoints: %w", path, err)
	}
	db := &DB{write: w, read: r, ck: ck}
	db.commit.kick = make(chan struct{}, 1)
	db.commit.stopped = make(chan struct{})
	go db.loop()
	if err := db.Migrate(ctx, "store", queueSchema); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close lets queued writes finish, then closes the connections.
func (db *DB) Close() error {
	db.commit.stop()
	db.stmts.close()
	db.readStmts.close()
	return errors.Join(db.ck.stop(), db.write.Close(), db.read.Close())
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
// Concurrent writes may share a transaction and its commit; each runs in
// a savepoint of its own, so fn's failure undoes fn's writes only, and
// Write returns nil only once fn's writes are committed.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	if !db.commit.submit(req) {
		return errClosed
	}
	<-req.done
	return req.err
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
