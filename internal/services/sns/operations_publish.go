package sns

import (
	"context"
	"encoding/json"
	"errors"
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
	caller := principalOf(call.Caller.ARN, call.Caller.AccountID)
	var sc screening
	var dropped []*subscription
	err := s.writeScreened(ctx, target, field, "Publish", func(t *topic) { sc = s.screen(t, msg, caller) },
		func(tx *store.Tx) error {
			// A refused message is not stored; what the audit found in it is.
			if err := enqueueFindings(ctx, tx, sc.findings); err != nil || sc.err != nil {
				return err
			}
			subs, err := querySubscriptions(ctx, tx, `WHERE topic_arn = ? AND confirmed = 1 ORDER BY arn`, target)
			if err != nil {
				return err
			}
			dropped, err = s.storeForDelivery(ctx, tx, subs, sc.msg)
			return err
		})
	if err != nil {
		return nil, err
	}
	if sc.err != nil {
		return nil, sc.err
	}
	for _, sub := range dropped {
		s.log.Info("email delivery is not implemented; message not sent", "subscription", sub.ARN,
			"endpoint", sub.Endpoint, "message", msg.ID)
	}
	return &PublishResult{MessageId: msg.ID}, nil
}

// errPolicyChanged abandons a publish transaction whose topic's data
// protection policy is no longer the one its messages were screened with.
var errPolicyChanged = errors.New("data protection policy changed while publishing")

// maxScreenings is how many times a publish screens its messages outside
// the transaction before it gives up and screens inside it.
const maxScreenings = 3

// writeScreened runs write in a transaction on the topic, after screen has
// applied the topic's Inbound data protection to the messages. Screening
// can take a millisecond per large message, so it runs before the
// transaction, on the topic as the read pool sees it, rather than on the
// writer every service shares; the transaction then checks that the
// policy text is still the one screened with, and if not the whole is
// done again. A topic whose policy keeps changing is screened inside the
// transaction, which cannot miss a change.
func (s *Service) writeScreened(ctx context.Context, arn, field, action string, screen func(*topic), write func(*store.Tx) error) error {
	for i := 0; ; i++ {
		inside := i == maxScreenings
		var text string
		if !inside {
			t, err := s.loadTopic(ctx, s.env.DB.Read(), arn, field, action)
			if err != nil {
				return err
			}
			text = t.Attrs[attrDataProtection]
			screen(t)
			if s.afterScreen != nil {
				s.afterScreen()
			}
		}
		err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
			t, err := s.loadTopic(ctx, tx, arn, field, action)
			if err != nil {
				return err
			}
			if inside {
				screen(t)
			} else if t.Attrs[attrDataProtection] != text {
				return errPolicyChanged
			}
			return write(tx)
		})
		if !errors.Is(err, errPolicyChanged) {
			return err
		}
	}
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
