// Package states serves AWS Step Functions: state machines and their
// durable executions. The Amazon States Language itself is package asl;
// this package stores machines and executions, turns the interpreter's
// actions into durable jobs, and calls Task resources through the
// front door's dispatch.
package states

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
)

var spec = &awsproto.Spec{
	Name:         "states",
	Protocol:     awsproto.JSON10,
	TargetPrefix: "AWSStepFunctions",
	EventSource:  "states.amazonaws.com",
}

const (
	statusActive   = "ACTIVE"
	statusDeleting = "DELETING"
	typeStandard   = "STANDARD"
	typeExpress    = "EXPRESS"
)

// Service is the Step Functions service.
type Service struct {
	env *services.Env
	now func() time.Time

	mu          sync.Mutex
	parsed      map[string]*asl.Machine // by definition hash
	actWake     chan struct{}           // closed when an activity task is queued
	pollTimeout time.Duration           // GetActivityTask's long poll
	// mayHaveParents is false while no .sync task has ever waited for a
	// child, which spares every execution's end a lookup.
	mayHaveParents atomic.Bool
	// expressChildren holds the outcomes of EXPRESS children of .sync
	// tasks, by execution ARN, from the call until the task records them.
	expressChildren sync.Map
	roles           roleCache // execution ARN → role ARN
	// machines remembers state machines as StartExecution last read them,
	// for steps computed ahead; the transaction checks what it uses.
	machines  sync.Map // ARN → *machine
	machinesN atomic.Int64
	// stopping is closed when the server shuts down; long polls end then.
	stopping <-chan struct{}
}

// New returns the Step Functions service and registers its job handlers.
func New(env *services.Env) *Service {
	s := &Service{env: env, now: func() time.Time { return time.Now().UTC() }, parsed: map[string]*asl.Machine{}, pollTimeout: activityPoll}
	if env.Runner != nil {
		env.Runner.Handle(jobTask, s.handleTask, taskPolicy)
		env.Runner.Handle(jobTimer, s.handleTimer, taskPolicy)
		env.Runner.Handle(jobDeadline, s.handleDeadline, taskPolicy)
		env.Runner.Handle(jobChild, s.handleChild, taskPolicy)
	}
	s.registerExpress()
	return s
}

// Start creates the service's tables and requeues the tasks that were
// running in a worker when the process last stopped.
func (s *Service) Start(ctx context.Context) error {
	if err := s.env.DB.Migrate(ctx, "states", schema); err != nil {
		return err
	}
	if err := s.env.DB.Migrate(ctx, "states-early", earlySchema); err != nil {
		return err
	}
	s.stopping = ctx.Done()
	var waiting int
	if err := s.env.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM states_children`).Scan(&waiting); err != nil {
		return fmt.Errorf("count waiting parents: %w", err)
	}
	s.mayHaveParents.Store(waiting > 0)
	return s.requeueHeld(ctx)
}

// Spec describes how the service is reached.
func (s *Service) Spec() *awsproto.Spec { return spec }

// Handle runs one operation.
func (s *Service) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	switch call.Action {
	case "CreateStateMachine":
		return s.createStateMachine(ctx, call)
	case "DescribeStateMachine":
		return s.describeStateMachine(ctx, call)
	case "ListStateMachines":
		return s.listStateMachines(ctx, call)
	case "DeleteStateMachine":
		return s.deleteStateMachine(ctx, call)
	case "StartExecution":
		return s.startExecution(ctx, call)
	case "StartSyncExecution":
		return s.startSyncExecution(ctx, call)
	case "DescribeExecution":
		return s.describeExecution(ctx, call)
	case "ListExecutions":
		return s.listExecutions(ctx, call)
	case "StopExecution":
		return s.stopExecution(ctx, call)
	case "GetExecutionHistory":
		return s.getExecutionHistory(ctx, call)
	case "DescribeStateMachineForExecution":
		return s.describeStateMachineForExecution(ctx, call)
	case "ValidateStateMachineDefinition":
		return s.validateDefinition(ctx, call)
	case "SendTaskSuccess", "SendTaskFailure":
		return s.sendTaskResult(ctx, call)
	case "SendTaskHeartbeat":
		return s.sendTaskHeartbeat(ctx, call)
	case "CreateActivity":
		return s.createActivity(ctx, call)
	case "DescribeActivity":
		return s.describeActivity(ctx, call)
	case "ListActivities":
		return s.listActivities(ctx, call)
	case "DeleteActivity":
		return s.deleteActivity(ctx, call)
	case "GetActivityTask":
		return s.getActivityTask(ctx, call)
	case "RedriveExecution":
		return s.redriveExecution(ctx, call)
	case "TestState":
		return s.testState(ctx, call)
	case "ListTagsForResource":
		return s.listTags(ctx, call)
	case "TagResource":
		return s.tagResource(ctx, call)
	case "UntagResource":
		return s.untagResource(ctx, call)
	}
	return nil, awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException", "Vigil does not implement the Step Functions operation %s.", call.Action)
}
