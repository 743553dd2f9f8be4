package states

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/store"
)

// A task that leads straight to another task (the common sequence of
// Task states) runs the next one in the same worker instead of going
// back through the queue. Such a held task has no job: the execution's
// jobs map marks it heldJob, and Start turns every held task of a
// running execution into a job again, so a task held when the process
// died runs after the restart like any other. This saves a claim
// transaction, a queue round trip and a job's insert and delete per task.
const (
	heldJob  = -1
	maxChain = 64 // tasks one worker runs in a row before yielding
)

// heldTask is the next task of a chain.
type heldTask struct {
	act asl.Action
	job int64
}

// runTasks performs a task and feeds its result back, then goes on with
// the task that result led to, if any. jobID is the task's job, or
// heldJob for a held task. snap, if known, is the execution as committed
// before the task.
func (s *Service) runTasks(ctx context.Context, jobID int64, p jobPayload, act asl.Action, snap *snapshot) error {
	ctx = withActor(ctx, actor{execution: p.Execution})
	for n := 1; ; n++ {
		res := s.perform(ctx, act)
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: the task runs again after restart
		}
		if res.Error == "" {
			in, _ := parseResource(act.Resource)
			switch {
			case act.TaskToken != "":
				// The call went out; the task ends with SendTask*.
				return s.submitted(ctx, jobID, p, res.Output, "", "")
			case in.kind == "sfn" && in.sync != "":
				var started struct{ ExecutionArn string }
				json.Unmarshal(res.Output, &started)
				return s.submitted(ctx, jobID, p, res.Output, started.ExecutionArn, in.sync)
			}
		}
		next, after, err := s.advanceChain(ctx, jobID, p, res, n < maxChain, snap)
		if err != nil || next == nil {
			return err
		}
		jobID, p, act, snap = next.job, jobPayload{Execution: p.Execution, Action: next.act.ID}, next.act, after
	}
}

// advanceChain is advance for a task result; with hold set, the first
// task the step schedules is held for this worker and returned, with the
// execution as the step left it. With snap, the step is computed before
// the transaction (see ahead.go).
func (s *Service) advanceChain(ctx context.Context, jobID int64, p jobPayload, res asl.Result, hold bool, snap *snapshot) (*heldTask, *snapshot, error) {
	pre := s.stepAhead(ctx, snap, p.Action, res)
	var next *heldTask
	var after *snapshot
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		next, after = nil, nil
		ex, machineStatus, err := loadRunning(ctx, tx, p.Execution)
		if err != nil {
			return err
		}
		if ex == nil {
			if jobID > 0 {
				return tx.Finish(ctx, jobID)
			}
			return nil
		}
		var st step
		if pre.fits(ex, machineStatus) {
			st = pre.st
		} else if st, err = s.resume(ctx, tx, ex, machineStatus, p.Action, res); err != nil {
			return err
		}
		st.job, st.machineStatus = jobID, machineStatus
		if hold {
			st.held = &heldTask{}
		}
		if err := st.encode(); err != nil {
			return err
		}
		if err := s.commit(ctx, tx, ex, st); err != nil {
			return err
		}
		if st.held != nil && st.held.job != 0 {
			next = st.held
			after = &snapshot{run: st.runJSON, defHash: ex.DefHash, machineStatus: machineStatus}
		}
		return nil
	})
	return next, after, err
}

// holdable reports whether a new action may run in the worker that
// produced it: a plain call, not a callback or an activity.
func holdable(a asl.Action) bool {
	return a.Kind == asl.KindTask && a.TaskToken == "" && !isActivity(a.Resource)
}

// requeueHeld gives every held task of a running execution a job again;
// Start calls it before workers run, when no task can be held.
func (s *Service) requeueHeld(ctx context.Context) error {
	rows, err := s.env.DB.Read().QueryContext(ctx, `SELECT arn FROM states_executions
		WHERE status = 'RUNNING' AND jobs LIKE '%:-1%'`)
	if err != nil {
		return fmt.Errorf("find held tasks: %w", err)
	}
	var arns []string
	for rows.Next() {
		var arn string
		if err := rows.Scan(&arn); err != nil {
			rows.Close()
			return err
		}
		arns = append(arns, arn)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, arn := range arns {
		err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
			ex, _, err := loadRunning(ctx, tx, arn)
			if err != nil || ex == nil || ex.Jobs == nil {
				return err
			}
			run, err := decodeRun(ex)
			if err != nil {
				return err
			}
			for _, a := range run.PendingActions() {
				if ex.Jobs[a.ID] != heldJob {
					continue
				}
				payload, err := json.Marshal(jobPayload{Execution: arn, Action: a.ID, Act: &a})
				if err != nil {
					return err
				}
				id, err := tx.Enqueue(ctx, jobTask, payload, s.now())
				if err != nil {
					return err
				}
				ex.Jobs[a.ID] = id
			}
			jobs, err := json.Marshal(ex.Jobs)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE states_executions SET jobs = ? WHERE arn = ?`, string(jobs), arn)
			return err
		})
		if err != nil {
			return fmt.Errorf("requeue held tasks of %s: %w", arn, err)
		}
	}
	return nil
}
