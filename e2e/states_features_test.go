package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TestStatesActivities runs activity tasks the way a worker fleet does:
// GetActivityTask long polls, heartbeats and SendTask* callbacks, and a
// task scheduled before a crash is still handed out after the restart.
func TestStatesActivities(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	ctx := context.Background()
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("approve")})
	if err != nil {
		t.Fatal(err)
	}
	actArn := aws.ToString(act.ActivityArn)
	if actArn != "arn:aws:states:us-east-1:000000000000:activity:approve" {
		t.Fatalf("activity arn %s", actArn)
	}
	desc, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn})
	if err != nil || aws.ToString(desc.Name) != "approve" || desc.EncryptionConfiguration == nil || desc.EncryptionConfiguration.Type != sfntypes.EncryptionTypeAwsOwnedKey {
		t.Fatalf("describe %+v %v", desc, err)
	}
	list, err := c.ListActivities(ctx, &sfn.ListActivitiesInput{})
	if err != nil || len(list.Activities) != 1 || aws.ToString(list.Activities[0].ActivityArn) != actArn {
		t.Fatalf("list %+v %v", list, err)
	}
	def := fmt.Sprintf(`{"StartAt":"Review","States":{"Review":{"Type":"Task","Resource":%q,
	  "TimeoutSeconds":300,"HeartbeatSeconds":60,"ResultPath":"$.review","Next":"Done"},"Done":{"Type":"Succeed"}}}`, actArn)
	machine := sfnCreate(t, c, "activity", def)

	// A worker polling before the task exists gets it when it appears.
	got := make(chan *sfn.GetActivityTaskOutput, 1)
	go func() {
		out, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("worker-1")})
		if err != nil {
			t.Errorf("GetActivityTask: %v", err)
		}
		got <- out
	}()
	time.Sleep(300 * time.Millisecond)
	ex := sfnStart(t, c, machine, "", `{"key":"AKIA1"}`)
	var task *sfn.GetActivityTaskOutput
	select {
	case task = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("the polling worker got no task")
	}
	if task == nil || aws.ToString(task.TaskToken) == "" {
		t.Fatalf("task %+v", task)
	}
	sfnJSONEqual(t, "task input", aws.ToString(task.Input), `{"key":"AKIA1"}`)
	if _, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken}); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"ok":true}`)}); err != nil {
		t.Fatalf("success: %v", err)
	}
	d := sfnWait(t, c, ex, 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s %s", d.Status, aws.ToString(d.Cause))
	}
	sfnJSONEqual(t, "output", aws.ToString(d.Output), `{"key":"AKIA1","review":{"ok":true}}`)
	evs := sfnHistory(t, c, ex)
	want := "1:ExecutionStarted<0 2:TaskStateEntered<0 3:ActivityScheduled<2 4:ActivityStarted<3 5:ActivitySucceeded<4 6:TaskStateExited<5 " +
		"7:SucceedStateEntered<6 8:SucceedStateExited<7 9:ExecutionSucceeded<8"
	if got := sfnShape(evs); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	if s := evs[2].ActivityScheduledEventDetails; s == nil || aws.ToString(s.Resource) != actArn || aws.ToInt64(s.TimeoutInSeconds) != 300 || aws.ToInt64(s.HeartbeatInSeconds) != 60 {
		t.Errorf("ActivityScheduled %+v", s)
	}
	if s := evs[3].ActivityStartedEventDetails; s == nil || aws.ToString(s.WorkerName) != "worker-1" {
		t.Errorf("ActivityStarted %+v", s)
	}

	// Scheduled, then a crash: the task waits in the queue for a worker.
	ex = sfnStart(t, c, machine, "", `{"key":"AKIA2"}`)
	eventually(t, 10*time.Second, func() error {
		for _, e := range sfnHistory(t, c, ex) {
			if e.Type == sfntypes.HistoryEventTypeActivityScheduled {
				return nil
			}
		}
		return errNotYet
	})
	v.restart(t)
	c = v.sfn()
	task, err = c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
	if err != nil || aws.ToString(task.TaskToken) == "" {
		t.Fatalf("after restart: %+v %v", task, err)
	}
	sfnJSONEqual(t, "task input after restart", aws.ToString(task.Input), `{"key":"AKIA2"}`)
	if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Rejected"), Cause: aws.String("no")}); err != nil {
		t.Fatal(err)
	}
	d = sfnWait(t, c, ex, 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusFailed || aws.ToString(d.Error) != "Rejected" || aws.ToString(d.Cause) != "no" {
		t.Errorf("failed task: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	if got := sfnShape(sfnHistory(t, c, ex)); got != "1:ExecutionStarted<0 2:TaskStateEntered<0 3:ActivityScheduled<2 4:ActivityStarted<3 5:ActivityFailed<4 6:ExecutionFailed<5" {
		t.Errorf("failed history %s", got)
	}

	if _, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: act.ActivityArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
	sfnAPIError(t, err, "ActivityDoesNotExist", actArn)
	// A state machine using a missing activity fails as AWS does.
	ex = sfnStart(t, c, machine, "", `{}`)
	d = sfnWait(t, c, ex, 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusFailed || aws.ToString(d.Error) != "States.Runtime" ||
		aws.ToString(d.Cause) != "An error occurred while executing the state 'Review' (entered at the event id #2). The activity "+actArn+" does not exist." {
		t.Errorf("missing activity: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
}

// TestStatesStartExecution nests workflows with states:startExecution:
// fire and forget, .sync (output as text), .sync:2 (output as JSON) and
// .waitForTaskToken, where the child answers with the parent's token.
func TestStatesStartExecution(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	child := sfnCreate(t, c, "child", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"from.$":"$.parent","n.$":"$.n"},"End":true}}}`)
	failing := sfnCreate(t, c, "child-fails", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"SomeFailure","Cause":"child broke"}}}`)
	answering := sfnCreate(t, c, "child-answers", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
	  "Parameters":{"TaskToken.$":"$.token","Output":"{\"answered\":true}"},"End":true}}}`)
	parent := func(name, resource, input string) string {
		return sfnCreate(t, c, name, fmt.Sprintf(`{"StartAt":"Start","States":{"Start":{"Type":"Task","Resource":"arn:aws:states:::states:%s",
		  "Parameters":{"StateMachineArn.$":"$.machine","Input":%s},"End":true}}}`, resource, input))
	}
	withID := `{"n":7,"parent.$":"$$.Execution.Id","AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$":"$$.Execution.Id"}`

	run := func(machine, target string) (*sfn.DescribeExecutionOutput, []sfntypes.HistoryEvent) {
		ex := sfnStart(t, c, machine, "", fmt.Sprintf(`{"machine":%q}`, target))
		d := sfnWait(t, c, ex, 30*time.Second)
		return d, sfnHistory(t, c, ex)
	}
	d, evs := run(parent("sync", "startExecution.sync", withID), child)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("sync: %s %s", d.Status, aws.ToString(d.Cause))
	}
	var out map[string]any
	json.Unmarshal([]byte(aws.ToString(d.Output)), &out)
	childOut, _ := out["Output"].(string)
	if out["Status"] != "SUCCEEDED" || !strings.Contains(childOut, `"n":7`) || !strings.Contains(childOut, aws.ToString(d.ExecutionArn)) ||
		out["StartDate"] == nil || out["StopDate"] == nil || out["InputDetails"] == nil {
		t.Errorf("sync output %s", aws.ToString(d.Output))
	}
	want := "1:ExecutionStarted<0 2:TaskStateEntered<0 3:TaskScheduled<2 4:TaskStarted<3 5:TaskSubmitted<4 6:TaskSucceeded<5 7:TaskStateExited<6 8:ExecutionSucceeded<7"
	if got := sfnShape(evs); got != want {
		t.Errorf("sync history\n got %s\nwant %s", got, want)
	}
	if s := evs[4].TaskSubmittedEventDetails; s == nil || aws.ToString(s.ResourceType) != "states" || aws.ToString(s.Resource) != "startExecution.sync" ||
		!strings.Contains(aws.ToString(s.Output), `"ExecutionArn":"arn:aws:states:us-east-1:000000000000:execution:child:`) {
		t.Errorf("TaskSubmitted %+v", s)
	}

	d, _ = run(parent("sync2", "startExecution.sync:2", withID), child)
	json.Unmarshal([]byte(aws.ToString(d.Output)), &out)
	if o, ok := out["Output"].(map[string]any); !ok || o["n"] != 7.0 {
		t.Errorf("sync:2 output %s", aws.ToString(d.Output))
	}

	d, _ = run(parent("plain", "startExecution", withID), child)
	json.Unmarshal([]byte(aws.ToString(d.Output)), &out)
	if arn, _ := out["ExecutionArn"].(string); d.Status != sfntypes.ExecutionStatusSucceeded || !strings.HasPrefix(arn, "arn:aws:states:us-east-1:000000000000:execution:child:") {
		t.Errorf("plain output %s", aws.ToString(d.Output))
	} else if cd := sfnWait(t, c, arn, 20*time.Second); cd.Status != sfntypes.ExecutionStatusSucceeded {
		t.Errorf("started child %s", cd.Status)
	}

	d, evs = run(parent("syncfail", "startExecution.sync", `{}`), failing)
	var cause map[string]any
	json.Unmarshal([]byte(aws.ToString(d.Cause)), &cause)
	if d.Status != sfntypes.ExecutionStatusFailed || aws.ToString(d.Error) != "States.TaskFailed" || cause["Status"] != "FAILED" || cause["Error"] != "SomeFailure" {
		t.Errorf("failing child: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}

	d, evs = run(parent("callback", "startExecution.waitForTaskToken", `{"token.$":"$$.Task.Token"}`), answering)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("callback: %s %s", d.Status, aws.ToString(d.Cause))
	}
	sfnJSONEqual(t, "callback output", aws.ToString(d.Output), `{"answered":true}`)
	if got := sfnShape(evs); got != want {
		t.Errorf("callback history\n got %s\nwant %s", got, want)
	}
}

