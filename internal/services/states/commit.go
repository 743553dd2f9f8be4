package states

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/store"
)

// step is what one interpreter call produced.
type step struct {
	run     *asl.Run
	events  []asl.HistoryEvent
	actions []asl.Action
	// before is the run's pending list before the call, when known, so
	// that the actions it no longer awaits are found without a query.
	before []asl.Action
	known  bool
	// job is the job whose handler made the call; commit ends it.
	job int64
	// insert: the execution row is new; commit inserts it.
	insert bool
	// held, when set, receives the first task scheduled held back for
	// the worker that made the step (see chain.go).
	held *heldTask
	// machineStatus is the state machine's status when the caller read
	// it ("" if it did not).
	machineStatus string
	// runJSON and eventsJSON are run and events encoded, once encode ran
	// (perhaps outside the transaction; see ahead.go).
	runJSON, eventsJSON []byte
}

// encode fills in the step's JSON, if not done already.
func (st *step) encode() error {
	if st.runJSON == nil {
		b, err := json.Marshal(st.run)
		if err != nil {
			return fmt.Errorf("encode run: %w", err)
		}
		st.runJSON = b
	}
	if st.eventsJSON == nil && len(st.events) > 0 {
		b, err := encodeEvents(st.events)
		if err != nil {
			return fmt.Errorf("encode events: %w", err)
		}
		st.eventsJSON = b
	}
	return nil
}

// encodeEvents is json.Marshal(events) without its second pass, which
// would check and compact each event's own (already compact) encoding.
func encodeEvents(events []asl.HistoryEvent) ([]byte, error) {
	buf := make([]byte, 0, 256*len(events))
	buf = append(buf, '[')
	for i := range events {
		b, err := events[i].MarshalJSON()
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, b...)
	}
	return append(buf, ']'), nil
}

// commit writes step st of execution ex inside tx: one job per new
// action, the end of every job the run no longer awaits, the run (with
// the map from awaited actions to their jobs) and the new history
// events. A transition costs a few statements, not one per row.
func (s *Service) commit(ctx context.Context, tx *store.Tx, ex *execution, st step) error {
	if err := st.encode(); err != nil {
		return err
	}
	if st.insert && ex.Jobs == nil {
		ex.Jobs = map[string]int64{}
	}
	legacy := ex.Jobs == nil
	after := map[string]bool{}
	for _, a := range st.run.PendingActions() {
		after[a.ID] = true
	}
	var fresh []asl.Action
	for _, a := range st.actions {
		if after[a.ID] { // an action already dropped again needs no job
			fresh = append(fresh, a)
		}
	}
	if err := s.schedule(ctx, tx, ex, fresh, st.held); err != nil {
		return err
	}
	before := st.before
	if !st.known {
		var err error
		if before, err = recordedActions(ctx, tx, ex); err != nil {
			return err
		}
	}
	if err := dropStale(ctx, tx, ex, before, after, st.job); err != nil {
		return err
	}
	if err := s.saveRun(ctx, tx, ex, st, legacy); err != nil {
		return err
	}
	if err := insertEvents(ctx, tx, ex.ARN, st.events, st.eventsJSON); err != nil {
		return err
	}
	if st.run.Status() != asl.StatusRunning {
		if err := s.notifyParent(ctx, tx, ex.ARN); err != nil {
			return err
		}
		if st.machineStatus == statusActive {
			return nil // not being deleted: nothing to reap
		}
		return s.reapMachine(ctx, tx, ex.MachineARN)
	}
	return nil
}

func (s *Service) saveRun(ctx context.Context, tx *store.Tx, ex *execution, st step, legacy bool) error {
	runJSON := st.runJSON
	status := st.run.Status()
	if st.insert {
		ex.Run = runJSON
		if err := insertExecution(ctx, tx, ex); err != nil {
			return err
		}
		if status == asl.StatusRunning {
			return nil
		}
	}
	var jobs any // NULL keeps a legacy execution's actions in states_actions
	if !legacy {
		b, err := json.Marshal(ex.Jobs)
		if err != nil {
			return err
		}
		jobs = string(b)
	}
	var err error
	if status == asl.StatusRunning {
		_, err = tx.ExecContext(ctx, `UPDATE states_executions SET run = ?, jobs = ? WHERE arn = ?`, runJSON, jobs, ex.ARN)
	} else {
		stopped := s.now()
		if n := len(st.events); n > 0 {
			stopped = st.events[n-1].Timestamp
		}
		errName, cause := st.run.Error()
		_, err = tx.ExecContext(ctx, `UPDATE states_executions SET run = ?, jobs = ?, status = ?, output = ?, error = ?, cause = ?, stopped = ? WHERE arn = ?`,
			runJSON, jobs, status, nullRaw(st.run.Output(), status == asl.StatusSucceeded), nullStr(errName), nullStr(cause), stopped.UnixNano(), ex.ARN)
	}
	if err != nil {
		return fmt.Errorf("update execution: %w", err)
	}
	return nil
}

