package states

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

// EXPRESS state machines run their executions in memory, as AWS's do:
// no history, no DescribeExecution, at-least-once. StartSyncExecution
// runs one in the caller's request. StartExecution commits a durable
// start (a job) and answers; the job runs the execution from the start,
// again after a crash, and ends when the execution does.
const (
	jobExpress = "states.express"
	// expressMaxDuration is how long AWS lets an Express execution run.
	expressMaxDuration = 5 * time.Minute
	// expressMemoryMB is the billed memory AWS reports for small runs.
	expressMemoryMB = 64
)

// expressRecheck is how often a started job looks in on its execution;
// after a crash the execution restarts within this time.
var expressRecheck = 10 * time.Second

// expressGrace is how long a job's worker waits for its execution before
// leaving it to run in the background.
var expressGrace = 2 * time.Second

// expressStart is an Express execution's start: the job's payload.
type expressStart struct {
	Execution string    `json:"execution"`
	Machine   string    `json:"machine"`
	Name      string    `json:"name"`
	Input     string    `json:"input"`
	Started   time.Time `json:"started"`
	DefHash   string    `json:"defHash"`
	RoleARN   string    `json:"roleArn"`
}

// expressOutcome is how an Express execution ended.
type expressOutcome struct {
	Status, Output, Error, Cause string
	Stopped                      time.Time
	// Abandoned is set when the server stopped before the execution did.
	Abandoned bool
}

// expressRunning holds the Express jobs whose execution runs in this
// process (keyed by service and job), so that a job that comes due again
// does not start a second run.
var expressRunning sync.Map

type expressKey struct {
	s  *Service
	id int64
}

func typeNotSupported() error {
	return errorf("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
}

// registerExpress registers the job handler that runs asynchronous
// Express executions.
func (s *Service) registerExpress() {
	if s.env.Runner != nil {
		s.env.Runner.Handle(jobExpress, s.handleExpress, taskPolicy)
	}
}

// expressARN names an Express execution: AWS adds a unique part, since
// Express execution names need not be unique.
func (s *Service) expressARN(machineName, name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:express:%s:%s:%s", s.env.Region, s.env.AccountID, machineName, name, newUUID())
}

// enqueueExpress commits the start of an asynchronous Express execution
// inside StartExecution's transaction.
func (s *Service) enqueueExpress(ctx context.Context, tx *store.Tx, m *machine, ex *execution) error {
	ex.ARN = s.expressARN(m.Name, ex.Name)
	b, err := json.Marshal(expressStart{
		Execution: ex.ARN, Machine: m.ARN, Name: ex.Name, Input: ex.Input, Started: ex.Started,
		DefHash: m.DefHash, RoleARN: m.RoleARN,
	})
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(ctx, jobExpress, b, ex.Started)
	return err
}

// handleExpress runs an Express execution in the background and keeps
// its job until the execution ends, so that a crash re-runs it.
func (s *Service) handleExpress(ctx context.Context, job store.Job) error {
	var st expressStart
	if err := json.Unmarshal(job.Payload, &st); err != nil {
		return runtime.Permanent(fmt.Errorf("decode express job: %w", err))
	}
	key := expressKey{s, job.ID}
	_, busy := expressRunning.LoadOrStore(key, true)
	again := &runtime.RetryAt{At: time.Now().Add(expressRecheck), Cause: fmt.Errorf("express execution %s is running", st.Execution)}
	if busy {
		return again
	}
	m, err := s.machineFor(ctx, s.env.DB.Read(), st.DefHash)
	if errors.Is(err, sql.ErrNoRows) {
		// The machine was deleted, and its definition with it.
		expressRunning.Delete(key)
		s.env.Log.Warn("states: express execution dropped: its definition is gone", "execution", st.Execution)
		return nil
	}
	if err != nil {
		expressRunning.Delete(key)
		return err
	}
	// The run ends with the server; its job then runs it again at the
	// next start.
	runCtx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-runCtx.Done():
		}
	}()
	var out expressOutcome
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer cancel()
		out = s.runExpress(runCtx, m, st)
		if !out.Abandoned {
			s.env.Log.Info("states: express execution ended", "execution", st.Execution, "status", out.Status, "error", out.Error)
		}
	}()
	// A short run ends its job through the runner; a longer one frees the
	// worker (it may wait for minutes) and ends its job itself.
	select {
	case <-finished:
		expressRunning.Delete(key)
		if out.Abandoned {
			return errors.New("server stopping")
		}
		return nil
	case <-time.After(expressGrace):
	}
	go func() {
		<-finished
		defer expressRunning.Delete(key)
		if out.Abandoned {
			return
		}
		if err := s.env.DB.Finish(context.Background(), job.ID); err != nil {
			s.env.Log.Error("states: finish express job", "execution", st.Execution, "err", err)
		}
	}()
	return again
}

