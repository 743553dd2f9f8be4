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
	"github.com/vigilsec/vigil/internal/store"
)

// Activities are tasks done by workers outside Vigil: a Task state whose
// resource is an activity ARN queues its input in states_activity_tasks;
// a worker takes it with GetActivityTask (a long poll) and ends it with
// SendTaskSuccess or SendTaskFailure and the task token it was given.

// activityPoll is how long GetActivityTask waits for a task, as on AWS.
const activityPoll = 60 * time.Second

func isActivity(resource string) bool {
	in, ok := parseResource(resource)
	return ok && in.kind == "activity"
}

func (s *Service) activityARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:activity:%s", s.env.Region, s.env.AccountID, name)
}

// checkActivityARN validates an activity ARN the way AWS words it.
func checkActivityARN(arn string) error {
	if !strings.HasPrefix(arn, "arn:") {
		return errorf("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: %s'", arn)
	}
	r, err := parseStatesARN(arn)
	if err != nil {
		return err
	}
	if r.typ != "activity" {
		return errorf("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", r.typ)
	}
	if len(r.parts) != 1 || !validName(r.parts[0]) {
		return errorf("InvalidArn", "Invalid Arn: '%s'", arn)
	}
	return nil
}

func activityMissing(arn string) error {
	return errorf("ActivityDoesNotExist", "Activity Does Not Exist: '%s'", arn)
}

