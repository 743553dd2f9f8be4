package cloudtrail

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// schema is append-only: add statements, never edit shipped ones.
var schema = []string{
	`CREATE TABLE cloudtrail_events (
		seq           INTEGER PRIMARY KEY,
		event_id      TEXT    NOT NULL UNIQUE,
		event_time    INTEGER NOT NULL, -- unix milliseconds
		event_name    TEXT    NOT NULL,
		event_source  TEXT    NOT NULL,
		username      TEXT    NOT NULL,
		access_key_id TEXT    NOT NULL,
		read_only     INTEGER NOT NULL,
		management    INTEGER NOT NULL,
		resources     TEXT    NOT NULL, -- LookupEvents' Resources, as JSON
		record        TEXT    NOT NULL  -- the CloudTrail record, as JSON
	)`,
	`CREATE INDEX cloudtrail_events_time ON cloudtrail_events (event_time, seq)`,
	`CREATE INDEX cloudtrail_events_name ON cloudtrail_events (event_name, event_time, seq)`,
	`CREATE INDEX cloudtrail_events_source ON cloudtrail_events (event_source, event_time, seq)`,
	`CREATE INDEX cloudtrail_events_username ON cloudtrail_events (username, event_time, seq)`,
	`CREATE INDEX cloudtrail_events_key ON cloudtrail_events (access_key_id, event_time, seq)`,
	`CREATE INDEX cloudtrail_events_read_only ON cloudtrail_events (read_only, event_time, seq)`,
	`CREATE TABLE cloudtrail_resources (
		event_seq INTEGER NOT NULL REFERENCES cloudtrail_events (seq),
		type      TEXT    NOT NULL,
		name      TEXT    NOT NULL,
		arn       TEXT    NOT NULL
	)`,
	`CREATE INDEX cloudtrail_resources_name ON cloudtrail_resources (name)`,
	`CREATE INDEX cloudtrail_resources_arn ON cloudtrail_resources (arn)`,
	`CREATE INDEX cloudtrail_resources_type ON cloudtrail_resources (type)`,
	// Every call writes a record, so each index costs every call. The
	// lookup indexes cover management events only (LookupEvents lists
	// nothing else), and ReadOnly, true for about half the events, is
	// filtered along the time index instead of indexed.
	`DROP INDEX cloudtrail_events_read_only`,
	`DROP INDEX cloudtrail_events_name`,
	`CREATE INDEX cloudtrail_events_name ON cloudtrail_events (event_name, event_time, seq) WHERE management = 1`,
	`DROP INDEX cloudtrail_events_source`,
	`CREATE INDEX cloudtrail_events_source ON cloudtrail_events (event_source, event_time, seq) WHERE management = 1`,
	`DROP INDEX cloudtrail_events_username`,
	`CREATE INDEX cloudtrail_events_username ON cloudtrail_events (username, event_time, seq) WHERE management = 1`,
	`DROP INDEX cloudtrail_events_key`,
	`CREATE INDEX cloudtrail_events_key ON cloudtrail_events (access_key_id, event_time, seq) WHERE management = 1`,
}

// stored is what one row of cloudtrail_events holds besides the record.
type stored struct {
	eventTime   time.Time
	username    string
	accessKeyID string
	resources   []EventResource
}

func insertRecord(ctx context.Context, tx *store.Tx, r *Record, body []byte, st stored, arns []string) error {
	res, err := json.Marshal(st.resources)
	if err != nil {
		return err
	}
	result, err := tx.ExecContext(ctx, `INSERT INTO cloudtrail_events
		(event_id, event_time, event_name, event_source, username, access_key_id, read_only, management, resources, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.EventID, st.eventTime.UnixMilli(), r.EventName, r.EventSource, st.username, st.accessKeyID,
		r.ReadOnly, r.ManagementEvent, string(res), string(body))
	if err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	seq, err := result.LastInsertId()
	if err != nil {
		return err
	}
	for i, er := range st.resources {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cloudtrail_resources (event_seq, type, name, arn) VALUES (?, ?, ?, ?)`,
			seq, er.ResourceType, er.ResourceName, arns[i]); err != nil {
			return fmt.Errorf("insert event resource: %w", err)
		}
	}
	return nil
}

// query is one page's worth of LookupEvents, already validated.
type query struct {
	attrKey, attrValue string // empty key: no attribute filter
	start, end         time.Time
	after              *cursor // the last event of the previous page
	limit              int
}

// cursor is a position in the newest-first order of events.
type cursor struct {
	Time int64 `json:"t"` // unix milliseconds
	Seq  int64 `json:"s"`
}

// attrColumns maps the lookup attributes kept in cloudtrail_events to columns.
var attrColumns = map[string]string{
	"EventId":     "event_id",
	"EventName":   "event_name",
	"EventSource": "event_source",
	"Username":    "username",
	"AccessKeyId": "access_key_id",
	"ReadOnly":    "read_only",
}

type row struct {
	cur       cursor
	event     Event
	resources string
}

// lookup returns up to q.limit+1 events, newest first, so the caller can
// tell whether another page follows.
func (s *Service) lookup(ctx context.Context, q query) ([]row, error) {
	where := `management = 1 AND event_time >= ? AND event_time <= ?`
	args := []any{q.start.UnixMilli(), q.end.UnixMilli()}
	switch q.attrKey {
	case "":
	case "ReadOnly":
		where += ` AND read_only = ?`
		args = append(args, q.attrValue == "true")
	case "ResourceName":
		where += ` AND seq IN (SELECT event_seq FROM cloudtrail_resources WHERE name = ? OR arn = ?)`
		args = append(args, q.attrValue, q.attrValue)
	case "ResourceType":
		where += ` AND seq IN (SELECT event_seq FROM cloudtrail_resources WHERE type = ?)`
		args = append(args, q.attrValue)
	default:
		where += ` AND ` + attrColumns[q.attrKey] + ` = ?`
		args = append(args, q.attrValue)
	}
	if q.after != nil {
		where += ` AND (event_time, seq) < (?, ?)`
		args = append(args, q.after.Time, q.after.Seq)
	}
	args = append(args, q.limit+1)
	rows, err := s.env.DB.Read().QueryContext(ctx, `SELECT seq, event_time, event_id, event_name, event_source,
		username, access_key_id, read_only, resources, record
		FROM cloudtrail_events WHERE `+where+` ORDER BY event_time DESC, seq DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("look up events: %w", err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		var readOnly bool
		if err := rows.Scan(&r.cur.Seq, &r.cur.Time, &r.event.EventID, &r.event.EventName, &r.event.EventSource,
			&r.event.Username, &r.event.AccessKeyID, &readOnly, &r.resources, &r.event.CloudTrailEvent); err != nil {
			return nil, fmt.Errorf("look up events: %w", err)
		}
		r.event.ReadOnly = fmt.Sprint(readOnly)
		r.event.EventTime = awsproto.EpochTime(time.UnixMilli(r.cur.Time).UTC())
		out = append(out, r)
	}
	return out, rows.Err()
}
