package states

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/store"
)

// The answer to a callback task can come before the call that handed out
// its token has returned: a child execution started with
// states:startExecution.waitForTaskToken may finish and call
// SendTaskSuccess while the parent's worker is still recording the call.
// Such an answer is accepted and held until the task's TaskSubmitted is
// committed, so that history keeps AWS's order (TaskSubmitted, then
// TaskSucceeded). Held answers are rows, so they survive a crash.

var earlySchema = []string{
	`CREATE TABLE states_early_results (
		execution TEXT NOT NULL,
		action    TEXT NOT NULL,
		output    BLOB,
		error     TEXT,
		cause     TEXT,
		PRIMARY KEY (execution, action)
	)`,
}

// holdEarly keeps res for the task p names when its call is still going
// out; held reports whether it did.
func (s *Service) holdEarly(ctx context.Context, tx *store.Tx, p jobPayload, res asl.Result) (held bool, err error) {
	ex, m, run, err := s.loadRun(ctx, tx, p.Execution)
	if err != nil || ex == nil || !run.AwaitsSubmission(m, p.Action) {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO states_early_results (execution, action, output, error, cause) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (execution, action) DO NOTHING`, p.Execution, p.Action, []byte(res.Output), res.Error, res.Cause)
	if err != nil {
		return false, fmt.Errorf("hold the early answer of %s: %w", p.Action, err)
	}
	return true, nil
}

// loadRun loads a running execution with its machine and run; ex is nil
// when the execution has ended.
func (s *Service) loadRun(ctx context.Context, tx *store.Tx, execARN string) (*execution, *asl.Machine, *asl.Run, error) {
	ex, err := getExecution(ctx, tx, execARN, true)
	if err != nil || ex == nil || ex.Status != asl.StatusRunning {
		return nil, nil, nil, err
	}
	m, err := s.machineFor(ctx, tx, ex.DefHash)
	if err != nil {
		return nil, nil, nil, err
	}
	run, err := decodeRun(ex)
	if err != nil {
		return nil, nil, nil, err
	}
	return ex, m, run, nil
}

// takeEarly returns and forgets the answer held for an action, if any.
func takeEarly(ctx context.Context, tx *store.Tx, execARN, action string) (*asl.Result, error) {
	var res asl.Result
	var output []byte
	err := tx.QueryRowContext(ctx, `DELETE FROM states_early_results WHERE execution = ? AND action = ? RETURNING output, error, cause`,
		execARN, action).Scan(&output, &res.Error, &res.Cause)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("take the early answer of %s: %w", action, err)
	}
	res.Output = output
	return &res, nil
}
