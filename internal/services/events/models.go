package events

import (
	"encoding/json"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// Member names below are botocore's (events 2015-10-07). Pointers mark
// members whose absence differs from their zero value.

type tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

// Tag is a resource tag as the API returns it.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Event buses.

type createEventBusInput struct {
	Name             *string           `json:"Name"`
	EventSourceName  *string           `json:"EventSourceName"`
	Description      *string           `json:"Description"`
	KmsKeyIdentifier *string           `json:"KmsKeyIdentifier"`
	DeadLetterConfig *DeadLetterConfig `json:"DeadLetterConfig"`
	LogConfig        json.RawMessage   `json:"LogConfig"`
	Tags             []tag             `json:"Tags"`
}

// CreateEventBusResult is CreateEventBus's output.
type CreateEventBusResult struct {
	EventBusArn string `json:"EventBusArn"`
	Description string `json:"Description,omitempty"`
}

type busNameInput struct {
	Name *string `json:"Name"`
}

// EventBus is an event bus as DescribeEventBus and ListEventBuses show it.
type EventBus struct {
	Name             string              `json:"Name"`
	Arn              string              `json:"Arn"`
	Description      string              `json:"Description,omitempty"`
	Policy           string              `json:"Policy,omitempty"`
	CreationTime     *awsproto.EpochTime `json:"CreationTime,omitempty"`
	LastModifiedTime *awsproto.EpochTime `json:"LastModifiedTime,omitempty"`
}

type listEventBusesInput struct {
	NamePrefix *string       `json:"NamePrefix"`
	NextToken  *string       `json:"NextToken"`
	Limit      *awsproto.Int `json:"Limit"`
}

// ListEventBusesResult is ListEventBuses's output.
type ListEventBusesResult struct {
	EventBuses []EventBus `json:"EventBuses"`
	NextToken  string     `json:"NextToken,omitempty"`
}

// Rules.

type putRuleInput struct {
	Name               *string `json:"Name"`
	ScheduleExpression *string `json:"ScheduleExpression"`
	EventPattern       *string `json:"EventPattern"`
	State              *string `json:"State"`
	Description        *string `json:"Description"`
	RoleArn            *string `json:"RoleArn"`
	Tags               []tag   `json:"Tags"`
	EventBusName       *string `json:"EventBusName"`
}

// PutRuleResult is PutRule's output.
type PutRuleResult struct {
	RuleArn string `json:"RuleArn"`
}

type ruleNameInput struct {
	Name         *string       `json:"Name"`
	EventBusName *string       `json:"EventBusName"`
	Force        awsproto.Bool `json:"Force"`
}

// Rule is a rule as DescribeRule and ListRules show it.
type Rule struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
	ManagedBy          string `json:"ManagedBy,omitempty"`
	EventBusName       string `json:"EventBusName"`
	CreatedBy          string `json:"CreatedBy,omitempty"`
}

type listRulesInput struct {
	NamePrefix   *string       `json:"NamePrefix"`
	EventBusName *string       `json:"EventBusName"`
	NextToken    *string       `json:"NextToken"`
	Limit        *awsproto.Int `json:"Limit"`
}

// ListRulesResult is ListRules's output.
type ListRulesResult struct {
	Rules     []Rule `json:"Rules"`
	NextToken string `json:"NextToken,omitempty"`
}

type listRuleNamesByTargetInput struct {
	TargetArn    *string       `json:"TargetArn"`
	EventBusName *string       `json:"EventBusName"`
	NextToken    *string       `json:"NextToken"`
	Limit        *awsproto.Int `json:"Limit"`
}

// ListRuleNamesByTargetResult is ListRuleNamesByTarget's output.
type ListRuleNamesByTargetResult struct {
	RuleNames []string `json:"RuleNames"`
	NextToken string   `json:"NextToken,omitempty"`
}

type testEventPatternInput struct {
	EventPattern *string `json:"EventPattern"`
	Event        *string `json:"Event"`
}

// TestEventPatternResult is TestEventPattern's output.
type TestEventPatternResult struct {
	Result bool `json:"Result"`
}

// Targets.

// Target is a rule target. It is stored as this JSON and returned as is
// by ListTargetsByRule.
type Target struct {
	ID               string            `json:"Id"`
	Arn              string            `json:"Arn"`
	RoleArn          string            `json:"RoleArn,omitempty"`
	Input            *string           `json:"Input,omitempty"`
	InputPath        *string           `json:"InputPath,omitempty"`
	InputTransformer *InputTransformer `json:"InputTransformer,omitempty"`
	RetryPolicy      *RetryPolicy      `json:"RetryPolicy,omitempty"`
	DeadLetterConfig *DeadLetterConfig `json:"DeadLetterConfig,omitempty"`
}

