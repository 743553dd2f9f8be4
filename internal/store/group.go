package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Group commit. Every Write is a request to one committer goroutine,
// which owns the writer connection. It takes all the requests waiting
// when it is free, runs them one after another in a single BEGIN
// IMMEDIATE transaction, each inside its own SAVEPOINT, and commits once.
// So concurrent writers share one commit (one WAL append, one fsync with
// synchronous=FULL) instead of queueing for one each, while each keeps
// the guarantees of a transaction of its own: a function that fails rolls
// back its savepoint only, and Write returns nil only after the commit
// that holds its writes succeeded.

// maxBatch bounds the writes one commit holds, and so how long the first
// of them waits for the last.
const maxBatch = 256

// errClosed is returned by writes after Close.
var errClosed = errors.New("store: database closed")

// writeReq is one Write waiting for, or in, a batch.
type writeReq struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	err  error
	done chan struct{}
}

// committer queues writes for the goroutine that runs them.
type committer struct {
	mu      sync.Mutex
	queue   []*writeReq
	closed  bool
	kick    chan struct{} // buffered: a batch may be waiting
	stopped chan struct{} // closed when the loop has returned

	// Counters, for tests and benchmarks.
	commits atomic.Int64
	writes  atomic.Int64
}

// submit queues req; it reports false when the database is closed.
func (c *committer) submit(req *writeReq) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.queue = append(c.queue, req)
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return true
}

// next takes the next batch; it returns nil when the queue is empty.
func (c *committer) next() []*writeReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.queue), maxBatch)
	if n == 0 {
		return nil
	}
	batch := c.queue[:n:n]
	c.queue = c.queue[n:]
	if len(c.queue) == 0 {
		c.queue = nil
	}
	return batch
}

// loop runs batches until the database closes and its queue is drained.
func (db *DB) loop() {
	c := &db.commit
	defer close(c.stopped)
	for {
		// Let writers that are ready to submit do so first: on a busy
		// machine a larger batch saves more than the yield costs.
		runtime.Gosched()
		batch := c.next()
		if batch == nil {
			c.mu.Lock()
			closed := c.closed && len(c.queue) == 0
			c.mu.Unlock()
			if closed {
				return
			}
			<-c.kick
			continue
		}
		db.runBatch(batch)
	}
}

// stop refuses new writes, lets the queued ones finish and waits for the loop.
func (c *committer) stop() {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if !already {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	<-c.stopped
}

// runBatch runs the writes of batch in one transaction and tells each
// writer its outcome once the transaction has committed or failed.
func (db *DB) runBatch(batch []*writeReq) {
	c := &db.commit
	txs, err := db.runTx(batch)
	c.commits.Add(1)
	c.writes.Add(int64(len(batch)))
	if err == nil {
		db.afterCommit(txs)
	}
	for _, req := range batch {
		if err != nil && req.err == nil {
			req.err = err
		}
		close(req.done)
	}
}

// runTx runs the batch's functions and commits. A function's own failure
// is left in its request; the error returned fails the whole batch. txs
// holds the Tx of every function that succeeded.
func (db *DB) runTx(batch []*writeReq) (txs []*Tx, err error) {
	// The transaction outlives any one writer's context: a writer that
	// gives up must not roll back the others.
	sqlTx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// A batch of one needs no savepoint: its failure rolls back all.
	single := len(batch) == 1
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.err = err
			continue
		}
		tx := &Tx{Tx: sqlTx, db: db}
		if !single {
			if _, err := tx.ExecContext(context.Background(), `SAVEPOINT write`); err != nil {
				sqlTx.Rollback()
				return nil, fmt.Errorf("savepoint: %w", err)
			}
		}
		if req.err = call(req.fn, tx); req.err != nil {
			if single {
				sqlTx.Rollback()
				return nil, nil
			}
			if _, err := tx.ExecContext(context.Background(), `ROLLBACK TO write`); err != nil {
				sqlTx.Rollback()
				return nil, fmt.Errorf("roll back to savepoint: %w (after %w)", err, req.err)
			}
		}
		if !single {
			if _, err := tx.ExecContext(context.Background(), `RELEASE write`); err != nil {
				sqlTx.Rollback()
				return nil, fmt.Errorf("release savepoint: %w", err)
			}
		}
		if req.err == nil {
			txs = append(txs, tx)
		}
	}
	if len(txs) == 0 {
		sqlTx.Rollback()
		return nil, nil
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return txs, nil
}

// call runs fn, turning a panic into its writer's error: fn runs on the
// committer's goroutine, where a panic would end the process.
func call(fn func(tx *Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: panic in write: %v", p)
		}
	}()
	return fn(tx)
}

// afterCommit does what must wait for a commit: statements first seen in
// it are prepared, jobs it finished are marked, and it wakes the runner
// if it enqueued work.
func (db *DB) afterCommit(txs []*Tx) {
	db.stmts.prepare(context.Background(), db.write)
	wake := false
	for _, tx := range txs {
		for _, id := range tx.finished {
			if done, ok := db.running.Load(id); ok {
				done.(*atomic.Bool).Store(true)
			}
		}
		wake = wake || tx.enqueued
	}
	if wake {
		db.wake()
	}
}

// WriteStats reports how many commits ran and how many writes they held.
func (db *DB) WriteStats() (commits, writes int64) {
	return db.commit.commits.Load(), db.commit.writes.Load()
}
