package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

// scheduleKind is the job kind of a scheduled rule's next firing.
const scheduleKind = "events.schedule"

// timerJob is one planned firing of a scheduled rule.
type timerJob struct {
	Bus  string    `json:"bus"`
	Rule string    `json:"rule"`
	Gen  int64     `json:"gen"`
	At   time.Time `json:"at"`
}

// armTimer plans the first firing after from of a rule's schedule.
func armTimer(ctx context.Context, tx *txn, tj timerJob, sched schedule, from time.Time) error {
	at, ok := sched.next(from)
	if !ok {
		return nil // a cron whose last year has passed never fires
	}
	tj.At = at
	payload, err := marshal(tj)
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(ctx, scheduleKind, payload, at)
	return err
}

// fire runs a scheduled rule: it puts a "Scheduled Event" on the rule's
// targets and plans the next firing, all in one transaction with the end
// of the job, so a firing is neither lost nor doubled by a crash.
func (s *Service) fire(ctx context.Context, job store.Job) error {
	var tj timerJob
	if err := json.Unmarshal(job.Payload, &tj); err != nil {
		return runtime.Permanent(fmt.Errorf("decode schedule job: %w", err))
	}
	return s.env.DB.Write(ctx, func(tx *txn) error {
		if err := tx.Finish(ctx, job.ID); err != nil {
			return err
		}
		r, ok, err := getRule(ctx, tx, tj.Bus, tj.Rule)
		if err != nil || !ok || r.Schedule == "" {
			return err // the rule is gone or no longer scheduled
		}
		var gen int64
		if err := tx.QueryRowContext(ctx, `SELECT schedule_gen FROM events_rules WHERE bus = ? AND name = ?`, tj.Bus, tj.Rule).Scan(&gen); err != nil {
			return fmt.Errorf("read schedule generation: %w", err)
		}
		if gen != tj.Gen {
			return nil // the rule was updated; its new timer carries on
		}
		sched, err := parseSchedule(r.Schedule)
		if err != nil {
			s.env.Log.Error("stored schedule does not parse", "rule", r.Name, "schedule", r.Schedule, "err", err)
			return nil
		}
		if r.State != stateDisabled {
			if err := s.enqueueScheduled(ctx, tx, r, tj.At); err != nil {
				return err
			}
		}
		// Firings missed while the server was down are skipped, not replayed.
		next, now := tj.At, time.Now()
		for {
			n, ok := sched.next(next)
			if !ok {
				return nil
			}
			if next = n; next.After(now) {
				break
			}
		}
		tj.At = next
		payload, err := marshal(tj)
		if err != nil {
			return err
		}
		_, err = tx.Enqueue(ctx, scheduleKind, payload, next)
		return err
	})
}

// enqueueScheduled queues the event of one firing to every target.
func (s *Service) enqueueScheduled(ctx context.Context, tx *txn, r ruleRow, at time.Time) error {
	targets, err := targetsOf(ctx, tx, r.Bus, r.Name)
	if err != nil || len(targets) == 0 {
		return err
	}
	id, ruleARN := newUUID(), s.ruleARN(r.Bus, r.Name)
	event, err := marshal(envelope{Version: "0", ID: id, DetailType: "Scheduled Event", Source: "aws.events",
		Account: s.env.AccountID, Time: at.UTC().Format(time.RFC3339), Region: s.env.Region,
		Resources: []string{ruleARN}, Detail: json.RawMessage(`{}`)})
	if err != nil {
		return err
	}
	return s.enqueueTargets(ctx, tx, accepted{id: id, bus: r.Bus, event: event}, r.Name, targets, time.Now().UTC())
}
