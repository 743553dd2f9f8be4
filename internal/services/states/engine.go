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
	// Act is the action itself (absent from jobs of older versions,
	// which keep it in states_actions).
	Act *asl.Action `json:"act,omitempty"`
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
// nothing to do: the execution ended or no longer awaits the action. snap
// is the execution as stored, when the job carries its action.
func (s *Service) awaited(ctx context.Context, p jobPayload) (act asl.Action, deleting, ok bool, snap *snapshot, err error) {
	if p.Act != nil {
		// A job exists only while its action is awaited: the step that
		// drops the action ends the job in the same transaction.
		var machineStatus sql.NullString
		snap = &snapshot{}
		err = s.env.DB.ReadRow(ctx, `SELECT e.def_hash, e.run, m.status FROM states_executions e
			LEFT JOIN states_machines m ON m.arn = e.machine_arn
			WHERE e.arn = ? AND e.status = 'RUNNING'`, p.Execution).Scan(&snap.defHash, &snap.run, &machineStatus)
		if errors.Is(err, sql.ErrNoRows) {
			return act, false, false, nil, nil
		}
		if err != nil {
			return act, false, false, nil, fmt.Errorf("load execution %s: %w", p.Execution, err)
		}
		snap.machineStatus = machineStatus.String
		return *p.Act, machineStatus.String == statusDeleting, true, snap, nil
	}
	var body []byte
	var machineStatus sql.NullString
	err = s.env.DB.Read().QueryRowContext(ctx, `SELECT a.body, m.status FROM states_actions a
		JOIN states_executions e ON e.arn = a.execution
		LEFT JOIN states_machines m ON m.arn = e.machine_arn
		WHERE a.execution = ? AND a.action = ? AND e.status = 'RUNNING'`, p.Execution, p.Action).Scan(&body, &machineStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return act, false, false, nil, nil
	}
	if err != nil {
		return act, false, false, nil, fmt.Errorf("load action %s of %s: %w", p.Action, p.Execution, err)
	}
	if err := json.Unmarshal(body, &act); err != nil {
		return act, false, false, nil, runtime.Permanent(fmt.Errorf("decode action %s of %s: %w", p.Action, p.Execution, err))
	}
	return act, machineStatus.String == statusDeleting, true, nil, nil
}

func (s *Service) handleTask(ctx context.Context, job store.Job) error {
	var p jobPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return runtime.Permanent(fmt.Errorf("decode task job: %w", err))
	}
	act, deleting, ok, snap, err := s.awaited(ctx, p)
	if err != nil || !ok {
		return err
	}
	if deleting {
		return s.advance(ctx, job.ID, p, asl.Result{})
	}
	return s.runTasks(ctx, job.ID, p, act, snap)
}

func (s *Service) handleTimer(ctx context.Context, job store.Job) error {
	var p jobPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return runtime.Permanent(fmt.Errorf("decode timer job: %w", err))
	}
	act, _, ok, _, err := s.awaited(ctx, p)
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
		running, err := s.advanceTx(ctx, tx, p, res, jobID)
		if err != nil || running {
			return err // a running execution's commit ended the job
		}
		return tx.Finish(ctx, jobID)
	})
}

// advanceTx feeds a result to an execution inside tx. It reports whether
// the execution was still running.
func (s *Service) advanceTx(ctx context.Context, tx *store.Tx, p jobPayload, res asl.Result, jobID int64) (bool, error) {
	ex, machineStatus, err := loadRunning(ctx, tx, p.Execution)
	if err != nil || ex == nil {
		return false, err
	}
	st, err := s.resume(ctx, tx, ex, machineStatus, p.Action, res)
	if err != nil {
		return true, err
	}
	st.job, st.machineStatus = jobID, machineStatus
	return true, s.commit(ctx, tx, ex, st)
}

// resume runs the interpreter on one result. A machine being deleted
// stops its executions at their next transition, as AWS does.
func (s *Service) resume(ctx context.Context, tx *store.Tx, ex *execution, machineStatus, actionID string, res asl.Result) (step, error) {
	st, fault, err := s.interpret(ctx, tx, ex.Run, ex.DefHash, machineStatus, actionID, res, s.activityExists(ctx, tx))
	if err != nil {
		return step{}, fmt.Errorf("execution %s: %w", ex.ARN, err)
	}
	if fault != nil {
		// An interpreter fault must not leave the execution hanging.
		s.env.Log.Error("states: interpreter failed", "execution", ex.ARN, "action", actionID, "err", fault)
		st.actions = nil
		st.events = append(st.events, st.run.Stop(asl.ErrRuntime, "Vigil's interpreter failed: "+fault.Error(), s.now())...)
	}
	return st, nil
}

// interpret decodes a stored run and feeds it one result. fault is the
// interpreter's own failure, which leaves st with the events it made.
func (s *Service) interpret(ctx context.Context, q querier, runJSON []byte, hash, machineStatus, actionID string, res asl.Result, activityExists func(string) bool) (st step, fault, err error) {
	var run asl.Run
	if err := json.Unmarshal(runJSON, &run); err != nil {
		return step{}, nil, fmt.Errorf("decode run: %w", err)
	}
	st = step{run: &run, before: run.PendingActions(), known: true}
	now := s.now()
	if machineStatus == statusDeleting {
		st.events = run.Stop("", "", now)
		return st, nil, nil
	}
	m, err := s.machineFor(ctx, q, hash)
	if err != nil {
		return step{}, nil, err
	}
	run.Ctx.ActivityExists = activityExists
	st.events, st.actions, fault = run.Complete(m, actionID, res, now)
	return st, fault, nil
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
