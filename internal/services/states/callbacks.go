package states

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

// Callback tasks (.waitForTaskToken) make their call, then wait for
// SendTaskSuccess or SendTaskFailure with the task's token. Their
// TimeoutSeconds and HeartbeatSeconds run on durable timer jobs.
const jobDeadline = "states.deadline"

type deadlinePayload struct {
	jobPayload
	Error string `json:"error"` // States.Timeout or States.HeartbeatTimeout
}

// awaitCallback records a callback task's token and starts its timers.
func (s *Service) awaitCallback(ctx context.Context, tx *store.Tx, execARN string, a asl.Action) error {
	var deadline, heartbeat int64
	var err error
	if a.TimeoutSeconds > 0 {
		deadline, err = s.enqueueDeadline(ctx, tx, execARN, a.ID, asl.ErrTimeout, a.TimeoutSeconds)
		if err != nil {
			return err
		}
	}
	// An activity's heartbeats are due once a worker has taken the task.
	if a.HeartbeatSeconds > 0 && !isActivity(a.Resource) {
		heartbeat, err = s.enqueueDeadline(ctx, tx, execARN, a.ID, asl.ErrHeartbeatTimeout, a.HeartbeatSeconds)
		if err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO states_tokens (token, execution, action, deadline_job, heartbeat_job, heartbeat_secs)
		VALUES (?, ?, ?, ?, ?, ?)`, a.TaskToken, execARN, a.ID, deadline, heartbeat, a.HeartbeatSeconds)
	if err != nil {
		return fmt.Errorf("record task token: %w", err)
	}
	return nil
}

func (s *Service) enqueueDeadline(ctx context.Context, tx *store.Tx, execARN, action, errName string, secs int) (int64, error) {
	payload, err := json.Marshal(deadlinePayload{jobPayload{Execution: execARN, Action: action}, errName})
	if err != nil {
		return 0, err
	}
	return tx.Enqueue(ctx, jobDeadline, payload, s.now().Add(time.Duration(secs)*time.Second))
}

// closeTokens closes the tokens of tasks the run no longer awaits, ends
// their timers and drops activity tasks no worker has taken yet.
func closeTokens(ctx context.Context, tx *store.Tx, tokens []any) error {
	if len(tokens) == 0 {
		return nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(tokens)), ", ")
	rows, err := tx.QueryContext(ctx, `UPDATE states_tokens SET closed = 1 WHERE closed = 0 AND token IN (`+marks+`)
		RETURNING deadline_job, heartbeat_job`, tokens...)
	if err != nil {
		return fmt.Errorf("close task tokens: %w", err)
	}
	var jobs []int64
	for rows.Next() {
		var d, h int64
		if err := rows.Scan(&d, &h); err != nil {
			rows.Close()
			return err
		}
		jobs = append(jobs, d, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, j := range jobs {
		if j != 0 {
			if err := tx.Finish(ctx, j); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM states_activity_tasks WHERE token IN (`+marks+`)`, tokens...); err != nil {
		return fmt.Errorf("drop activity tasks: %w", err)
	}
	return nil
}

// handleDeadline ends a callback task that timed out or missed a heartbeat.
func (s *Service) handleDeadline(ctx context.Context, job store.Job) error {
	var p deadlinePayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return runtime.Permanent(fmt.Errorf("decode deadline job: %w", err))
	}
	// advance ignores a task that has ended meanwhile.
	return s.advance(ctx, job.ID, p.jobPayload, asl.Result{Error: p.Error})
}

type sendTaskInput struct {
	TaskToken *string `json:"taskToken"`
	Output    *string `json:"output"`
	Error     *string `json:"error"`
	Cause     *string `json:"cause"`
}

// openToken is a callback task found by its token.
type openToken struct {
	jobPayload
	heartbeatJob  int64
	heartbeatSecs int
}

// findToken loads the open task a token names, inside tx.
func findToken(ctx context.Context, tx *store.Tx, token string) (*openToken, error) {
	var t openToken
	var closed bool
	err := tx.QueryRowContext(ctx, `SELECT execution, action, closed, heartbeat_job, heartbeat_secs FROM states_tokens WHERE token = ?`, token).
		Scan(&t.Execution, &t.Action, &closed, &t.heartbeatJob, &t.heartbeatSecs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf("InvalidToken", "Invalid Token: '%s'", token)
	}
	if err != nil {
		return nil, fmt.Errorf("load task token: %w", err)
	}
	if closed {
		return nil, errorf("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
	}
	return &t, nil
}

func (s *Service) checkToken(call *awsproto.Call, in *sendTaskInput) error {
	var c checker
	if c.required("taskToken", in.TaskToken) {
		c.length("taskToken", in.TaskToken, 1, 1024, false)
	}
	if call.Action == "SendTaskSuccess" && c.required("output", in.Output) && len(*in.Output) > maxPayloadBytes {
		c.add("output", in.Output, true, fmt.Sprintf("Member must have length less than or equal to %d", maxPayloadBytes))
	}
	c.length("error", in.Error, 0, maxErrorLen, true)
	c.length("cause", in.Cause, 0, maxCauseLen, true)
	return c.err()
}

// sendTaskResult ends a callback task with SendTaskSuccess or SendTaskFailure.
func (s *Service) sendTaskResult(ctx context.Context, call *awsproto.Call) (any, error) {
	var in sendTaskInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if err := s.checkToken(call, &in); err != nil {
		return nil, err
	}
	res := asl.Result{Error: str(in.Error), Cause: str(in.Cause)}
	if call.Action == "SendTaskSuccess" {
		if _, err := decodeJSON([]byte(*in.Output)); err != nil {
			return nil, errorf("InvalidOutput", "Invalid Output: '%v'", err)
		}
		res = asl.Result{Output: json.RawMessage(*in.Output)}
	} else if res.Error == "" {
		// A failure needs a name for Retry and Catch to match.
		res.Error = asl.ErrTaskFailed
	}
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := findToken(ctx, tx, *in.TaskToken)
		if err != nil {
			return err
		}
		call.AddResource("AWS::StepFunctions::Execution", t.Execution)
		if held, err := s.holdEarly(ctx, tx, t.jobPayload, res); err != nil || held {
			return err
		}
		running, err := s.advanceTx(ctx, tx, t.jobPayload, res, 0)
		if err == nil && !running {
			err = errorf("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// sendTaskHeartbeat restarts a callback task's heartbeat timer.
func (s *Service) sendTaskHeartbeat(ctx context.Context, call *awsproto.Call) (any, error) {
	var in sendTaskInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if err := s.checkToken(call, &in); err != nil {
		return nil, err
	}
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := findToken(ctx, tx, *in.TaskToken)
		if err != nil || t.heartbeatSecs == 0 {
			return err
		}
		call.AddResource("AWS::StepFunctions::Execution", t.Execution)
		if err := tx.Finish(ctx, t.heartbeatJob); err != nil {
			return err
		}
		job, err := s.enqueueDeadline(ctx, tx, t.Execution, t.Action, asl.ErrHeartbeatTimeout, t.heartbeatSecs)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE states_tokens SET heartbeat_job = ? WHERE token = ?`, job, *in.TaskToken)
		return err
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
