package states

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

var executionStatuses = []string{"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

func epoch(ns int64) awsproto.EpochTime { return awsproto.EpochTime(time.Unix(0, ns).UTC()) }

func (s *Service) executionARN(machineName, name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", s.env.Region, s.env.AccountID, machineName, name)
}

// started carries an idempotent StartExecution's original answer out of
// its transaction.
type started struct{ out *StartExecutionOutput }

func (e *started) Error() string { return "execution already running" }

func (s *Service) startExecution(ctx context.Context, call *awsproto.Call) (any, error) {
	var in startExecutionInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	machineARN, name, input, err := checkStart(&in)
	if err != nil {
		return nil, err
	}
	machineName := machineARN[strings.LastIndexByte(machineARN, ':')+1:]
	ex := &execution{ARN: s.executionARN(machineName, name), MachineARN: machineARN, Name: name, Input: input, Started: s.now()}
	call.AddResource("AWS::StepFunctions::StateMachine", machineARN)
	pre := s.startAhead(ctx, ex)
	err = s.env.DB.Write(ctx, func(tx *store.Tx) error {
		m, err := getMachineMeta(ctx, tx, machineARN)
		if err != nil {
			return err
		}
		if m == nil {
			return machineMissing(machineARN)
		}
		if m.Status == statusDeleting {
			return errorf("StateMachineDeleting", "State machine is being deleted: '%s'", machineARN)
		}
		if m.Type == typeExpress {
			return s.enqueueExpress(ctx, tx, m, ex)
		}
		ex.DefHash, ex.RoleARN = m.DefHash, m.RoleARN
		if pre.fitsMachine(m) {
			return s.commit(ctx, tx, ex, pre.st)
		}
		s.rememberMachine(m)
		return s.begin(ctx, tx, ex, m)
	})
	call.AddResource("AWS::StepFunctions::Execution", ex.ARN)
	if errors.Is(err, errExecutionExists) {
		err = s.checkExisting(ctx, s.env.DB.Read(), ex)
	}
	var again *started
	if errors.As(err, &again) {
		return again.out, nil
	}
	if err != nil {
		return nil, err
	}
	if ex.RoleARN != "" {
		s.roles.put(ex.ARN, ex.RoleARN) // its tasks will ask, soon
	}
	return &StartExecutionOutput{ExecutionArn: ex.ARN, StartDate: awsproto.EpochTime(ex.Started)}, nil
}

// checkStart validates the input StartExecution and StartSyncExecution
// share; it returns the machine, the execution's name (a UUID when not
// given) and its input.
func checkStart(in *startExecutionInput) (machineARN, name, input string, err error) {
	var c checker
	if c.required("stateMachineArn", in.StateMachineArn) {
		c.length("stateMachineArn", in.StateMachineArn, 1, maxArnLen, false)
	}
	c.length("name", in.Name, 1, maxNameLen, false)
	c.length("traceHeader", in.TraceHeader, 0, 256, false)
	if in.Input != nil && len(*in.Input) > maxPayloadBytes {
		c.add("input", in.Input, true, fmt.Sprintf("Member must have length less than or equal to %d", maxPayloadBytes))
	}
	if err := c.err(); err != nil {
		return "", "", "", err
	}
	machineARN = *in.StateMachineArn
	if err := checkMachineARN(machineARN); err != nil {
		return "", "", "", err
	}
	name = str(in.Name)
	if in.Name == nil {
		name = newUUID()
	} else if err := checkName(name); err != nil {
		return "", "", "", err
	}
	input = "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if _, err := decodeJSON([]byte(input)); err != nil {
		return "", "", "", errorf("InvalidExecutionInput", "Invalid State Machine Execution Input: '%v'", err)
	}
	return machineARN, name, input, nil
}

// checkExisting makes StartExecution idempotent the way AWS does: the same
// name and input as a running execution answer with that execution.
func (s *Service) checkExisting(ctx context.Context, q querier, ex *execution) error {
	old, err := getExecution(ctx, q, ex.ARN, false)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("execution %s exists and does not", ex.ARN)
	}
	if old.Status == asl.StatusRunning && old.Input == ex.Input {
		return &started{&StartExecutionOutput{ExecutionArn: old.ARN, StartDate: awsproto.EpochTime(old.Started)}}
	}
	return errorf("ExecutionAlreadyExists", "Execution Already Exists: '%s'", ex.ARN)
}

