package asl

import (
	"encoding/json"
	"math"
	"time"
)

// A HistoryEvent is one GetExecutionHistory event. Its JSON form is the
// wire form of the awsJson1.0 protocol: the same member names, and the
// timestamp as epoch seconds.
type HistoryEvent struct {
	ID              int64     `json:"id"`
	PreviousEventID int64     `json:"previousEventId"`
	Timestamp       time.Time `json:"-"`
	Type            string    `json:"type"`

	ExecutionStartedEventDetails   *ExecutionStartedDetails `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceededEventDetails *OutputDetails           `json:"executionSucceededEventDetails,omitempty"`
	ExecutionFailedEventDetails    *ErrorDetails            `json:"executionFailedEventDetails,omitempty"`
	ExecutionAbortedEventDetails   *ErrorDetails            `json:"executionAbortedEventDetails,omitempty"`
	ExecutionTimedOutEventDetails  *ErrorDetails            `json:"executionTimedOutEventDetails,omitempty"`
	ExecutionRedrivenEventDetails  *RedrivenDetails         `json:"executionRedrivenEventDetails,omitempty"`

	StateEnteredEventDetails *StateEnteredDetails `json:"stateEnteredEventDetails,omitempty"`
	StateExitedEventDetails  *StateExitedDetails  `json:"stateExitedEventDetails,omitempty"`

	TaskScheduledEventDetails *TaskScheduledDetails `json:"taskScheduledEventDetails,omitempty"`
	TaskStartedEventDetails   *TaskDetails          `json:"taskStartedEventDetails,omitempty"`
	TaskSubmittedEventDetails *TaskDetails          `json:"taskSubmittedEventDetails,omitempty"`
	TaskSucceededEventDetails *TaskDetails          `json:"taskSucceededEventDetails,omitempty"`
	TaskFailedEventDetails    *TaskDetails          `json:"taskFailedEventDetails,omitempty"`
	TaskTimedOutEventDetails  *TaskDetails          `json:"taskTimedOutEventDetails,omitempty"`

	LambdaFunctionScheduledEventDetails *LambdaScheduledDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaFunctionSucceededEventDetails *OutputDetails          `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFunctionFailedEventDetails    *ErrorDetails           `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaFunctionTimedOutEventDetails  *ErrorDetails           `json:"lambdaFunctionTimedOutEventDetails,omitempty"`

	ActivityScheduledEventDetails *ActivityScheduledDetails `json:"activityScheduledEventDetails,omitempty"`
	ActivityStartedEventDetails   *ActivityStartedDetails   `json:"activityStartedEventDetails,omitempty"`
	ActivitySucceededEventDetails *OutputDetails            `json:"activitySucceededEventDetails,omitempty"`
	ActivityFailedEventDetails    *ErrorDetails             `json:"activityFailedEventDetails,omitempty"`
	ActivityTimedOutEventDetails  *ErrorDetails             `json:"activityTimedOutEventDetails,omitempty"`

	MapStateStartedEventDetails       *MapStateStartedDetails `json:"mapStateStartedEventDetails,omitempty"`
	MapIterationStartedEventDetails   *MapIterationDetails    `json:"mapIterationStartedEventDetails,omitempty"`
	MapIterationSucceededEventDetails *MapIterationDetails    `json:"mapIterationSucceededEventDetails,omitempty"`
	MapIterationFailedEventDetails    *MapIterationDetails    `json:"mapIterationFailedEventDetails,omitempty"`
	MapIterationAbortedEventDetails   *MapIterationDetails    `json:"mapIterationAbortedEventDetails,omitempty"`

	MapRunStartedEventDetails *MapRunStartedDetails `json:"mapRunStartedEventDetails,omitempty"`
	MapRunFailedEventDetails  *ErrorDetails         `json:"mapRunFailedEventDetails,omitempty"`

	EvaluationFailedEventDetails *EvaluationFailedDetails `json:"evaluationFailedEventDetails,omitempty"`
}

// RedrivenDetails is executionRedrivenEventDetails.
type RedrivenDetails struct {
	RedriveCount int `json:"redriveCount"`
}

// MapRunStartedDetails is mapRunStartedEventDetails.
type MapRunStartedDetails struct {
	MapRunArn string `json:"mapRunArn"`
}

// Truncation is HistoryEventExecutionDataDetails; this package never
// truncates.
type Truncation struct {
	Truncated bool `json:"truncated"`
}

// ExecutionStartedDetails is executionStartedEventDetails.
type ExecutionStartedDetails struct {
	Input        string      `json:"input"`
	InputDetails *Truncation `json:"inputDetails,omitempty"`
	RoleArn      string      `json:"roleArn,omitempty"`
}

// OutputDetails carries an output document.
type OutputDetails struct {
	Output        string      `json:"output"`
	OutputDetails *Truncation `json:"outputDetails,omitempty"`
}

// ErrorDetails carries an error name and cause; either may be absent.
type ErrorDetails struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// StateEnteredDetails is stateEnteredEventDetails.
type StateEnteredDetails struct {
	Name         string      `json:"name"`
	Input        string      `json:"input"`
	InputDetails *Truncation `json:"inputDetails,omitempty"`
}

// StateExitedDetails is stateExitedEventDetails.
type StateExitedDetails struct {
	Name                     string            `json:"name"`
	Output                   string            `json:"output"`
	OutputDetails            *Truncation       `json:"outputDetails,omitempty"`
	AssignedVariables        map[string]string `json:"assignedVariables,omitempty"`
	AssignedVariablesDetails *Truncation       `json:"assignedVariablesDetails,omitempty"`
}

// TaskScheduledDetails is taskScheduledEventDetails.
type TaskScheduledDetails struct {
	ResourceType     string `json:"resourceType"`
	Resource         string `json:"resource"`
	Region           string `json:"region"`
	Parameters       string `json:"parameters"`
	TimeoutInSeconds int64  `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSecs  int64  `json:"heartbeatInSeconds,omitempty"`
}

