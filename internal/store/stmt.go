package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the cache: SQL built at run time (IN lists of
// varying length) would otherwise grow it without end.
const maxCachedStatements = 1024

// stmtCache keeps statements prepared once on the writer connection, so a
// hot transaction does not parse the same SQL on every commit. The writer
// pool has one connection, which an open transaction holds: a statement
// seen for the first time runs unprepared and is prepared after the commit.
type stmtCache struct {
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if len(c.stmts)+len(c.wanted) < maxCachedStatements {
		if c.wanted == nil {
			c.wanted = map[string]bool{}
		}
		c.wanted[query] = true
	}
	return nil
}

// prepare prepares the statements seen since the last call. It runs after
// a commit and must not hold the lock while it waits for the connection,
// which another transaction (calling get) may hold.
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	if len(wanted) == 0 {
		return
	}
	prepared := map[string]*sql.Stmt{}
	for q := range wanted {
		if st, err := db.PrepareContext(ctx, q); err == nil {
			prepared[q] = st
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	for q, st := range prepared {
		if _, dup := c.stmts[q]; dup {
			st.Close()
			continue
		}
		c.stmts[q] = st
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts, c.wanted = nil, nil
}

// Statements in a write transaction run to completion even if the
// writer's context ends: the transaction is shared by the writes of a
// batch and outlives any one writer's context (see group.go), and a
// context that can end costs the driver a goroutine per statement.

// ExecContext runs a statement in the transaction, prepared once per database.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := tx.db.stmts.get(query); st != nil {
		return tx.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction, prepared once per database.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := tx.db.stmts.get(query); st != nil {
		return tx.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a single-row query in the transaction, prepared once per database.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := tx.db.stmts.get(query); st != nil {
		return tx.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// readStmts holds statements prepared on the read pool; database/sql
// prepares each again on every connection it runs on, once.
type readStmts struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// ReadRow runs a single-row query on the read pool, prepared once per
// database, for queries run on every request: preparing one costs as much
// as running it. The query runs to completion: a lookup by key is short,
// and a context that can end costs the driver a goroutine per query.
func (db *DB) ReadRow(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	c := &db.readStmts
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCachedStatements
	c.mu.Unlock()
	if !ok && !full {
		// Prepared without the lock: preparing waits for a connection.
		if prep, err := db.read.PrepareContext(ctx, query); err == nil {
			c.mu.Lock()
			if st, ok = c.stmts[query]; ok {
				prep.Close()
			} else {
				if c.stmts == nil {
					c.stmts = map[string]*sql.Stmt{}
				}
				c.stmts[query], st = prep, prep
			}
			c.mu.Unlock()
		}
	}
	if st == nil {
		return db.read.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *readStmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}