func (s *Service) createActivity(ctx context.Context, call *awsproto.Call) (any, error) {
	var in createActivityInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("name", in.Name) {
		c.length("name", in.Name, 1, maxNameLen, false)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := checkName(*in.Name); err != nil {
		return nil, err
	}
	if e := in.EncryptionConfiguration; e != nil && e.Type != "" && e.Type != "AWS_OWNED_KEY" {
		return nil, errorf("InvalidEncryptionConfiguration", "Vigil does not support customer managed KMS keys; use encryptionConfiguration type AWS_OWNED_KEY.")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	arn, created := s.activityARN(*in.Name), s.now()
	call.AddResource("AWS::StepFunctions::Activity", arn)
	err = s.env.DB.Write(ctx, func(tx *store.Tx) error {
		// Creating is idempotent by name; later tags are ignored, as on AWS.
		var ns int64
		err := tx.QueryRowContext(ctx, `SELECT created FROM states_activities WHERE arn = ?`, arn).Scan(&ns)
		if err == nil {
			created = time.Unix(0, ns).UTC()
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("load activity: %w", err)
		}
		b, err := json.Marshal(tags)
		if err != nil {
			return err
		}
		if tags == nil {
			b = []byte("[]")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO states_activities (arn, name, created, tags) VALUES (?, ?, ?, ?)`, arn, *in.Name, created.UnixNano(), string(b))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &CreateActivityOutput{ActivityArn: arn, CreationDate: awsproto.EpochTime(created)}, nil
}

// activityFromInput validates a call's activityArn.
func activityFromInput(call *awsproto.Call, arn *string) error {
	var c checker
	if c.required("activityArn", arn) {
		c.length("activityArn", arn, 1, maxArnLen, false)
	}
	if err := c.err(); err != nil {
		return err
	}
	if err := checkActivityARN(*arn); err != nil {
		return err
	}
	call.AddResource("AWS::StepFunctions::Activity", *arn)
	return nil
}

func (s *Service) describeActivity(ctx context.Context, call *awsproto.Call) (any, error) {
	var in activityInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if err := activityFromInput(call, in.ActivityArn); err != nil {
		return nil, err
	}
	var out DescribeActivityOutput
	var ns int64
	err := s.env.DB.Read().QueryRowContext(ctx, `SELECT arn, name, created FROM states_activities WHERE arn = ?`, *in.ActivityArn).Scan(&out.ActivityArn, &out.Name, &ns)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, activityMissing(*in.ActivityArn)
	}
	if err != nil {
		return nil, fmt.Errorf("load activity: %w", err)
	}
	out.CreationDate = epoch(ns)
	out.EncryptionConfiguration = &EncryptionConfiguration{Type: "AWS_OWNED_KEY"}
	return &out, nil
}

func (s *Service) listActivities(ctx context.Context, call *awsproto.Call) (any, error) {
	after, limit, err := namePage(call)
	if err != nil {
		return nil, err
	}
	rows, err := s.env.DB.Read().QueryContext(ctx, `SELECT arn, name, created FROM states_activities WHERE name > ? ORDER BY name LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("list activities: %w", err)
	}
	defer rows.Close()
	out := &ListActivitiesOutput{Activities: []ActivityListItem{}}
	for rows.Next() {
		var it ActivityListItem
		var ns int64
		if err := rows.Scan(&it.ActivityArn, &it.Name, &ns); err != nil {
			return nil, err
		}
		it.CreationDate = epoch(ns)
		out.Activities = append(out.Activities, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.Activities) > limit {
		out.Activities = out.Activities[:limit]
		out.NextToken = encodeToken(out.Activities[limit-1].Name)
	}
	return out, nil
}

// deleteActivity removes an activity; deleting a missing one succeeds.
// Tasks already scheduled for it stay until they time out or end.
func (s *Service) deleteActivity(ctx context.Context, call *awsproto.Call) (any, error) {
	var in activityInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if err := activityFromInput(call, in.ActivityArn); err != nil {
		return nil, err
	}
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM states_activities WHERE arn = ?`, *in.ActivityArn)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("delete activity: %w", err)
	}
	return struct{}{}, nil
}

// activityExists answers the interpreter's question before it schedules
// an activity task. A failed lookup counts as existing: the task then
// waits (and times out) rather than failing on a database hiccup.
func (s *Service) activityExists(ctx context.Context, q querier) func(string) bool {
	return func(arn string) bool {
		var one int
		err := q.QueryRowContext(ctx, `SELECT 1 FROM states_activities WHERE arn = ?`, arn).Scan(&one)
		return !errors.Is(err, sql.ErrNoRows)
	}
}

// queueActivityTask puts a scheduled activity task in its activity's
// queue and wakes the workers polling for it.
func (s *Service) queueActivityTask(ctx context.Context, tx *store.Tx, execARN string, a asl.Action) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO states_activity_tasks (token, activity, execution, action, input, seq) VALUES (?, ?, ?, ?, ?, ?)`,
		a.TaskToken, a.Resource, execARN, a.ID, string(a.Input), s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("queue activity task: %w", err)
	}
	// The pollers' claims take the writer connection after this
	// transaction has committed, so waking them now is early enough.
	s.wakeActivities()
	return nil
}

// activityWaiter returns a channel closed when an activity task is queued.
func (s *Service) activityWaiter() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.actWake == nil {
		s.actWake = make(chan struct{})
	}
	return s.actWake
}

func (s *Service) wakeActivities() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.actWake != nil {
		close(s.actWake)
		s.actWake = nil
	}
}

func (s *Service) getActivityTask(ctx context.Context, call *awsproto.Call) (any, error) {
	var in getActivityTaskInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if err := activityFromInput(call, in.ActivityArn); err != nil {
		return nil, err
	}
	var c checker
	c.length("workerName", in.WorkerName, 1, maxNameLen, false)
	if err := c.err(); err != nil {
		return nil, err
	}
	arn := *in.ActivityArn
	if !s.activityExists(ctx, s.env.DB.Read())(arn) {
		return nil, activityMissing(arn)
	}
	deadline := time.NewTimer(s.pollTimeout)
	defer deadline.Stop()
	for {
		wake := s.activityWaiter()
		out, err := s.claimActivityTask(ctx, arn, str(in.WorkerName))
		if err != nil || out != nil {
			return out, err
		}
		select {
		case <-wake:
		case <-deadline.C:
			return &GetActivityTaskOutput{}, nil
		case <-s.stopping:
			return &GetActivityTaskOutput{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// claimActivityTask hands the oldest queued task of an activity to a
// worker: ActivityStarted joins the history and the heartbeat timer
// starts. It returns nil when the queue is empty.
func (s *Service) claimActivityTask(ctx context.Context, arn, worker string) (*GetActivityTaskOutput, error) {
	var out *GetActivityTaskOutput
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		for {
			var token, execARN, action, input string
			err := tx.QueryRowContext(ctx, `DELETE FROM states_activity_tasks WHERE token =
				(SELECT token FROM states_activity_tasks WHERE activity = ? ORDER BY seq LIMIT 1)
				RETURNING token, execution, action, input`, arn).Scan(&token, &execARN, &action, &input)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("claim activity task: %w", err)
			}
			ok, err := s.startActivityTask(ctx, tx, execARN, action, token, worker)
			if err != nil {
				return err
			}
			if ok {
				out = &GetActivityTaskOutput{TaskToken: &token, Input: &input}
				return nil
			}
		}
	})
	return out, err
}

// startActivityTask records that a worker took a task; ok is false when
// the execution no longer waits for it.
func (s *Service) startActivityTask(ctx context.Context, tx *store.Tx, execARN, action, token, worker string) (bool, error) {
	ex, m, run, err := s.loadRun(ctx, tx, execARN)
	if err != nil || ex == nil {
		return false, err
	}
	evs := run.ActivityStarted(m, action, worker, s.now())
	if evs == nil {
		return false, nil
	}
	var secs int
	if err := tx.QueryRowContext(ctx, `SELECT heartbeat_secs FROM states_tokens WHERE token = ?`, token).Scan(&secs); err != nil {
		return false, fmt.Errorf("load task token: %w", err)
	}
	if secs > 0 {
		job, err := s.enqueueDeadline(ctx, tx, execARN, action, asl.ErrHeartbeatTimeout, secs)
		if err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE states_tokens SET heartbeat_job = ? WHERE token = ?`, job, token); err != nil {
			return false, err
		}
	}
	return true, s.commit(ctx, tx, ex, step{run: run, events: evs, before: run.PendingActions(), known: true})
}