// begin starts the interpreter and commits the execution's first step.
func (s *Service) begin(ctx context.Context, tx *store.Tx, ex *execution, m *machine) error {
	st, err := s.start(ctx, tx, ex, m, s.activityExists(ctx, tx))
	if err != nil {
		return err
	}
	return s.commit(ctx, tx, ex, st)
}

// start runs the interpreter's first step of ex, an execution of m.
func (s *Service) start(ctx context.Context, q querier, ex *execution, m *machine, activityExists func(string) bool) (step, error) {
	parsed, err := s.machineFor(ctx, q, m.DefHash)
	if err != nil {
		return step{}, err
	}
	var seed [8 + 32]byte
	rand.Read(seed[:])
	actx := asl.Context{
		ExecutionArn: ex.ARN, ExecutionName: ex.Name, StateMachineArn: m.ARN, StateMachineName: m.Name,
		RoleArn: m.RoleARN, StartTime: ex.Started, Region: s.env.Region, Seed: binary.LittleEndian.Uint64(seed[:8]) | 1,
		TokenKey: seed[8:], ActivityExists: activityExists,
	}
	run, events, actions, err := asl.Start(parsed, actx, json.RawMessage(ex.Input), ex.Started)
	if err != nil {
		return step{}, errorf("InvalidExecutionInput", "Invalid State Machine Execution Input: '%v'", err)
	}
	return step{run: run, events: events, actions: actions, known: true, insert: true, machineStatus: m.Status}, nil
}

// startAhead computes the first step of ex from its machine as the read
// pool shows it, outside the transaction (see ahead.go); nil when the
// step must be computed inside it.
func (s *Service) startAhead(ctx context.Context, ex *execution) *ahead {
	var m *machine
	if v, ok := s.machines.Load(ex.MachineARN); ok {
		m = v.(*machine)
	} else {
		var err error
		if m, err = getMachineMeta(ctx, s.env.DB.Read(), ex.MachineARN); err != nil || m == nil {
			return nil
		}
		s.rememberMachine(m)
	}
	if m.Status != statusActive || m.Type == typeExpress {
		return nil
	}
	asked := false
	st, err := s.start(ctx, s.env.DB.Read(), ex, m, func(string) bool {
		asked = true
		return true
	})
	if err != nil || asked || st.encode() != nil {
		return nil
	}
	return &ahead{from: snapshot{defHash: m.DefHash, machineStatus: m.Status, roleARN: m.RoleARN, machineName: m.Name}, st: st}
}

// maxRememberedMachines bounds Service.machines; past it, it starts over.
const maxRememberedMachines = 1024

// rememberMachine keeps m for the next startAhead of its executions.
func (s *Service) rememberMachine(m *machine) {
	if s.machinesN.Add(1) > maxRememberedMachines {
		s.machines.Clear()
		s.machinesN.Store(1)
	}
	s.machines.Store(m.ARN, m)
}