// TaskDetails serves TaskStarted, TaskSubmitted, TaskSucceeded,
// TaskFailed and TaskTimedOut.
type TaskDetails struct {
	ResourceType  string      `json:"resourceType"`
	Resource      string      `json:"resource"`
	Output        *string     `json:"output,omitempty"`
	OutputDetails *Truncation `json:"outputDetails,omitempty"`
	Error         string      `json:"error,omitempty"`
	Cause         string      `json:"cause,omitempty"`
}

// LambdaScheduledDetails is lambdaFunctionScheduledEventDetails.
type LambdaScheduledDetails struct {
	Resource         string      `json:"resource"`
	Input            string      `json:"input"`
	InputDetails     *Truncation `json:"inputDetails,omitempty"`
	TimeoutInSeconds int64       `json:"timeoutInSeconds,omitempty"`
}

// ActivityScheduledDetails is activityScheduledEventDetails.
type ActivityScheduledDetails struct {
	Resource         string      `json:"resource"`
	Input            string      `json:"input"`
	InputDetails     *Truncation `json:"inputDetails,omitempty"`
	TimeoutInSeconds int64       `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSecs  int64       `json:"heartbeatInSeconds,omitempty"`
}

// ActivityStartedDetails is activityStartedEventDetails.
type ActivityStartedDetails struct {
	WorkerName string `json:"workerName,omitempty"`
}

// MapStateStartedDetails is mapStateStartedEventDetails.
type MapStateStartedDetails struct {
	Length int `json:"length"`
}

// MapIterationDetails names a Map state and an iteration index.
type MapIterationDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// EvaluationFailedDetails is evaluationFailedEventDetails.
type EvaluationFailedDetails struct {
	Error    string `json:"error,omitempty"`
	Cause    string `json:"cause,omitempty"`
	Location string `json:"location,omitempty"`
	State    string `json:"state"`
}

type eventAlias HistoryEvent

type eventWire struct {
	Timestamp float64 `json:"timestamp"`
	*eventAlias
}

// MarshalJSON writes the event with its timestamp in epoch seconds.
func (e HistoryEvent) MarshalJSON() ([]byte, error) {
	ts := float64(e.Timestamp.UnixMilli()) / 1000
	return json.Marshal(eventWire{Timestamp: ts, eventAlias: (*eventAlias)(&e)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *HistoryEvent) UnmarshalJSON(b []byte) error {
	w := eventWire{eventAlias: (*eventAlias)(e)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	sec, frac := math.Modf(w.Timestamp)
	e.Timestamp = time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
	return nil
}

var noTrunc = &Truncation{}
