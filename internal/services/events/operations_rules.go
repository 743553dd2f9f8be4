package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/pattern"
)

var ruleStates = []string{stateEnabled, stateDisabled, stateEnabledCT}

func (s *Service) putRule(ctx context.Context, call *awsproto.Call) (*PutRuleResult, error) {
	row, sched, tags, err := s.checkPutRule(call)
	if err != nil {
		return nil, err
	}
	bus := row.Bus
	arn := s.ruleARN(bus, row.Name)
	call.AddResource("AWS::Events::Rule", arn)

	s.ruleMu.Lock()
	defer s.ruleMu.Unlock()
	err = s.env.DB.Write(ctx, func(tx *txn) error {
		if _, ok, err := getBus(ctx, tx, bus); err != nil {
			return err
		} else if !ok {
			return busNotFound(bus)
		}
		_, existed, err := getRule(ctx, tx, bus, row.Name)
		if err != nil {
			return err
		}
		// An update replaces every member; omitted ones are reset, as on AWS.
		_, err = tx.ExecContext(ctx, `INSERT INTO events_rules (`+ruleColumns+`, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (bus, name) DO UPDATE SET pattern = excluded.pattern, schedule = excluded.schedule,
				state = excluded.state, description = excluded.description, role_arn = excluded.role_arn`,
			row.Bus, row.Name, row.Pattern, row.Schedule, row.State, row.Description, row.RoleArn, row.ManagedBy, row.CreatedBy, time.Now().UnixNano())
		if err != nil {
			return fmt.Errorf("put rule: %w", err)
		}
		if err := s.setSchedule(ctx, tx, row, sched); err != nil {
			return err
		}
		if existed {
			return nil // AWS ignores Tags when a rule is updated
		}
		return writeTags(ctx, tx, arn, tags)
	})
	if err != nil {
		return nil, err
	}
	s.applyRule(row)
	return &PutRuleResult{RuleArn: arn}, nil
}