// InputTransformer rewrites the event before it reaches a target.
type InputTransformer struct {
	InputPathsMap map[string]string `json:"InputPathsMap,omitempty"`
	InputTemplate string            `json:"InputTemplate"`
}

// RetryPolicy bounds the retries of a failed delivery.
type RetryPolicy struct {
	MaximumRetryAttempts     *int64 `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int64 `json:"MaximumEventAgeInSeconds,omitempty"`
}

// DeadLetterConfig names the queue that receives undeliverable events.
type DeadLetterConfig struct {
	Arn string `json:"Arn,omitempty"`
}

// targetInput is a target as a request carries it, with the members Vigil
// does not support kept raw so that they can be refused by name.
type targetInput struct {
	ID               *string `json:"Id"`
	Arn              *string `json:"Arn"`
	RoleArn          *string `json:"RoleArn"`
	Input            *string `json:"Input"`
	InputPath        *string `json:"InputPath"`
	InputTransformer *struct {
		InputPathsMap map[string]string `json:"InputPathsMap"`
		InputTemplate *string           `json:"InputTemplate"`
	} `json:"InputTransformer"`
	RetryPolicy *struct {
		MaximumRetryAttempts     *awsproto.Int `json:"MaximumRetryAttempts"`
		MaximumEventAgeInSeconds *awsproto.Int `json:"MaximumEventAgeInSeconds"`
	} `json:"RetryPolicy"`
	DeadLetterConfig *DeadLetterConfig `json:"DeadLetterConfig"`

	KinesisParameters           json.RawMessage `json:"KinesisParameters"`
	RunCommandParameters        json.RawMessage `json:"RunCommandParameters"`
	EcsParameters               json.RawMessage `json:"EcsParameters"`
	BatchParameters             json.RawMessage `json:"BatchParameters"`
	SqsParameters               json.RawMessage `json:"SqsParameters"`
	HttpParameters              json.RawMessage `json:"HttpParameters"`
	RedshiftDataParameters      json.RawMessage `json:"RedshiftDataParameters"`
	SageMakerPipelineParameters json.RawMessage `json:"SageMakerPipelineParameters"`
	AppSyncParameters           json.RawMessage `json:"AppSyncParameters"`
}

type putTargetsInput struct {
	Rule         *string       `json:"Rule"`
	EventBusName *string       `json:"EventBusName"`
	Targets      []targetInput `json:"Targets"`
}

// FailedTarget is a target a PutTargets or RemoveTargets call did not apply.
type FailedTarget struct {
	TargetID     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// TargetsResult is the output of PutTargets and RemoveTargets.
type TargetsResult struct {
	FailedEntryCount int            `json:"FailedEntryCount"`
	FailedEntries    []FailedTarget `json:"FailedEntries"`
}

type listTargetsInput struct {
	Rule         *string       `json:"Rule"`
	EventBusName *string       `json:"EventBusName"`
	NextToken    *string       `json:"NextToken"`
	Limit        *awsproto.Int `json:"Limit"`
}

// ListTargetsByRuleResult is ListTargetsByRule's output.
type ListTargetsByRuleResult struct {
	Targets   []json.RawMessage `json:"Targets"`
	NextToken string            `json:"NextToken,omitempty"`
}

type removeTargetsInput struct {
	Rule         *string       `json:"Rule"`
	EventBusName *string       `json:"EventBusName"`
	Ids          []string      `json:"Ids"`
	Force        awsproto.Bool `json:"Force"`
}

// Events.

type putEventsEntry struct {
	Time         *awsproto.EpochTime `json:"Time"`
	Source       *string             `json:"Source"`
	Resources    []string            `json:"Resources"`
	DetailType   *string             `json:"DetailType"`
	Detail       *string             `json:"Detail"`
	EventBusName *string             `json:"EventBusName"`
	TraceHeader  *string             `json:"TraceHeader"`
}

type putEventsInput struct {
	Entries    []putEventsEntry `json:"Entries"`
	EndpointID *string          `json:"EndpointId"`
}

// PutEventsResultEntry is the outcome of one PutEvents entry.
type PutEventsResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// PutEventsResult is PutEvents's output.
type PutEventsResult struct {
	FailedEntryCount int                    `json:"FailedEntryCount"`
	Entries          []PutEventsResultEntry `json:"Entries"`
}

// envelope is an event as rules and targets see it. Field order is AWS's.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Tags.

type tagResourceInput struct {
	ResourceARN *string  `json:"ResourceARN"`
	Tags        []tag    `json:"Tags"`
	TagKeys     []string `json:"TagKeys"`
}

// ListTagsForResourceResult is ListTagsForResource's output.
type ListTagsForResourceResult struct {
	Tags []Tag `json:"Tags"`
}
