package states

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Definitions are stored once, by content hash, and outlive the state
// machines that name them: an execution keeps running (and stays
// describable) on the definition it started with.
var schema = []string{
	`CREATE TABLE states_definitions (
		hash TEXT PRIMARY KEY,
		body TEXT NOT NULL
	)`,
	`CREATE TABLE states_machines (
		arn      TEXT PRIMARY KEY,
		name     TEXT NOT NULL UNIQUE,
		def_hash TEXT NOT NULL,
		role_arn TEXT NOT NULL,
		type     TEXT NOT NULL,
		status   TEXT NOT NULL,
		created  INTEGER NOT NULL, -- unix nanoseconds
		tags     TEXT NOT NULL     -- JSON [{key, value}]
	)`,
	`CREATE TABLE states_executions (
		arn         TEXT PRIMARY KEY,
		machine_arn TEXT NOT NULL,
		name        TEXT NOT NULL,
		def_hash    TEXT NOT NULL,
		role_arn    TEXT NOT NULL,
		status      TEXT NOT NULL,
		input       TEXT NOT NULL,
		output      TEXT,
		error       TEXT,
		cause       TEXT,
		started     INTEGER NOT NULL,
		stopped     INTEGER,
		run         BLOB NOT NULL -- the interpreter's asl.Run as JSON
	)`,
	`CREATE INDEX states_executions_machine ON states_executions (machine_arn, started, arn)`,
	`CREATE TABLE states_events (
		execution TEXT NOT NULL,
		id        INTEGER NOT NULL,
		body      BLOB NOT NULL,
		PRIMARY KEY (execution, id)
	) WITHOUT ROWID`,
	// The actions the run awaits (kept equal to its pending list) and the
	// job carrying each, so that work the run no longer awaits (a stopped
	// execution, a cancelled branch) leaves the queue with it.
	`CREATE TABLE states_actions (
		execution TEXT NOT NULL,
		action    TEXT NOT NULL,
		job       INTEGER NOT NULL,
		body      BLOB NOT NULL, -- the asl.Action as JSON
		PRIMARY KEY (execution, action)
	) WITHOUT ROWID`,
	// Task tokens of callback tasks (.waitForTaskToken), with the timer
	// jobs that end them if no callback comes. A closed token stays, so
	// that a late callback is told the task is over.
	`CREATE TABLE states_tokens (
		token          TEXT PRIMARY KEY,
		execution      TEXT NOT NULL,
		action         TEXT NOT NULL,
		closed         INTEGER NOT NULL DEFAULT 0,
		deadline_job   INTEGER NOT NULL DEFAULT 0,
		heartbeat_job  INTEGER NOT NULL DEFAULT 0,
		heartbeat_secs INTEGER NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX states_tokens_execution ON states_tokens (execution, closed)`,
	`CREATE TABLE states_activities (
		arn     TEXT PRIMARY KEY,
		name    TEXT NOT NULL UNIQUE,
		created INTEGER NOT NULL, -- unix nanoseconds
		tags    TEXT NOT NULL     -- JSON [{key, value}]
	)`,
	// Activity tasks scheduled and not yet handed to a worker by
	// GetActivityTask; the token row (states_tokens) outlives them.
	`CREATE TABLE states_activity_tasks (
		token     TEXT PRIMARY KEY,
		activity  TEXT NOT NULL,
		execution TEXT NOT NULL,
		action    TEXT NOT NULL,
		input     TEXT NOT NULL,
		seq       INTEGER NOT NULL -- scheduling order
	)`,
	`CREATE INDEX states_activity_tasks_queue ON states_activity_tasks (activity, seq)`,
	// Child executions a .sync task waits for.
	`CREATE TABLE states_children (
		child     TEXT PRIMARY KEY,
		execution TEXT NOT NULL,
		action    TEXT NOT NULL,
		mode      TEXT NOT NULL -- "sync" or "sync:2"
	)`,
	`ALTER TABLE states_executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0`,
	`ALTER TABLE states_executions ADD COLUMN redrive_date INTEGER`,
	// History events are written one row per transition: the events of
	// one interpreter call (ids first..last) as a JSON array. Executions
	// written before this table keep their rows in states_events.
	`CREATE TABLE states_history (
		execution TEXT NOT NULL,
		last      INTEGER NOT NULL,
		first     INTEGER NOT NULL,
		body      BLOB NOT NULL
	)`,
	`CREATE UNIQUE INDEX states_history_execution ON states_history (execution, last)`,
	// The job carrying each awaited action, as JSON {action: job}; NULL
	// for executions that keep them in states_actions.
	`ALTER TABLE states_executions ADD COLUMN jobs TEXT`,
	// ListExecutions with statusFilter (a poller's RUNNING, say) reads
	// only the executions in that status, newest first.
	`CREATE INDEX states_executions_status ON states_executions (machine_arn, status, started, arn)`,
}

