package states

import (
	"encoding/json"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// Member names follow botocore's stepfunctions 2016-11-23 model.

// Tag is a state machine tag.
type Tag struct {
	Key   *string `json:"key,omitempty"`
	Value *string `json:"value,omitempty"`
}

// LoggingConfiguration is accepted only with level OFF: Vigil has no
// CloudWatch Logs to write to.
type LoggingConfiguration struct {
	Level                string            `json:"level,omitempty"`
	IncludeExecutionData bool              `json:"includeExecutionData"`
	Destinations         []json.RawMessage `json:"destinations,omitempty"`
}

// TracingConfiguration is accepted only disabled: Vigil has no X-Ray.
type TracingConfiguration struct {
	Enabled bool `json:"enabled"`
}

type createStateMachineInput struct {
	Name                 *string               `json:"name"`
	Definition           *string               `json:"definition"`
	RoleArn              *string               `json:"roleArn"`
	Type                 *string               `json:"type"`
	LoggingConfiguration *LoggingConfiguration `json:"loggingConfiguration"`
	TracingConfiguration *TracingConfiguration `json:"tracingConfiguration"`
	Tags                 []Tag                 `json:"tags"`
	Publish              bool                  `json:"publish"`
}

// CreateStateMachineOutput is CreateStateMachine's result.
type CreateStateMachineOutput struct {
	StateMachineArn string             `json:"stateMachineArn"`
	CreationDate    awsproto.EpochTime `json:"creationDate"`
}

type arnInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
	ExecutionArn    *string `json:"executionArn"`
}

// DescribeStateMachineOutput is DescribeStateMachine's result.
type DescribeStateMachineOutput struct {
	StateMachineArn      string                `json:"stateMachineArn"`
	Name                 string                `json:"name"`
	Status               string                `json:"status"`
	Definition           string                `json:"definition"`
	RoleArn              string                `json:"roleArn"`
	Type                 string                `json:"type"`
	CreationDate         awsproto.EpochTime    `json:"creationDate"`
	LoggingConfiguration *LoggingConfiguration `json:"loggingConfiguration,omitempty"`
	TracingConfiguration *TracingConfiguration `json:"tracingConfiguration,omitempty"`
}

// DescribeStateMachineForExecutionOutput is DescribeStateMachineForExecution's result.
type DescribeStateMachineForExecutionOutput struct {
	StateMachineArn      string                `json:"stateMachineArn"`
	Name                 string                `json:"name"`
	Definition           string                `json:"definition"`
	RoleArn              string                `json:"roleArn"`
	UpdateDate           awsproto.EpochTime    `json:"updateDate"`
	LoggingConfiguration *LoggingConfiguration `json:"loggingConfiguration,omitempty"`
	TracingConfiguration *TracingConfiguration `json:"tracingConfiguration,omitempty"`
}

type listInput struct {
	StateMachineArn *string      `json:"stateMachineArn"`
	StatusFilter    *string      `json:"statusFilter"`
	MaxResults      awsproto.Int `json:"maxResults"`
	NextToken       *string      `json:"nextToken"`
	MapRunArn       *string      `json:"mapRunArn"`
	RedriveFilter   *string      `json:"redriveFilter"`
}

// StateMachineListItem is one entry of ListStateMachines.
type StateMachineListItem struct {
	StateMachineArn string             `json:"stateMachineArn"`
	Name            string             `json:"name"`
	Type            string             `json:"type"`
	CreationDate    awsproto.EpochTime `json:"creationDate"`
}

// ListStateMachinesOutput is ListStateMachines' result.
type ListStateMachinesOutput struct {
	StateMachines []StateMachineListItem `json:"stateMachines"`
	NextToken     string                 `json:"nextToken,omitempty"`
}

type startExecutionInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
	Name            *string `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     *string `json:"traceHeader"`
}

// StartExecutionOutput is StartExecution's result.
type StartExecutionOutput struct {
	ExecutionArn string             `json:"executionArn"`
	StartDate    awsproto.EpochTime `json:"startDate"`
}

// DataDetails is CloudWatchEventsExecutionDataDetails.
type DataDetails struct {
	Included bool `json:"included"`
}

// DescribeExecutionOutput is DescribeExecution's result.
type DescribeExecutionOutput struct {
	ExecutionArn        string              `json:"executionArn"`
	StateMachineArn     string              `json:"stateMachineArn"`
	Name                string              `json:"name"`
	Status              string              `json:"status"`
	StartDate           awsproto.EpochTime  `json:"startDate"`
	StopDate            *awsproto.EpochTime `json:"stopDate,omitempty"`
	Input               string              `json:"input"`
	InputDetails        DataDetails         `json:"inputDetails"`
	Output              *string             `json:"output,omitempty"`
	OutputDetails       *DataDetails        `json:"outputDetails,omitempty"`
	Error               *string             `json:"error,omitempty"`
	Cause               *string             `json:"cause,omitempty"`
	RedriveCount        int                 `json:"redriveCount"`
	RedriveDate         *awsproto.EpochTime `json:"redriveDate,omitempty"`
	RedriveStatus       string              `json:"redriveStatus"`
	RedriveStatusReason string              `json:"redriveStatusReason,omitempty"`
}

// ExecutionListItem is one entry of ListExecutions.
type ExecutionListItem struct {
	ExecutionArn    string              `json:"executionArn"`
	StateMachineArn string              `json:"stateMachineArn"`
	Name            string              `json:"name"`
	Status          string              `json:"status"`
	StartDate       awsproto.EpochTime  `json:"startDate"`
	StopDate        *awsproto.EpochTime `json:"stopDate,omitempty"`
	RedriveCount    *int                `json:"redriveCount,omitempty"`
	RedriveDate     *awsproto.EpochTime `json:"redriveDate,omitempty"`
}

// ListExecutionsOutput is ListExecutions' result.
type ListExecutionsOutput struct {
	Executions []ExecutionListItem `json:"executions"`
	NextToken  string              `json:"nextToken,omitempty"`
}

type stopExecutionInput struct {
	ExecutionArn *string `json:"executionArn"`
	Error        *string `json:"error"`
	Cause        *string `json:"cause"`
}

// StopExecutionOutput is StopExecution's result.
type StopExecutionOutput struct {
	StopDate awsproto.EpochTime `json:"stopDate"`
}

type historyInput struct {
	ExecutionArn         *string       `json:"executionArn"`
	MaxResults           awsproto.Int  `json:"maxResults"`
	ReverseOrder         awsproto.Bool `json:"reverseOrder"`
	NextToken            *string       `json:"nextToken"`
	IncludeExecutionData awsproto.Bool `json:"includeExecutionData"`
}

// GetExecutionHistoryOutput is GetExecutionHistory's result. Events are
// kept as the JSON the interpreter produced.
type GetExecutionHistoryOutput struct {
	Events    []json.RawMessage `json:"events"`
	NextToken string            `json:"nextToken,omitempty"`
}

type validateInput struct {
	Definition *string      `json:"definition"`
	Type       *string      `json:"type"`
	Severity   *string      `json:"severity"`
	MaxResults awsproto.Int `json:"maxResults"`
}

// Diagnostic is a ValidateStateMachineDefinitionDiagnostic.
type Diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

// ValidateOutput is ValidateStateMachineDefinition's result.
type ValidateOutput struct {
	Result      string       `json:"result"`
	Diagnostics []Diagnostic `json:"diagnostics"`
	Truncated   bool         `json:"truncated"`
}

type tagsInput struct {
	ResourceArn *string  `json:"resourceArn"`
	Tags        []Tag    `json:"tags"`
	TagKeys     []string `json:"tagKeys"`
}

// ListTagsOutput is ListTagsForResource's result.
type ListTagsOutput struct {
	Tags []Tag `json:"tags"`
}

// EncryptionConfiguration is accepted with type AWS_OWNED_KEY only.
type EncryptionConfiguration struct {
	Type                         string `json:"type,omitempty"`
	KmsKeyId                     string `json:"kmsKeyId,omitempty"`
	KmsDataKeyReusePeriodSeconds int    `json:"kmsDataKeyReusePeriodSeconds,omitempty"`
}

type createActivityInput struct {
	Name                    *string                  `json:"name"`
	Tags                    []Tag                    `json:"tags"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration"`
}

// CreateActivityOutput is CreateActivity's result.
type CreateActivityOutput struct {
	ActivityArn  string             `json:"activityArn"`
	CreationDate awsproto.EpochTime `json:"creationDate"`
}

type activityInput struct {
	ActivityArn *string `json:"activityArn"`
}

// DescribeActivityOutput is DescribeActivity's result.
type DescribeActivityOutput struct {
	ActivityArn             string                   `json:"activityArn"`
	Name                    string                   `json:"name"`
	CreationDate            awsproto.EpochTime       `json:"creationDate"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
}

// ActivityListItem is one entry of ListActivities.
type ActivityListItem struct {
	ActivityArn  string             `json:"activityArn"`
	Name         string             `json:"name"`
	CreationDate awsproto.EpochTime `json:"creationDate"`
}

// ListActivitiesOutput is ListActivities' result.
type ListActivitiesOutput struct {
	Activities []ActivityListItem `json:"activities"`
	NextToken  string             `json:"nextToken,omitempty"`
}

type getActivityTaskInput struct {
	ActivityArn *string `json:"activityArn"`
	WorkerName  *string `json:"workerName"`
}

// GetActivityTaskOutput is GetActivityTask's result; both members are
// absent when no task came within the poll.
type GetActivityTaskOutput struct {
	TaskToken *string `json:"taskToken,omitempty"`
	Input     *string `json:"input,omitempty"`
}