// expressDone is one action's result coming back to the run.
type expressDone struct {
	id  string
	res asl.Result
}

// runExpress runs an Express execution to its end in memory, its tasks
// and timers concurrently, for at most five minutes from its start.
func (s *Service) runExpress(ctx context.Context, m *asl.Machine, st expressStart) expressOutcome {
	ctx, cancel := context.WithDeadline(ctx, st.Started.Add(expressMaxDuration))
	defer cancel()
	// Tasks act with the machine's role, in a session named after the
	// execution.
	ctx = withActor(ctx, actor{roleArn: st.RoleARN, session: sessionName(st.Name)})
	var seed [8 + 32]byte
	rand.Read(seed[:])
	actx := asl.Context{
		ExecutionArn: st.Execution, ExecutionName: st.Name, StateMachineArn: st.Machine,
		StateMachineName: st.Machine[strings.LastIndexByte(st.Machine, ':')+1:], RoleArn: st.RoleARN,
		StartTime: st.Started, Region: s.env.Region, Seed: binary.LittleEndian.Uint64(seed[:8]) | 1,
		TokenKey: seed[8:], Express: true,
	}
	run, _, actions, err := asl.Start(m, actx, json.RawMessage(st.Input), s.now())
	if err != nil {
		return expressOutcome{Status: asl.StatusFailed, Error: asl.ErrRuntime, Cause: err.Error(), Stopped: s.now()}
	}
	done := make(chan expressDone)
	launch := func(acts []asl.Action) {
		for _, a := range acts {
			go s.expressAction(ctx, a, done)
		}
	}
	launch(actions)
	for run.Status() == asl.StatusRunning {
		select {
		case d := <-done:
			_, more, err := run.Complete(m, d.id, d.res, s.now())
			if err != nil {
				run.Stop(asl.ErrRuntime, "Vigil's interpreter failed: "+err.Error(), s.now())
				break
			}
			launch(more)
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return expressOutcome{Abandoned: true}
			}
			return expressOutcome{
				Status: asl.StatusTimedOut, Error: asl.ErrTimeout,
				Cause: "The execution ran longer than the 5 minutes an Express execution may run.", Stopped: s.now(),
			}
		}
	}
	out := expressOutcome{Status: run.Status(), Stopped: s.now()}
	if out.Status == asl.StatusSucceeded {
		out.Output = string(run.Output())
	}
	out.Error, out.Cause = run.Error()
	return out
}

// expressAction performs one task or waits for one timer and reports
// the result, unless the run has ended meanwhile.
func (s *Service) expressAction(ctx context.Context, a asl.Action, done chan<- expressDone) {
	var res asl.Result
	if a.Kind == asl.KindTimer {
		t := time.NewTimer(a.Until.Sub(s.now()))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	} else {
		res = s.perform(ctx, a)
	}
	select {
	case done <- expressDone{a.ID, res}:
	case <-ctx.Done():
	}
}

