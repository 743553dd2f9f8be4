package cloudtrail

import "github.com/vigilsec/vigil/internal/awsproto"

// LookupEventsInput is LookupEvents' input.
type LookupEventsInput struct {
	LookupAttributes []LookupAttribute   `json:"LookupAttributes"`
	StartTime        *awsproto.EpochTime `json:"StartTime"`
	EndTime          *awsproto.EpochTime `json:"EndTime"`
	EventCategory    *string             `json:"EventCategory"`
	MaxResults       awsproto.Int        `json:"MaxResults"`
	NextToken        *string             `json:"NextToken"`
}

// LookupAttribute is one filter of LookupEvents.
type LookupAttribute struct {
	AttributeKey   *string `json:"AttributeKey"`
	AttributeValue *string `json:"AttributeValue"`
}

// LookupEventsOutput is LookupEvents' output.
type LookupEventsOutput struct {
	Events    []Event `json:"Events"`
	NextToken string  `json:"NextToken,omitempty"`
}

// Event is one event as LookupEvents returns it.
type Event struct {
	EventID         string             `json:"EventId"`
	EventName       string             `json:"EventName"`
	ReadOnly        string             `json:"ReadOnly"`
	AccessKeyID     string             `json:"AccessKeyId,omitempty"`
	EventTime       awsproto.EpochTime `json:"EventTime"`
	EventSource     string             `json:"EventSource"`
	Username        string             `json:"Username,omitempty"`
	Resources       []EventResource    `json:"Resources"`
	CloudTrailEvent string             `json:"CloudTrailEvent"`
}

// EventResource is a resource an event touched, as LookupEvents shows it.
type EventResource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}
