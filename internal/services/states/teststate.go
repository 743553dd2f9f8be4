package states

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
)

type testStateInput struct {
	Definition         *string          `json:"definition"`
	RoleArn            *string          `json:"roleArn"`
	Input              *string          `json:"input"`
	InspectionLevel    *string          `json:"inspectionLevel"`
	RevealSecrets      bool             `json:"revealSecrets"`
	Variables          *string          `json:"variables"`
	StateName          *string          `json:"stateName"`
	Mock               *testStateMock   `json:"mock"`
	Context            *string          `json:"context"`
	StateConfiguration *testStateConfig `json:"stateConfiguration"`
}

// testStateMock is MockInput: the result or error a tested state's call
// gives instead of being made.
type testStateMock struct {
	Result      *string `json:"result"`
	ErrorOutput *struct {
		Error *string `json:"error"`
		Cause *string `json:"cause"`
	} `json:"errorOutput"`
	FieldValidationMode *string `json:"fieldValidationMode"`
}

// testStateConfig is TestStateConfiguration.
type testStateConfig struct {
	RetrierRetryCount        *int    `json:"retrierRetryCount"`
	ErrorCausedByState       *string `json:"errorCausedByState"`
	MapIterationFailureCount *int    `json:"mapIterationFailureCount"`
	MapItemReaderData        *string `json:"mapItemReaderData"`
}

// InspectionErrorDetails says which retrier or catcher matched.
type InspectionErrorDetails struct {
	CatchIndex                  *int `json:"catchIndex,omitempty"`
	RetryIndex                  *int `json:"retryIndex,omitempty"`
	RetryBackoffIntervalSeconds *int `json:"retryBackoffIntervalSeconds,omitempty"`
}

// InspectionData is TestState's view of the data processing, each step's
// result as JSON text.
type InspectionData struct {
	Input               string                  `json:"input,omitempty"`
	AfterInputPath      string                  `json:"afterInputPath,omitempty"`
	AfterParameters     string                  `json:"afterParameters,omitempty"`
	AfterArguments      string                  `json:"afterArguments,omitempty"`
	Result              string                  `json:"result,omitempty"`
	AfterResultSelector string                  `json:"afterResultSelector,omitempty"`
	AfterResultPath     string                  `json:"afterResultPath,omitempty"`
	Variables           string                  `json:"variables,omitempty"`
	ErrorDetails        *InspectionErrorDetails `json:"errorDetails,omitempty"`
}

// TestStateOutput is TestState's result.
type TestStateOutput struct {
	Output         *string         `json:"output,omitempty"`
	Error          string          `json:"error,omitempty"`
	Cause          string          `json:"cause,omitempty"`
	InspectionData *InspectionData `json:"inspectionData,omitempty"`
	NextState      string          `json:"nextState,omitempty"`
	Status         string          `json:"status"`
}

