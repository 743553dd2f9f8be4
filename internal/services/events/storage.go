package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// schema is append-only: never edit a statement that shipped.
var schema = []string{
	`CREATE TABLE events_buses (
		name        TEXT    PRIMARY KEY,
		description TEXT    NOT NULL DEFAULT '',
		created_at  INTEGER NOT NULL,
		modified_at INTEGER NOT NULL
	)`,
	`CREATE TABLE events_rules (
		bus         TEXT    NOT NULL REFERENCES events_buses (name) ON DELETE CASCADE,
		name        TEXT    NOT NULL,
		pattern     TEXT    NOT NULL DEFAULT '',
		schedule    TEXT    NOT NULL DEFAULT '',
		state       TEXT    NOT NULL,
		description TEXT    NOT NULL DEFAULT '',
		role_arn    TEXT    NOT NULL DEFAULT '',
		managed_by  TEXT    NOT NULL DEFAULT '',
		created_by  TEXT    NOT NULL DEFAULT '',
		created_at  INTEGER NOT NULL,
		PRIMARY KEY (bus, name)
	)`,
	`CREATE TABLE events_targets (
		bus  TEXT    NOT NULL,
		rule TEXT    NOT NULL,
		id   TEXT    NOT NULL,
		arn  TEXT    NOT NULL,
		body TEXT    NOT NULL, -- the Target as JSON
		seq  INTEGER NOT NULL, -- insertion order, for listing
		PRIMARY KEY (bus, rule, id),
		FOREIGN KEY (bus, rule) REFERENCES events_rules (bus, name) ON DELETE CASCADE
	)`,
	`CREATE INDEX events_targets_arn ON events_targets (arn)`,
	`CREATE TABLE events_tags (
		arn   TEXT NOT NULL,
		key   TEXT NOT NULL,
		value TEXT NOT NULL,
		PRIMARY KEY (arn, key)
	)`,
	// The generation of a rule's schedule: a timer job carries the one it
	// was set for and ends when the rule has moved on.
	`ALTER TABLE events_rules ADD COLUMN schedule_gen INTEGER NOT NULL DEFAULT 0`,
}

// querier is what both the read pool and a write transaction offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ruleRow is a rule as stored.
type ruleRow struct {
	Bus, Name, Pattern, Schedule, State, Description, RoleArn, ManagedBy, CreatedBy string
}

const ruleColumns = `bus, name, pattern, schedule, state, description, role_arn, managed_by, created_by`

func scanRule(sc interface{ Scan(...any) error }) (ruleRow, error) {
	var r ruleRow
	err := sc.Scan(&r.Bus, &r.Name, &r.Pattern, &r.Schedule, &r.State, &r.Description, &r.RoleArn, &r.ManagedBy, &r.CreatedBy)
	return r, err
}

// enabled reports whether the rule takes part in matching.
func (r ruleRow) enabled() bool { return r.State != stateDisabled && r.Pattern != "" }

func (s *Service) ensureDefaultBus(ctx context.Context) error {
	now := time.Now().UnixNano()
	return s.env.DB.Write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO events_buses (name, created_at, modified_at) VALUES (?, ?, ?)`, defaultBus, now, now)
		return err
	})
}

type busRow struct {
	Name, Description string
	Created, Modified time.Time
}

func getBus(ctx context.Context, q querier, name string) (busRow, bool, error) {
	var b busRow
	var created, modified int64
	err := q.QueryRowContext(ctx, `SELECT name, description, created_at, modified_at FROM events_buses WHERE name = ?`, name).
		Scan(&b.Name, &b.Description, &created, &modified)
	if errors.Is(err, sql.ErrNoRows) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("read event bus %s: %w", name, err)
	}
	b.Created, b.Modified = time.Unix(0, created), time.Unix(0, modified)
	return b, true, nil
}

func getRule(ctx context.Context, q querier, bus, name string) (ruleRow, bool, error) {
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM events_rules WHERE bus = ? AND name = ?`, bus, name))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read rule %s/%s: %w", bus, name, err)
	}
	return r, true, nil
}

// targetsOf returns a rule's targets in the order they were added.
func targetsOf(ctx context.Context, q querier, bus, rule string) ([]storedTarget, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, body FROM events_targets WHERE bus = ? AND rule = ? ORDER BY seq, id`, bus, rule)
	if err != nil {
		return nil, fmt.Errorf("read targets of %s/%s: %w", bus, rule, err)
	}
	defer rows.Close()
	var out []storedTarget
	for rows.Next() {
		var t storedTarget
		if err := rows.Scan(&t.ID, &t.Body); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

type storedTarget struct {
	ID   string
	Body string
}

func countTargets(ctx context.Context, q querier, bus, rule string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM events_targets WHERE bus = ? AND rule = ?`, bus, rule).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count targets of %s/%s: %w", bus, rule, err)
	}
	return n, nil
}

// matchableRules returns every rule that takes part in matching, for
// building the matchers at start.
func matchableRules(ctx context.Context, q querier) ([]ruleRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleColumns+` FROM events_rules WHERE state != ? AND pattern != ''`, stateDisabled)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	defer rows.Close()
	var out []ruleRow
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func readTags(ctx context.Context, q querier, arn string) ([]Tag, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM events_tags WHERE arn = ? ORDER BY key`, arn)
	if err != nil {
		return nil, fmt.Errorf("read tags: %w", err)
	}
	defer rows.Close()
	out := []Tag{}
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func writeTags(ctx context.Context, tx *txn, arn string, tags []Tag) error {
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO events_tags (arn, key, value) VALUES (?, ?, ?)
			ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`, arn, t.Key, t.Value); err != nil {
			return fmt.Errorf("write tag: %w", err)
		}
	}
	return nil
}

func deleteTags(ctx context.Context, tx *txn, arn string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM events_tags WHERE arn = ?`, arn); err != nil {
		return fmt.Errorf("delete tags of %s: %w", arn, err)
	}
	return nil
}
