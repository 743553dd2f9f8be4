package states

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

// Executions run as a chain of durable jobs. Every interpreter call
// (asl.Start, Run.Complete, Run.Stop) and everything it produced — the
// new run state, its history events and one job per new action — commit
// in one transaction. A task job performs its call outside any
// transaction and then feeds the result back in a second one that also
// ends the job, so a crash between the two repeats the call (tasks are
// at-least-once) and a crash anywhere else loses nothing.
const (
	jobTask  = "states.task"
	jobTimer = "states.timer"
)

// taskPolicy retries a task job whose handler failed for a reason of
// Vigil's own (a busy database, say); a failing call is not such a
// reason: it goes back to the interpreter as a task failure.
var taskPolicy = runtime.Policy{MaxAttempts: 0, Backoff: time.Second, MaxBackoff: time.Minute}

type jobPayload struct {
	Execution string `json:"execution"`
	Action    string `json:"action"`
}

// step is what one interpreter call produced.
type step struct {
	run     *asl.Run
	events  []asl.HistoryEvent
	actions []asl.Action
}

// commit writes step st of execution ex inside tx.
func (s *Service) commit(ctx context.Context, tx *store.Tx, ex *execution, st step) error {
	runJSON, err := json.Marshal(st.run)
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	status := st.run.Status()
	if status == asl.StatusRunning {
		_, err = tx.ExecContext(ctx, `UPDATE states_executions SET run = ? WHERE arn = ?`, runJSON, ex.ARN)
	} else {
		stopped := s.now()
		if n := len(st.events); n > 0 {
			stopped = st.events[n-1].Timestamp
		}
		errName, cause := st.run.Error()
		_, err = tx.ExecContext(ctx, `UPDATE states_executions SET run = ?, status = ?, output = ?, error = ?, cause = ?, stopped = ? WHERE arn = ?`,
			runJSON, status, nullRaw(st.run.Output(), status == asl.StatusSucceeded), nullStr(errName), nullStr(cause), stopped.UnixNano(), ex.ARN)
	}
	if err != nil {
		return fmt.Errorf("update execution: %w", err)
	}
	for _, e := range st.events {
		body, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %d: %w", e.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO states_events (execution, id, body) VALUES (?, ?, ?)`, ex.ARN, e.ID, body); err != nil {
			return fmt.Errorf("insert event %d: %w", e.ID, err)
		}
	}
	if err := s.schedule(ctx, tx, ex.ARN, st.actions); err != nil {
		return err
	}
	if err := dropUnawaited(ctx, tx, ex.ARN, st.run); err != nil {
		return err
	}
	if status != asl.StatusRunning {
		return s.reapMachine(ctx, tx, ex.MachineARN)
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

// schedule enqueues one job per action: tasks now, timers when they fall due.
func (s *Service) schedule(ctx context.Context, tx *store.Tx, execARN string, actions []asl.Action) error {
	for _, a := range actions {
		kind, due := jobTask, time.Time{}
		if a.Kind == asl.KindTimer {
			kind, due = jobTimer, a.Until
			if due.IsZero() {
				due = s.now()
			}
		}
		payload, err := json.Marshal(jobPayload{Execution: execARN, Action: a.ID})
		if err != nil {
			return err
		}
		id, err := tx.Enqueue(ctx, kind, payload, due)
		if err != nil {
			return err
		}
		body, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO states_actions (execution, action, job, body) VALUES (?, ?, ?, ?)`, execARN, a.ID, id, body); err != nil {
			return fmt.Errorf("record action %s: %w", a.ID, err)
		}
		if a.Kind == asl.KindTask && a.TaskToken != "" {
			if err := s.awaitCallback(ctx, tx, execARN, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropUnawaited ends the jobs of actions the run no longer awaits: all of
// them once it has ended, a cancelled branch's while it runs.
func dropUnawaited(ctx context.Context, tx *store.Tx, execARN string, run *asl.Run) error {
	awaited := map[string]bool{}
	for _, a := range run.PendingActions() {
		awaited[a.ID] = true
	}
	rows, err := tx.QueryContext(ctx, `SELECT action, job FROM states_actions WHERE execution = ?`, execARN)
	if err != nil {
		return fmt.Errorf("list actions: %w", err)
	}
	type entry struct {
		action string
		job    int64
	}
	var stale []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.action, &e.job); err != nil {
			rows.Close()
			return err
		}
		if !awaited[e.action] {
			stale = append(stale, e)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range stale {
		if err := tx.Finish(ctx, e.job); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM states_actions WHERE execution = ? AND action = ?`, execARN, e.action); err != nil {
			return fmt.Errorf("drop action %s: %w", e.action, err)
		}
	}
	return closeCallbacks(ctx, tx, execARN, awaited)
}

