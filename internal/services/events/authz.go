package events

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
)

// What each EventBridge operation acts on, for the front door's IAM
// policy evaluation: event buses and rules as the Service Authorization
// Reference names them, their tags, and EventBridge's condition keys.

// AuthContext implements services.Authorizer.
func (s *Service) AuthContext(ctx context.Context, call *awsproto.Call) (services.AuthInfo, error) {
	var in struct {
		Name, Rule, EventBusName, ResourceARN, RoleArn, EventPattern string
		Targets                                                      []struct{ Arn, RoleArn string }
		Entries                                                      []struct{ Source, DetailType, EventBusName string }
	}
	var info services.AuthInfo
	if services.OnlyResourcePoliciesLimit(call.Caller) {
		// No resource-based policies here: nothing to look up.
		return info, nil
	}
	services.DecodeLoose(call, &in)
	var arn string
	switch call.Action {
	case "ListRules", "ListRuleNamesByTarget", "TestEventPattern", "ListEventBuses":
		return info, nil
	case "PutEvents":
		return s.putEventsAuth(ctx, in.Entries)
	case "CreateEventBus", "DescribeEventBus", "DeleteEventBus":
		arn = s.busARN(s.authBusName(in.Name))
	case "TagResource", "UntagResource", "ListTagsForResource":
		arn = in.ResourceARN
	case "PutTargets":
		arn = s.ruleARN(s.authBusName(in.EventBusName), in.Rule)
		info.Keys = map[string][]string{"events:TargetArn": {}}
		for _, t := range in.Targets {
			info.Keys["events:TargetArn"] = append(info.Keys["events:TargetArn"], t.Arn)
			info.Also = appendPassRole(info.Also, t.RoleArn, arn)
		}
	case "PutRule":
		arn = s.ruleARN(s.authBusName(in.EventBusName), in.Name)
		info.Keys = patternKeys(in.EventPattern)
		info.Also = appendPassRole(info.Also, in.RoleArn, arn)
	default: // the operations on one rule
		name := in.Rule
		if name == "" {
			name = in.Name
		}
		arn = s.ruleARN(s.authBusName(in.EventBusName), name)
	}
	if call.Action == "PutRule" || call.Action == "CreateEventBus" {
		if c, ok := services.TagOnCreate("events:TagResource", arn, call.Input); ok {
			info.Also = append(info.Also, c)
		}
	}
	info.Resources = []string{arn}
	if info.Keys == nil {
		info.Keys = map[string][]string{}
	}
	info.Keys["events:creatorAccount"] = []string{s.env.AccountID}
	tags, err := readTags(ctx, s.env.DB.Read(), arn)
	if err != nil {
		return info, err
	}
	info.ResourceTags = tagsMap(tags)
	return info, nil
}

// putEventsAuth names every bus the entries go to, with the sources and
// detail types they carry (events:source, events:detail-type; a key with
// several values needs ForAllValues or ForAnyValue in a policy).
func (s *Service) putEventsAuth(ctx context.Context, entries []struct{ Source, DetailType, EventBusName string }) (services.AuthInfo, error) {
	var info services.AuthInfo
	keys := map[string][]string{}
	for _, e := range entries {
		arn := s.busARN(s.authBusName(e.EventBusName))
		if !slices.Contains(info.Resources, arn) {
			info.Resources = append(info.Resources, arn)
		}
		if !slices.Contains(keys["events:source"], e.Source) {
			keys["events:source"] = append(keys["events:source"], e.Source)
		}
		if !slices.Contains(keys["events:detail-type"], e.DetailType) {
			keys["events:detail-type"] = append(keys["events:detail-type"], e.DetailType)
		}
	}
	if len(entries) > 0 {
		info.Keys = keys
	}
	if len(info.Resources) == 1 {
		tags, err := readTags(ctx, s.env.DB.Read(), info.Resources[0])
		if err != nil {
			return info, err
		}
		info.ResourceTags = tagsMap(tags)
	}
	return info, nil
}

// authBusName resolves an EventBusName member for authorisation: a name,
// or the name in an event-bus ARN; anything else is kept as written, and
// the operation refuses it later.
func (s *Service) authBusName(v string) string {
	name, err := s.busName(&v)
	if err != nil {
		return v
	}
	return name
}

// appendPassRole adds the iam:PassRole a call needs to hand roleArn to
// EventBridge.
func appendPassRole(checks []services.Check, roleArn, rule string) []services.Check {
	if roleArn == "" {
		return checks
	}
	for _, c := range checks {
		if c.Action == "iam:PassRole" && c.Resource == roleArn {
			return checks
		}
	}
	return append(checks, services.Check{Action: "iam:PassRole", Resource: roleArn, Keys: map[string][]string{
		"iam:PassedToService": {servicePrincipal}, "iam:AssociatedResourceArn": {rule}}})
}

// patternKeys reads events:source and events:detail-type from the
// pattern of a rule: the values its top-level source and detail-type
// fields match exactly.
func patternKeys(pattern string) map[string][]string {
	keys := map[string][]string{}
	if pattern == "" {
		return keys
	}
	var p map[string]json.RawMessage
	if json.Unmarshal([]byte(pattern), &p) != nil {
		return keys
	}
	for field, key := range map[string]string{"source": "events:source", "detail-type": "events:detail-type"} {
		var vals []string
		if json.Unmarshal(p[field], &vals) == nil && len(vals) > 0 {
			keys[key] = vals
		}
	}
	return keys
}

func tagsMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