// machine is a state machine row.
type machine struct {
	ARN, Name, DefHash, RoleARN, Type, Status string
	Definition                                string
	Created                                   time.Time
	Tags                                      []Tag
}

// execution is an execution row.
type execution struct {
	ARN, MachineARN, Name, DefHash, RoleARN, Status string
	Input                                           string
	Output, Error, Cause                            sql.NullString
	Started                                         time.Time
	Stopped                                         sql.NullInt64
	RedriveCount                                    int
	RedriveDate                                     sql.NullInt64
	Run                                             []byte
	// Jobs maps each awaited action to its job (with the run only); nil
	// for an execution whose actions are rows of states_actions.
	Jobs map[string]int64
}

// querier is what both the read pool and a write transaction offer.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func defHash(def string) string {
	sum := sha256.Sum256([]byte(def))
	return hex.EncodeToString(sum[:])
}

func putDefinition(ctx context.Context, tx *store.Tx, hash, body string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO states_definitions (hash, body) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING`, hash, body)
	if err != nil {
		return fmt.Errorf("store definition: %w", err)
	}
	return nil
}

func getDefinition(ctx context.Context, q querier, hash string) (string, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM states_definitions WHERE hash = ?`, hash).Scan(&body)
	if err != nil {
		return "", fmt.Errorf("load definition %s: %w", hash, err)
	}
	return body, nil
}

const machineCols = `m.arn, m.name, m.def_hash, m.role_arn, m.type, m.status, m.created, m.tags, d.body`

func scanMachine(row interface{ Scan(...any) error }) (*machine, error) {
	var m machine
	var created int64
	var tags string
	if err := row.Scan(&m.ARN, &m.Name, &m.DefHash, &m.RoleARN, &m.Type, &m.Status, &created, &tags, &m.Definition); err != nil {
		return nil, err
	}
	m.Created = time.Unix(0, created).UTC()
	if err := json.Unmarshal([]byte(tags), &m.Tags); err != nil {
		return nil, fmt.Errorf("machine %s tags: %w", m.ARN, err)
	}
	return &m, nil
}