// TestStatesRedrive redrives a failed execution from the failed state:
// the succeeded states are not run again.
func TestStatesRedrive(t *testing.T) {
	v := startVigil(t)
	c := v.sfn()
	ctx := context.Background()
	def := `{"StartAt":"Mark","States":{
	  "Mark":{"Type":"Pass","Result":"marked","ResultPath":"$.mark","Next":"Fan"},
	  "Fan":{"Type":"Parallel","Branches":[
	    {"StartAt":"Ok","States":{"Ok":{"Type":"Pass","Result":"fine","End":true}}},
	    {"StartAt":"Get","States":{"Get":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:getUser",
	      "Parameters":{"UserName":"late-user"},"ResultSelector":{"name.$":"$.User.UserName"},"End":true}}}],
	    "ResultPath":"$.fan","End":true}}}`
	arn := sfnCreate(t, c, "redrive", def)
	ex := sfnStart(t, c, arn, "attempt", `{"in":1}`)
	d := sfnWait(t, c, ex, 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusFailed || d.RedriveStatus != sfntypes.ExecutionRedriveStatusRedrivable || d.RedriveCount == nil || *d.RedriveCount != 0 {
		t.Fatalf("first attempt: %s %s %v", d.Status, d.RedriveStatus, d.RedriveCount)
	}
	if _, err := v.iam().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("late-user")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(ex)})
	if err != nil || out.RedriveDate == nil {
		t.Fatalf("RedriveExecution: %+v %v", out, err)
	}
	d = sfnWait(t, c, ex, 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusSucceeded || d.RedriveCount == nil || *d.RedriveCount != 1 || d.RedriveDate == nil ||
		d.RedriveStatus != sfntypes.ExecutionRedriveStatusNotRedrivable {
		t.Fatalf("after redrive: %s %s %v %s", d.Status, aws.ToString(d.Cause), d.RedriveCount, d.RedriveStatus)
	}
	sfnJSONEqual(t, "output", aws.ToString(d.Output), `{"in":1,"mark":"marked","fan":["fine",{"name":"late-user"}]}`)
	evs := sfnHistory(t, c, ex)
	var types []string
	redriven := -1
	for i, e := range evs {
		types = append(types, string(e.Type))
		if e.Type == sfntypes.HistoryEventTypeExecutionRedriven {
			redriven = i
		}
	}
	if redriven < 0 || evs[redriven].ExecutionRedrivenEventDetails == nil || aws.ToInt32(evs[redriven].ExecutionRedrivenEventDetails.RedriveCount) != 1 {
		t.Fatalf("no ExecutionRedriven: %v", types)
	}
	after := strings.Join(types[redriven:], ",")
	if strings.Contains(after, "PassStateEntered") || !strings.Contains(after, "TaskSucceeded") {
		t.Errorf("the redrive reran succeeded states or not the failed one: %s", after)
	}
	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(ex)})
	sfnAPIError(t, err, "ExecutionNotRedrivable", "SUCCEEDED")
	// The failing branch's sibling and the failed state are recorded as aborted.
	failedPart := strings.Join(types[:redriven], ",")
	if !strings.Contains(failedPart, "TaskStateAborted") || !strings.Contains(failedPart, "ParallelStateFailed") {
		t.Errorf("first attempt history %s", failedPart)
	}
}

