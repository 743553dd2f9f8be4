package events

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

// Retry defaults are AWS's: 185 retries within 24 hours. The backoff
// doubles from a second up to a cap that spreads 185 attempts over
// roughly a day.
const (
	retryBase         = time.Second
	retryCap          = 8 * time.Minute
	defaultMaxRetries = 185
	defaultMaxAge     = 24 * time.Hour
)

var backoffPolicy = runtime.Policy{Backoff: retryBase, MaxBackoff: retryCap}

// deliver runs one delivery job: it transforms the event for its target
// and calls the target, deciding itself when to retry and when to give up.
func (s *Service) deliver(ctx context.Context, job store.Job) error {
	var d deliveryJob
	if err := json.Unmarshal(job.Payload, &d); err != nil {
		return runtime.Permanent(fmt.Errorf("decode delivery job: %w", err))
	}
	var t Target
	if err := json.Unmarshal(d.Target, &t); err != nil {
		return runtime.Permanent(fmt.Errorf("decode target of delivery job: %w", err))
	}
	maxRetries, maxAge := retryLimits(t.RetryPolicy)
	deadline := d.Ingested.Add(maxAge)
	if time.Now().After(deadline) {
		return s.giveUp(&d, &t, fmt.Errorf("the event is older than the maximum event age of %s", maxAge))
	}
	payload, err := targetPayload(&t, d.Event, deliveryVars{RuleARN: d.RuleARN, RuleName: d.Rule, Ingested: d.Ingested})
	if err != nil {
		return s.giveUp(&d, &t, fmt.Errorf("transform input: %w", err))
	}
	err = s.invokeTarget(ctx, &d, &t, payload)
	if err == nil {
		s.env.Log.Debug("event delivered", "event", d.EventID, "rule", d.RuleARN, "target", t.ID, "arn", t.Arn, "attempt", job.Attempts)
		return nil
	}
	if ctx.Err() != nil {
		return err // shutting down; the job runs again after a restart
	}
	if !retryable(err) {
		return s.giveUp(&d, &t, err)
	}
	if retries := int64(job.Attempts - 1); retries >= maxRetries {
		return s.giveUp(&d, &t, fmt.Errorf("%w (gave up after %d retries)", err, retries))
	}
	next := time.Now().Add(runtime.Backoff(backoffPolicy, job.Attempts))
	if next.After(deadline) {
		return s.giveUp(&d, &t, fmt.Errorf("%w (the maximum event age of %s ends before the next retry)", err, maxAge))
	}
	s.env.Log.Info("event delivery failed, will retry", "event", d.EventID, "rule", d.RuleARN, "target", t.ID,
		"attempt", job.Attempts, "at", next, "err", err)
	return &runtime.RetryAt{At: next, Cause: err}
}

func retryLimits(rp *RetryPolicy) (maxRetries int64, maxAge time.Duration) {
	maxRetries, maxAge = defaultMaxRetries, defaultMaxAge
	if rp == nil {
		return
	}
	if rp.MaximumRetryAttempts != nil {
		maxRetries = *rp.MaximumRetryAttempts
	}
	if rp.MaximumEventAgeInSeconds != nil {
		maxAge = time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second
	}
	return
}

// retryable reports whether a failed call may succeed later. Like
// EventBridge, it does not retry client errors such as a target that does
// not exist, except throttling.
func retryable(err error) bool {
	var e *awsproto.Error
	if !errors.As(err, &e) {
		var fe *finalError
		return !errors.As(err, &fe)
	}
	if e.Status >= 500 || e.Status == http.StatusTooManyRequests {
		return true
	}
	switch e.Code {
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceUnavailable", "InternalFailure", "InternalError":
		return true
	}
	return false
}

// giveUp ends a delivery for good. The job is buried in dead_jobs with the
// event and target, which is where a dead-letter queue's message goes
// until Vigil serves SQS.
func (s *Service) giveUp(d *deliveryJob, t *Target, cause error) error {
	if t.DeadLetterConfig != nil && t.DeadLetterConfig.Arn != "" {
		s.env.Log.Error("event not delivered; dead-letter queue unavailable, kept in dead_jobs",
			"event", d.EventID, "rule", d.RuleARN, "target", t.ID, "dlq", t.DeadLetterConfig.Arn, "err", cause)
		return runtime.Permanent(fmt.Errorf("deliver event %s to %s: %w; dead-letter queue %s is not reachable (SQS is not served by Vigil yet)",
			d.EventID, t.Arn, cause, t.DeadLetterConfig.Arn))
	}
	s.env.Log.Warn("event not delivered", "event", d.EventID, "rule", d.RuleARN, "target", t.ID, "err", cause)
	return runtime.Permanent(fmt.Errorf("deliver event %s to %s: %w", d.EventID, t.Arn, cause))
}

// finalError is a failure that retrying cannot fix, such as a Lambda
// function that ran and failed: Lambda, not EventBridge, owns retrying an
// asynchronous invocation.
type finalError struct{ error }

func final(format string, args ...any) error { return &finalError{fmt.Errorf(format, args...)} }

// invokeTarget calls the target through the front door, as EventBridge.
func (s *Service) invokeTarget(ctx context.Context, d *deliveryJob, t *Target, payload []byte) error {
	kind, err := s.targetKind(t.Arn)
	if err != nil {
		return &finalError{err}
	}
	// A target with a RoleArn is called by a session of that role, as
	// EventBridge does; one without (SNS topics, functions) is called by
	// the service itself, which Vigil lets act as the account.
	as, err := services.ActAs(ctx, s.env, t.RoleArn, servicePrincipal, roleSessionName(d.Rule))
	if err != nil {
		return err
	}
	switch kind {
	case kindStates:
		_, err := s.env.Invoker.Invoke(ctx, as, "states", "StartExecution", map[string]string{
			"stateMachineArn": t.Arn, "input": string(payload), "name": executionName(d, t)})
		var e *awsproto.Error
		if errors.As(err, &e) && e.Code == "ExecutionAlreadyExists" {
			return nil // an earlier attempt started it before the process stopped
		}
		return err
	case kindSNS:
		_, err := s.env.Invoker.Invoke(ctx, as, "sns", "Publish", map[string]string{"TopicArn": t.Arn, "Message": string(payload)})
		return err
	case kindLambda:
		out, err := s.env.Invoker.Invoke(ctx, as, "lambda", "Invoke", map[string]any{
			"FunctionName": t.Arn, "InvocationType": "Event", "Payload": payload})
		if err != nil {
			return err
		}
		var res struct {
			FunctionError string
			Payload       []byte
		}
		if json.Unmarshal(out, &res) == nil && res.FunctionError != "" {
			return final("function %s failed (%s): %s", t.Arn, res.FunctionError, res.Payload)
		}
		return nil
	}
	return final("no delivery for target kind %s", kind)
}

// executionName derives a UUID-shaped execution name from the delivery, so
// that a retry after a crash cannot start the same execution twice.
func executionName(d *deliveryJob, t *Target) string {
	sum := sha256.Sum256([]byte(d.EventID + "\x00" + d.RuleARN + "\x00" + t.ID))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x50 // version 5 (name-based, SHA)
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// roleSessionName names the session of a target's role after the rule,
// within the characters and length STS allows ([\w+=,.@-]{2,64}).
func roleSessionName(rule string) string {
	b := []byte(rule)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0
		if !ok {
			b[i] = '-'
		}
	}
	name := string(b)
	if len(name) > 64 {
		name = name[:64]
	}
	if len(name) < 2 {
		name = "EventBridge-" + name
	}
	return name
}
