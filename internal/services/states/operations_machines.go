package states

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

func (s *Service) machineARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.env.Region, s.env.AccountID, name)
}

// defaultLogging is what AWS reports for a machine created without logging.
func defaultLogging() *LoggingConfiguration { return &LoggingConfiguration{Level: "OFF"} }

func (s *Service) createStateMachine(ctx context.Context, call *awsproto.Call) (any, error) {
	var in createStateMachineInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("name", in.Name) {
		c.length("name", in.Name, 1, maxNameLen, false)
	}
	if c.required("definition", in.Definition) {
		c.length("definition", in.Definition, 1, maxDefinitionLen, true)
	}
	if c.required("roleArn", in.RoleArn) {
		c.length("roleArn", in.RoleArn, 1, maxArnLen, false)
	}
	c.enum("type", in.Type, typeStandard, typeExpress)
	if in.LoggingConfiguration != nil {
		lv := in.LoggingConfiguration.Level
		c.enum("loggingConfiguration.level", &lv, "ALL", "ERROR", "FATAL", "OFF")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := checkName(*in.Name); err != nil {
		return nil, err
	}
	if err := checkRoleArn(*in.RoleArn); err != nil {
		return nil, err
	}
	typ := typeStandard
	if in.Type != nil {
		typ = *in.Type
	}
	if err := checkOptions(in.LoggingConfiguration, in.TracingConfiguration, in.Publish); err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	if err := checkDefinition(*in.Definition, typ); err != nil {
		return nil, err
	}
	m := &machine{
		ARN: s.machineARN(*in.Name), Name: *in.Name, Definition: *in.Definition, DefHash: defHash(*in.Definition),
		RoleARN: *in.RoleArn, Type: typ, Status: statusActive, Created: s.now(), Tags: tags,
	}
	call.AddResource("AWS::StepFunctions::StateMachine", m.ARN)
	err = s.env.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := getMachine(ctx, tx, m.ARN)
		if err != nil {
			return err
		}
		if old != nil {
			return sameMachine(old, m)
		}
		if err := putDefinition(ctx, tx, m.DefHash, m.Definition); err != nil {
			return err
		}
		return insertMachine(ctx, tx, m)
	})
	var same *existing
	if errors.As(err, &same) {
		return &CreateStateMachineOutput{StateMachineArn: same.m.ARN, CreationDate: awsproto.EpochTime(same.m.Created)}, nil
	}
	if err != nil {
		return nil, err
	}
	return &CreateStateMachineOutput{StateMachineArn: m.ARN, CreationDate: awsproto.EpochTime(m.Created)}, nil
}

// existing carries an identical machine out of the create transaction:
// re-creating it is idempotent and answers with the original.
type existing struct{ m *machine }

func (e *existing) Error() string { return "state machine exists" }

func sameMachine(old, m *machine) error {
	if old.Status == statusDeleting {
		return errorf("StateMachineDeleting", "State machine is being deleted: '%s'", old.ARN)
	}
	if old.Definition != m.Definition || old.RoleARN != m.RoleARN || old.Type != m.Type {
		return errorf("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", old.ARN)
	}
	return &existing{old}
}

// checkOptions rejects what Vigil cannot honour rather than ignore it.
func checkOptions(l *LoggingConfiguration, t *TracingConfiguration, publish bool) error {
	if l != nil && l.Level != "" && l.Level != "OFF" {
		return errorf("InvalidLoggingConfiguration", "Vigil does not support execution logging; use loggingConfiguration level OFF.")
	}
	if t != nil && t.Enabled {
		return errorf("InvalidTracingConfiguration", "Vigil does not support X-Ray tracing; leave tracingConfiguration disabled.")
	}
	if publish {
		return awsproto.Validation("Vigil does not support state machine versions (publish).")
	}
	return nil
}

