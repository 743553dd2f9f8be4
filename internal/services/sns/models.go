package sns

import "github.com/vigilsec/vigil/internal/awsproto"

// Tag is a topic tag.
type Tag struct {
	Key   string `xml:"Key" json:"Key"`
	Value string `xml:"Value" json:"Value"`
}

// CreateTopicInput is CreateTopic's input.
type CreateTopicInput struct {
	Name                 string
	Attributes           map[string]string
	Tags                 []Tag
	DataProtectionPolicy string
}

// CreateTopicResult is CreateTopic's output.
type CreateTopicResult struct {
	TopicArn string `xml:"TopicArn" json:"TopicArn"`
}

// ListInput is the input of the List operations that page by NextToken.
type ListInput struct {
	TopicArn  *string
	NextToken string
}

// TopicEntry is one topic in ListTopics.
type TopicEntry struct {
	TopicArn string `xml:"TopicArn" json:"TopicArn"`
}

// ListTopicsResult is ListTopics' output.
type ListTopicsResult struct {
	Topics    []TopicEntry `xml:"Topics>member" json:"Topics"`
	NextToken string       `xml:"NextToken,omitempty" json:"NextToken,omitempty"`
}

// TopicInput names a topic.
type TopicInput struct {
	TopicArn string
}

// AttributesResult is the output of GetTopicAttributes and GetSubscriptionAttributes.
type AttributesResult struct {
	Attributes awsproto.QueryMap `xml:"Attributes" json:"Attributes"`
}

// SetAttributeInput is the input of SetTopicAttributes and SetSubscriptionAttributes.
type SetAttributeInput struct {
	TopicArn        string
	SubscriptionArn string
	AttributeName   string
	AttributeValue  *string
}

// TagResourceInput is TagResource's input.
type TagResourceInput struct {
	ResourceArn string
	Tags        []Tag
}

// UntagResourceInput is UntagResource's input.
type UntagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

// ListTagsResult is ListTagsForResource's output.
type ListTagsResult struct {
	Tags []Tag `xml:"Tags>member" json:"Tags"`
}

// SubscribeInput is Subscribe's input.
type SubscribeInput struct {
	TopicArn              string
	Protocol              string
	Endpoint              string
	Attributes            map[string]string
	ReturnSubscriptionArn awsproto.Bool
}

// SubscriptionArnResult is the output of Subscribe and ConfirmSubscription.
type SubscriptionArnResult struct {
	SubscriptionArn string `xml:"SubscriptionArn" json:"SubscriptionArn"`
}

// ConfirmSubscriptionInput is ConfirmSubscription's input.
type ConfirmSubscriptionInput struct {
	TopicArn                  string
	Token                     string
	AuthenticateOnUnsubscribe string
}

// SubscriptionInput names a subscription.
type SubscriptionInput struct {
	SubscriptionArn string
}

// SubscriptionEntry is one subscription in the List operations.
type SubscriptionEntry struct {
	SubscriptionArn string `xml:"SubscriptionArn" json:"SubscriptionArn"`
	Owner           string `xml:"Owner" json:"Owner"`
	Protocol        string `xml:"Protocol" json:"Protocol"`
	Endpoint        string `xml:"Endpoint" json:"Endpoint"`
	TopicArn        string `xml:"TopicArn" json:"TopicArn"`
}

// ListSubscriptionsResult is the output of ListSubscriptions and ListSubscriptionsByTopic.
type ListSubscriptionsResult struct {
	Subscriptions []SubscriptionEntry `xml:"Subscriptions>member" json:"Subscriptions"`
	NextToken     string              `xml:"NextToken,omitempty" json:"NextToken,omitempty"`
}

// MessageAttributeValue is one message attribute as Publish receives it.
// BinaryValue is base64 text, as both awsQuery and JSON carry blobs.
type MessageAttributeValue struct {
	DataType    *string
	StringValue *string
	BinaryValue *string
}

// PublishInput is Publish's input.
type PublishInput struct {
	TopicArn               string
	TargetArn              string
	PhoneNumber            string
	Message                *string
	Subject                *string
	MessageStructure       string
	MessageAttributes      map[string]MessageAttributeValue
	MessageDeduplicationId string
	MessageGroupId         string
}

// PublishResult is Publish's output.
type PublishResult struct {
	MessageId string `xml:"MessageId" json:"MessageId"`
}
