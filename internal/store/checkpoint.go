package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Checkpoints copy committed pages from the WAL into the database file.
// SQLite runs them by default inside the commit that makes the WAL pass
// 1 000 pages, on the writer connection, so every writer waits for it
// (and, with synchronous=FULL, for its fsync of the database file). Vigil
// runs them instead on a connection of their own, in the background: a
// PASSIVE checkpoint never blocks the writer or the readers. The writer
// still checkpoints by itself if the WAL grows past writerCheckpointPages
// (say, when the background one keeps losing to a long reader), so the
// WAL stays bounded.
const (
	checkpointEvery       = 200 * time.Millisecond
	writerCheckpointPages = 20000 // about 80 MB of WAL
)

// checkpointer runs background checkpoints until stop is called.
type checkpointer struct {
	db      *sql.DB
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

func startCheckpointer(dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, quit: make(chan struct{}), stopped: make(chan struct{})}
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer close(c.stopped)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			// A failure (busy, say) is harmless: the next tick tries again.
			c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

func (c *checkpointer) stop() error {
	var err error
	c.once.Do(func() {
		close(c.quit)
		<-c.stopped
		err = c.db.Close()
	})
	return err
}
