package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// PublishBatch publishes up to ten messages to one topic. Problems with
// the batch as a whole (no entries, too many, Ids that are malformed or
// repeated, more than 256 KiB together, a bad or missing topic) fail the
// call. Everything Publish would refuse for one message — an empty message,
// a bad subject, attribute or JSON structure, a data protection Deny —
// fails that entry only, under the code Publish would answer with, and
// the others are published. All accepted messages, their deliveries and
// the audit findings of every entry are committed in one transaction
// before the call answers.

const maxBatchEntries = 10

// PublishBatchRequestEntry is one message of a PublishBatch.
type PublishBatchRequestEntry struct {
	Id                     string
	Message                *string
	Subject                *string
	MessageStructure       string
	MessageAttributes      map[string]MessageAttributeValue
	MessageDeduplicationId string
	MessageGroupId         string
}

// batchEntries reads the entry list; awsQuery sends an empty list as an
// empty string.
type batchEntries []PublishBatchRequestEntry

func (b *batchEntries) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte(`""`)) {
		*b = nil
		return nil
	}
	return json.Unmarshal(data, (*[]PublishBatchRequestEntry)(b))
}

// PublishBatchInput is PublishBatch's input.
type PublishBatchInput struct {
	TopicArn                   string
	PublishBatchRequestEntries batchEntries
}

// PublishBatchResultEntry is one published message of a PublishBatch.
type PublishBatchResultEntry struct {
	Id        string `xml:"Id" json:"Id"`
	MessageId string `xml:"MessageId" json:"MessageId"`
}

// BatchResultErrorEntry is one refused message of a PublishBatch.
type BatchResultErrorEntry struct {
	Id          string `xml:"Id" json:"Id"`
	Code        string `xml:"Code" json:"Code"`
	Message     string `xml:"Message,omitempty" json:"Message,omitempty"`
	SenderFault bool   `xml:"SenderFault" json:"SenderFault"`
}

// PublishBatchResult is PublishBatch's output.
type PublishBatchResult struct {
	Successful []PublishBatchResultEntry `xml:"Successful>member" json:"Successful"`
	Failed     []BatchResultErrorEntry   `xml:"Failed>member" json:"Failed"`
}

// batchItem is one entry on its way through a PublishBatch: the message
// to store, or why it is refused.
type batchItem struct {
	id  string
	msg *storedMessage
	err *awsproto.Error
}