func checkTags(tags []Tag) ([]Tag, error) {
	if len(tags) > maxTags {
		return nil, errorf("TooManyTags", "Too many tags: a state machine can have at most %d.", maxTags)
	}
	var c checker
	for i, t := range tags {
		field := fmt.Sprintf("tags.%d.member", i+1)
		c.length(field+".key", t.Key, 1, 128, false)
		c.length(field+".value", t.Value, 0, 256, false)
		if t.Key == nil {
			c.add(field+".key", nil, false, "Member must not be null")
		}
	}
	return tags, c.err()
}

// checkDefinition parses a definition, checks it against the rules of
// its machine type and checks that Vigil can call every Task resource
// it names.
func checkDefinition(def, typ string) error {
	m, err := asl.Parse([]byte(def))
	if err == nil {
		err = m.ValidateType(typ)
	}
	if err != nil {
		var de *asl.DefinitionError
		if errors.As(err, &de) {
			return errorf("InvalidDefinition", "%s", de.Message)
		}
		return errorf("InvalidDefinition", "Invalid State Machine Definition: '%v'", err)
	}
	var doc any
	if err := json.Unmarshal([]byte(def), &doc); err != nil {
		return errorf("InvalidDefinition", "Invalid State Machine Definition: '%v'", err)
	}
	var bad []string
	walkTasks(doc, "", func(loc, res string) {
		if _, ok := parseResource(res); !ok {
			bad = append(bad, fmt.Sprintf("SCHEMA_VALIDATION_FAILED: Vigil does not support the resource '%s' at %s/Resource", res, loc))
		}
	})
	if len(bad) > 0 {
		return errorf("InvalidDefinition", "Invalid State Machine Definition: '%s'", strings.Join(bad, ", "))
	}
	return nil
}

// walkTasks calls f for every Task state's Resource, with the state's
// location in AWS's notation (/States/A/Branches[0]/States/B).
func walkTasks(doc any, loc string, f func(loc, res string)) {
	obj, _ := doc.(map[string]any)
	states, _ := obj["States"].(map[string]any)
	for name, st := range states {
		so, _ := st.(map[string]any)
		sloc := loc + "/States/" + name
		if so["Type"] == "Task" {
			if res, ok := so["Resource"].(string); ok {
				f(sloc, res)
			}
		}
		if bs, ok := so["Branches"].([]any); ok {
			for i, b := range bs {
				walkTasks(b, fmt.Sprintf("%s/Branches[%d]", sloc, i), f)
			}
		}
		for _, k := range []string{"ItemProcessor", "Iterator"} {
			if p, ok := so[k]; ok {
				walkTasks(p, sloc+"/"+k, f)
			}
		}
	}
}

func (s *Service) describeStateMachine(ctx context.Context, call *awsproto.Call) (any, error) {
	m, err := s.machineFromInput(ctx, call)
	if err != nil {
		return nil, err
	}
	return &DescribeStateMachineOutput{
		StateMachineArn: m.ARN, Name: m.Name, Status: m.Status, Definition: m.Definition, RoleArn: m.RoleARN,
		Type: m.Type, CreationDate: awsproto.EpochTime(m.Created),
		LoggingConfiguration: defaultLogging(), TracingConfiguration: &TracingConfiguration{},
	}, nil
}

