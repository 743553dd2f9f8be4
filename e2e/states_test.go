package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

const sfnRole = "arn:aws:iam::000000000000:role/vigil-states"

// sfnAllowAll creates the role sfnRole names, if it does not exist yet:
// trusted by Step Functions and allowed everything, so that tasks of the
// tests that are not about permissions may call what they need.
func sfnAllowAll(t *testing.T, c *sfn.Client) {
	t.Helper()
	o := c.Options()
	ic := iam.New(iam.Options{Region: o.Region, Credentials: o.Credentials, BaseEndpoint: o.BaseEndpoint, HTTPClient: o.HTTPClient})
	ctx := context.Background()
	name := sfnRole[strings.LastIndexByte(sfnRole, '/')+1:]
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	_, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "EntityAlreadyExists" {
		return
	}
	if err != nil {
		t.Fatalf("create role %s: %v", name, err)
	}
	all := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("all"), PolicyDocument: aws.String(all)}); err != nil {
		t.Fatalf("put policy of role %s: %v", name, err)
	}
}

func sfnCreate(t *testing.T, c *sfn.Client, name, def string) string {
	t.Helper()
	sfnAllowAll(t, c)
	out, err := c.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(sfnRole),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

func sfnStart(t *testing.T, c *sfn.Client, machine, name, input string) string {
	t.Helper()
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(input)}
	if name != "" {
		in.Name = aws.String(name)
	}
	out, err := c.StartExecution(context.Background(), in)
	if err != nil {
		t.Fatalf("StartExecution on %s: %v", machine, err)
	}
	return aws.ToString(out.ExecutionArn)
}

// sfnWait polls an execution until it is no longer RUNNING.
func sfnWait(t *testing.T, c *sfn.Client, arn string, within time.Duration) *sfn.DescribeExecutionOutput {
	t.Helper()
	var out *sfn.DescribeExecutionOutput
	eventually(t, within, func() error {
		var err error
		out, err = c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return err
		}
		if out.Status == sfntypes.ExecutionStatusRunning {
			return fmt.Errorf("%s is still running", arn)
		}
		return nil
	})
	return out
}

func sfnHistory(t *testing.T, c *sfn.Client, arn string) []sfntypes.HistoryEvent {
	t.Helper()
	var evs []sfntypes.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 100})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		evs = append(evs, page.Events...)
	}
	return evs
}

// sfnShape renders a history as "id:type<prev" items, the part of it
// AWS's numbering rules fix.
func sfnShape(evs []sfntypes.HistoryEvent) string {
	var b []string
	for _, e := range evs {
		b = append(b, fmt.Sprintf("%d:%s<%d", e.Id, e.Type, e.PreviousEventId))
	}
	return strings.Join(b, " ")
}

func sfnJSONEqual(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: %q is not JSON: %v", what, got, err)
		return
	}
	json.Unmarshal([]byte(want), &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s = %s, want %s", what, gb, wb)
	}
}

func sfnAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("error = %s: %s, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func TestStatesMachineLifecycle(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	ctx := context.Background()
	def := `{"Comment":"c","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	arn := sfnCreate(t, c, "life", def)
	if arn != "arn:aws:states:us-east-1:000000000000:stateMachine:life" {
		t.Errorf("ARN %s", arn)
	}
	// Re-creating the same machine answers with the same ARN.
	if again := sfnCreate(t, c, "life", def); again != arn {
		t.Errorf("re-create gave %s", again)
	}
	_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("life"), Definition: aws.String(strings.Replace(def, `"c"`, `"d"`, 1)), RoleArn: aws.String(sfnRole)})
	sfnAPIError(t, err, "StateMachineAlreadyExists", "State Machine Already Exists: '"+arn+"'")

	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.Definition) != def || d.Status != sfntypes.StateMachineStatusActive || d.Type != sfntypes.StateMachineTypeStandard ||
		aws.ToString(d.RoleArn) != sfnRole || d.CreationDate == nil || time.Since(*d.CreationDate) > time.Minute {
		t.Errorf("DescribeStateMachine = %+v", d)
	}

	for _, n := range []string{"life-b", "life-c", "life-d"} {
		sfnCreate(t, c, n, def)
	}
	var names []string
	p := sfn.NewListStateMachinesPaginator(c, &sfn.ListStateMachinesInput{MaxResults: 3})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.StateMachines) > 3 {
			t.Errorf("page of %d with maxResults 3", len(page.StateMachines))
		}
		for _, m := range page.StateMachines {
			names = append(names, aws.ToString(m.Name))
		}
	}
	if strings.Join(names, ",") != "life,life-b,life-c,life-d" {
		t.Errorf("listed %v", names)
	}

	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	sfnAPIError(t, err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+arn+"'")
}

func TestStatesInvalidRequests(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	ctx := context.Background()
	create := func(name, def, role string) error {
		_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(role)})
		return err
	}
	tests := []struct {
		name, def, role, code, msg string
	}{
		{"bad json", `{"StartAt":`, sfnRole, "InvalidDefinition", "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION"},
		{"missing state", `{"StartAt":"Nope","States":{"P":{"Type":"Pass","End":true}}}`, sfnRole, "InvalidDefinition", "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /StartAt"},
		{"bad type", `{"StartAt":"P","States":{"P":{"Type":"Sleep","End":true}}}`, sfnRole, "InvalidDefinition", "SCHEMA_VALIDATION_FAILED"},
		{"no end", `{"StartAt":"P","States":{"P":{"Type":"Pass"}}}`, sfnRole, "InvalidDefinition", "Invalid State Machine Definition:"},
		{"bad name", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, sfnRole, "InvalidName", "Invalid Name: 'bad name'"},
		{"bad role", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "role", "InvalidArn", "Invalid Role Arn: 'role'"},
	}
	for _, tc := range tests {
		name := "m"
		if tc.name == "bad name" {
			name = "bad name"
		}
		err := create(name, tc.def, tc.role)
		if err == nil {
			t.Errorf("%s: created", tc.name)
			continue
		}
		sfnAPIError(t, err, tc.code, tc.msg)
	}

	_, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:m:e")})
	sfnAPIError(t, err, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: execution'")
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:m:none")})
	sfnAPIError(t, err, "ExecutionDoesNotExist", "Execution Does Not Exist: 'arn:aws:states:us-east-1:000000000000:execution:m:none'")
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:none")})
	sfnAPIError(t, err, "StateMachineDoesNotExist", "State Machine Does Not Exist")

	arn := sfnCreate(t, c, "inputs", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String("{nope")})
	sfnAPIError(t, err, "InvalidExecutionInput", "Invalid State Machine Execution Input")
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`"` + strings.Repeat("a", 262144) + `"`)})
	sfnAPIError(t, err, "ValidationException", "Member must have length less than or equal to 262144")
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("a*b")})
	sfnAPIError(t, err, "InvalidName", "Invalid Name: 'a*b'")
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: "LATE"})
	sfnAPIError(t, err, "ValidationException", "statusFilter")
	_, err = c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	sfnAPIError(t, err, "InvalidArn", "Resource type not valid in this context: stateMachine")
}

// choiceDef routes on $.n: negative fails, zero passes through a Pass
// state, anything else succeeds at once.
const choiceDef = `{
  "StartAt": "Route",
  "States": {
    "Route": {"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericLessThan": 0, "Next": "Negative"},
        {"Variable": "$.n", "NumericEquals": 0, "Next": "Zero"}],
      "Default": "Done"},
    "Zero": {"Type": "Pass", "Result": "zero", "ResultPath": "$.kind", "Next": "Done"},
    "Negative": {"Type": "Fail", "Error": "NegativeNumber", "Cause": "n is below zero"},
    "Done": {"Type": "Succeed"}
  }
}`

func TestStatesPassChoiceSucceedFail(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	arn := sfnCreate(t, c, "choice", choiceDef)

	zero := sfnStart(t, c, arn, "zero", `{"n":0}`)
	if zero != "arn:aws:states:us-east-1:000000000000:execution:choice:zero" {
		t.Errorf("execution ARN %s", zero)
	}
	d := sfnWait(t, c, zero, 10*time.Second)
	if d.Status != sfntypes.ExecutionStatusSucceeded || d.StopDate == nil || aws.ToString(d.Name) != "zero" || aws.ToString(d.StateMachineArn) != arn {
		t.Errorf("zero: %+v", d)
	}
	sfnJSONEqual(t, "zero output", aws.ToString(d.Output), `{"n":0,"kind":"zero"}`)
	evs := sfnHistory(t, c, zero)
	want := "1:ExecutionStarted<0 2:ChoiceStateEntered<0 3:ChoiceStateExited<2 4:PassStateEntered<3 5:PassStateExited<4 " +
		"6:SucceedStateEntered<5 7:SucceedStateExited<6 8:ExecutionSucceeded<7"
	if got := sfnShape(evs); got != want {
		t.Errorf("zero history\n got %s\nwant %s", got, want)
	}
	if e := evs[0].ExecutionStartedEventDetails; e == nil || aws.ToString(e.Input) != `{"n":0}` || aws.ToString(e.RoleArn) != sfnRole {
		t.Errorf("ExecutionStarted details %+v", e)
	}
	if e := evs[4].StateExitedEventDetails; e == nil || aws.ToString(e.Name) != "Zero" {
		t.Errorf("PassStateExited details %+v", e)
	} else {
		sfnJSONEqual(t, "Zero output", aws.ToString(e.Output), `{"n":0,"kind":"zero"}`)
	}

	neg := sfnStart(t, c, arn, "", `{"n":-1}`)
	d = sfnWait(t, c, neg, 10*time.Second)
	if d.Status != sfntypes.ExecutionStatusFailed || aws.ToString(d.Error) != "NegativeNumber" || aws.ToString(d.Cause) != "n is below zero" || d.Output != nil {
		t.Errorf("negative: %+v", d)
	}
	evs = sfnHistory(t, c, neg)
	want = "1:ExecutionStarted<0 2:ChoiceStateEntered<0 3:ChoiceStateExited<2 4:FailStateEntered<3 5:ExecutionFailed<4"
	if got := sfnShape(evs); got != want {
		t.Errorf("negative history\n got %s\nwant %s", got, want)
	}
	if f := evs[4].ExecutionFailedEventDetails; f == nil || aws.ToString(f.Error) != "NegativeNumber" || aws.ToString(f.Cause) != "n is below zero" {
		t.Errorf("ExecutionFailed details %+v", f)
	}

	pos := sfnStart(t, c, arn, "", `{"n":5}`)
	sfnWait(t, c, pos, 10*time.Second)
	// Reverse order pages backwards from the last event.
	out, err := c.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(pos), ReverseOrder: true, MaxResults: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 2 || out.Events[0].Type != sfntypes.HistoryEventTypeExecutionSucceeded || out.NextToken == nil {
		t.Errorf("reverse page: %s, token %v", sfnShape(out.Events), out.NextToken)
	}

	list, err := c.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: sfntypes.ExecutionStatusFailed})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) != 1 || aws.ToString(list.Executions[0].ExecutionArn) != neg {
		t.Errorf("failed executions: %+v", list.Executions)
	}
	sm, err := c.DescribeStateMachineForExecution(context.Background(), &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(zero)})
	if err != nil || aws.ToString(sm.Definition) != choiceDef {
		t.Errorf("DescribeStateMachineForExecution: %v", err)
	}
}

func TestStatesIAMAndSNSTasks(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	ctx := context.Background()
	topic, err := v.sns().CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("states-topic")})
	if err != nil {
		t.Fatal(err)
	}
	def := fmt.Sprintf(`{
	  "StartAt": "Create",
	  "States": {
	    "Create": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:createUser",
	      "Parameters": {"UserName.$": "$.user"}, "ResultPath": null, "Next": "Get"},
	    "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:getUser",
	      "Parameters": {"UserName.$": "$.user"}, "ResultSelector": {"arn.$": "$.User.Arn"}, "ResultPath": "$.user", "Next": "Notify"},
	    "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
	      "Parameters": {"TopicArn": %q, "Subject": "created", "Message.$": "$.user.arn"},
	      "ResultSelector": {"id.$": "$.MessageId"}, "ResultPath": "$.published", "End": true}
	  }
	}`, aws.ToString(topic.TopicArn))
	arn := sfnCreate(t, c, "tasks", def)
	ex := sfnStart(t, c, arn, "", `{"user":"sfn-created"}`)
	d := sfnWait(t, c, ex, 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	var out struct {
		User      struct{ Arn string }
		Published struct{ ID string }
	}
	json.Unmarshal([]byte(aws.ToString(d.Output)), &out)
	var raw map[string]map[string]string
	json.Unmarshal([]byte(aws.ToString(d.Output)), &raw)
	if raw["user"]["arn"] != "arn:aws:iam::000000000000:user/sfn-created" || raw["published"]["id"] == "" {
		t.Errorf("output %s", aws.ToString(d.Output))
	}
	if _, err := v.iam().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("sfn-created")}); err != nil {
		t.Errorf("the user the workflow created: %v", err)
	}
	evs := sfnHistory(t, c, ex)
	want := "1:ExecutionStarted<0 2:TaskStateEntered<0 3:TaskScheduled<2 4:TaskStarted<3 5:TaskSucceeded<4 6:TaskStateExited<5 " +
		"7:TaskStateEntered<6 8:TaskScheduled<7 9:TaskStarted<8 10:TaskSucceeded<9 11:TaskStateExited<10 " +
		"12:TaskStateEntered<11 13:TaskScheduled<12 14:TaskStarted<13 15:TaskSucceeded<14 16:TaskStateExited<15 17:ExecutionSucceeded<16"
	if got := sfnShape(evs); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	if s := evs[2].TaskScheduledEventDetails; s == nil || aws.ToString(s.ResourceType) != "aws-sdk:iam" || aws.ToString(s.Resource) != "createUser" || aws.ToString(s.Region) != "us-east-1" {
		t.Errorf("TaskScheduled %+v", s)
	} else {
		sfnJSONEqual(t, "TaskScheduled parameters", aws.ToString(s.Parameters), `{"UserName":"sfn-created"}`)
	}
	if s := evs[12].TaskScheduledEventDetails; s == nil || aws.ToString(s.ResourceType) != "sns" || aws.ToString(s.Resource) != "publish" {
		t.Errorf("sns TaskScheduled %+v", s)
	}
	if s := evs[9].TaskSucceededEventDetails; s == nil || !strings.Contains(aws.ToString(s.Output), `"UserName":"sfn-created"`) {
		t.Errorf("getUser TaskSucceeded %+v", s)
	}
}

func TestStatesRetryAndCatch(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	def := `{
	  "StartAt": "Get",
	  "States": {
	    "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:getUser",
	      "Parameters": {"UserName": "nobody-here"},
	      "Retry": [{"ErrorEquals": ["Iam.NoSuchEntityException"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}],
	      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Handled"}],
	      "End": true},
	    "Handled": {"Type": "Pass", "End": true}
	  }
	}`
	arn := sfnCreate(t, c, "retry", def)
	start := time.Now()
	ex := sfnStart(t, c, arn, "", `{"k":"v"}`)
	d := sfnWait(t, c, ex, 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", d.Status, aws.ToString(d.Cause))
	}
	if took := d.StopDate.Sub(start); took < 2*time.Second {
		t.Errorf("two 1 s retries took %s", took)
	}
	var out struct {
		K      string
		Caught struct{ Error, Cause string }
	}
	json.Unmarshal([]byte(aws.ToString(d.Output)), &out)
	if out.K != "v" || out.Caught.Error != "Iam.NoSuchEntityException" || !strings.Contains(out.Caught.Cause, "nobody-here") ||
		!strings.Contains(out.Caught.Cause, "(Service: Iam, Status Code: 404, Request ID: ") {
		t.Errorf("output %s", aws.ToString(d.Output))
	}
	evs := sfnHistory(t, c, ex)
	want := "1:ExecutionStarted<0 2:TaskStateEntered<0 3:TaskScheduled<2 4:TaskStarted<3 5:TaskFailed<4 " +
		"6:TaskScheduled<5 7:TaskStarted<6 8:TaskFailed<7 9:TaskScheduled<8 10:TaskStarted<9 11:TaskFailed<10 " +
		"12:TaskStateExited<11 13:PassStateEntered<12 14:PassStateExited<13 15:ExecutionSucceeded<14"
	if got := sfnShape(evs); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	if f := evs[4].TaskFailedEventDetails; f == nil || aws.ToString(f.Error) != "Iam.NoSuchEntityException" || aws.ToString(f.ResourceType) != "aws-sdk:iam" || aws.ToString(f.Resource) != "getUser" {
		t.Errorf("TaskFailed %+v", f)
	}
	// Retries wait on durable timers: the second attempt is about a
	// second after the first failure.
	if gap := evs[5].Timestamp.Sub(*evs[4].Timestamp); gap < 900*time.Millisecond {
		t.Errorf("retry came %s after the failure", gap)
	}
}

func TestStatesStopExecution(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	ctx := context.Background()
	arn := sfnCreate(t, c, "stop", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"P"},"P":{"Type":"Pass","End":true}}}`)
	ex := sfnStart(t, c, arn, "long", `{}`)
	// The same name and input while it runs is the same execution.
	if again := sfnStart(t, c, arn, "long", `{}`); again != ex {
		t.Errorf("idempotent start gave %s", again)
	}
	_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("long"), Input: aws.String(`{"x":1}`)})
	sfnAPIError(t, err, "ExecutionAlreadyExists", "Execution Already Exists: '"+ex+"'")

	running, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: sfntypes.ExecutionStatusRunning})
	if err != nil || len(running.Executions) != 1 {
		t.Fatalf("running executions: %v %+v", err, running)
	}
	stop, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(ex), Error: aws.String("Operator"), Cause: aws.String("no longer needed")})
	if err != nil || stop.StopDate == nil {
		t.Fatalf("StopExecution: %v", err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(ex)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != sfntypes.ExecutionStatusAborted || aws.ToString(d.Error) != "Operator" || aws.ToString(d.Cause) != "no longer needed" {
		t.Errorf("after stop: %+v", d)
	}
	evs := sfnHistory(t, c, ex)
	want := "1:ExecutionStarted<0 2:WaitStateEntered<0 3:ExecutionAborted<0"
	if got := sfnShape(evs); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	if a := evs[2].ExecutionAbortedEventDetails; a == nil || aws.ToString(a.Error) != "Operator" {
		t.Errorf("ExecutionAborted %+v", a)
	}
	// Stopped stays stopped across a restart.
	v.restart(t)
	c = v.sfn()
	time.Sleep(200 * time.Millisecond)
	if evs := sfnHistory(t, c, ex); len(evs) != 3 {
		t.Errorf("history after restart: %s", sfnShape(evs))
	}
}

// TestStatesSurviveKill starts executions that wait on durable timers and
// call a slow external function, kills the server with SIGKILL while they
// run, and checks after a restart that each finishes once, correctly.
func TestStatesSurviveKill(t *testing.T) {
	script := filepath.Join(t.TempDir(), "slow.sh")
	// The function sleeps, then answers with its event plus a mark.
	body := "#!/bin/sh\nsleep 1\nread -r ev\nprintf '{\"event\":%s,\"slow\":true}\\n' \"$ev\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	v := startVigil(t, "--function", "slow="+script)
	c := v.sfn()
	waitDef := `{"StartAt":"W","States":{
	  "W":{"Type":"Wait","Seconds":2,"Next":"P"},
	  "P":{"Type":"Pass","Parameters":{"n.$":"$.n","done":true},"Next":"W2"},
	  "W2":{"Type":"Wait","Seconds":1,"End":true}}}`
	fnDef := `{"StartAt":"F","States":{
	  "F":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:slow","ResultPath":"$.r","Next":"W"},
	  "W":{"Type":"Wait","Seconds":1,"End":true}}}`
	waitArn := sfnCreate(t, c, "crash-wait", waitDef)
	fnArn := sfnCreate(t, c, "crash-fn", fnDef)

	type started struct {
		arn  string
		fn   bool
		want string
	}
	var all []started
	for round := range 3 {
		for i := range 4 {
			n := round*10 + i
			all = append(all, started{sfnStart(t, c, waitArn, "", fmt.Sprintf(`{"n":%d}`, n)), false, fmt.Sprintf(`{"n":%d,"done":true}`, n)})
		}
		for i := range 2 {
			n := round*10 + i
			all = append(all, started{sfnStart(t, c, fnArn, "", fmt.Sprintf(`{"n":%d}`, n)), true, fmt.Sprintf(`{"n":%d,"r":{"event":{"n":%d},"slow":true}}`, n, n)})
		}
		// Kill at a different point of the work each round, while some
		// of it is certainly unfinished.
		time.Sleep(time.Duration(300+round*700) * time.Millisecond)
		running := 0
		for _, m := range []string{waitArn, fnArn} {
			out, err := c.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(m), StatusFilter: sfntypes.ExecutionStatusRunning})
			if err != nil {
				t.Fatal(err)
			}
			running += len(out.Executions)
		}
		if running == 0 {
			t.Fatalf("round %d: nothing running at the kill", round)
		}
		v.restart(t)
		c = v.sfn()
	}
	for _, s := range all {
		d := sfnWait(t, c, s.arn, 60*time.Second)
		if d.Status != sfntypes.ExecutionStatusSucceeded {
			t.Errorf("%s: %s %s %s", s.arn, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
			continue
		}
		sfnJSONEqual(t, s.arn+" output", aws.ToString(d.Output), s.want)
		evs := sfnHistory(t, c, s.arn)
		want := "1:ExecutionStarted<0 2:WaitStateEntered<0 3:WaitStateExited<2 4:PassStateEntered<3 5:PassStateExited<4 " +
			"6:WaitStateEntered<5 7:WaitStateExited<6 8:ExecutionSucceeded<7"
		if s.fn {
			want = "1:ExecutionStarted<0 2:TaskStateEntered<0 3:LambdaFunctionScheduled<2 4:LambdaFunctionStarted<3 " +
				"5:LambdaFunctionSucceeded<4 6:TaskStateExited<5 7:WaitStateEntered<6 8:WaitStateExited<7 9:ExecutionSucceeded<8"
		}
		if got := sfnShape(evs); got != want {
			t.Errorf("%s history\n got %s\nwant %s", s.arn, got, want)
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].Timestamp.Before(*evs[i-1].Timestamp) {
				t.Errorf("%s: event %d is older than event %d", s.arn, evs[i].Id, evs[i-1].Id)
			}
		}
	}
}

