package cloudtrail

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// LookupEvents covers the last 90 days, as CloudTrail's event history
// does. Older records are deleted in the background, a batch per
// transaction, so that the calls being recorded meanwhile are not held up.
const (
	retention   = 90 * 24 * time.Hour
	pruneBatch  = 2000
	pruneEvery  = time.Hour
	pruneWarmup = time.Minute // let the server start before the first pass
)

// pruneLoop deletes expired records now and then until ctx ends.
func (s *Service) pruneLoop(ctx context.Context) {
	t := time.NewTimer(pruneWarmup)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			n, err := s.prune(ctx, time.Now().Add(-retention))
			if err != nil {
				if ctx.Err() == nil {
					s.env.Log.Error("delete expired audit records", "err", err)
				}
				break
			}
			if n < pruneBatch {
				break
			}
		}
		t.Reset(pruneEvery)
	}
}

// prune deletes up to pruneBatch of the oldest records, as long as they
// are older than before, with their resources, and says how many went.
// It goes by seq, which follows commit order, stops at the first record
// that has not expired, and deletes a record only with the last of its
// resources.
func (s *Service) prune(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		n = 0
		last, err := prefixEnd(ctx, tx, `SELECT seq, event_time FROM cloudtrail_events ORDER BY seq LIMIT ?`, pruneBatch,
			func(_, at int64) bool { return at < before.UnixMilli() })
		if err != nil || last < 0 {
			return err
		}
		// Resources are written with their record, so theirs are the
		// first rows too. They go first: they refer to their record.
		lastRow, err := prefixEnd(ctx, tx, `SELECT rowid, event_seq FROM cloudtrail_resources ORDER BY rowid LIMIT ?`, 8*pruneBatch,
			func(_, seq int64) bool { return seq <= last })
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cloudtrail_resources WHERE rowid <= ?`, lastRow); err != nil {
			return fmt.Errorf("delete resources: %w", err)
		}
		// A record with more resources than the batch read keeps its
		// record until the next batch takes the rest.
		var kept sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MIN(event_seq) FROM cloudtrail_resources WHERE rowid IN
			(SELECT rowid FROM cloudtrail_resources ORDER BY rowid LIMIT 1)`).Scan(&kept); err != nil {
			return fmt.Errorf("read the oldest resource: %w", err)
		}
		if kept.Valid && kept.Int64 <= last {
			last = kept.Int64 - 1
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM cloudtrail_events WHERE seq <= ?`, last)
		if err != nil {
			return fmt.Errorf("delete records: %w", err)
		}
		deleted, _ := res.RowsAffected()
		n = int(deleted)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune the trail before %s: %w", before.Format(time.RFC3339), err)
	}
	return n, nil
}

// prefixEnd reads (key, value) rows in key order and returns the key of
// the last row of the leading run that keep accepts, or -1 if there is none.
func prefixEnd(ctx context.Context, tx *store.Tx, query string, limit int, keep func(key, value int64) bool) (int64, error) {
	rows, err := tx.QueryContext(ctx, query, limit)
	if err != nil {
		return -1, fmt.Errorf("read the oldest rows: %w", err)
	}
	defer rows.Close()
	last := int64(-1)
	for rows.Next() {
		var key, value int64
		if err := rows.Scan(&key, &value); err != nil {
			return -1, err
		}
		if !keep(key, value) {
			break
		}
		last = key
	}
	return last, rows.Err()
}
