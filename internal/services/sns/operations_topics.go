package sns

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/arn"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

const (
	resourceTopic        = "AWS::SNS::Topic"
	resourceSubscription = "AWS::SNS::Subscription"
	pageSize             = 100
)

func (s *Service) createTopic(ctx context.Context, call *awsproto.Call) (*CreateTopicResult, error) {
	var in CreateTopicInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if e := s.checkNewTopic(&in); e != nil {
		return nil, e
	}
	topicARN := arn.Make("sns", s.env.Region, s.env.AccountID, in.Name)
	call.AddResource(resourceTopic, topicARN)
	attrs := map[string]string{}
	for k, v := range in.Attributes {
		if k != "FifoTopic" { // only "false" gets this far, and AWS does not keep it
			attrs[k] = v
		}
	}
	if in.DataProtectionPolicy != "" {
		attrs[attrDataProtection] = in.DataProtectionPolicy
	}
	if attrs[attrDataProtection] == "" {
		delete(attrs, attrDataProtection)
	}
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := getTopic(ctx, tx, topicARN)
		if errors.Is(err, errNotFound) {
			return insertTopic(ctx, tx, &topic{ARN: topicARN, Name: in.Name, Attrs: attrs, Tags: in.Tags})
		}
		if err != nil {
			return err
		}
		// CreateTopic is idempotent as long as it asks for nothing different.
		current := s.topicAttributes(old, 0, 0)
		for k, v := range attrs {
			if current[k] != v {
				return invalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		for _, t := range in.Tags {
			if v, ok := tagValue(old.Tags, t.Key); !ok || v != t.Value {
				return invalid("Tags Reason: Topic already exists with different tags")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CreateTopicResult{TopicArn: topicARN}, nil
}

// checkNewTopic validates CreateTopic's input.
func (s *Service) checkNewTopic(in *CreateTopicInput) *awsproto.Error {
	if in.Name == "" {
		return invalid("Name Reason: no value for required parameter")
	}
	if strings.HasSuffix(in.Name, ".fifo") || strings.EqualFold(in.Attributes["FifoTopic"], "true") {
		return invalid("Topic Name: Vigil does not support FIFO topics")
	}
	if !validTopicName(in.Name) {
		return invalid("Topic Name")
	}
	for _, k := range sortedKeys(in.Attributes) {
		if e := checkTopicAttr(k, in.Attributes[k], "Attributes Reason: "); e != nil {
			return e
		}
	}
	if p := in.DataProtectionPolicy; p != "" {
		if a, ok := in.Attributes[attrDataProtection]; ok && a != p {
			return invalid("DataProtectionPolicy Reason: the DataProtectionPolicy parameter and attribute differ")
		}
		if _, err := parseDataProtection(p); err != nil {
			return dataProtectionError(err, "DataProtectionPolicy Reason: ")
		}
	}
	return checkTags(in.Tags, 0)
}

func tagValue(tags []Tag, key string) (string, bool) {
	for _, t := range tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// topicAttributes renders a topic's attributes as GetTopicAttributes does.
func (s *Service) topicAttributes(t *topic, confirmed, pending int64) awsproto.QueryMap {
	m := awsproto.QueryMap{
		"TopicArn":                t.ARN,
		"Owner":                   s.env.AccountID,
		"Policy":                  defaultPolicy(t.ARN, s.env.AccountID),
		"DisplayName":             "",
		"SignatureVersion":        "1",
		"SubscriptionsConfirmed":  strconv.FormatInt(confirmed, 10),
		"SubscriptionsPending":    strconv.FormatInt(pending, 10),
		"SubscriptionsDeleted":    strconv.FormatInt(t.Deleted, 10),
		"EffectiveDeliveryPolicy": topicEffectiveJSON(t.Attrs["DeliveryPolicy"]),
	}
	for k, v := range t.Attrs {
		m[k] = v
	}
	return m
}

// defaultPolicy is the access policy AWS gives a new topic: the owning
// account may do everything to it.
func defaultPolicy(topicARN, account string) string {
	type statement struct {
		Sid       string                       `json:"Sid"`
		Effect    string                       `json:"Effect"`
		Principal map[string]string            `json:"Principal"`
		Action    []string                     `json:"Action"`
		Resource  string                       `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition"`
	}
	return mustJSON(struct {
		Version   string      `json:"Version"`
		ID        string      `json:"Id"`
		Statement []statement `json:"Statement"`
	}{"2008-10-17", "__default_policy_ID", []statement{{
		Sid:       "__default_statement_ID",
		Effect:    "Allow",
		Principal: map[string]string{"AWS": "*"},
		Action: []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
			"SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
		Resource:  topicARN,
		Condition: map[string]map[string]string{"StringEquals": {"AWS:SourceOwner": account}},
	}}})
}

// loadTopic validates a topic ARN and returns the topic, or NotFound.
func (s *Service) loadTopic(ctx context.Context, q querier, topicARN, field, action string) (*topic, error) {
	if e := s.checkTopicARN(topicARN, field, action); e != nil {
		return nil, e
	}
	t, err := getTopic(ctx, q, topicARN)
	if errors.Is(err, errNotFound) {
		return nil, notFound("Topic does not exist")
	}
	return t, err
}

func (s *Service) getTopicAttributes(ctx context.Context, call *awsproto.Call) (*AttributesResult, error) {
	var in TopicInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.TopicArn)
	db := s.env.DB.Read()
	t, err := s.loadTopic(ctx, db, in.TopicArn, "TopicArn", "GetTopicAttributes")
	if err != nil {
		return nil, err
	}
	confirmed, pending, err := subscriptionCounts(ctx, db, t.ARN)
	if err != nil {
		return nil, err
	}
	attrs := s.topicAttributes(t, confirmed, pending)
	denied, err := deniedDeliveries(ctx, db, "topic_arn", t.ARN)
	if err != nil {
		return nil, fmt.Errorf("count denied deliveries of %s: %w", t.ARN, err)
	}
	if denied > 0 || t.Attrs[attrDataProtection] != "" {
		attrs[attrDeliveriesDenied] = strconv.FormatInt(denied, 10)
	}
	return &AttributesResult{Attributes: attrs}, nil
}

func (s *Service) setTopicAttributes(ctx context.Context, call *awsproto.Call) (any, error) {
	var in SetAttributeInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.TopicArn)
	if in.AttributeName == "" {
		return nil, invalid("AttributeName Reason: no value for required parameter")
	}
	value := ""
	if in.AttributeValue != nil {
		value = *in.AttributeValue
	}
	// An empty DisplayName, DeliveryPolicy or DataProtectionPolicy resets it;
	// the others must be valid.
	reset := value == "" && (in.AttributeName == "DisplayName" || in.AttributeName == "DeliveryPolicy" ||
		in.AttributeName == attrDataProtection)
	if !reset {
		if e := checkTopicAttr(in.AttributeName, value, ""); e != nil {
			return nil, e
		}
	}
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.loadTopic(ctx, tx, in.TopicArn, "TopicArn", "SetTopicAttributes")
		if err != nil {
			return err
		}
		if reset {
			delete(t.Attrs, in.AttributeName)
		} else {
			t.Attrs[in.AttributeName] = value
		}
		return updateTopic(ctx, tx, t)
	})
	if err == nil && in.AttributeName == attrDataProtection {
		s.dp.forget(in.TopicArn)
	}
	return nil, err
}

func (s *Service) deleteTopic(ctx context.Context, call *awsproto.Call) (any, error) {
	var in TopicInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.TopicArn)
	if e := s.checkTopicARN(in.TopicArn, "TopicArn", "DeleteTopic"); e != nil {
		return nil, e
	}
	// Deleting a topic that does not exist succeeds, as in AWS. Deliveries
	// still queued find their subscription gone and end quietly.
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := deleteSubscriptions(ctx, tx, `topic_arn = ?`, in.TopicArn); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sns_tokens WHERE topic_arn = ?`, in.TopicArn); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sns_denied_deliveries WHERE topic_arn = ?`, in.TopicArn); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sns_topics WHERE arn = ?`, in.TopicArn)
		return err
	})
	if err == nil {
		s.dp.forget(in.TopicArn)
	}
	return nil, err
}

func (s *Service) listTopics(ctx context.Context, call *awsproto.Call) (*ListTopicsResult, error) {
	var in ListInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	after, e := decodePageToken(in.NextToken)
	if e != nil {
		return nil, e
	}
	rows, err := s.env.DB.Read().QueryContext(ctx, `SELECT arn FROM sns_topics WHERE arn > ? ORDER BY arn LIMIT ?`, after, pageSize+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &ListTopicsResult{Topics: []TopicEntry{}}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		res.Topics = append(res.Topics, TopicEntry{TopicArn: a})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(res.Topics) > pageSize {
		res.Topics = res.Topics[:pageSize]
		res.NextToken = pageToken(res.Topics[pageSize-1].TopicArn)
	}
	return res, nil
}

// Page tokens carry the last key of the previous page.
func pageToken(last string) string { return base64.RawURLEncoding.EncodeToString([]byte(last)) }

func decodePageToken(tok string) (string, *awsproto.Error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), "arn:") {
		return "", invalid("NextToken")
	}
	return string(b), nil
}

func (s *Service) tagResource(ctx context.Context, call *awsproto.Call) (any, error) {
	var in TagResourceInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.ResourceArn)
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.loadTagged(ctx, tx, in.ResourceArn, "TagResource")
		if err != nil {
			return err
		}
		added := 0
		for _, nt := range in.Tags {
			if _, ok := tagValue(t.Tags, nt.Key); !ok {
				added++
			}
		}
		if e := checkTags(in.Tags, len(t.Tags)+added-len(in.Tags)); e != nil {
			return e
		}
		for _, nt := range in.Tags {
			t.Tags = setTag(t.Tags, nt)
		}
		return updateTopic(ctx, tx, t)
	})
	return struct{}{}, err
}

func setTag(tags []Tag, nt Tag) []Tag {
	for i := range tags {
		if tags[i].Key == nt.Key {
			tags[i].Value = nt.Value
			return tags
		}
	}
	return append(tags, nt)
}

func (s *Service) untagResource(ctx context.Context, call *awsproto.Call) (any, error) {
	var in UntagResourceInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.ResourceArn)
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.loadTagged(ctx, tx, in.ResourceArn, "UntagResource")
		if err != nil {
			return err
		}
		kept := t.Tags[:0]
		for _, tag := range t.Tags {
			if !contains(in.TagKeys, tag.Key) {
				kept = append(kept, tag)
			}
		}
		t.Tags = kept
		return updateTopic(ctx, tx, t)
	})
	return struct{}{}, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Service) listTagsForResource(ctx context.Context, call *awsproto.Call) (*ListTagsResult, error) {
	var in TagResourceInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.ResourceArn)
	t, err := s.loadTagged(ctx, s.env.DB.Read(), in.ResourceArn, "ListTagsForResource")
	if err != nil {
		return nil, err
	}
	res := &ListTagsResult{Tags: t.Tags}
	if res.Tags == nil {
		res.Tags = []Tag{}
	}
	return res, nil
}

// loadTagged loads the topic a tagging call names; only topics carry tags.
func (s *Service) loadTagged(ctx context.Context, q querier, resourceARN, action string) (*topic, error) {
	t, err := s.loadTopic(ctx, q, resourceARN, "ResourceArn", action)
	var e *awsproto.Error
	if errors.As(err, &e) && e.Code == "NotFound" {
		return nil, awsproto.Errorf(http.StatusNotFound, "ResourceNotFound", "Resource does not exist")
	}
	return t, err
}