// TestStatesCallback waits for a task token: the workflow hands its token
// out as an IAM user tag, and the test answers with SendTaskSuccess.
func TestStatesCallback(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	ctx := context.Background()
	if _, err := v.iam().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("approver")}); err != nil {
		t.Fatal(err)
	}
	def := `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:tagUser.waitForTaskToken",
	  "Parameters":{"UserName":"approver","Tags":[{"Key":"token","Value.$":"$$.Task.Token"}]},"HeartbeatSeconds":60,"End":true}}}`
	arn := sfnCreate(t, c, "callback", def)
	ex := sfnStart(t, c, arn, "", `{}`)
	var token string
	eventually(t, 10*time.Second, func() error {
		out, err := v.iam().ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("approver")})
		if err != nil {
			return err
		}
		for _, tag := range out.Tags {
			if aws.ToString(tag.Key) == "token" {
				token = aws.ToString(tag.Value)
				return nil
			}
		}
		return errors.New("no token tag yet")
	})
	if _, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)}); err != nil {
		t.Fatalf("SendTaskHeartbeat: %v", err)
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"approved":true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	d := sfnWait(t, c, ex, 10*time.Second)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s %s", d.Status, aws.ToString(d.Cause))
	}
	sfnJSONEqual(t, "output", aws.ToString(d.Output), `{"approved":true}`)
	_, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	sfnAPIError(t, err, "TaskTimedOut", "Provided task does not exist anymore")
	// TaskSubmitted carries the call's response, as AWS records it.
	want := "1:ExecutionStarted<0 2:TaskStateEntered<0 3:TaskScheduled<2 4:TaskStarted<3 5:TaskSubmitted<4 6:TaskSucceeded<5 7:TaskStateExited<6 8:ExecutionSucceeded<7"
	if got := sfnShape(sfnHistory(t, c, ex)); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
}

