package sns

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

func (s *Service) publish(ctx context.Context, call *awsproto.Call) (*PublishResult, error) {
	var in PublishInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	target, field, e := publishTarget(&in)
	if e != nil {
		return nil, e
	}
	call.AddResource(resourceTopic, target)
	msg, e := checkPublish(&in)
	if e != nil {
		return nil, e
	}
	if e := s.checkTopicARN(target, field, "Publish"); e != nil {
		return nil, e
	}
	msg.ID, msg.TopicARN, msg.Timestamp = newID(), target, time.Now()
	var dropped []*subscription
	var refusedFindings []findingJob // audit findings of a refused message
	caller := principalOf(call.Caller.ARN, call.Caller.AccountID)
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.loadTopic(ctx, tx, target, field, "Publish")
		if err != nil {
			return err
		}
		// Inbound data protection runs here, against the policy this
		// transaction sees: a denied message is never stored, and a
		// de-identified one is stored de-identified.
		if p := s.topicPolicy(t); p != nil {
			findings, e := s.inbound(p, msg, caller)
			if e != nil {
				refusedFindings = findings
				return e
			}
			if err := enqueueFindings(ctx, tx, findings); err != nil {
				return err
			}
		}
		subs, err := querySubscriptions(ctx, tx, `WHERE topic_arn = ? AND confirmed = 1 ORDER BY arn`, target)
		if err != nil {
			return err
		}
		dropped, err = s.storeForDelivery(ctx, tx, subs, msg)
		return err
	})
	if len(refusedFindings) > 0 {
		// The refusal rolled the message back; what the audit found in it
		// is still recorded.
		if werr := s.env.DB.Write(ctx, func(tx *store.Tx) error { return enqueueFindings(ctx, tx, refusedFindings) }); werr != nil {
			s.log.Error("record audit findings of a refused message", "topic", target, "err", werr)
		}
	}
	if err != nil {
		return nil, err
	}
	for _, sub := range dropped {
		s.log.Info("email delivery is not implemented; message not sent", "subscription", sub.ARN,
			"endpoint", sub.Endpoint, "message", msg.ID)
	}
	return &PublishResult{MessageId: msg.ID}, nil
}

// publishTarget picks the topic a Publish names and the member naming it.
func publishTarget(in *PublishInput) (string, string, *awsproto.Error) {
	if in.PhoneNumber != "" {
		return "", "", invalid("PhoneNumber: Vigil does not support SMS")
	}
	switch {
	case in.TopicArn != "" && in.TargetArn != "":
		return "", "", invalid("TopicArn or TargetArn Reason: Only one of them may be specified")
	case in.TopicArn != "":
		return in.TopicArn, "TopicArn", nil
	case in.TargetArn != "":
		if strings.Contains(in.TargetArn, ":endpoint/") {
			return "", "", invalid("TargetArn: Vigil does not support mobile push endpoints")
		}
		return in.TargetArn, "TargetArn", nil
	}
	return "", "", invalid("TopicArn or TargetArn Reason: no value for required parameter")
}

// checkPublish validates what Publish sends and returns the message to store.
func checkPublish(in *PublishInput) (*storedMessage, *awsproto.Error) {
	if in.Message == nil || *in.Message == "" {
		return nil, invalid("Empty message")
	}
	if e := checkSubject(in.Subject); e != nil {
		return nil, e
	}
	if in.MessageDeduplicationId != "" {
		return nil, invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	if in.MessageGroupId != "" {
		return nil, invalid("MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type")
	}
	attrs, size, e := checkMessageAttributes(in.MessageAttributes)
	if e != nil {
		return nil, e
	}
	if size+len(*in.Message) > maxMessageSize {
		return nil, invalid("Message too long")
	}
	m := &storedMessage{Message: *in.Message, Attrs: attrs}
	if in.Subject != nil {
		m.Subject = *in.Subject
	}
	switch in.MessageStructure {
	case "":
	case "json":
		if e := m.splitStructure(); e != nil {
			return nil, e
		}
	default:
		return nil, invalid("MessageStructure")
	}
	return m, nil
}

// splitStructure turns a MessageStructure=json message into its default
// and per-protocol texts. Entries that are not strings are ignored, as SNS
// ignores them.
func (m *storedMessage) splitStructure() *awsproto.Error {
	var entries map[string]any
	if err := json.Unmarshal([]byte(m.Message), &entries); err != nil || entries == nil {
		return invalid("Message Structure - JSON message body failed to parse")
	}
	def, ok := entries["default"].(string)
	if !ok {
		return invalid("Message Structure - No default entry in JSON message body")
	}
	m.Message = def
	for k, v := range entries {
		if text, ok := v.(string); ok && k != "default" {
			if m.Protocols == nil {
				m.Protocols = map[string]string{}
			}
			m.Protocols[k] = text
		}
	}
	return nil
}
