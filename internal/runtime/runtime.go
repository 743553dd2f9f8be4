// Package runtime runs Vigil's durable work: rule-target deliveries,
// execution steps, timers and subscription deliveries are jobs in the
// store; workers lease them, run their handlers, and retry or bury them.
// Because a job is deleted only after its handler's effects commit, work
// in flight when the process dies runs again after a restart.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Handler does one job. Returning nil finishes it. A handler that must end
// its job atomically with its own writes calls tx.Finish itself.
type Handler func(ctx context.Context, job store.Job) error

// Policy says how failures of a kind of job are retried.
type Policy struct {
	MaxAttempts int           // attempts before the job is buried; 0 means retry forever
	Backoff     time.Duration // first retry delay, doubled each attempt
	MaxBackoff  time.Duration
}

// DefaultPolicy retries with exponential backoff for about a day.
var DefaultPolicy = Policy{MaxAttempts: 50, Backoff: time.Second, MaxBackoff: 30 * time.Minute}

// RetryAt asks for the job to run again at a given time, without counting
// as a failure of the handler (a timer, or a delivery that names its own backoff).
type RetryAt struct {
	At    time.Time
	Cause error
}

func (r *RetryAt) Error() string {
	return fmt.Sprintf("retry at %s: %v", r.At.Format(time.RFC3339), r.Cause)
}

// Permanent marks a failure that retrying cannot fix; the job is buried.
func Permanent(err error) error { return &permanent{err} }

type permanent struct{ error }

func (p *permanent) Unwrap() error { return p.error }

type registration struct {
	handle Handler
	policy Policy
}

// Runner leases due jobs and runs their handlers on a fixed number of workers.
type Runner struct {
	db       *store.DB
	log      *slog.Logger
	workers  int
	lease    time.Duration
	mu       sync.RWMutex
	handlers map[string]registration
}

// New returns a runner with the given number of workers.
func New(db *store.DB, log *slog.Logger, workers int) *Runner {
	if workers < 1 {
		workers = 1
	}
	return &Runner{db: db, log: log, workers: workers, lease: 5 * time.Minute, handlers: map[string]registration{}}
}

// Handle registers the handler for a kind of job. Register before Run.
func (r *Runner) Handle(kind string, h Handler, p Policy) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = registration{h, p}
}

// Run processes jobs until ctx ends. It releases stale leases first: the
// process owns its data directory alone, so any lease is a crashed run's.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.db.Release(ctx); err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	jobs := make(chan store.Job)
	var wg sync.WaitGroup
	for range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r.run(ctx, j)
			}
		}()
	}
	err := r.dispatch(ctx, jobs)
	close(jobs)
	wg.Wait()
	return err
}

func (r *Runner) dispatch(ctx context.Context, jobs chan<- store.Job) error {
	for {
		notify := r.db.Notify()
		claimed, err := r.db.Claim(ctx, r.workers, r.lease)
		if err != nil && ctx.Err() == nil {
			r.log.Error("claim jobs", "err", err)
		}
		for _, j := range claimed {
			select {
			case jobs <- j:
			case <-ctx.Done():
				return nil
			}
		}
		if len(claimed) == r.workers {
			continue // there may be more due right now
		}
		wait := time.Second
		if next, ok, err := r.db.NextDue(ctx); err == nil && ok {
			wait = min(max(time.Until(next), time.Millisecond), wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-notify:
		case <-t.C:
		}
		t.Stop()
	}
}

func (r *Runner) run(ctx context.Context, j store.Job) {
	r.mu.RLock()
	reg, ok := r.handlers[j.Kind]
	r.mu.RUnlock()
	if !ok {
		r.log.Error("no handler for job", "kind", j.Kind, "job", j.ID)
		r.db.Bury(ctx, j.ID, errors.New("no handler for kind "+j.Kind))
		return
	}
	r.db.Running(j.ID)
	err := r.handleLeased(ctx, reg.handle, j)
	finished := r.db.Done(j.ID)
	if ctx.Err() != nil {
		return // shutting down: the lease will be released at next start
	}
	if err := r.settle(ctx, j, reg.policy, finished, err); err != nil {
		r.log.Error("settle job", "kind", j.Kind, "job", j.ID, "err", err)
	}
}

// handleLeased runs a handler, renewing the job's lease while it works so
// that a long task is not claimed a second time.
func (r *Runner) handleLeased(ctx context.Context, h Handler, j store.Job) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(r.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.db.Extend(ctx, j.ID, r.lease); err != nil && ctx.Err() == nil {
					r.log.Warn("renew job lease", "kind", j.Kind, "job", j.ID, "err", err)
				}
			}
		}
	}()
	return h(ctx, j)
}

func (r *Runner) settle(ctx context.Context, j store.Job, p Policy, finished bool, err error) error {
	if finished {
		// The handler ended the job in its own commit; nothing is left to settle.
		if err != nil {
			r.log.Warn("job finished, then failed", "kind", j.Kind, "job", j.ID, "err", err)
		}
		return nil
	}
	if err == nil {
		return r.db.Finish(ctx, j.ID)
	}
	var at *RetryAt
	if errors.As(err, &at) {
		return r.db.Retry(ctx, j.ID, at.At, at.Cause)
	}
	var perm *permanent
	if errors.As(err, &perm) || (p.MaxAttempts > 0 && j.Attempts >= p.MaxAttempts) {
		r.log.Warn("job failed for good", "kind", j.Kind, "job", j.ID, "attempts", j.Attempts, "err", err)
		return r.db.Bury(ctx, j.ID, err)
	}
	delay := Backoff(p, j.Attempts)
	r.log.Info("job failed, will retry", "kind", j.Kind, "job", j.ID, "attempts", j.Attempts, "in", delay, "err", err)
	return r.db.Retry(ctx, j.ID, time.Now().Add(delay), err)
}

// Backoff returns the delay before attempt number attempts+1: the policy's
// base doubled per attempt, capped, with up to 20% jitter so that retries
// of many failed jobs do not arrive together.
func Backoff(p Policy, attempts int) time.Duration {
	d := p.Backoff
	if d <= 0 {
		d = time.Second
	}
	for i := 1; i < attempts && (p.MaxBackoff == 0 || d < p.MaxBackoff); i++ {
		d *= 2
	}
	if p.MaxBackoff > 0 && d > p.MaxBackoff {
		d = p.MaxBackoff
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}
