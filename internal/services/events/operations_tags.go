package events

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// taggable resolves a rule or event-bus ARN of this account to its bus and
// rule (empty for a bus), checking that it exists.
func (s *Service) taggable(ctx context.Context, q querier, resource string) (bus, rule string, err error) {
	prefix := "arn:aws:events:" + s.env.Region + ":" + s.env.AccountID + ":"
	rest, ok := strings.CutPrefix(resource, prefix)
	switch {
	case ok && strings.HasPrefix(rest, "event-bus/"):
		bus = strings.TrimPrefix(rest, "event-bus/")
		if _, found, err := getBus(ctx, q, bus); err != nil {
			return "", "", err
		} else if !found {
			return "", "", busNotFound(bus)
		}
		return bus, "", nil
	case ok && strings.HasPrefix(rest, "rule/"):
		bus, rule = defaultBus, strings.TrimPrefix(rest, "rule/")
		if i := strings.LastIndexByte(rule, '/'); i >= 0 {
			bus, rule = rule[:i], rule[i+1:]
		}
		if _, found, err := getRule(ctx, q, bus, rule); err != nil {
			return "", "", err
		} else if !found {
			return "", "", ruleNotFound(rule, bus)
		}
		return bus, rule, nil
	}
	return "", "", awsproto.Validation("Parameter ResourceARN is not valid: %s is not an event bus or rule of account %s in %s.", resource, s.env.AccountID, s.env.Region)
}

func (s *Service) tagResource(ctx context.Context, call *awsproto.Call) (any, error) {
	var in tagResourceInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("resourceARN", in.ResourceARN) {
		c.str("resourceARN", in.ResourceARN, 1, 1600, nil, "")
	}
	c.listLen("tags", len(in.Tags), 0, 0, in.Tags != nil)
	tags := checkTags(&c, in.Tags)
	if err := c.err(); err != nil {
		return nil, err
	}
	call.AddResource("", *in.ResourceARN)
	err := s.env.DB.Write(ctx, func(tx *txn) error {
		if _, _, err := s.taggable(ctx, tx, *in.ResourceARN); err != nil {
			return err
		}
		return writeTags(ctx, tx, *in.ResourceARN, tags)
	})
	return nil, err
}

func (s *Service) untagResource(ctx context.Context, call *awsproto.Call) (any, error) {
	var in tagResourceInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("resourceARN", in.ResourceARN) {
		c.str("resourceARN", in.ResourceARN, 1, 1600, nil, "")
	}
	c.listLen("tagKeys", len(in.TagKeys), 0, 0, in.TagKeys != nil)
	if err := c.err(); err != nil {
		return nil, err
	}
	call.AddResource("", *in.ResourceARN)
	err := s.env.DB.Write(ctx, func(tx *txn) error {
		if _, _, err := s.taggable(ctx, tx, *in.ResourceARN); err != nil {
			return err
		}
		for _, k := range in.TagKeys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM events_tags WHERE arn = ? AND key = ?`, *in.ResourceARN, k); err != nil {
				return fmt.Errorf("untag: %w", err)
			}
		}
		return nil
	})
	return nil, err
}

func (s *Service) listTagsForResource(ctx context.Context, call *awsproto.Call) (*ListTagsForResourceResult, error) {
	var in tagResourceInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("resourceARN", in.ResourceARN) {
		c.str("resourceARN", in.ResourceARN, 1, 1600, nil, "")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	db := s.env.DB.Read()
	if _, _, err := s.taggable(ctx, db, *in.ResourceARN); err != nil {
		return nil, err
	}
	tags, err := readTags(ctx, db, *in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return &ListTagsForResourceResult{Tags: tags}, nil
}