// reapMachine deletes a DELETING machine once its last execution closed.
func (s *Service) reapMachine(ctx context.Context, tx *store.Tx, arn string) error {
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM states_machines WHERE arn = ?`, arn).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) || err == nil && status != statusDeleting {
		return nil // gone already, or active
	}
	if err != nil {
		return fmt.Errorf("load state machine %s: %w", arn, err)
	}
	n, err := runningCount(ctx, tx, arn)
	if err != nil || n > 0 {
		return err
	}
	return deleteMachine(ctx, tx, arn)
}

// awaited loads the action a job is for. ok is false when there is
// nothing to do: the execution ended or no longer awaits the action.
func (s *Service) awaited(ctx context.Context, p jobPayload) (act asl.Action, deleting, ok bool, err error) {
	var body []byte
	var machineStatus sql.NullString
	err = s.env.DB.Read().QueryRowContext(ctx, `SELECT a.body, m.status FROM states_actions a
		JOIN states_executions e ON e.arn = a.execution
		LEFT JOIN states_machines m ON m.arn = e.machine_arn
		WHERE a.execution = ? AND a.action = ? AND e.status = 'RUNNING'`, p.Execution, p.Action).Scan(&body, &machineStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return act, false, false, nil
	}
	if err != nil {
		return act, false, false, fmt.Errorf("load action %s of %s: %w", p.Action, p.Execution, err)
	}
	if err := json.Unmarshal(body, &act); err != nil {
		return act, false, false, runtime.Permanent(fmt.Errorf("decode action %s of %s: %w", p.Action, p.Execution, err))
	}
	return act, machineStatus.String == statusDeleting, true, nil
}

func (s *Service) handleTask(ctx context.Context, job store.Job) error {
	var p jobPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return runtime.Permanent(fmt.Errorf("decode task job: %w", err))
	}
	act, deleting, ok, err := s.awaited(ctx, p)
	if err != nil || !ok {
		return err
	}
	var res asl.Result
	if !deleting {
		res = s.perform(ctx, act)
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: the job runs again after restart
		}
		if act.TaskToken != "" && res.Error == "" {
			return nil // the call went out; the task ends with SendTask*
		}
	}
	return s.advance(ctx, job.ID, p, res)
}

func (s *Service) handleTimer(ctx context.Context, job store.Job) error {
	var p jobPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return runtime.Permanent(fmt.Errorf("decode timer job: %w", err))
	}
	act, _, ok, err := s.awaited(ctx, p)
	if err != nil || !ok {
		return err
	}
	if wait := act.Until.Sub(s.now()); wait > 0 {
		return &runtime.RetryAt{At: act.Until, Cause: errors.New("timer not due yet")}
	}
	return s.advance(ctx, job.ID, p, asl.Result{})
}

// advance feeds an action's result to its execution and commits the
// step together with the end of the job that produced it.
func (s *Service) advance(ctx context.Context, jobID int64, p jobPayload, res asl.Result) error {
	return s.env.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := s.advanceTx(ctx, tx, p, res); err != nil {
			return err
		}
		return tx.Finish(ctx, jobID)
	})
}

// advanceTx feeds a result to an execution inside tx. It reports whether
// the execution was still running.
func (s *Service) advanceTx(ctx context.Context, tx *store.Tx, p jobPayload, res asl.Result) (bool, error) {
	ex, err := getExecution(ctx, tx, p.Execution, true)
	if err != nil || ex == nil || ex.Status != asl.StatusRunning {
		return false, err
	}
	st, err := s.resume(ctx, tx, ex, p.Action, res)
	if err != nil {
		return true, err
	}
	return true, s.commit(ctx, tx, ex, st)
}

// resume runs the interpreter on one result. A machine being deleted
// stops its executions at their next transition, as AWS does.
func (s *Service) resume(ctx context.Context, tx *store.Tx, ex *execution, actionID string, res asl.Result) (step, error) {
	var run asl.Run
	if err := json.Unmarshal(ex.Run, &run); err != nil {
		return step{}, fmt.Errorf("decode run of %s: %w", ex.ARN, err)
	}
	st := step{run: &run}
	now := s.now()
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM states_machines WHERE arn = ?`, ex.MachineARN).Scan(&status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return step{}, fmt.Errorf("load state machine %s: %w", ex.MachineARN, err)
	}
	if status == statusDeleting {
		st.events = run.Stop("", "", now)
		return st, nil
	}
	m, err := s.machineFor(ctx, tx, ex.DefHash)
	if err != nil {
		return step{}, err
	}
	st.events, st.actions, err = run.Complete(m, actionID, res, now)
	if err != nil {
		// An interpreter fault must not leave the execution hanging.
		s.env.Log.Error("states: interpreter failed", "execution", ex.ARN, "action", actionID, "err", err)
		st.actions = nil
		st.events = append(st.events, run.Stop(asl.ErrRuntime, "Vigil's interpreter failed: "+err.Error(), now)...)
	}
	return st, nil
}

// machineFor returns the parsed definition with the given hash.
func (s *Service) machineFor(ctx context.Context, q querier, hash string) (*asl.Machine, error) {
	s.mu.Lock()
	m := s.parsed[hash]
	s.mu.Unlock()
	if m != nil {
		return m, nil
	}
	def, err := getDefinition(ctx, q, hash)
	if err != nil {
		return nil, err
	}
	m, err = asl.Parse([]byte(def))
	if err != nil {
		return nil, fmt.Errorf("parse stored definition %s: %w", hash, err)
	}
	s.mu.Lock()
	s.parsed[hash] = m
	s.mu.Unlock()
	return m, nil
}