// TestStatesTestState tests single states, a Task's call included.
func TestStatesTestState(t *testing.T) {
	v := startVigil(t)
	c := sfnNoHostPrefix(v)
	sfnAllowAll(t, c)
	ctx := context.Background()
	if _, err := v.iam().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tested")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.TestState(ctx, &sfn.TestStateInput{
		Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:getUser","Parameters":{"UserName.$":"$.user"},
		  "ResultSelector":{"arn.$":"$.User.Arn"},"ResultPath":"$.found","Next":"Notify"}`),
		RoleArn: aws.String(sfnRole), Input: aws.String(`{"user":"tested"}`), InspectionLevel: sfntypes.InspectionLevelDebug,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != sfntypes.TestExecutionStatusSucceeded || aws.ToString(out.NextState) != "Notify" || out.InspectionData == nil {
		t.Fatalf("task: %+v", out)
	}
	sfnJSONEqual(t, "output", aws.ToString(out.Output), `{"user":"tested","found":{"arn":"arn:aws:iam::000000000000:user/tested"}}`)
	sfnJSONEqual(t, "afterParameters", aws.ToString(out.InspectionData.AfterParameters), `{"UserName":"tested"}`)
	if !strings.Contains(aws.ToString(out.InspectionData.Result), `"UserName":"tested"`) {
		t.Errorf("result %s", aws.ToString(out.InspectionData.Result))
	}
	out, err = c.TestState(ctx, &sfn.TestStateInput{
		Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:getUser","Parameters":{"UserName":"nobody"},
		  "Catch":[{"ErrorEquals":["Iam.NoSuchEntityException"],"Next":"Missing"}],"End":true}`),
		RoleArn: aws.String(sfnRole), InspectionLevel: sfntypes.InspectionLevelDebug,
	})
	if err != nil || out.Status != sfntypes.TestExecutionStatusCaughtError || aws.ToString(out.NextState) != "Missing" ||
		aws.ToString(out.Error) != "Iam.NoSuchEntityException" || out.InspectionData.ErrorDetails == nil || aws.ToInt32(out.InspectionData.ErrorDetails.CatchIndex) != 0 {
		t.Errorf("caught: %+v %v", out, err)
	}
	out, err = c.TestState(ctx, &sfn.TestStateInput{
		Definition: aws.String(`{"QueryLanguage":"JSONata","Type":"Pass","Output":"{% $states.input.s ~> $replace('-', '_') ~> $uppercase() %}","End":true}`),
		Input:      aws.String(`{"s":"a-b"}`),
	})
	if err != nil || out.Status != sfntypes.TestExecutionStatusSucceeded || aws.ToString(out.Output) != `"A_B"` || out.InspectionData != nil {
		t.Errorf("jsonata pass: %+v %v", out, err)
	}
	_, err = c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:getUser","End":true}`)})
	sfnAPIError(t, err, "ValidationException", "RoleArn must be specified when testing a Task state")

	// A mocked task calls nothing, so it needs no role and may name an
	// integration Vigil cannot call.
	out, err = c.TestState(ctx, &sfn.TestStateInput{
		Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","ResultSelector":{"v.$":"$.Item.v.S"},"End":true}`),
		Mock:       &sfntypes.MockInput{Result: aws.String(`{"Item":{"v":{"S":"mocked"}}}`), FieldValidationMode: sfntypes.MockResponseValidationModeNone},
	})
	if err != nil || out.Status != sfntypes.TestExecutionStatusSucceeded || aws.ToString(out.Output) != `{"v":"mocked"}` {
		t.Errorf("mocked task: %+v %v", out, err)
	}
	out, err = c.TestState(ctx, &sfn.TestStateInput{
		Definition:         aws.String(`{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Retry":[{"ErrorEquals":["SNS.ThrottledException"],"MaxAttempts":1}],"End":true}`),
		Mock:               &sfntypes.MockInput{ErrorOutput: &sfntypes.MockErrorOutput{Error: aws.String("SNS.ThrottledException"), Cause: aws.String("slow down")}},
		StateConfiguration: &sfntypes.TestStateConfiguration{RetrierRetryCount: aws.Int32(1)},
	})
	if err != nil || out.Status != sfntypes.TestExecutionStatusFailed || aws.ToString(out.Error) != "SNS.ThrottledException" {
		t.Errorf("mocked error after its retries: %+v %v", out, err)
	}
}

