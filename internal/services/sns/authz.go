package sns

import (
	"context"
	"errors"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
)

// What each SNS operation acts on, for the front door's IAM policy
// evaluation: the topic, as the Service Authorization Reference defines
// the resource of each action, its tags, and its access policy.

// AuthContext implements services.Authorizer.
func (s *Service) AuthContext(ctx context.Context, call *awsproto.Call) (services.AuthInfo, error) {
	var in struct {
		TopicArn, TargetArn, SubscriptionArn, ResourceArn string
		Name, Protocol, Endpoint                          string
	}
	services.DecodeLoose(call, &in)
	var info services.AuthInfo
	topic := ""
	switch call.Action {
	case "ListTopics", "ListSubscriptions":
		return info, nil
	case "CreateTopic":
		topic = s.topicARN(in.Name)
		if c, ok := services.TagOnCreate("sns:TagResource", topic, call.Input); ok {
			info.Also = append(info.Also, c)
		}
	case "Publish":
		topic = in.TopicArn
		if topic == "" {
			topic = in.TargetArn
		}
	case "PublishBatch":
		info.Action = "Publish" // AWS authorises PublishBatch as sns:Publish
		topic = in.TopicArn
	case "Subscribe":
		// Changes the call from an authorisation hook on purpose: a Subscribe
		// IAM refuses is recorded without reaching Handle, and must be masked too.
		maskSubscribeAudit(call)
		topic = in.TopicArn
		info.Keys = map[string][]string{"sns:Protocol": {in.Protocol}, "sns:Endpoint": {in.Endpoint}}
	case "Unsubscribe", "GetSubscriptionAttributes", "SetSubscriptionAttributes":
		topic = topicOfSubscription(in.SubscriptionArn)
	case "TagResource", "UntagResource", "ListTagsForResource", "PutDataProtectionPolicy", "GetDataProtectionPolicy":
		topic = in.ResourceArn
	default:
		topic = in.TopicArn
	}
	if topic == "" {
		return info, nil
	}
	info.Resources = []string{topic}
	policy, tags, ok, err := s.TopicPolicy(ctx, topic)
	if err != nil {
		return info, err
	}
	if ok {
		info.ResourceTags = tags
		info.ResourcePolicies = []services.ResourcePolicy{{ID: topic, Document: []byte(policy)}}
	}
	return info, nil
}

// TopicPolicy returns a topic's access policy (its Policy attribute, or
// the default AWS gives a new topic) and its tags; ok is false when the
// topic does not exist.
func (s *Service) TopicPolicy(ctx context.Context, topicARN string) (policy string, tags map[string]string, ok bool, err error) {
	if !strings.HasPrefix(topicARN, "arn:") {
		return "", nil, false, nil
	}
	if err := s.ensureKey(ctx); err != nil {
		return "", nil, false, err
	}
	t, err := getTopic(ctx, s.env.DB.Read(), topicARN)
	if errors.Is(err, errNotFound) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	policy = t.Attrs["Policy"]
	if policy == "" {
		policy = defaultPolicy(t.ARN, s.env.AccountID)
	}
	if len(t.Tags) > 0 {
		tags = make(map[string]string, len(t.Tags))
		for _, tg := range t.Tags {
			tags[tg.Key] = tg.Value
		}
	}
	return policy, tags, true, nil
}

func (s *Service) topicARN(name string) string {
	return "arn:aws:sns:" + s.env.Region + ":" + s.env.AccountID + ":" + name
}

// topicOfSubscription cuts a subscription ARN (TOPIC_ARN:ID) to its topic.
func topicOfSubscription(sub string) string {
	if strings.Count(sub, ":") < 6 {
		return ""
	}
	return sub[:strings.LastIndexByte(sub, ':')]
}
