package events

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/arn"
	"github.com/vigilsec/vigil/internal/awsproto"
)

// maxTargetsPerRule is AWS's quota of targets on one rule.
const maxTargetsPerRule = 5

// Target kinds Vigil delivers to, by the service that owns the ARN.
const (
	kindStates = "states"
	kindSNS    = "sns"
	kindLambda = "lambda"
)

func (s *Service) putTargets(ctx context.Context, call *awsproto.Call) (*TargetsResult, error) {
	var in putTargetsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("rule", in.Rule) {
		c.str("rule", in.Rule, 1, 64, reRuleName, patRuleName)
	}
	c.str("eventBusName", in.EventBusName, 1, 1600, reBusNameArn, patBusNameArn)
	c.listLen("targets", len(in.Targets), 1, 100, in.Targets != nil)
	for i := range in.Targets {
		checkTargetShape(&c, fmt.Sprintf("targets.%d.member", i+1), &in.Targets[i])
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	targets := make([]Target, 0, len(in.Targets))
	for i := range in.Targets {
		t, err := s.checkTarget(&in.Targets[i])
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	bus, err := s.busName(in.EventBusName)
	if err != nil {
		return nil, err
	}
	call.AddResource("AWS::Events::Rule", s.ruleARN(bus, *in.Rule))
	err = s.env.DB.Write(ctx, func(tx *txn) error {
		return s.storeTargets(ctx, tx, bus, *in.Rule, targets)
	})
	if err != nil {
		return nil, err
	}
	return &TargetsResult{FailedEntries: []FailedTarget{}}, nil
}

func (s *Service) storeTargets(ctx context.Context, tx *txn, bus, rule string, targets []Target) error {
	if _, ok, err := getRule(ctx, tx, bus, rule); err != nil {
		return err
	} else if !ok {
		return ruleNotFound(rule, bus)
	}
	existing, err := targetsOf(ctx, tx, bus, rule)
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	for _, t := range existing {
		ids[t.ID] = true
	}
	for _, t := range targets {
		ids[t.ID] = true
	}
	if len(ids) > maxTargetsPerRule {
		return awsproto.Errorf(http.StatusBadRequest, "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events_targets WHERE bus = ? AND rule = ?`, bus, rule).Scan(&seq); err != nil {
		return fmt.Errorf("read target order: %w", err)
	}
	for _, t := range targets {
		body, err := json.Marshal(t)
		if err != nil {
			return err
		}
		seq++
		// An existing target keeps its place in the listing.
		if _, err := tx.ExecContext(ctx, `INSERT INTO events_targets (bus, rule, id, arn, body, seq) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (bus, rule, id) DO UPDATE SET arn = excluded.arn, body = excluded.body`,
			bus, rule, t.ID, t.Arn, string(body), seq); err != nil {
			return fmt.Errorf("put target %s: %w", t.ID, err)
		}
	}
	return nil
}

// checkTargetShape checks a target against the model's constraints.
func checkTargetShape(c *checker, field string, t *targetInput) {
	if c.required(field+".id", t.ID) {
		c.str(field+".id", t.ID, 1, 64, reTargetID, patTargetID)
	}
	if c.required(field+".arn", t.Arn) {
		c.str(field+".arn", t.Arn, 1, 1600, nil, "")
	}
	c.str(field+".roleArn", t.RoleArn, 1, 1600, nil, "")
	c.str(field+".input", t.Input, 0, 8192, nil, "")
	c.str(field+".inputPath", t.InputPath, 0, 256, nil, "")
	if it := t.InputTransformer; it != nil {
		f := field + ".inputTransformer"
		if c.required(f+".inputTemplate", it.InputTemplate) {
			c.str(f+".inputTemplate", it.InputTemplate, 1, 8192, nil, "")
		}
		if len(it.InputPathsMap) > 100 {
			c.addf("Value at '%s.inputPathsMap' failed to satisfy constraint: Member must have length less than or equal to 100", f)
		}
		keys := make([]string, 0, len(it.InputPathsMap))
		for k := range it.InputPathsMap {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := it.InputPathsMap[k]
			c.str(f+".inputPathsMap.key", &k, 1, 256, rePathKey, patPathKey)
			c.str(f+".inputPathsMap.value", &v, 0, 256, nil, "")
		}
	}
	if rp := t.RetryPolicy; rp != nil {
		c.intRange(field+".retryPolicy.maximumRetryAttempts", rp.MaximumRetryAttempts, 0, 185)
		c.intRange(field+".retryPolicy.maximumEventAgeInSeconds", rp.MaximumEventAgeInSeconds, 60, 86400)
	}
	if dl := t.DeadLetterConfig; dl != nil && dl.Arn != "" {
		c.str(field+".deadLetterConfig.arn", &dl.Arn, 1, 1600, nil, "")
	}
}

// checkTarget checks what the model cannot express and returns the target
// as it is stored.
func (s *Service) checkTarget(in *targetInput) (Target, error) {
	t := Target{ID: *in.ID, Arn: *in.Arn, RoleArn: str(in.RoleArn), DeadLetterConfig: in.DeadLetterConfig}
	for _, p := range []struct {
		name string
		raw  json.RawMessage
	}{
		{"KinesisParameters", in.KinesisParameters}, {"RunCommandParameters", in.RunCommandParameters},
		{"EcsParameters", in.EcsParameters}, {"BatchParameters", in.BatchParameters}, {"SqsParameters", in.SqsParameters},
		{"HttpParameters", in.HttpParameters}, {"RedshiftDataParameters", in.RedshiftDataParameters},
		{"SageMakerPipelineParameters", in.SageMakerPipelineParameters}, {"AppSyncParameters", in.AppSyncParameters},
	} {
		if len(p.raw) > 0 && string(p.raw) != "null" {
			return t, awsproto.Validation("Parameter(s) %s are not supported by Vigil (target %s).", p.name, t.ID)
		}
	}
	if _, err := s.targetKind(t.Arn); err != nil {
		return t, awsproto.Validation("Target %s: %v", t.ID, err)
	}
	if err := s.checkTargetInput(in, &t); err != nil {
		return t, err
	}
	if rp := in.RetryPolicy; rp != nil {
		t.RetryPolicy = &RetryPolicy{}
		if rp.MaximumRetryAttempts != nil && rp.MaximumRetryAttempts.Set {
			t.RetryPolicy.MaximumRetryAttempts = &rp.MaximumRetryAttempts.Value
		}
		if rp.MaximumEventAgeInSeconds != nil && rp.MaximumEventAgeInSeconds.Set {
			t.RetryPolicy.MaximumEventAgeInSeconds = &rp.MaximumEventAgeInSeconds.Value
		}
	}
	if dl := t.DeadLetterConfig; dl != nil {
		if dl.Arn == "" {
			t.DeadLetterConfig = nil
		} else if a, err := arn.Parse(dl.Arn); err != nil || a.Service != "sqs" {
			return t, awsproto.Validation("The DeadLetterConfig Arn of target %s must be an SQS queue ARN.", t.ID)
		}
	}
	return t, nil
}

// checkTargetInput checks Input, InputPath and InputTransformer. Empty
// strings count as absent.
func (s *Service) checkTargetInput(in *targetInput, t *Target) error {
	n := 0
	if str(in.Input) != "" {
		n++
		t.Input = in.Input
		if !json.Valid([]byte(*in.Input)) {
			return awsproto.Validation("Input for target %s is not a valid JSON text.", t.ID)
		}
	}
	if str(in.InputPath) != "" {
		n++
		t.InputPath = in.InputPath
		if _, err := parseJSONPath(*in.InputPath); err != nil {
			return awsproto.Validation("InputPath for target %s is not a valid JSON path: %v", t.ID, err)
		}
	}
	if it := in.InputTransformer; it != nil {
		n++
		for k, p := range it.InputPathsMap {
			if _, err := parseJSONPath(p); err != nil {
				return awsproto.Validation("InputPathsMap for target %s: %s is not a valid JSON path: %v", t.ID, k, err)
			}
		}
		if err := checkTemplate(*it.InputTemplate, it.InputPathsMap); err != nil {
			return awsproto.Validation("Invalid InputTemplate for target %s: %v", t.ID, err)
		}
		t.InputTransformer = &InputTransformer{InputPathsMap: it.InputPathsMap, InputTemplate: *it.InputTemplate}
	}
	if n > 1 {
		return awsproto.Validation("Only one of Input, InputPath, or InputTransformer must be provided for target %s.", t.ID)
	}
	return nil
}

// targetKind names the service a target ARN belongs to, if Vigil can
// deliver to it.
func (s *Service) targetKind(target string) (string, error) {
	a, err := arn.Parse(target)
	if err != nil {
		return "", fmt.Errorf("%s is not a valid ARN", target)
	}
	unsupported := fmt.Errorf("%s is not a supported target; Vigil delivers to Step Functions state machines, SNS topics and Lambda functions", target)
	if a.Partition != "aws" {
		return "", unsupported
	}
	if a.AccountID != s.env.AccountID || a.Region != s.env.Region {
		return "", fmt.Errorf("%s is in another account or region; Vigil serves account %s in %s only", target, s.env.AccountID, s.env.Region)
	}
	switch {
	case a.Service == "states" && a.ResourceType() == "stateMachine" && a.ResourceID() != "":
		return kindStates, nil
	case a.Service == "sns" && a.Resource != "" && !strings.ContainsAny(a.Resource, ":/"):
		return kindSNS, nil
	case a.Service == "lambda" && a.ResourceType() == "function" && a.ResourceID() != "":
		return kindLambda, nil
	}
	return "", unsupported
}

func (s *Service) listTargetsByRule(ctx context.Context, call *awsproto.Call) (*ListTargetsByRuleResult, error) {
	var in listTargetsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("rule", in.Rule) {
		c.str("rule", in.Rule, 1, 64, reRuleName, patRuleName)
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
	afterSeq, _ := strconv.ParseInt(after, 10, 64)
	db := s.env.DB.Read()
	if _, ok, err := getRule(ctx, db, bus, *in.Rule); err != nil {
		return nil, err
	} else if !ok {
		return nil, ruleNotFound(*in.Rule, bus)
	}
	limit := pageLimit(in.Limit)
	rows, err := db.QueryContext(ctx, `SELECT seq, body FROM events_targets WHERE bus = ? AND rule = ? AND seq > ?
		ORDER BY seq LIMIT ?`, bus, *in.Rule, afterSeq, limit+1)
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	defer rows.Close()
	out := &ListTargetsByRuleResult{Targets: []json.RawMessage{}}
	var seqs []int64
	for rows.Next() {
		var seq int64
		var body string
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, err
		}
		seqs = append(seqs, seq)
		out.Targets = append(out.Targets, json.RawMessage(body))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.Targets) > limit {
		out.Targets = out.Targets[:limit]
		out.NextToken = encodeToken(strconv.FormatInt(seqs[limit-1], 10))
	}
	return out, nil
}

func (s *Service) removeTargets(ctx context.Context, call *awsproto.Call) (*TargetsResult, error) {
	var in removeTargetsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("rule", in.Rule) {
		c.str("rule", in.Rule, 1, 64, reRuleName, patRuleName)
	}
	c.str("eventBusName", in.EventBusName, 1, 1600, reBusNameArn, patBusNameArn)
	c.listLen("ids", len(in.Ids), 1, 100, in.Ids != nil)
	for i := range in.Ids {
		c.str(fmt.Sprintf("ids.%d.member", i+1), &in.Ids[i], 1, 64, reTargetID, patTargetID)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	bus, err := s.busName(in.EventBusName)
	if err != nil {
		return nil, err
	}
	call.AddResource("AWS::Events::Rule", s.ruleARN(bus, *in.Rule))
	err = s.env.DB.Write(ctx, func(tx *txn) error {
		if _, ok, err := getRule(ctx, tx, bus, *in.Rule); err != nil {
			return err
		} else if !ok {
			return ruleNotFound(*in.Rule, bus)
		}
		for _, id := range in.Ids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM events_targets WHERE bus = ? AND rule = ? AND id = ?`, bus, *in.Rule, id); err != nil {
				return fmt.Errorf("remove target %s: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &TargetsResult{FailedEntries: []FailedTarget{}}, nil
}