// machineFromInput loads the machine a call's stateMachineArn names.
func (s *Service) machineFromInput(ctx context.Context, call *awsproto.Call) (*machine, error) {
	var in arnInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("stateMachineArn", in.StateMachineArn) {
		c.length("stateMachineArn", in.StateMachineArn, 1, maxArnLen, false)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := checkMachineARN(*in.StateMachineArn); err != nil {
		return nil, err
	}
	call.AddResource("AWS::StepFunctions::StateMachine", *in.StateMachineArn)
	m, err := getMachine(ctx, s.env.DB.Read(), *in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, machineMissing(*in.StateMachineArn)
	}
	return m, nil
}

func (s *Service) listStateMachines(ctx context.Context, call *awsproto.Call) (any, error) {
	after, limit, err := namePage(call)
	if err != nil {
		return nil, err
	}
	rows, err := s.env.DB.Read().QueryContext(ctx, `SELECT arn, name, type, created FROM states_machines
		WHERE name > ? ORDER BY name LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("list state machines: %w", err)
	}
	defer rows.Close()
	out := &ListStateMachinesOutput{StateMachines: []StateMachineListItem{}}
	for rows.Next() {
		var it StateMachineListItem
		var created int64
		if err := rows.Scan(&it.StateMachineArn, &it.Name, &it.Type, &created); err != nil {
			return nil, err
		}
		it.CreationDate = epoch(created)
		out.StateMachines = append(out.StateMachines, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.StateMachines) > limit {
		out.StateMachines = out.StateMachines[:limit]
		out.NextToken = encodeToken(out.StateMachines[limit-1].Name)
	}
	return out, nil
}

// namePage reads the paging input of a list ordered by name: the name to
// list after and the page size.
func namePage(call *awsproto.Call) (after string, limit int, err error) {
	var in listInput
	if err := call.Decode(&in); err != nil {
		return "", 0, err
	}
	var c checker
	c.pageSize("maxResults", in.MaxResults.Value, in.MaxResults.Set)
	c.length("nextToken", in.NextToken, 1, 1024, false)
	if err := c.err(); err != nil {
		return "", 0, err
	}
	if in.NextToken != nil {
		if after, err = decodeToken(*in.NextToken); err != nil {
			return "", 0, err
		}
	}
	return after, pageLimit(in.MaxResults), nil
}

func pageLimit(n awsproto.Int) int {
	if !n.Set || n.Value <= 0 {
		return 100
	}
	return int(n.Value)
}

// Page tokens are opaque to clients: the position, base64-encoded.
func encodeToken(pos string) string { return base64.RawURLEncoding.EncodeToString([]byte("v1|" + pos)) }

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), "v1|") {
		return "", errorf("InvalidToken", "Invalid Token: '%s'", tok)
	}
	return string(b[3:]), nil
}

func (s *Service) deleteStateMachine(ctx context.Context, call *awsproto.Call) (any, error) {
	var in arnInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("stateMachineArn", in.StateMachineArn) {
		c.length("stateMachineArn", in.StateMachineArn, 1, maxArnLen, false)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	arn := *in.StateMachineArn
	if err := checkMachineARN(arn); err != nil {
		return nil, err
	}
	call.AddResource("AWS::StepFunctions::StateMachine", arn)
	// Deleting is asynchronous on AWS: a machine with open executions
	// stays DELETING until they end; they are stopped at their next
	// transition. Deleting a missing machine succeeds.
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		n, err := runningCount(ctx, tx, arn)
		if err != nil {
			return err
		}
		if n == 0 {
			return deleteMachine(ctx, tx, arn)
		}
		_, err = tx.ExecContext(ctx, `UPDATE states_machines SET status = ? WHERE arn = ?`, statusDeleting, arn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) validateDefinition(ctx context.Context, call *awsproto.Call) (any, error) {
	var in validateInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("definition", in.Definition) {
		c.length("definition", in.Definition, 1, maxDefinitionLen, true)
	}
	c.enum("type", in.Type, typeStandard, typeExpress)
	c.enum("severity", in.Severity, "ERROR", "WARNING")
	if in.MaxResults.Set && (in.MaxResults.Value < 0 || in.MaxResults.Value > 100) {
		v := fmt.Sprint(in.MaxResults.Value)
		c.add("maxResults", &v, false, "Member must have value between 0 and 100")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	out := &ValidateOutput{Result: "OK", Diagnostics: []Diagnostic{}}
	typ := typeStandard
	if in.Type != nil {
		typ = *in.Type
	}
	if err := checkDefinition(*in.Definition, typ); err != nil {
		out.Result = "FAIL"
		out.Diagnostics = append(out.Diagnostics, diagnostic(awsproto.AsError(err).Message))
	}
	return out, nil
}

// diagnostic turns an InvalidDefinition message, "Invalid State Machine
// Definition: 'CODE: text at /location'", into a diagnostic.
func diagnostic(msg string) Diagnostic {
	d := Diagnostic{Severity: "ERROR", Code: "SCHEMA_VALIDATION_FAILED", Message: msg}
	inner := strings.TrimSuffix(strings.TrimPrefix(msg, "Invalid State Machine Definition: '"), "'")
	if code, text, ok := strings.Cut(inner, ": "); ok && code == strings.ToUpper(code) && !strings.Contains(code, " ") {
		d.Code, d.Message = code, text
	}
	if i := strings.LastIndex(d.Message, " at /"); i >= 0 {
		d.Location = d.Message[i+4:]
		d.Message = d.Message[:i]
	}
	return d
}

func (s *Service) listTags(ctx context.Context, call *awsproto.Call) (any, error) {
	var in tagsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	c.required("resourceArn", in.ResourceArn)
	if err := c.err(); err != nil {
		return nil, err
	}
	table, err := taggedTable(*in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := loadTags(ctx, s.env.DB.Read(), table, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []Tag{}
	}
	return &ListTagsOutput{Tags: tags}, nil
}

// taggedTable names the table of a taggable resource: a state machine
// or an activity.
func taggedTable(arn string) (string, error) {
	if r, err := parseStatesARN(arn); err == nil && r.typ == "activity" {
		return "states_activities", checkActivityARN(arn)
	}
	return "states_machines", checkMachineARN(arn)
}

// loadTags reads a resource's tags; a missing resource is ResourceNotFound.
func loadTags(ctx context.Context, q querier, table, arn string) ([]Tag, error) {
	var raw string
	err := q.QueryRowContext(ctx, `SELECT tags FROM `+table+` WHERE arn = ?`, arn).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, awsproto.Errorf(http.StatusBadRequest, "ResourceNotFound", "Resource not found: '%s'", arn)
	}
	if err != nil {
		return nil, fmt.Errorf("load tags of %s: %w", arn, err)
	}
	var tags []Tag
	if err := json.Unmarshal([]byte(raw), &tags); err != nil {
		return nil, fmt.Errorf("tags of %s: %w", arn, err)
	}
	return tags, nil
}

func (s *Service) tagResource(ctx context.Context, call *awsproto.Call) (any, error) {
	var in tagsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if _, err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	return struct{}{}, s.retag(ctx, call, in.ResourceArn, func(old []Tag) []Tag {
		for _, t := range in.Tags {
			old = append(removeTag(old, *t.Key), t)
		}
		return old
	})
}

func (s *Service) untagResource(ctx context.Context, call *awsproto.Call) (any, error) {
	var in tagsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	return struct{}{}, s.retag(ctx, call, in.ResourceArn, func(old []Tag) []Tag {
		for _, k := range in.TagKeys {
			old = removeTag(old, k)
		}
		return old
	})
}

func removeTag(tags []Tag, key string) []Tag {
	out := tags[:0:0]
	for _, t := range tags {
		if t.Key == nil || *t.Key != key {
			out = append(out, t)
		}
	}
	return out
}

// retag rewrites a state machine's tags with change.
func (s *Service) retag(ctx context.Context, call *awsproto.Call, arn *string, change func([]Tag) []Tag) error {
	var c checker
	if c.required("resourceArn", arn) {
		c.length("resourceArn", arn, 1, maxArnLen, false)
	}
	if err := c.err(); err != nil {
		return err
	}
	table, err := taggedTable(*arn)
	if err != nil {
		return err
	}
	kind := "AWS::StepFunctions::StateMachine"
	if table == "states_activities" {
		kind = "AWS::StepFunctions::Activity"
	}
	call.AddResource(kind, *arn)
	return s.env.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := loadTags(ctx, tx, table, *arn)
		if err != nil {
			return err
		}
		tags := change(old)
		if len(tags) > maxTags {
			return errorf("TooManyTags", "Too many tags: a state machine can have at most %d.", maxTags)
		}
		b, err := json.Marshal(tags)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE `+table+` SET tags = ? WHERE arn = ?`, string(b), *arn)
		return err
	})
}