// checkPutRule decodes and checks a PutRule request into the rule it
// stores, its parsed schedule (nil if none) and its tags.
func (s *Service) checkPutRule(call *awsproto.Call) (ruleRow, schedule, []Tag, error) {
	var in putRuleInput
	if err := call.Decode(&in); err != nil {
		return ruleRow{}, nil, nil, err
	}
	var c checker
	if c.required("name", in.Name) {
		c.str("name", in.Name, 1, 64, reRuleName, patRuleName)
	}
	c.str("scheduleExpression", in.ScheduleExpression, 0, 256, nil, "")
	c.str("eventPattern", in.EventPattern, 0, 4096, nil, "")
	c.enum("state", in.State, ruleStates...)
	c.str("description", in.Description, 0, 512, nil, "")
	c.str("roleArn", in.RoleArn, 1, 1600, nil, "")
	c.str("eventBusName", in.EventBusName, 1, 1600, reBusNameArn, patBusNameArn)
	tags := checkTags(&c, in.Tags)
	if err := c.err(); err != nil {
		return ruleRow{}, nil, nil, err
	}
	if str(in.EventPattern) == "" && str(in.ScheduleExpression) == "" {
		return ruleRow{}, nil, nil, awsproto.Validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if str(in.EventPattern) != "" {
		if err := pattern.Validate([]byte(*in.EventPattern)); err != nil {
			return ruleRow{}, nil, nil, invalidPattern(err)
		}
	}
	bus, err := s.busName(in.EventBusName)
	if err != nil {
		return ruleRow{}, nil, nil, err
	}
	var sched schedule
	if str(in.ScheduleExpression) != "" {
		if bus != defaultBus {
			return ruleRow{}, nil, nil, awsproto.Validation("ScheduleExpression is supported only on the default event bus.")
		}
		if sched, err = parseSchedule(*in.ScheduleExpression); err != nil {
			return ruleRow{}, nil, nil, awsproto.Validation("%v", err)
		}
	}
	row := ruleRow{Bus: bus, Name: *in.Name, Pattern: str(in.EventPattern), Schedule: str(in.ScheduleExpression), State: stateEnabled,
		Description: str(in.Description), RoleArn: str(in.RoleArn), CreatedBy: s.env.AccountID}
	if in.State != nil {
		row.State = *in.State
	}
	return row, sched, tags, nil
}

// setSchedule starts a new generation of the rule's timer, which retires
// any timer armed for an earlier version of the rule.
func (s *Service) setSchedule(ctx context.Context, tx *txn, r ruleRow, sched schedule) error {
	var gen int64
	now := time.Now()
	if sched != nil {
		gen = now.UnixNano()
	}
	if _, err := tx.ExecContext(ctx, `UPDATE events_rules SET schedule_gen = ? WHERE bus = ? AND name = ?`, gen, r.Bus, r.Name); err != nil {
		return fmt.Errorf("set schedule: %w", err)
	}
	if sched == nil {
		return nil
	}
	return armTimer(ctx, tx, timerJob{Bus: r.Bus, Rule: r.Name, Gen: gen}, sched, now)
}

// applyRule updates the matchers after a committed change.
func (s *Service) applyRule(r ruleRow) {
	if err := s.matchers.apply(r); err != nil {
		s.env.Log.Error("compile event pattern", "bus", r.Bus, "rule", r.Name, "err", err)
	}
}

// ruleInput decodes and checks the Name/EventBusName pair most rule
// operations take.
func (s *Service) ruleInput(call *awsproto.Call) (in ruleNameInput, bus string, err error) {
	if err = call.Decode(&in); err != nil {
		return in, "", err
	}
	var c checker
	if c.required("name", in.Name) {
		c.str("name", in.Name, 1, 64, reRuleName, patRuleName)
	}
	c.str("eventBusName", in.EventBusName, 1, 1600, reBusNameArn, patBusNameArn)
	if err = c.err(); err != nil {
		return in, "", err
	}
	bus, err = s.busName(in.EventBusName)
	return in, bus, err
}

func (s *Service) describeRule(ctx context.Context, call *awsproto.Call) (*Rule, error) {
	in, bus, err := s.ruleInput(call)
	if err != nil {
		return nil, err
	}
	r, ok, err := getRule(ctx, s.env.DB.Read(), bus, *in.Name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ruleNotFound(*in.Name, bus)
	}
	out := s.ruleResult(r)
	return &out, nil
}

func (s *Service) ruleResult(r ruleRow) Rule {
	return Rule{Name: r.Name, Arn: s.ruleARN(r.Bus, r.Name), EventPattern: r.Pattern, ScheduleExpression: r.Schedule,
		State: r.State, Description: r.Description, RoleArn: r.RoleArn, ManagedBy: r.ManagedBy,
		EventBusName: r.Bus, CreatedBy: r.CreatedBy}
}

func (s *Service) listRules(ctx context.Context, call *awsproto.Call) (*ListRulesResult, error) {
	var in listRulesInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	c.str("namePrefix", in.NamePrefix, 1, 64, reRuleName, patRuleName)
	c.str("eventBusName", in.EventBusName, 1, 1600, reBusNameArn, patBusNameArn)
	c.str("nextToken", in.NextToken, 1, 2048, nil, "")
	c.intRange("limit", in.Limit, 1, 100)
	if err := c.err(); err != nil {
		return nil, err
	}
	bus, err := s.busName(in.EventBusName)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	db := s.env.DB.Read()
	if _, ok, err := getBus(ctx, db, bus); err != nil {
		return nil, err
	} else if !ok {
		return nil, busNotFound(bus)
	}
	limit, prefix := pageLimit(in.Limit), str(in.NamePrefix)
	rows, err := db.QueryContext(ctx, `SELECT `+ruleColumns+` FROM events_rules
		WHERE bus = ? AND name > ? AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?`, bus, after, len(prefix), prefix, limit+1)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	defer rows.Close()
	out := &ListRulesResult{Rules: []Rule{}}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		rule := s.ruleResult(r)
		rule.CreatedBy = "" // only DescribeRule's output has CreatedBy; ListRules' Rule shape does not
		out.Rules = append(out.Rules, rule)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.Rules) > limit {
		out.Rules = out.Rules[:limit]
		out.NextToken = encodeToken(out.Rules[limit-1].Name)
	}
	return out, nil
}