// sfnNoHostPrefix returns a Step Functions client for operations whose
// endpoint has a host prefix on AWS ("sync-" for StartSyncExecution and
// TestState): against a local endpoint such as http://127.0.0.1:PORT the
// prefixed host would not resolve, so the client turns the prefix off
// (botocore: inject_host_prefix=False or AWS_DISABLE_HOST_PREFIX_INJECTION).
func sfnNoHostPrefix(v *vigil) *sfn.Client {
	return sfn.NewFromConfig(v.Cfg, func(o *sfn.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("NoHostPrefix",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
				}), middleware.Before)
		})
	})
}

// TestStatesExpress runs EXPRESS state machines: synchronously, with
// the calls AWS refuses for them, and asynchronously across a crash.
func TestStatesExpress(t *testing.T) {
	v := startVigil(t)
	c := sfnNoHostPrefix(v)
	sfnAllowAll(t, c)
	ctx := context.Background()
	create := func(name, def string) string {
		t.Helper()
		out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(sfnRole), Type: sfntypes.StateMachineTypeExpress,
		})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return aws.ToString(out.StateMachineArn)
	}
	sync := create("express-sync", `{"StartAt":"Who","States":{
	  "Who":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","ResultSelector":{"account.$":"$.Account"},"ResultPath":"$.who","Next":"Nap"},
	  "Nap":{"Type":"Wait","Seconds":1,"Next":"Fail?"},
	  "Fail?":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Boom"}],"Default":"Done"},
	  "Boom":{"Type":"Fail","Error":"Boom","Cause":"asked to"},
	  "Done":{"Type":"Succeed"}}}`)
	out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sync), Input: aws.String(`{"fail":false}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != sfntypes.SyncExecutionStatusSucceeded || !strings.Contains(aws.ToString(out.ExecutionArn), ":express:express-sync:") ||
		out.BillingDetails == nil || out.BillingDetails.BilledDurationInMilliseconds < 1000 {
		t.Errorf("sync: %+v", out)
	}
	sfnJSONEqual(t, "output", aws.ToString(out.Output), `{"fail":false,"who":{"account":"000000000000"}}`)
	out, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sync), Input: aws.String(`{"fail":true}`)})
	if err != nil || out.Status != sfntypes.SyncExecutionStatusFailed || aws.ToString(out.Error) != "Boom" || out.Output != nil {
		t.Errorf("failing sync: %+v %v", out, err)
	}

	standard := sfnCreate(t, c, "standard", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	_, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(standard)})
	sfnAPIError(t, err, "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sync)})
	sfnAPIError(t, err, "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("express-callback"), RoleArn: aws.String(sfnRole), Type: sfntypes.StateMachineTypeExpress,
		Definition: aws.String(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken","End":true}}}`),
	})
	sfnAPIError(t, err, "InvalidDefinition", "Express state machine does not support '.waitForTaskToken' service integration  at /States/T/Resource")

	// An asynchronous start survives a crash: the execution runs again
	// from its start.
	async := create("express-async", `{"StartAt":"Nap","States":{
	  "Nap":{"Type":"Wait","Seconds":2,"Next":"Make"},
	  "Make":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:createUser","Parameters":{"UserName":"made-by-express"},"End":true}}}`)
	started, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(async)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(started.ExecutionArn)
	for _, call := range []func() error{
		func() error {
			_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
			return err
		},
		func() error {
			_, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
			return err
		},
		func() error {
			_, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)})
			return err
		},
	} {
		sfnAPIError(t, call(), "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")
	}
	v.restart(t)
	eventually(t, 30*time.Second, func() error {
		_, err := v.iam().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("made-by-express")})
		return err
	})
}
