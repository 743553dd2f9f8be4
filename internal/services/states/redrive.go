package states

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// Redrive limits from the Step Functions documentation.
const (
	redriveWindow     = 14 * 24 * time.Hour
	maxRedrives       = 1000
	maxRedriveHistory = 24999
)

type redriveInput struct {
	ExecutionArn *string `json:"executionArn"`
	ClientToken  *string `json:"clientToken"`
}

// RedriveExecutionOutput is RedriveExecution's result.
type RedriveExecutionOutput struct {
	RedriveDate awsproto.EpochTime `json:"redriveDate"`
}

// redrivable says why ex cannot be redriven now, or "" if it can. The
// history-length limit needs the run and is checked on redrive.
func redrivable(ex *execution, now time.Time) string {
	switch {
	case ex.Status == asl.StatusRunning || ex.Status == asl.StatusSucceeded:
		return fmt.Sprintf("Execution is %s and cannot be redriven", ex.Status)
	case ex.RedriveCount >= maxRedrives:
		return fmt.Sprintf("Execution has been redriven %d times, the maximum", maxRedrives)
	case ex.Stopped.Valid && now.Sub(time.Unix(0, ex.Stopped.Int64)) > redriveWindow:
		return "Execution ended more than 14 days ago and cannot be redriven"
	}
	return ""
}

func (s *Service) redriveExecution(ctx context.Context, call *awsproto.Call) (any, error) {
	var in redriveInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	c.length("clientToken", in.ClientToken, 1, 64, false)
	if err := c.err(); err != nil {
		return nil, err
	}
	ex, err := s.executionFromInput(ctx, call, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.env.DB.Write(ctx, func(tx *store.Tx) error {
		ex, err := getExecution(ctx, tx, ex.ARN, true)
		if err != nil {
			return err
		}
		if reason := redrivable(ex, now); reason != "" {
			return errorf("ExecutionNotRedrivable", "%s", reason)
		}
		m, err := getMachine(ctx, tx, ex.MachineARN)
		if err != nil {
			return err
		}
		if m == nil || m.Status == statusDeleting {
			return errorf("ExecutionNotRedrivable", "Execution cannot be redriven: its state machine '%s' was deleted", ex.MachineARN)
		}
		run, err := decodeRun(ex)
		if err != nil {
			return err
		}
		if run.LastEventID >= maxRedriveHistory {
			return errorf("ExecutionNotRedrivable", "Execution has %d history events and cannot be redriven", run.LastEventID)
		}
		parsed, err := s.machineFor(ctx, tx, ex.DefHash)
		if err != nil {
			return err
		}
		run.Ctx.ActivityExists = s.activityExists(ctx, tx)
		events, actions, err := run.Redrive(parsed, now)
		if err != nil {
			return errorf("ExecutionNotRedrivable", "Execution cannot be redriven: %v", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE states_executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL,
			stopped = NULL, redrive_count = redrive_count + 1, redrive_date = ? WHERE arn = ?`, now.UnixNano(), ex.ARN); err != nil {
			return fmt.Errorf("reopen execution: %w", err)
		}
		return s.commit(ctx, tx, ex, step{run: run, events: events, actions: actions, known: true})
	})
	if err != nil {
		return nil, err
	}
	return &RedriveExecutionOutput{RedriveDate: awsproto.EpochTime(now)}, nil
}