// TestStatesSyncExpressChild waits for an EXPRESS child, which leaves no
// execution record, with .sync:2 and .sync.
func TestStatesSyncExpressChild(t *testing.T) {
	v := startVigil(t)
	c, ctx := v.sfn(), context.Background()
	sfnAllowAll(t, c)
	mk := func(name, def string) string {
		out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def),
			RoleArn: aws.String(sfnRole), Type: sfntypes.StateMachineTypeExpress})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.StateMachineArn)
	}
	ok := mk("quick", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"got.$":"$.n"},"End":true}}}`)
	bad := mk("broken", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Nope","Cause":"by design"}}}`)
	parent := func(name, resource, child string) string {
		return sfnCreate(t, c, name, `{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::`+resource+`",
			"Parameters":{"StateMachineArn":"`+child+`","Input":{"n":7}},"End":true}}}`)
	}
	d := sfnWait(t, c, sfnStart(t, c, parent("p2", "states:startExecution.sync:2", ok), "", "{}"), 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf(".sync:2 parent: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	var out struct {
		ExecutionArn, Status string
		Output               map[string]any
	}
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil {
		t.Fatal(err)
	}
	if out.Status != "SUCCEEDED" || out.Output["got"] != float64(7) || !strings.Contains(out.ExecutionArn, ":express:quick:") {
		t.Errorf(".sync:2 output %s", aws.ToString(d.Output))
	}
	// The parent's role needs states:StartExecution on the child, as AWS
	// documents for nested workflows, and nothing more.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := v.iam().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("starter"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.iam().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("starter"), PolicyName: aws.String("start"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"states:StartExecution","Resource":"` + ok + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	p3, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("p3"), RoleArn: role.Role.Arn,
		Definition: aws.String(`{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
			"Parameters":{"StateMachineArn":"` + ok + `","Input":{"n":1}},"End":true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if d := sfnWait(t, c, sfnStart(t, c, aws.ToString(p3.StateMachineArn), "", "{}"), 20*time.Second); d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Errorf("parent whose role may only start the child: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}

	d = sfnWait(t, c, sfnStart(t, c, parent("p1", "states:startExecution.sync", bad), "", "{}"), 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusFailed || aws.ToString(d.Error) != "States.TaskFailed" ||
		!strings.Contains(aws.ToString(d.Cause), `"Error":"Nope"`) {
		t.Errorf(".sync parent of a failing child: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
}