func nullRaw(b json.RawMessage, keep bool) any {
	if !keep || b == nil {
		return nil
	}
	return string(b)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rowsPerInsert bounds the rows of one multi-row INSERT.
const rowsPerInsert = 200

// insertRows runs "INSERT ... VALUES" with one (?, ..., ?) group per row.
func insertRows(ctx context.Context, tx *store.Tx, head string, cols int, rows [][]any) error {
	group := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	for len(rows) > 0 {
		n := min(len(rows), rowsPerInsert)
		args := make([]any, 0, n*cols)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		q := head + " VALUES " + strings.TrimSuffix(strings.Repeat(group+", ", n), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// insertEvents stores a step's events (contiguous ids), encoded as body,
// as one row.
func insertEvents(ctx context.Context, tx *store.Tx, execARN string, events []asl.HistoryEvent, body []byte) error {
	if len(events) == 0 {
		return nil
	}
	first, last := events[0].ID, events[len(events)-1].ID
	if last-first+1 != int64(len(events)) {
		return fmt.Errorf("events %d..%d are not contiguous", first, last)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO states_history (execution, last, first, body) VALUES (?, ?, ?, ?)`, execARN, last, first, body); err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	return nil
}

// schedule enqueues one job per action: tasks now, timers when they fall
// due. The job's payload carries the action. Activity tasks have no job:
// they wait in the activity's queue for GetActivityTask.
func (s *Service) schedule(ctx context.Context, tx *store.Tx, ex *execution, actions []asl.Action, held *heldTask) error {
	var rows [][]any
	for _, a := range actions {
		kind, due := jobTask, time.Time{}
		if a.Kind == asl.KindTimer {
			kind, due = jobTimer, a.Until
			if due.IsZero() {
				due = s.now()
			}
		}
		var id int64
		if held != nil && held.job == 0 && holdable(a) && ex.Jobs != nil {
			// Run by this worker next, without a job (see chain.go).
			held.act, held.job = a, heldJob
			ex.Jobs[a.ID] = heldJob
			continue
		}
		if a.Kind == asl.KindTask && isActivity(a.Resource) {
			if err := s.queueActivityTask(ctx, tx, ex.ARN, a); err != nil {
				return err
			}
		} else {
			payload, err := json.Marshal(jobPayload{Execution: ex.ARN, Action: a.ID, Act: &a})
			if err != nil {
				return err
			}
			if id, err = tx.Enqueue(ctx, kind, payload, due); err != nil {
				return err
			}
		}
		if ex.Jobs != nil {
			ex.Jobs[a.ID] = id
		} else {
			body, err := json.Marshal(a)
			if err != nil {
				return err
			}
			rows = append(rows, []any{ex.ARN, a.ID, id, body})
		}
		if a.Kind == asl.KindTask && a.TaskToken != "" {
			if err := s.awaitCallback(ctx, tx, ex.ARN, a); err != nil {
				return err
			}
		}
	}
	if err := insertRows(ctx, tx, `INSERT INTO states_actions (execution, action, job, body)`, 4, rows); err != nil {
		return fmt.Errorf("record actions: %w", err)
	}
	return nil
}

// dropStale ends the jobs and callbacks of the actions in before that
// the run no longer awaits (all of them once it has ended), and the job
// current whose handler made the step.
func dropStale(ctx context.Context, tx *store.Tx, ex *execution, before []asl.Action, after map[string]bool, current int64) error {
	var ids, tokens []any
	var jobs []int64
	for _, a := range before {
		if after[a.ID] {
			continue
		}
		if ex.Jobs != nil {
			if j, ok := ex.Jobs[a.ID]; ok {
				jobs = append(jobs, j)
				delete(ex.Jobs, a.ID)
			}
		} else {
			ids = append(ids, a.ID)
		}
		if a.TaskToken != "" {
			tokens = append(tokens, a.TaskToken)
		}
	}
	if len(ids) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
		rows, err := tx.QueryContext(ctx, `DELETE FROM states_actions WHERE execution = ? AND action IN (`+marks+`) RETURNING job`, append([]any{ex.ARN}, ids...)...)
		if err != nil {
			return fmt.Errorf("drop actions: %w", err)
		}
		for rows.Next() {
			var j int64
			if err := rows.Scan(&j); err != nil {
				rows.Close()
				return err
			}
			jobs = append(jobs, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	finished := false
	for _, j := range jobs {
		finished = finished || j == current
		if j > 0 {
			if err := tx.Finish(ctx, j); err != nil {
				return err
			}
		}
	}
	if current > 0 && !finished {
		if err := tx.Finish(ctx, current); err != nil {
			return err
		}
	}
	return closeTokens(ctx, tx, tokens)
}

// recordedActions lists what an execution awaited before a step whose
// caller does not know it: its jobs and open callbacks.
func recordedActions(ctx context.Context, tx *store.Tx, ex *execution) ([]asl.Action, error) {
	var acts []asl.Action
	if ex.Jobs == nil {
		rows, err := tx.QueryContext(ctx, `SELECT body FROM states_actions WHERE execution = ?`, ex.ARN)
		if err != nil {
			return nil, fmt.Errorf("list actions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var body []byte
			var a asl.Action
			if err := rows.Scan(&body); err != nil {
				return nil, err
			}
			if json.Unmarshal(body, &a) == nil {
				acts = append(acts, a)
			}
		}
		return acts, rows.Err()
	}
	for id := range ex.Jobs {
		acts = append(acts, asl.Action{ID: id})
	}
	rows, err := tx.QueryContext(ctx, `SELECT token, action FROM states_tokens WHERE execution = ? AND closed = 0`, ex.ARN)
	if err != nil {
		return nil, fmt.Errorf("list task tokens: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a asl.Action
		if err := rows.Scan(&a.TaskToken, &a.ID); err != nil {
			return nil, err
		}
		acts = append(acts, a)
	}
	return acts, rows.Err()
}