func (s *Service) publishBatch(ctx context.Context, call *awsproto.Call) (*PublishBatchResult, error) {
	var in PublishBatchInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.TopicArn)
	if e := s.checkTopicARN(in.TopicArn, "TopicArn", "Publish"); e != nil {
		return nil, e
	}
	if e := checkBatch(in.PublishBatchRequestEntries); e != nil {
		return nil, e
	}
	now := time.Now()
	items := make([]batchItem, len(in.PublishBatchRequestEntries))
	for i := range in.PublishBatchRequestEntries {
		items[i] = prepareEntry(&in.PublishBatchRequestEntries[i], in.TopicArn, now)
	}
	caller := principalOf(call.Caller.ARN, call.Caller.AccountID)
	screened := make([]screening, len(items))
	screen := func(t *topic) {
		for i, it := range items {
			if it.err == nil {
				screened[i] = s.screen(t, it.msg, caller)
			}
		}
	}
	var dropped []*subscription
	err := s.writeScreened(ctx, in.TopicArn, "TopicArn", "Publish", screen, func(tx *store.Tx) error {
		dropped = nil
		subs, err := querySubscriptions(ctx, tx, `WHERE topic_arn = ? AND confirmed = 1 ORDER BY arn`, in.TopicArn)
		if err != nil {
			return err
		}
		for i := range items {
			sc := &screened[i]
			if items[i].err != nil {
				continue
			}
			// Findings are written for refused entries too, and the
			// transaction commits whatever the others did.
			if err := enqueueFindings(ctx, tx, sc.findings); err != nil {
				return err
			}
			if sc.err != nil {
				continue
			}
			d, err := s.storeForDelivery(ctx, tx, subs, sc.msg)
			if err != nil {
				return err
			}
			dropped = append(dropped, d...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range items {
		if it := &items[i]; it.err == nil {
			it.msg, it.err = screened[i].msg, screened[i].err
		}
	}
	for _, sub := range dropped {
		s.log.Info("email delivery is not implemented; message not sent", "subscription", sub.ARN, "endpoint", sub.Endpoint)
	}
	return batchResult(items), nil
}

// checkBatch validates what makes the whole batch unacceptable.
func checkBatch(entries []PublishBatchRequestEntry) *awsproto.Error {
	if len(entries) == 0 {
		return awsproto.Errorf(http.StatusBadRequest, "EmptyBatchRequest", "The batch request doesn't contain any entries.")
	}
	if len(entries) > maxBatchEntries {
		return awsproto.Errorf(http.StatusBadRequest, "TooManyEntriesInBatchRequest",
			"The batch request contains more entries than permissible: %d, at most %d.", len(entries), maxBatchEntries)
	}
	seen := make(map[string]bool, len(entries))
	for i, e := range entries {
		if !validBatchID(e.Id) {
			return awsproto.Errorf(http.StatusBadRequest, "InvalidBatchEntryId",
				"The Id of PublishBatchRequestEntries.member.%d must be 1 to 80 letters, digits, hyphens and underscores.", i+1)
		}
		if seen[e.Id] {
			return awsproto.Errorf(http.StatusBadRequest, "BatchEntryIdsNotDistinct",
				"Two or more batch entries in the request have the same Id: %s.", e.Id)
		}
		seen[e.Id] = true
	}
	if n := batchSize(entries); n > maxMessageSize {
		return awsproto.Errorf(http.StatusBadRequest, "BatchRequestTooLong",
			"The messages of the batch and their attributes total %d bytes, more than the limit of %d.", n, maxMessageSize)
	}
	return nil
}

// validBatchID reports whether id is 1-80 letters, digits, hyphens and
// underscores.
func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// batchSize sums the sizes of the entries' messages and attributes,
// counted as Publish counts one message.
func batchSize(entries []PublishBatchRequestEntry) int {
	n := 0
	for _, e := range entries {
		if e.Message != nil {
			n += len(*e.Message)
		}
		for name, a := range e.MessageAttributes {
			n += len(name)
			for _, p := range []*string{a.DataType, a.StringValue, a.BinaryValue} {
				if p != nil {
					n += len(*p)
				}
			}
		}
	}
	return n
}

// prepareEntry validates one entry as Publish validates its input.
func prepareEntry(e *PublishBatchRequestEntry, topicARN string, now time.Time) batchItem {
	msg, err := checkPublish(&PublishInput{Message: e.Message, Subject: e.Subject, MessageStructure: e.MessageStructure,
		MessageAttributes: e.MessageAttributes, MessageDeduplicationId: e.MessageDeduplicationId, MessageGroupId: e.MessageGroupId})
	if err != nil {
		return batchItem{id: e.Id, err: err}
	}
	msg.ID, msg.TopicARN, msg.Timestamp = newID(), topicARN, now
	return batchItem{id: e.Id, msg: msg}
}

// storeForDelivery commits msg with one delivery job per subscription of
// subs whose filter policy lets it through. It returns the matching
// subscriptions Vigil does not deliver to (email), for the log.
func (s *Service) storeForDelivery(ctx context.Context, tx *store.Tx, subs []*subscription, msg *storedMessage) ([]*subscription, error) {
	var deliver, dropped []*subscription
	for _, sub := range subs {
		switch {
		case !s.matches(sub, msg):
		case isHTTP(sub.Protocol) || sub.Protocol == "lambda":
			deliver = append(deliver, sub)
		default:
			dropped = append(dropped, sub)
		}
	}
	if len(deliver) == 0 {
		return dropped, nil
	}
	if err := insertMessage(ctx, tx, msg, len(deliver)); err != nil {
		return nil, err
	}
	for _, sub := range deliver {
		job := mustJSON(deliverJob{Message: msg.ID, Sub: sub.ARN})
		if _, err := tx.Enqueue(ctx, kindDeliver, []byte(job), time.Time{}); err != nil {
			return nil, fmt.Errorf("enqueue delivery of %s to %s: %w", msg.ID, sub.ARN, err)
		}
	}
	return dropped, nil
}

// batchResult reports each entry, in the order given.
func batchResult(items []batchItem) *PublishBatchResult {
	res := &PublishBatchResult{Successful: []PublishBatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	for _, it := range items {
		if it.err != nil {
			res.Failed = append(res.Failed, BatchResultErrorEntry{Id: it.id, Code: it.err.Code, Message: it.err.Message,
				SenderFault: it.err.Status < http.StatusInternalServerError})
			continue
		}
		res.Successful = append(res.Successful, PublishBatchResultEntry{Id: it.id, MessageId: it.msg.ID})
	}
	return res
}