// StartSyncExecutionOutput is StartSyncExecution's result.
type StartSyncExecutionOutput struct {
	ExecutionArn    string             `json:"executionArn"`
	StateMachineArn string             `json:"stateMachineArn"`
	Name            string             `json:"name"`
	StartDate       awsproto.EpochTime `json:"startDate"`
	StopDate        awsproto.EpochTime `json:"stopDate"`
	Status          string             `json:"status"`
	Error           *string            `json:"error,omitempty"`
	Cause           *string            `json:"cause,omitempty"`
	Input           *string            `json:"input,omitempty"`
	InputDetails    DataDetails        `json:"inputDetails"`
	Output          *string            `json:"output,omitempty"`
	OutputDetails   DataDetails        `json:"outputDetails"`
	TraceHeader     *string            `json:"traceHeader,omitempty"`
	BillingDetails  BillingDetails     `json:"billingDetails"`
}

// BillingDetails is what AWS would bill for an Express execution.
type BillingDetails struct {
	BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
	BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
}

type startSyncInput struct {
	startExecutionInput
	IncludedData *string `json:"includedData"`
}

// startSyncExecution runs an Express execution within the request and
// answers with its outcome; a failed execution is still a 200.
func (s *Service) startSyncExecution(ctx context.Context, call *awsproto.Call) (any, error) {
	var in startSyncInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	c.enum("includedData", in.IncludedData, "ALL_DATA", "METADATA_ONLY")
	if err := c.err(); err != nil {
		return nil, err
	}
	machineARN, name, input, err := checkStart(&in.startExecutionInput)
	if err != nil {
		return nil, err
	}
	call.AddResource("AWS::StepFunctions::StateMachine", machineARN)
	m, err := getMachineMeta(ctx, s.env.DB.Read(), machineARN)
	if err != nil {
		return nil, err
	}
	switch {
	case m == nil:
		return nil, machineMissing(machineARN)
	case m.Status == statusDeleting:
		return nil, errorf("StateMachineDeleting", "State machine is being deleted: '%s'", machineARN)
	case m.Type != typeExpress:
		return nil, typeNotSupported()
	}
	parsed, err := s.machineFor(ctx, s.env.DB.Read(), m.DefHash)
	if err != nil {
		return nil, err
	}
	st := expressStart{
		Execution: s.expressARN(m.Name, name), Machine: m.ARN, Name: name, Input: input,
		Started: s.now(), DefHash: m.DefHash, RoleARN: m.RoleARN,
	}
	call.AddResource("AWS::StepFunctions::Execution", st.Execution)
	// The execution runs on when its caller hangs up, as on AWS, but not
	// past the server's shutdown.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-runCtx.Done():
		}
	}()
	res := s.runExpress(runCtx, parsed, st)
	if runCtx.Err() != nil {
		return nil, awsproto.Internal(fmt.Errorf("express execution %s: abandoned at shutdown", st.Execution))
	}
	return syncOutput(st, res, str(in.IncludedData) != "METADATA_ONLY", in.TraceHeader), nil
}

func syncOutput(st expressStart, res expressOutcome, withData bool, trace *string) *StartSyncExecutionOutput {
	out := &StartSyncExecutionOutput{
		ExecutionArn: st.Execution, StateMachineArn: st.Machine, Name: st.Name,
		StartDate: awsproto.EpochTime(st.Started), StopDate: awsproto.EpochTime(res.Stopped),
		Status: res.Status, TraceHeader: trace,
		InputDetails: DataDetails{Included: withData}, OutputDetails: DataDetails{Included: withData},
	}
	if out.Status == asl.StatusAborted {
		out.Status = asl.StatusFailed // not a SyncExecutionStatus
	}
	// AWS bills Express durations in 100 ms steps.
	ms := (res.Stopped.Sub(st.Started).Milliseconds() + 99) / 100 * 100
	out.BillingDetails = BillingDetails{BilledMemoryUsedInMB: expressMemoryMB, BilledDurationInMilliseconds: max(ms, 100)}
	if withData {
		out.Input = &st.Input
		if res.Status == asl.StatusSucceeded {
			out.Output = &res.Output
		}
	}
	if res.Error != "" {
		out.Error = &res.Error
	}
	if res.Cause != "" {
		out.Cause = &res.Cause
	}
	return out
}