// testState runs one state (TestState). A Task's call goes through the
// same dispatch as an execution's.
func (s *Service) testState(ctx context.Context, call *awsproto.Call) (any, error) {
	var in testStateInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("definition", in.Definition) {
		c.length("definition", in.Definition, 1, maxDefinitionLen, true)
	}
	c.length("roleArn", in.RoleArn, 1, maxArnLen, false)
	c.enum("inspectionLevel", in.InspectionLevel, "INFO", "DEBUG", "TRACE")
	c.length("stateName", in.StateName, 1, maxNameLen, false)
	if in.Input != nil && len(*in.Input) > maxPayloadBytes {
		c.add("input", in.Input, true, fmt.Sprintf("Member must have length less than or equal to %d", maxPayloadBytes))
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	mocked, err := checkMock(in.Mock, in.Context, in.StateConfiguration)
	if err != nil {
		return nil, err
	}
	m, name, err := asl.ParseState([]byte(*in.Definition), str(in.StateName))
	if err != nil {
		var de *asl.DefinitionError
		if errors.As(err, &de) {
			return nil, errorf("InvalidDefinition", "%s", de.Message)
		}
		return nil, errorf("InvalidDefinition", "Invalid State Machine Definition: '%v'", err)
	}
	st := m.Lookup(name)
	if mocked != nil && st.Type != "Task" {
		if st.Type == "Map" || st.Type == "Parallel" {
			return nil, awsproto.Validation("Vigil's TestState does not run %s states, mocked or not.", st.Type)
		}
		return nil, awsproto.Validation("A mock can only be specified for Task, Map, or Parallel states.")
	}
	if st.Type == "Task" && mocked == nil {
		if _, ok := parseResource(st.Resource); !ok {
			return nil, errorf("InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Vigil does not support the resource '%s' at /Resource'", st.Resource)
		}
		if str(in.RoleArn) == "" {
			return nil, awsproto.Validation("RoleArn must be specified when testing a Task state")
		}
	}
	role := str(in.RoleArn)
	ti := asl.TestInput{Now: s.now(), Call: func(a asl.Action) asl.Result {
		return s.perform(withActor(ctx, actor{roleArn: role, session: "TestState"}), a)
	}}
	if mocked != nil {
		ti.Call = func(asl.Action) asl.Result { return *mocked }
		ti.Mocked = true
	}
	if in.Context != nil {
		// decodeJSON keeps numbers as json.Number, which the interpreter's
		// arithmetic and comparisons expect.
		v, err := decodeJSON([]byte(*in.Context))
		obj, isObject := v.(map[string]any)
		ti.ContextObject = obj
		if err != nil || !isObject {
			return nil, awsproto.Validation("context must be a JSON object.")
		}
	}
	if sc := in.StateConfiguration; sc != nil && sc.RetrierRetryCount != nil {
		ti.RetrierRetryCount = *sc.RetrierRetryCount
	}
	if in.Input != nil {
		ti.Input = json.RawMessage(*in.Input)
		if _, err := decodeJSON(ti.Input); err != nil {
			return nil, errorf("InvalidExecutionInput", "Invalid State Machine Execution Input: '%v'", err)
		}
	}
	if in.Variables != nil {
		if err := json.Unmarshal([]byte(*in.Variables), &ti.Variables); err != nil {
			return nil, awsproto.Validation("variables must be a JSON object: %v", err)
		}
	}
	machineName, execName := "TestState-"+newUUID()[:8], newUUID()
	ti.Context = asl.Context{
		ExecutionArn:     fmt.Sprintf("arn:aws:states:%s:%s:express:%s:%s:%s", s.env.Region, s.env.AccountID, machineName, execName, newUUID()),
		ExecutionName:    execName,
		StateMachineArn:  s.machineARN(machineName),
		StateMachineName: machineName,
		RoleArn:          role,
		Region:           s.env.Region,
	}
	res, err := asl.TestState(m, name, ti)
	if err != nil {
		return nil, awsproto.Validation("%v", err)
	}
	return testStateOutput(res, str(in.InspectionLevel)), nil
}

// checkMock validates TestState's mock and the inputs that need one, and
// returns the mocked result (nil without a mock). Whether a mocked result
// matches the called API's model (fieldValidationMode) is not checked:
// Vigil has no models of the results.
func checkMock(mock *testStateMock, context *string, sc *testStateConfig) (*asl.Result, error) {
	if sc != nil {
		if sc.ErrorCausedByState != nil || sc.MapIterationFailureCount != nil || sc.MapItemReaderData != nil {
			return nil, awsproto.Validation("Vigil's TestState does not run Map or Parallel states: stateConfiguration may only set retrierRetryCount.")
		}
		if n := sc.RetrierRetryCount; n != nil && *n < 0 {
			return nil, awsproto.Validation("stateConfiguration.retrierRetryCount must not be negative.")
		}
	}
	if mock == nil {
		if context != nil {
			return nil, awsproto.Validation("context may only be specified together with a mock.")
		}
		return nil, nil
	}
	var c checker
	c.enum("mock.fieldValidationMode", mock.FieldValidationMode, "STRICT", "PRESENT", "NONE")
	if err := c.err(); err != nil {
		return nil, err
	}
	switch {
	case (mock.Result == nil) == (mock.ErrorOutput == nil):
		return nil, awsproto.Validation("A mock must specify exactly one of result and errorOutput.")
	case mock.Result != nil:
		if _, err := decodeJSON([]byte(*mock.Result)); err != nil {
			return nil, awsproto.Validation("mock.result must be JSON: %v", err)
		}
		return &asl.Result{Output: json.RawMessage(*mock.Result)}, nil
	case mock.ErrorOutput.Error == nil:
		return nil, awsproto.Validation("mock.errorOutput.error is required.")
	}
	return &asl.Result{Error: *mock.ErrorOutput.Error, Cause: str(mock.ErrorOutput.Cause)}, nil
}

func testStateOutput(res *asl.TestResult, level string) *TestStateOutput {
	out := &TestStateOutput{Status: res.Status, Error: res.Error, Cause: res.Cause, NextState: res.NextState}
	if res.Output != nil {
		o := string(res.Output)
		out.Output = &o
	}
	if level != "DEBUG" && level != "TRACE" {
		return out
	}
	i := res.Inspection
	d := &InspectionData{
		Input: string(i.Input), AfterInputPath: string(i.AfterInputPath), AfterParameters: string(i.AfterParameters),
		AfterArguments: string(i.AfterArguments), Result: string(i.Result), AfterResultSelector: string(i.AfterResultSelector),
		AfterResultPath: string(i.AfterResultPath), Variables: string(i.Variables),
	}
	switch {
	case i.CatchIndex >= 0:
		d.ErrorDetails = &InspectionErrorDetails{CatchIndex: &i.CatchIndex}
	case i.RetryIndex >= 0:
		d.ErrorDetails = &InspectionErrorDetails{RetryIndex: &i.RetryIndex, RetryBackoffIntervalSeconds: &i.RetryBackoffSeconds}
	}
	out.InspectionData = d
	return out
}