// getMachineMeta returns the machine with arn without its definition
// text, or nil.
func getMachineMeta(ctx context.Context, q querier, arn string) (*machine, error) {
	m, err := scanMachine(q.QueryRowContext(ctx, `SELECT m.arn, m.name, m.def_hash, m.role_arn, m.type, m.status, m.created, m.tags, ''
		FROM states_machines m WHERE m.arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load state machine: %w", err)
	}
	return m, nil
}

// getMachine returns the machine with arn, or nil.
func getMachine(ctx context.Context, q querier, arn string) (*machine, error) {
	m, err := scanMachine(q.QueryRowContext(ctx, `SELECT `+machineCols+` FROM states_machines m
		JOIN states_definitions d ON d.hash = m.def_hash WHERE m.arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load state machine: %w", err)
	}
	return m, nil
}

func insertMachine(ctx context.Context, tx *store.Tx, m *machine) error {
	tags, err := json.Marshal(m.Tags)
	if err != nil {
		return err
	}
	if m.Tags == nil {
		tags = []byte("[]")
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO states_machines (arn, name, def_hash, role_arn, type, status, created, tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.ARN, m.Name, m.DefHash, m.RoleARN, m.Type, m.Status, m.Created.UnixNano(), string(tags))
	if err != nil {
		return fmt.Errorf("insert state machine: %w", err)
	}
	return nil
}

const execCols = `arn, machine_arn, name, def_hash, role_arn, status, input, output, error, cause, started, stopped, redrive_count, redrive_date`

func scanExecution(row interface{ Scan(...any) error }, withRun bool) (*execution, error) {
	var e execution
	var started int64
	dest := []any{&e.ARN, &e.MachineARN, &e.Name, &e.DefHash, &e.RoleARN, &e.Status, &e.Input, &e.Output, &e.Error, &e.Cause, &started, &e.Stopped,
		&e.RedriveCount, &e.RedriveDate}
	var jobs sql.NullString
	if withRun {
		dest = append(dest, &e.Run, &jobs)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	e.Started = time.Unix(0, started).UTC()
	if jobs.Valid {
		if err := json.Unmarshal([]byte(jobs.String), &e.Jobs); err != nil {
			return nil, fmt.Errorf("execution %s jobs: %w", e.ARN, err)
		}
		if e.Jobs == nil {
			e.Jobs = map[string]int64{}
		}
	}
	return &e, nil
}

// getExecution returns the execution with arn, or nil.
func getExecution(ctx context.Context, q querier, arn string, withRun bool) (*execution, error) {
	cols := execCols
	if withRun {
		cols += ", run, jobs"
	}
	e, err := scanExecution(q.QueryRowContext(ctx, `SELECT `+cols+` FROM states_executions WHERE arn = ?`, arn), withRun)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load execution: %w", err)
	}
	return e, nil
}

// loadRunning loads a running execution with its run, and its state
// machine's status ("" if deleted), in one query; nil if it is not
// running.
// It reads only what a transition needs.
func loadRunning(ctx context.Context, q querier, arn string) (*execution, string, error) {
	e := &execution{ARN: arn, Status: "RUNNING"}
	var machineStatus, jobs sql.NullString
	err := q.QueryRowContext(ctx, `SELECT e.machine_arn, e.def_hash, e.run, e.jobs, m.status FROM states_executions e
		LEFT JOIN states_machines m ON m.arn = e.machine_arn WHERE e.arn = ? AND e.status = 'RUNNING'`, arn).
		Scan(&e.MachineARN, &e.DefHash, &e.Run, &jobs, &machineStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("load execution: %w", err)
	}
	if jobs.Valid {
		if err := json.Unmarshal([]byte(jobs.String), &e.Jobs); err != nil {
			return nil, "", fmt.Errorf("execution %s jobs: %w", arn, err)
		}
		if e.Jobs == nil {
			e.Jobs = map[string]int64{}
		}
	}
	return e, machineStatus.String, nil
}

func insertExecution(ctx context.Context, tx *store.Tx, e *execution) error {
	jobs, err := json.Marshal(e.Jobs)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO states_executions (arn, machine_arn, name, def_hash, role_arn, status, input, started, run, jobs)
		VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?, ?) ON CONFLICT (arn) DO NOTHING`, e.ARN, e.MachineARN, e.Name, e.DefHash, e.RoleARN, e.Input, e.Started.UnixNano(), e.Run, jobs)
	if err != nil {
		return fmt.Errorf("insert execution: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return errExecutionExists
	}
	return nil
}

// errExecutionExists aborts a StartExecution whose name is taken.
var errExecutionExists = errors.New("execution exists")

// storedEvent is one history event as stored.
type storedEvent struct {
	id   int64
	body json.RawMessage
}

// readHistory returns up to n events of an execution after event id
// after (before it, in reverse), in order. An execution that ran across
// the upgrade to states_history has events in both tables.
func readHistory(ctx context.Context, q querier, arn string, after int64, reverse bool, n int) ([]storedEvent, error) {
	batched, err := readBatchedHistory(ctx, q, arn, after, reverse, n)
	if err != nil {
		return nil, err
	}
	legacy, err := readLegacyHistory(ctx, q, arn, after, reverse, n)
	if err != nil || len(legacy) == 0 {
		return batched, err
	}
	all := append(legacy, batched...)
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id != reverse })
	return all[:min(n, len(all))], nil
}

func readBatchedHistory(ctx context.Context, q querier, arn string, after int64, reverse bool, n int) ([]storedEvent, error) {
	query := `SELECT first, body FROM states_history WHERE execution = ? AND last > ? ORDER BY last`
	if reverse {
		query = `SELECT first, body FROM states_history WHERE execution = ? AND first < ? ORDER BY last DESC`
	}
	rows, err := q.QueryContext(ctx, query, arn, after)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() && len(out) < n {
		var first int64
		var body []byte
		if err := rows.Scan(&first, &body); err != nil {
			return nil, err
		}
		var batch []json.RawMessage
		if err := json.Unmarshal(body, &batch); err != nil {
			return nil, fmt.Errorf("decode history of %s: %w", arn, err)
		}
		for i := range batch {
			j := i
			if reverse {
				j = len(batch) - 1 - i
			}
			id := first + int64(j)
			if (!reverse && id > after || reverse && id < after) && len(out) < n {
				out = append(out, storedEvent{id, batch[j]})
			}
		}
	}
	return out, rows.Err()
}

// readLegacyHistory reads events stored one per row (states_events).
func readLegacyHistory(ctx context.Context, q querier, arn string, after int64, reverse bool, n int) ([]storedEvent, error) {
	query := `SELECT id, body FROM states_events WHERE execution = ? AND id > ? ORDER BY id LIMIT ?`
	if reverse {
		query = `SELECT id, body FROM states_events WHERE execution = ? AND id < ? ORDER BY id DESC LIMIT ?`
	}
	rows, err := q.QueryContext(ctx, query, arn, after, n)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var e storedEvent
		if err := rows.Scan(&e.id, &e.body); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// runningCount counts a machine's open executions.
func runningCount(ctx context.Context, q querier, machineARN string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM states_executions WHERE machine_arn = ? AND status = 'RUNNING'`, machineARN).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count running executions: %w", err)
	}
	return n, nil
}

// deleteMachine removes a machine row; its executions and definitions stay.
func deleteMachine(ctx context.Context, tx *store.Tx, arn string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM states_machines WHERE arn = ?`, arn); err != nil {
		return fmt.Errorf("delete state machine: %w", err)
	}
	return nil
}
