// Package events serves Amazon EventBridge: event buses, rules with event
// patterns or schedules, targets, and the durable delivery of matched
// events to Step Functions state machines, SNS topics and Lambda functions.
//
// PutEvents answers only after every delivery an event causes is a job in
// the store, committed in one transaction; the delivery worker transforms
// the event for each target (InputPath, Input, InputTransformer) and calls
// the target through the front door, retrying with backoff as EventBridge does.
package events

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/pattern"
)

var spec = &awsproto.Spec{
	Name:         "events",
	Protocol:     awsproto.JSON11,
	TargetPrefix: "AWSEvents",
	EventSource:  "events.amazonaws.com",
}

type txn = store.Tx

const (
	defaultBus    = "default"
	stateEnabled  = "ENABLED"
	stateDisabled = "DISABLED"
	// stateEnabledCT also matches read-only CloudTrail management events;
	// Vigil's trail emits write calls only, so it behaves as ENABLED.
	stateEnabledCT = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"

	// deliverKind is the job kind of one event's delivery to one target.
	deliverKind = "events.deliver"
	// servicePrincipal is who EventBridge calls targets as.
	servicePrincipal = "events.amazonaws.com"
)

// Service is the EventBridge service.
type Service struct {
	env *services.Env

	// ruleMu serialises changes to rules, so that the matchers are updated
	// in the order the changes committed.
	ruleMu   sync.Mutex
	matchers *matchers
}

// New returns the EventBridge service and registers its delivery worker.
func New(env *services.Env) *Service {
	s := &Service{env: env, matchers: newMatchers()}
	// The handler decides retries itself (RetryAt or Permanent), following
	// each target's RetryPolicy; this policy only backs up a stray error.
	env.Runner.Handle(deliverKind, s.deliver, runtime.Policy{MaxAttempts: 0, Backoff: retryBase, MaxBackoff: retryCap})
	// A timer fails only when the store does; it must not be lost to that.
	env.Runner.Handle(scheduleKind, s.fire, runtime.Policy{MaxAttempts: 0, Backoff: time.Second, MaxBackoff: time.Minute})
	return s
}

// Spec describes how EventBridge is reached.
func (s *Service) Spec() *awsproto.Spec { return spec }

// Start migrates the store, creates the default bus and compiles the
// matchers from the stored rules.
func (s *Service) Start(ctx context.Context) error {
	if err := s.env.DB.Migrate(ctx, "events", schema); err != nil {
		return err
	}
	if err := s.ensureDefaultBus(ctx); err != nil {
		return fmt.Errorf("create default event bus: %w", err)
	}
	rules, err := matchableRules(ctx, s.env.DB.Read())
	if err != nil {
		return err
	}
	s.ruleMu.Lock()
	defer s.ruleMu.Unlock()
	for _, r := range rules {
		if err := s.matchers.set(r.Bus, r.Name, r.Pattern); err != nil {
			// A pattern stored by an older version that this one rejects
			// must not stop the server; the rule just cannot match.
			s.env.Log.Error("compile stored event pattern", "bus", r.Bus, "rule", r.Name, "err", err)
		}
	}
	return nil
}

// Handle runs one EventBridge operation.
func (s *Service) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	switch call.Action {
	case "PutEvents":
		return s.putEvents(ctx, call)
	case "PutRule":
		return s.putRule(ctx, call)
	case "DescribeRule":
		return s.describeRule(ctx, call)
	case "ListRules":
		return s.listRules(ctx, call)
	case "DeleteRule":
		return s.deleteRule(ctx, call)
	case "EnableRule":
		return s.setRuleState(ctx, call, stateEnabled)
	case "DisableRule":
		return s.setRuleState(ctx, call, stateDisabled)
	case "ListRuleNamesByTarget":
		return s.listRuleNamesByTarget(ctx, call)
	case "PutTargets":
		return s.putTargets(ctx, call)
	case "ListTargetsByRule":
		return s.listTargetsByRule(ctx, call)
	case "RemoveTargets":
		return s.removeTargets(ctx, call)
	case "TestEventPattern":
		return s.testEventPattern(call)
	case "CreateEventBus":
		return s.createEventBus(ctx, call)
	case "DescribeEventBus":
		return s.describeEventBus(ctx, call)
	case "ListEventBuses":
		return s.listEventBuses(ctx, call)
	case "DeleteEventBus":
		return s.deleteEventBus(ctx, call)
	case "TagResource":
		return s.tagResource(ctx, call)
	case "UntagResource":
		return s.untagResource(ctx, call)
	case "ListTagsForResource":
		return s.listTagsForResource(ctx, call)
	}
	return nil, awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException", "Vigil's EventBridge does not support the operation %s.", call.Action)
}

// ARNs.

func (s *Service) busARN(name string) string {
	return "arn:aws:events:" + s.env.Region + ":" + s.env.AccountID + ":event-bus/" + name
}

// ruleARN follows AWS: rule/NAME on the default bus, rule/BUS/NAME elsewhere.
func (s *Service) ruleARN(bus, name string) string {
	prefix := "arn:aws:events:" + s.env.Region + ":" + s.env.AccountID + ":rule/"
	if bus == defaultBus {
		return prefix + name
	}
	return prefix + bus + "/" + name
}

// busName resolves an EventBusName member, a name or an event-bus ARN.
func (s *Service) busName(v *string) (string, error) {
	if v == nil || *v == "" {
		return defaultBus, nil
	}
	name := *v
	if strings.HasPrefix(name, "arn:") {
		prefix := "arn:aws:events:" + s.env.Region + ":" + s.env.AccountID + ":event-bus/"
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || rest == "" {
			return "", notFound("Event bus %s does not exist.", name)
		}
		name = rest
	}
	return name, nil
}

// Errors.

func notFound(format string, args ...any) error {
	return awsproto.Errorf(http.StatusBadRequest, "ResourceNotFoundException", format, args...)
}

func busNotFound(name string) error { return notFound("Event bus %s does not exist.", name) }

func ruleNotFound(rule, bus string) error {
	return notFound("Rule %s does not exist on EventBus %s.", rule, bus)
}

// invalidPattern turns a pattern.Validate error into AWS's answer.
func invalidPattern(err error) error {
	if errors.Is(err, pattern.ErrPatternTooLong) {
		return awsproto.Validation("1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to %d", pattern.MaxPatternLength)
	}
	return awsproto.Errorf(http.StatusBadRequest, "InvalidEventPatternException", "%s", err.Error())
}