func (s *Service) deleteRule(ctx context.Context, call *awsproto.Call) (any, error) {
	in, bus, err := s.ruleInput(call)
	if err != nil {
		return nil, err
	}
	arn := s.ruleARN(bus, *in.Name)
	call.AddResource("AWS::Events::Rule", arn)
	s.ruleMu.Lock()
	defer s.ruleMu.Unlock()
	err = s.env.DB.Write(ctx, func(tx *txn) error {
		if _, ok, err := getRule(ctx, tx, bus, *in.Name); err != nil || !ok {
			return err // deleting a rule that does not exist succeeds, as on AWS
		}
		n, err := countTargets(ctx, tx, bus, *in.Name)
		if err != nil {
			return err
		}
		if n > 0 {
			return awsproto.Validation("Rule can't be deleted since it has targets.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM events_rules WHERE bus = ? AND name = ?`, bus, *in.Name); err != nil {
			return fmt.Errorf("delete rule: %w", err)
		}
		return deleteTags(ctx, tx, arn)
	})
	if err != nil {
		return nil, err
	}
	s.matchers.remove(bus, *in.Name)
	return nil, nil
}

func (s *Service) setRuleState(ctx context.Context, call *awsproto.Call, state string) (any, error) {
	in, bus, err := s.ruleInput(call)
	if err != nil {
		return nil, err
	}
	call.AddResource("AWS::Events::Rule", s.ruleARN(bus, *in.Name))
	s.ruleMu.Lock()
	defer s.ruleMu.Unlock()
	var row ruleRow
	err = s.env.DB.Write(ctx, func(tx *txn) error {
		r, ok, err := getRule(ctx, tx, bus, *in.Name)
		if err != nil {
			return err
		}
		if !ok {
			return ruleNotFound(*in.Name, bus)
		}
		if r.State == stateEnabledCT && state == stateEnabled {
			return nil // already enabled; keep the wider state
		}
		r.State = state
		row = r
		_, err = tx.ExecContext(ctx, `UPDATE events_rules SET state = ? WHERE bus = ? AND name = ?`, state, bus, r.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if row.Name != "" {
		s.applyRule(row)
	}
	return nil, nil
}

func (s *Service) listRuleNamesByTarget(ctx context.Context, call *awsproto.Call) (*ListRuleNamesByTargetResult, error) {
	var in listRuleNamesByTargetInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("targetArn", in.TargetArn) {
		c.str("targetArn", in.TargetArn, 1, 1600, nil, "")
	}
	c.str("eventBusName", in.EventBusName, 1, 1600, reBusNameArn, patBusNameArn)
	c.str("nextToken", in.NextToken, 1, 2048, nil, "")
	c.intRange("limit", in.Limit, 1, 100)
	if err := c.err(); err != nil {
		return nil, err
	}
	bus, err := s.busName(in.EventBusName)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	db := s.env.DB.Read()
	if _, ok, err := getBus(ctx, db, bus); err != nil {
		return nil, err
	} else if !ok {
		return nil, busNotFound(bus)
	}
	limit := pageLimit(in.Limit)
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT rule FROM events_targets
		WHERE bus = ? AND arn = ? AND rule > ? ORDER BY rule LIMIT ?`, bus, *in.TargetArn, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("list rules by target: %w", err)
	}
	defer rows.Close()
	out := &ListRuleNamesByTargetResult{RuleNames: []string{}}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out.RuleNames = append(out.RuleNames, name)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.RuleNames) > limit {
		out.RuleNames = out.RuleNames[:limit]
		out.NextToken = encodeToken(out.RuleNames[limit-1])
	}
	return out, nil
}

// testEventFields are the members TestEventPattern requires of an event.
var testEventFields = []string{"id", "account", "source", "time", "region", "resources", "detail-type"}

func (s *Service) testEventPattern(call *awsproto.Call) (*TestEventPatternResult, error) {
	var in testEventPatternInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("eventPattern", in.EventPattern) {
		c.str("eventPattern", in.EventPattern, 0, 4096, nil, "")
	}
	c.required("event", in.Event)
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := pattern.Validate([]byte(*in.EventPattern)); err != nil {
		return nil, invalidPattern(err)
	}
	var event map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*in.Event), &event); err != nil || event == nil {
		return nil, awsproto.Validation("Parameter Event is not valid.")
	}
	for _, f := range testEventFields {
		if _, ok := event[f]; !ok {
			return nil, awsproto.Validation("Parameter Event is not valid.")
		}
	}
	ok, err := pattern.Matches([]byte(*in.EventPattern), []byte(*in.Event))
	if err != nil {
		var pe *pattern.Error
		if errors.As(err, &pe) {
			return nil, invalidPattern(err)
		}
		return nil, awsproto.Validation("Parameter Event is not valid.")
	}
	return &TestEventPatternResult{Result: ok}, nil
}
