package states

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
)

// What each Step Functions operation acts on, for the front door's IAM
// policy evaluation: state machines, executions and activities as the
// Service Authorization Reference names them, with their tags. Inputs are
// read loosely here: the operations validate them after authorisation.

// AuthContext implements services.Authorizer.
func (s *Service) AuthContext(ctx context.Context, call *awsproto.Call) (services.AuthInfo, error) {
	var in struct {
		Name            string `json:"name"`
		RoleArn         string `json:"roleArn"`
		StateMachineArn string `json:"stateMachineArn"`
		ExecutionArn    string `json:"executionArn"`
		ActivityArn     string `json:"activityArn"`
		ResourceArn     string `json:"resourceArn"`
		MapRunArn       string `json:"mapRunArn"`
	}
	var info services.AuthInfo
	if services.OnlyResourcePoliciesLimit(call.Caller) {
		// No resource-based policies here: nothing to look up.
		return info, nil
	}
	services.DecodeLoose(call, &in)
	var arn string
	switch call.Action {
	case "ListStateMachines", "ListActivities", "ValidateStateMachineDefinition",
		"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat":
		return info, nil
	case "TestState":
		info.Also = passRole(in.RoleArn, "")
		return info, nil
	case "CreateStateMachine":
		arn = s.authMachineARN(in.Name)
		info.Also = passRole(in.RoleArn, arn)
	case "CreateActivity":
		arn = "arn:aws:states:" + s.env.Region + ":" + s.env.AccountID + ":activity:" + in.Name
	case "DescribeStateMachine", "DeleteStateMachine", "StartExecution", "StartSyncExecution":
		arn = in.StateMachineArn
		if call.Action == "StartSyncExecution" && call.Internal && call.Caller.InvokedBy == servicePrincipal {
			// A .sync task runs an EXPRESS child this way; AWS asks the
			// workflow's role for states:StartExecution, as for any child.
			info.Action = "StartExecution"
		}
	case "ListExecutions":
		arn = in.StateMachineArn
		if arn == "" {
			arn = in.MapRunArn
		}
	case "DescribeActivity", "DeleteActivity", "GetActivityTask":
		arn = in.ActivityArn
	case "TagResource", "UntagResource", "ListTagsForResource":
		arn = in.ResourceArn
	default: // the operations on one execution
		arn = in.ExecutionArn
	}
	if call.Action == "CreateStateMachine" || call.Action == "CreateActivity" {
		if c, ok := services.TagOnCreate("states:TagResource", arn, call.Input); ok {
			info.Also = append(info.Also, c)
		}
	}
	info.Resources = []string{arn}
	tags, err := s.authTags(ctx, arn)
	info.ResourceTags = tags
	return info, err
}

// authTag is a tag as stored and as the API takes it, read here apart
// from the operations' own types.
type authTag struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

func (s *Service) authMachineARN(name string) string {
	return "arn:aws:states:" + s.env.Region + ":" + s.env.AccountID + ":stateMachine:" + name
}

// passRole is the iam:PassRole a call needs to hand a role to Step
// Functions.
func passRole(roleArn, machine string) []services.Check {
	if roleArn == "" {
		return nil
	}
	keys := map[string][]string{"iam:PassedToService": {"states.amazonaws.com"}}
	if machine != "" {
		keys["iam:AssociatedResourceArn"] = []string{machine}
	}
	return []services.Check{{Action: "iam:PassRole", Resource: roleArn, Keys: keys}}
}

// authTags reads the tags of a state machine or activity; executions and
// resources that do not exist have none.
func (s *Service) authTags(ctx context.Context, arn string) (map[string]string, error) {
	var table string
	switch {
	case strings.Contains(arn, ":stateMachine:"):
		table = "states_machines"
		// A qualified ARN (machine:version or machine:alias) has the
		// machine's tags.
		if i := strings.Index(arn, ":stateMachine:"); strings.Count(arn[i+len(":stateMachine:"):], ":") > 0 {
			rest := arn[i+len(":stateMachine:"):]
			arn = arn[:i+len(":stateMachine:")] + rest[:strings.IndexByte(rest, ':')]
		}
	case strings.Contains(arn, ":activity:"):
		table = "states_activities"
	default:
		return nil, nil
	}
	var raw string
	err := s.env.DB.Read().QueryRowContext(ctx, `SELECT tags FROM `+table+` WHERE arn = ?`, arn).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tags of %s: %w", arn, err)
	}
	var tags []authTag
	if err := json.Unmarshal([]byte(raw), &tags); err != nil {
		return nil, fmt.Errorf("tags of %s: %w", arn, err)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		if t.Key != nil && t.Value != nil {
			m[*t.Key] = *t.Value
		}
	}
	return m, nil
}