// executionFromInput validates a call's executionArn and loads it.
func (s *Service) executionFromInput(ctx context.Context, call *awsproto.Call, arn *string) (*execution, error) {
	var c checker
	if c.required("executionArn", arn) {
		c.length("executionArn", arn, 1, maxArnLen, false)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := checkExecutionARN(*arn); err != nil {
		return nil, err
	}
	call.AddResource("AWS::StepFunctions::Execution", *arn)
	ex, err := getExecution(ctx, s.env.DB.Read(), *arn, false)
	if err != nil {
		return nil, err
	}
	if ex == nil {
		return nil, executionMissing(*arn)
	}
	return ex, nil
}

func (s *Service) describeExecution(ctx context.Context, call *awsproto.Call) (any, error) {
	var in arnInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	ex, err := s.executionFromInput(ctx, call, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := &DescribeExecutionOutput{
		ExecutionArn: ex.ARN, StateMachineArn: ex.MachineARN, Name: ex.Name, Status: ex.Status,
		StartDate: awsproto.EpochTime(ex.Started), Input: ex.Input, InputDetails: DataDetails{Included: true},
		RedriveCount: ex.RedriveCount,
	}
	out.RedriveStatus, out.RedriveStatusReason = "REDRIVABLE", ""
	if reason := redrivable(ex, s.now()); reason != "" {
		out.RedriveStatus, out.RedriveStatusReason = "NOT_REDRIVABLE", reason
	}
	if ex.RedriveDate.Valid {
		t := epoch(ex.RedriveDate.Int64)
		out.RedriveDate = &t
	}
	if ex.Stopped.Valid {
		t := epoch(ex.Stopped.Int64)
		out.StopDate = &t
	}
	if ex.Status == asl.StatusSucceeded {
		o := ex.Output.String
		out.Output, out.OutputDetails = &o, &DataDetails{Included: true}
	}
	if ex.Error.Valid {
		out.Error = &ex.Error.String
	}
	if ex.Cause.Valid {
		out.Cause = &ex.Cause.String
	}
	return out, nil
}

func (s *Service) describeStateMachineForExecution(ctx context.Context, call *awsproto.Call) (any, error) {
	var in arnInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	ex, err := s.executionFromInput(ctx, call, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	def, err := getDefinition(ctx, s.env.DB.Read(), ex.DefHash)
	if err != nil {
		return nil, err
	}
	updated := ex.Started
	if m, err := getMachine(ctx, s.env.DB.Read(), ex.MachineARN); err == nil && m != nil && m.DefHash == ex.DefHash {
		updated = m.Created
	}
	return &DescribeStateMachineForExecutionOutput{
		StateMachineArn: ex.MachineARN, Name: ex.MachineARN[strings.LastIndexByte(ex.MachineARN, ':')+1:],
		Definition: def, RoleArn: ex.RoleARN, UpdateDate: awsproto.EpochTime(updated),
		LoggingConfiguration: defaultLogging(), TracingConfiguration: &TracingConfiguration{},
	}, nil
}

func (s *Service) listExecutions(ctx context.Context, call *awsproto.Call) (any, error) {
	var in listInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	c.length("stateMachineArn", in.StateMachineArn, 1, maxArnLen, false)
	c.enum("statusFilter", in.StatusFilter, executionStatuses...)
	c.pageSize("maxResults", in.MaxResults.Value, in.MaxResults.Set)
	c.length("nextToken", in.NextToken, 1, 3096, false)
	c.enum("redriveFilter", in.RedriveFilter, "REDRIVEN", "NOT_REDRIVEN")
	if err := c.err(); err != nil {
		return nil, err
	}
	if in.MapRunArn != nil {
		return nil, awsproto.Validation("Vigil does not support Distributed Map runs (mapRunArn).")
	}
	if in.StateMachineArn == nil {
		return nil, awsproto.Validation("Must provide a StateMachine ARN or MapRun ARN")
	}
	m, err := s.machineFromInput(ctx, call)
	if err != nil {
		return nil, err
	}
	if m.Type == typeExpress {
		return nil, typeNotSupported()
	}
	return s.pageExecutions(ctx, *in.StateMachineArn, in)
}

func (s *Service) pageExecutions(ctx context.Context, machineARN string, in listInput) (*ListExecutionsOutput, error) {
	out := &ListExecutionsOutput{Executions: []ExecutionListItem{}}
	// Newest first; the token is the last (started, arn) returned.
	afterStarted, afterARN := int64(1<<63-1), ""
	if in.NextToken != nil {
		pos, err := decodeToken(*in.NextToken)
		ns, arn, ok := strings.Cut(pos, "|")
		n, perr := strconv.ParseInt(ns, 10, 64)
		if err != nil || !ok || perr != nil {
			return nil, errorf("InvalidToken", "Invalid Token: '%s'", *in.NextToken)
		}
		afterStarted, afterARN = n, arn
	}
	q := `SELECT arn, machine_arn, name, status, started, stopped, redrive_count, redrive_date FROM states_executions
		WHERE machine_arn = ? AND (started < ? OR (started = ? AND arn < ?))`
	args := []any{machineARN, afterStarted, afterStarted, afterARN}
	if in.NextToken == nil {
		q = `SELECT arn, machine_arn, name, status, started, stopped, redrive_count, redrive_date FROM states_executions WHERE machine_arn = ?`
		args = args[:1]
	}
	if in.StatusFilter != nil {
		q += ` AND status = ?`
		args = append(args, *in.StatusFilter)
	}
	switch str(in.RedriveFilter) {
	case "REDRIVEN":
		q += ` AND redrive_count > 0`
	case "NOT_REDRIVEN":
		q += ` AND redrive_count = 0`
	}
	limit := pageLimit(in.MaxResults)
	q += ` ORDER BY started DESC, arn DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.env.DB.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	var lastStarted int64
	for rows.Next() {
		var it ExecutionListItem
		var startedNS int64
		var stopped, redriveDate *int64
		var redriveCount int
		if err := rows.Scan(&it.ExecutionArn, &it.StateMachineArn, &it.Name, &it.Status, &startedNS, &stopped, &redriveCount, &redriveDate); err != nil {
			return nil, err
		}
		if redriveCount > 0 {
			it.RedriveCount = &redriveCount
		}
		if redriveDate != nil {
			t := epoch(*redriveDate)
			it.RedriveDate = &t
		}
		it.StartDate = epoch(startedNS)
		if stopped != nil {
			t := epoch(*stopped)
			it.StopDate = &t
		}
		if len(out.Executions) < limit {
			lastStarted = startedNS
			out.Executions = append(out.Executions, it)
		} else {
			last := out.Executions[limit-1]
			out.NextToken = encodeToken(fmt.Sprintf("%d|%s", lastStarted, last.ExecutionArn))
		}
	}
	return out, rows.Err()
}

func (s *Service) stopExecution(ctx context.Context, call *awsproto.Call) (any, error) {
	var in stopExecutionInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	c.length("error", in.Error, 0, maxErrorLen, true)
	c.length("cause", in.Cause, 0, maxCauseLen, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	ex, err := s.executionFromInput(ctx, call, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	var stopped time.Time
	err = s.env.DB.Write(ctx, func(tx *store.Tx) error {
		ex, err := getExecution(ctx, tx, ex.ARN, true)
		if err != nil {
			return err
		}
		if ex.Status != asl.StatusRunning {
			// Stopping a closed execution changes nothing.
			stopped = time.Unix(0, ex.Stopped.Int64).UTC()
			return nil
		}
		var run asl.Run
		if err := json.Unmarshal(ex.Run, &run); err != nil {
			return fmt.Errorf("decode run of %s: %w", ex.ARN, err)
		}
		stopped = s.now()
		before := run.PendingActions()
		events := run.Stop(str(in.Error), str(in.Cause), stopped)
		return s.commit(ctx, tx, ex, step{run: &run, events: events, before: before, known: true})
	})
	if err != nil {
		return nil, err
	}
	return &StopExecutionOutput{StopDate: awsproto.EpochTime(stopped)}, nil
}

func (s *Service) getExecutionHistory(ctx context.Context, call *awsproto.Call) (any, error) {
	var in historyInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	c.pageSize("maxResults", in.MaxResults.Value, in.MaxResults.Set)
	c.length("nextToken", in.NextToken, 1, 1024, false)
	if err := c.err(); err != nil {
		return nil, err
	}
	ex, err := s.executionFromInput(ctx, call, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	after := int64(0)
	if in.ReverseOrder.Value {
		after = 1<<63 - 1
	}
	if in.NextToken != nil {
		pos, err := decodeToken(*in.NextToken)
		n, perr := strconv.ParseInt(pos, 10, 64)
		if err != nil || perr != nil {
			return nil, errorf("InvalidToken", "Invalid Token: '%s'", *in.NextToken)
		}
		after = n
	}
	limit := pageLimit(in.MaxResults)
	events, err := readHistory(ctx, s.env.DB.Read(), ex.ARN, after, in.ReverseOrder.Value, limit+1)
	if err != nil {
		return nil, err
	}
	withData := !in.IncludeExecutionData.Set || in.IncludeExecutionData.Value
	out := &GetExecutionHistoryOutput{Events: []json.RawMessage{}}
	for i, e := range events {
		if i == limit {
			out.NextToken = encodeToken(strconv.FormatInt(events[i-1].id, 10))
			break
		}
		if !withData {
			e.body = withoutData(e.body)
		}
		out.Events = append(out.Events, e.body)
	}
	return out, nil
}

// withoutData drops execution data (inputs, outputs, parameters) from an
// event's details, for includeExecutionData=false.
func withoutData(body []byte) []byte {
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(body, &ev); err != nil {
		return body
	}
	for k, v := range ev {
		if !strings.HasSuffix(k, "EventDetails") {
			continue
		}
		var d map[string]json.RawMessage
		if json.Unmarshal(v, &d) != nil {
			continue
		}
		for _, f := range []string{"input", "output", "parameters"} {
			delete(d, f)
		}
		ev[k], _ = json.Marshal(d)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		return body
	}
	return out
}
