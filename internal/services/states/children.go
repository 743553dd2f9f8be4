package states

import (
	"context"
	"crypto/sha256"
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

// Task states can start executions of other state machines
// (arn:aws:states:::states:startExecution). With .sync or .sync:2 the
// task waits for the child: the link is a row of states_children, and
// the child's last transition enqueues a job that completes the parent's
// task, so the wait survives restarts like any other.
const jobChild = "states.child"

type childPayload struct {
	jobPayload
	Child string `json:"child"`
	Mode  string `json:"mode"`
}

// startChild calls StartExecution for a states:startExecution task. The
// child's name, when the state gives none, is derived from the parent and
// the action, so that a task repeated after a crash finds the child it
// already started instead of starting another.
func (s *Service) startChild(ctx context.Context, act asl.Action) asl.Result {
	var params map[string]any
	if err := json.Unmarshal(act.Input, &params); err != nil || params == nil {
		return asl.Result{Error: asl.ErrRuntime, Cause: "The parameters of states:startExecution must be a JSON object."}
	}
	in := map[string]any{}
	for from, to := range map[string]string{"StateMachineArn": "stateMachineArn", "Name": "name", "TraceHeader": "traceHeader"} {
		if v, ok := params[from]; ok && v != nil {
			in[to] = v
		}
	}
	switch v := params["Input"].(type) {
	case nil:
		in["input"] = "{}"
	case string:
		in["input"] = v
	default:
		b, _ := json.Marshal(v)
		in["input"] = string(b)
	}
	generated := false
	if _, named := in["name"]; !named {
		in["name"], generated = childName(act), true
	}
	if mode := syncMode(act.Resource); mode != "" {
		if m, err := getMachineMeta(ctx, s.env.DB.Read(), fmt.Sprint(in["stateMachineArn"])); err == nil && m != nil && m.Type == typeExpress {
			return s.runExpressChild(ctx, in)
		}
	}
	out, err := s.invoke(ctx, "states", "StartExecution", in)
	var e *awsproto.Error
	if generated && errors.As(err, &e) && e.Code == "ExecutionAlreadyExists" {
		// Started before a crash, and finished since.
		arn, _ := in["stateMachineArn"].(string)
		out, err = s.existingChild(ctx, arn, in["name"].(string))
	}
	if err != nil {
		return optimizedFailure("StepFunctions", "AWSStepFunctions", err)
	}
	var started StartExecutionOutput
	if err := json.Unmarshal(out, &started); err != nil {
		return asl.Result{Error: asl.ErrTaskFailed, Cause: "StartExecution returned an unreadable result"}
	}
	b, _ := json.Marshal(map[string]any{
		"ExecutionArn":        started.ExecutionArn,
		"StartDate":           epochMillis(started.StartDate),
		"SdkHttpMetadata":     map[string]any{"HttpStatusCode": 200},
		"SdkResponseMetadata": map[string]any{"RequestId": newUUID()},
	})
	return asl.Result{Output: b}
}

func epochMillis(t awsproto.EpochTime) int64 { return time.Time(t).UnixMilli() }

func syncMode(resource string) string {
	in, _ := parseResource(resource)
	if in.kind != "sfn" {
		return ""
	}
	return in.sync
}

// runExpressChild runs an EXPRESS child of a .sync task to its end with
// StartSyncExecution: an EXPRESS execution leaves no record for the task
// to wait on. Its outcome is kept for submitted, which completes the task
// with it; after a crash in between, the task runs again and so does the
// child, at least once, as AWS runs EXPRESS executions.
func (s *Service) runExpressChild(ctx context.Context, in map[string]any) asl.Result {
	out, err := s.invoke(ctx, "states", "StartSyncExecution", in)
	if err != nil {
		return optimizedFailure("StepFunctions", "AWSStepFunctions", err)
	}
	var done StartSyncExecutionOutput
	if err := json.Unmarshal(out, &done); err != nil {
		return asl.Result{Error: asl.ErrTaskFailed, Cause: "StartSyncExecution returned an unreadable result"}
	}
	ex := &execution{ARN: done.ExecutionArn, MachineARN: done.StateMachineArn, Name: done.Name, Status: done.Status,
		Started: time.Time(done.StartDate), Stopped: sql.NullInt64{Int64: time.Time(done.StopDate).UnixNano(), Valid: true}}
	ex.Input, _ = in["input"].(string)
	for dst, src := range map[*sql.NullString]*string{&ex.Output: done.Output, &ex.Error: done.Error, &ex.Cause: done.Cause} {
		if src != nil {
			*dst = sql.NullString{String: *src, Valid: true}
		}
	}
	s.expressChildren.Store(ex.ARN, ex)
	b, _ := json.Marshal(map[string]any{
		"ExecutionArn":        ex.ARN,
		"StartDate":           ex.Started.UnixMilli(),
		"SdkHttpMetadata":     map[string]any{"HttpStatusCode": 200},
		"SdkResponseMetadata": map[string]any{"RequestId": newUUID()},
	})
	return asl.Result{Output: b}
}

// childName is a UUID-shaped name fixed by the parent and its action.
func childName(act asl.Action) string {
	sum := sha256.Sum256([]byte(act.TaskToken + "|" + act.ID + "|" + string(act.Input)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// existingChild answers like StartExecution for a child that exists.
func (s *Service) existingChild(ctx context.Context, machineARN, name string) (json.RawMessage, error) {
	machineName := machineARN[strings.LastIndexByte(machineARN, ':')+1:]
	ex, err := getExecution(ctx, s.env.DB.Read(), s.executionARN(machineName, name), false)
	if err != nil || ex == nil {
		return nil, errorf("ExecutionAlreadyExists", "Execution Already Exists: '%s'", s.executionARN(machineName, name))
	}
	return json.Marshal(StartExecutionOutput{ExecutionArn: ex.ARN, StartDate: awsproto.EpochTime(ex.Started)})
}

// submitted records TaskSubmitted for a task whose call went out and now
// waits: for a callback, for a child execution (child != "") or nothing
// more. It ends the task's job in the same transaction.
func (s *Service) submitted(ctx context.Context, jobID int64, p jobPayload, output json.RawMessage, child, mode string) error {
	if child != "" {
		// Whatever happens here, an EXPRESS child's outcome is needed no
		// more: a task that runs again runs its child again.
		defer s.expressChildren.Delete(child)
	}
	return s.env.DB.Write(ctx, func(tx *store.Tx) error {
		ex, err := getExecution(ctx, tx, p.Execution, true)
		if err != nil || ex == nil || ex.Status != asl.StatusRunning {
			if jobID > 0 {
				err = errors.Join(err, tx.Finish(ctx, jobID))
			}
			return err
		}
		m, err := s.machineFor(ctx, tx, ex.DefHash)
		if err != nil {
			return err
		}
		run, err := decodeRun(ex)
		if err != nil {
			return err
		}
		st := step{run: run, before: run.PendingActions(), known: true, job: jobID}
		if ex.Jobs != nil {
			ex.Jobs[p.Action] = 0 // the call is made: nothing to run again
		}
		st.events = run.Submitted(m, p.Action, output, s.now())
		early, err := takeEarly(ctx, tx, p.Execution, p.Action)
		if err != nil {
			return err
		}
		if early != nil {
			evs, acts, err := run.Complete(m, p.Action, *early, s.now())
			if err != nil {
				return err
			}
			st.events, st.actions = append(st.events, evs...), acts
			return s.commit(ctx, tx, ex, st)
		}
		if child != "" {
			done, err := getExecution(ctx, tx, child, false)
			if err != nil {
				return err
			}
			if v, ok := s.expressChildren.Load(child); ok && done == nil {
				done = v.(*execution)
			}
			if done != nil && done.Status != asl.StatusRunning {
				evs, acts, err := run.Complete(m, p.Action, childResult(done, mode), s.now())
				if err != nil {
					return err
				}
				st.events, st.actions = append(st.events, evs...), acts
			} else {
				// Set before the child can end, so its end looks for us.
				s.mayHaveParents.Store(true)
				if _, err := tx.ExecContext(ctx, `INSERT INTO states_children (child, execution, action, mode) VALUES (?, ?, ?, ?)
					ON CONFLICT (child) DO UPDATE SET execution = excluded.execution, action = excluded.action, mode = excluded.mode`,
					child, p.Execution, p.Action, mode); err != nil {
					return fmt.Errorf("record child execution: %w", err)
				}
			}
		}
		return s.commit(ctx, tx, ex, st)
	})
}

// notifyParent enqueues the completion of a .sync task whose child
// execution ex has just ended (inside the child's last transaction).
func (s *Service) notifyParent(ctx context.Context, tx *store.Tx, child string) error {
	if !s.mayHaveParents.Load() {
		return nil
	}
	var p childPayload
	err := tx.QueryRowContext(ctx, `DELETE FROM states_children WHERE child = ? RETURNING execution, action, mode`, child).
		Scan(&p.Execution, &p.Action, &p.Mode)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find parent of %s: %w", child, err)
	}
	p.Child = child
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(ctx, jobChild, body, time.Time{})
	return err
}

// handleChild completes a .sync task with its child's outcome.
func (s *Service) handleChild(ctx context.Context, job store.Job) error {
	var p childPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return runtime.Permanent(fmt.Errorf("decode child job: %w", err))
	}
	child, err := getExecution(ctx, s.env.DB.Read(), p.Child, false)
	if err != nil {
		return err
	}
	if child == nil {
		return runtime.Permanent(fmt.Errorf("child execution %s is gone", p.Child))
	}
	return s.advance(ctx, job.ID, p.jobPayload, childResult(child, p.Mode))
}

// childResult is a .sync task's result: the child's DescribeExecution
// answer in the SDK's PascalCase, its input and output as JSON text
// (.sync) or as JSON (.sync:2). A child that did not succeed fails the
// task with States.TaskFailed and that answer as the cause.
func childResult(ex *execution, mode string) asl.Result {
	data := func(text string) any {
		if mode == "sync:2" {
			if v, err := decodeJSON([]byte(text)); err == nil {
				return v
			}
		}
		return text
	}
	d := map[string]any{
		"ExecutionArn": ex.ARN, "StateMachineArn": ex.MachineARN, "Name": ex.Name, "Status": ex.Status,
		"Input": data(ex.Input), "InputDetails": map[string]any{"Included": true},
		"StartDate": ex.Started.UnixMilli(),
	}
	if ex.Stopped.Valid {
		d["StopDate"] = ex.Stopped.Int64 / 1e6
	}
	if ex.Status == asl.StatusSucceeded {
		d["Output"], d["OutputDetails"] = data(ex.Output.String), map[string]any{"Included": true}
		b, _ := json.Marshal(d)
		return asl.Result{Output: b}
	}
	if ex.Error.Valid {
		d["Error"] = ex.Error.String
	}
	if ex.Cause.Valid {
		d["Cause"] = ex.Cause.String
	}
	b, _ := json.Marshal(d)
	return asl.Result{Error: asl.ErrTaskFailed, Cause: string(b)}
}

func decodeRun(ex *execution) (*asl.Run, error) {
	var run asl.Run
	if err := json.Unmarshal(ex.Run, &run); err != nil {
		return nil, fmt.Errorf("decode run of %s: %w", ex.ARN, err)
	}
	return &run, nil
}
