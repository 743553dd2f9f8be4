package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// IAM policy enforcement at the front door (issue 5), through the real
// server with real users, groups, roles and policies.

const azAccount = "000000000000"

func azPolicy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// azUser creates a user with tags and an access key, and returns a config
// that signs as the user.
func azUser(t *testing.T, v *vigil, name string, tags ...iamtypes.Tag) aws.Config {
	t.Helper()
	ctx := context.Background()
	if _, err := v.iam().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Tags: tags}); err != nil {
		t.Fatal(err)
	}
	k, err := v.iam().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return v.asKey(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey))
}

func azPutUserPolicy(t *testing.T, v *vigil, user, name, doc string) {
	t.Helper()
	if _, err := v.iam().PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user),
		PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
}

func azManaged(t *testing.T, v *vigil, name, doc string) string {
	t.Helper()
	out, err := v.iam().CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Policy.Arn)
}

// wantDenied checks a refusal's code, status and message.
func wantDenied(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	wantAPIError(t, err, code, status)
	var ae smithy.APIError
	if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("message %q lacks %q", ae.ErrorMessage(), msg)
	}
}

func TestAuthzNoPolicyIsRefusedAndAudited(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	cfg := azUser(t, v, "nopol")
	arn := "arn:aws:iam::" + azAccount + ":user/nopol"

	_, err := iam.NewFromConfig(cfg).ListUsers(ctx, &iam.ListUsersInput{})
	wantDenied(t, err, "AccessDenied", 403,
		"User: "+arn+" is not authorized to perform: iam:ListUsers because no identity-based policy allows the iam:ListUsers action")
	_, err = iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nopol")})
	wantDenied(t, err, "AccessDenied", 403, "iam:GetUser on resource: "+arn+" because")
	_, err = sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{})
	wantDenied(t, err, "AuthorizationError", 403, "SNS:ListTopics")
	_, err = sfn.NewFromConfig(cfg).ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	wantDenied(t, err, "AccessDeniedException", 400, "states:ListStateMachines")
	_, err = eventbridge.NewFromConfig(cfg).ListRules(ctx, &eventbridge.ListRulesInput{})
	wantDenied(t, err, "AccessDeniedException", 400, "events:ListRules")
	_, err = cloudtrail.NewFromConfig(cfg).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	wantDenied(t, err, "AccessDeniedException", 400, "cloudtrail:LookupEvents")
	_, err = lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	wantDenied(t, err, "AccessDeniedException", 403, "lambda:ListFunctions")
	// Nothing is needed to ask who one is.
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity: %v", err)
	}
	// The refused call did nothing.
	if _, err := iam.NewFromConfig(cfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sneaky")}); err == nil {
		t.Fatal("CreateUser without permission succeeded")
	}
	if _, err := v.iam().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("sneaky")}); err == nil {
		t.Error("the refused CreateUser created the user")
	}

	// Refused calls are in the audit trail, with the error.
	events := ctLookup(t, v.cloudtrail(), cttypes.LookupAttributeKeyUsername, "nopol", 50)
	byName := map[string]map[string]any{}
	for _, e := range events {
		byName[aws.ToString(e.EventName)] = ctRecord(t, e)
	}
	for name, code := range map[string]string{"ListUsers": "AccessDenied", "CreateUser": "AccessDenied",
		"ListTopics": "AuthorizationError", "ListStateMachines": "AccessDeniedException", "GetCallerIdentity": ""} {
		rec, ok := byName[name]
		if !ok {
			t.Errorf("no record of %s by nopol among %s", name, ctNames(events))
			continue
		}
		if got, _ := rec["errorCode"].(string); got != code {
			t.Errorf("%s recorded with errorCode %q, want %q", name, got, code)
		}
		if code != "" && !strings.Contains(fmt.Sprint(rec["errorMessage"]), "is not authorized to perform") {
			t.Errorf("%s recorded with errorMessage %v", name, rec["errorMessage"])
		}
	}
}

func TestAuthzIdentityPolicies(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()

	// Inline: exactly sns:ListTopics.
	inline := azUser(t, v, "inline")
	azPutUserPolicy(t, v, "inline", "topics", azPolicy(`{"Effect":"Allow","Action":"sns:ListTopics","Resource":"*"}`))
	if _, err := sns.NewFromConfig(inline).ListTopics(ctx, &sns.ListTopicsInput{}); err != nil {
		t.Errorf("inline policy: ListTopics: %v", err)
	}
	_, err := sns.NewFromConfig(inline).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t")})
	wantAPIError(t, err, "AuthorizationError", 403)

	// Managed, attached: states:ListStateMachines only.
	managed := azUser(t, v, "managed")
	pa := azManaged(t, v, "list-machines", azPolicy(`{"Effect":"Allow","Action":"states:ListStateMachines","Resource":"*"}`))
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("managed"), PolicyArn: aws.String(pa)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sfn.NewFromConfig(managed).ListStateMachines(ctx, &sfn.ListStateMachinesInput{}); err != nil {
		t.Errorf("managed policy: ListStateMachines: %v", err)
	}
	_, err = sfn.NewFromConfig(managed).ListActivities(ctx, &sfn.ListActivitiesInput{})
	wantAPIError(t, err, "AccessDeniedException", 400)

	// Group: events:ListRules for members.
	member := azUser(t, v, "member")
	if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("rules"),
		PolicyDocument: aws.String(azPolicy(`{"Effect":"Allow","Action":"events:ListRules","Resource":"*"}`))}); err != nil {
		t.Fatal(err)
	}
	_, err = eventbridge.NewFromConfig(member).ListRules(ctx, &eventbridge.ListRulesInput{})
	wantAPIError(t, err, "AccessDeniedException", 400)
	if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("member")}); err != nil {
		t.Fatal(err)
	}
	if _, err := eventbridge.NewFromConfig(member).ListRules(ctx, &eventbridge.ListRulesInput{}); err != nil {
		t.Errorf("group policy: ListRules: %v", err)
	}
	_, err = eventbridge.NewFromConfig(member).ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	wantAPIError(t, err, "AccessDeniedException", 400)

	// Resource-level: GetUser on oneself only, through a policy variable.
	azPutUserPolicy(t, v, "member", "self", azPolicy(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::`+azAccount+`:user/${aws:username}"}`))
	if _, err := iam.NewFromConfig(member).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("member")}); err != nil {
		t.Errorf("GetUser on oneself: %v", err)
	}
	_, err = iam.NewFromConfig(member).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("inline")})
	wantDenied(t, err, "AccessDenied", 403, "iam:GetUser on resource: arn:aws:iam::"+azAccount+":user/inline")

	// An explicit deny wins over any allow.
	denied := azUser(t, v, "denied")
	all := azManaged(t, v, "sns-all", azPolicy(`{"Effect":"Allow","Action":"sns:*","Resource":"*"}`))
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("denied"), PolicyArn: aws.String(all)}); err != nil {
		t.Fatal(err)
	}
	azPutUserPolicy(t, v, "denied", "no-delete", azPolicy(`{"Effect":"Deny","Action":"sns:DeleteTopic","Resource":"*"}`))
	topic, err := sns.NewFromConfig(denied).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("kept")})
	if err != nil {
		t.Fatalf("CreateTopic allowed by sns:*: %v", err)
	}
	_, err = sns.NewFromConfig(denied).DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn})
	wantDenied(t, err, "AuthorizationError", 403, "with an explicit deny in an identity-based policy")

	// A permissions boundary caps what the policies allow.
	bounded := azUser(t, v, "bounded")
	azPutUserPolicy(t, v, "bounded", "wide", azPolicy(`{"Effect":"Allow","Action":["sns:ListTopics","iam:ListUsers"],"Resource":"*"}`))
	boundary := azManaged(t, v, "sns-only", azPolicy(`{"Effect":"Allow","Action":"sns:*","Resource":"*"}`))
	if _, err := c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(boundary)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sns.NewFromConfig(bounded).ListTopics(ctx, &sns.ListTopicsInput{}); err != nil {
		t.Errorf("within the boundary: %v", err)
	}
	_, err = iam.NewFromConfig(bounded).ListUsers(ctx, &iam.ListUsersInput{})
	wantDenied(t, err, "AccessDenied", 403, "because no permissions boundary allows the iam:ListUsers action")
	// The boundary alone grants nothing.
	_, err = sns.NewFromConfig(bounded).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("b")})
	wantDenied(t, err, "AuthorizationError", 403, "because no identity-based policy allows")
}

func TestAuthzABACAndSourceIP(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	red := azUser(t, v, "red", tag("team", "red"))
	azPutUserPolicy(t, v, "red", "abac", azPolicy(
		`{"Effect":"Allow","Action":["sns:Publish","sns:GetTopicAttributes"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}`,
		`{"Effect":"Allow","Action":["sns:CreateTopic","sns:TagResource"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}`))
	root := v.sns()
	mk := func(name, team string) *string {
		out, err := root.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.TopicArn
	}
	redTopic, blueTopic := mk("red-topic", "red"), mk("blue-topic", "blue")
	rs := sns.NewFromConfig(red)
	if _, err := rs.Publish(ctx, &sns.PublishInput{TopicArn: redTopic, Message: aws.String("hi")}); err != nil {
		t.Errorf("publish to a topic of one's team: %v", err)
	}
	_, err := rs.Publish(ctx, &sns.PublishInput{TopicArn: blueTopic, Message: aws.String("hi")})
	wantDenied(t, err, "AuthorizationError", 403, "SNS:Publish on resource: "+aws.ToString(blueTopic))
	tagged := func(k, v string) []snstypes.Tag { return []snstypes.Tag{{Key: aws.String(k), Value: aws.String(v)}} }
	if _, err := rs.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("red-2"), Tags: tagged("team", "red")}); err != nil {
		t.Errorf("create with one's team tag: %v", err)
	}
	for _, tags := range [][]snstypes.Tag{tagged("team", "blue"), nil, append(tagged("team", "red"), tagged("cost", "1")...)} {
		_, err = rs.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("red-3"), Tags: tags})
		wantAPIError(t, err, "AuthorizationError", 403)
	}

	// aws:SourceIp: the SDK calls from 127.0.0.1.
	local := azUser(t, v, "local")
	azPutUserPolicy(t, v, "local", "ip", azPolicy(
		`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.1/32"}}}`,
		`{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}`,
		`{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*"}`,
		`{"Effect":"Deny","Action":"iam:ListGroups","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`))
	lc := iam.NewFromConfig(local)
	if _, err := lc.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("from 127.0.0.1: %v", err)
	}
	_, err = lc.ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = lc.ListGroups(ctx, &iam.ListGroupsInput{})
	wantDenied(t, err, "AccessDenied", 403, "explicit deny") // plain HTTP
}

func TestAuthzTopicPolicy(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	pub := azUser(t, v, "publisher")
	other := azUser(t, v, "other")
	topic, err := v.sns().CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sns.NewFromConfig(pub).Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")})
	wantDenied(t, err, "AuthorizationError", 403, "because no identity-based policy allows")
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"LetPublisherPublish","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + azAccount + `:user/publisher"},"Action":"SNS:Publish","Resource":"` + aws.ToString(topic.TopicArn) + `"},` +
		`{"Sid":"KeepIt","Effect":"Deny","Principal":"*","Action":"SNS:DeleteTopic","Resource":"` + aws.ToString(topic.TopicArn) + `"}]}`
	if _, err := v.sns().SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn,
		AttributeName: aws.String("Policy"), AttributeValue: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sns.NewFromConfig(pub).Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")}); err != nil {
		t.Errorf("publish allowed by the topic policy: %v", err)
	}
	_, err = sns.NewFromConfig(other).Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")})
	wantAPIError(t, err, "AuthorizationError", 403)
	// The topic policy's deny holds even for the root user.
	_, err = v.sns().DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn})
	wantDenied(t, err, "AuthorizationError", 403, "with an explicit deny in a resource-based policy")
}

func TestAuthzAssumedRoleSessionPolicy(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	op := azUser(t, v, "op")
	trust := azPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + azAccount + `:user/op"},"Action":"sts:AssumeRole"}`)
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("analyst"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("analyst"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(azPolicy(`{"Effect":"Allow","Action":["sns:ListTopics","iam:ListUsers"],"Resource":"*"}`))}); err != nil {
		t.Fatal(err)
	}
	assume := func(policy *string) aws.Config {
		t.Helper()
		out, err := sts.NewFromConfig(op).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + azAccount + ":role/analyst"),
			RoleSessionName: aws.String("s1"), Policy: policy})
		if err != nil {
			t.Fatal(err)
		}
		cr := out.Credentials
		return v.withSession(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	}
	full := assume(nil)
	if _, err := iam.NewFromConfig(full).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("the role's own policy: %v", err)
	}
	_, err := iam.NewFromConfig(full).ListRoles(ctx, &iam.ListRolesInput{})
	wantDenied(t, err, "AccessDenied", 403, "User: arn:aws:sts::"+azAccount+":assumed-role/analyst/s1 is not authorized to perform: iam:ListRoles")

	narrow := assume(aws.String(azPolicy(`{"Effect":"Allow","Action":"sns:ListTopics","Resource":"*"}`)))
	if _, err := sns.NewFromConfig(narrow).ListTopics(ctx, &sns.ListTopicsInput{}); err != nil {
		t.Errorf("allowed by role and session policy: %v", err)
	}
	_, err = iam.NewFromConfig(narrow).ListUsers(ctx, &iam.ListUsersInput{})
	wantDenied(t, err, "AccessDenied", 403, "because no session policy allows the iam:ListUsers action")

	// A trust policy that names the account leaves it to the caller's own
	// policies.
	op2 := azUser(t, v, "op2")
	acctTrust := azPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + azAccount + `:root"},"Action":"sts:AssumeRole"}`)
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("shared"), AssumeRolePolicyDocument: aws.String(acctTrust)}); err != nil {
		t.Fatal(err)
	}
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + azAccount + ":role/shared"), RoleSessionName: aws.String("s2")}
	_, err = sts.NewFromConfig(op2).AssumeRole(ctx, in)
	wantDenied(t, err, "AccessDenied", 403, "sts:AssumeRole on resource: arn:aws:iam::"+azAccount+":role/shared")
	azPutUserPolicy(t, v, "op2", "assume", azPolicy(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::`+azAccount+`:role/shared"}`))
	if _, err := sts.NewFromConfig(op2).AssumeRole(ctx, in); err != nil {
		t.Errorf("AssumeRole allowed by trust and identity policy: %v", err)
	}
}

// TestAuthzWorkflowRoles checks that rule targets and state machines act
// with their roles.
func TestAuthzWorkflowRoles(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c, sf := v.iam(), v.sfn()
	mkRole := func(name, service, policy string) string {
		t.Helper()
		trust := azPolicy(`{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}`)
		out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		if err != nil {
			t.Fatal(err)
		}
		if policy != "" {
			if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
				t.Fatal(err)
			}
		}
		return aws.ToString(out.Role.Arn)
	}
	// The workflow's role may read users but not list roles.
	sfnRole := mkRole("workflow", "states.amazonaws.com", azPolicy(`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}`))
	def := `{"StartAt":"Users","States":{
		"Users":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:listUsers","ResultPath":null,"Next":"Roles"},
		"Roles":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:listRoles","End":true}}}`
	m, err := sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("limited"), RoleArn: aws.String(sfnRole), Definition: aws.String(def)})
	if err != nil {
		t.Fatal(err)
	}

	// A rule target whose role may not start the machine starts nothing;
	// the refusal is in the audit trail, made by the role.
	noStart := mkRole("no-start", "events.amazonaws.com", "")
	canStart := mkRole("can-start", "events.amazonaws.com",
		azPolicy(`{"Effect":"Allow","Action":"states:StartExecution","Resource":"`+aws.ToString(m.StateMachineArn)+`"}`))
	eb := v.events()
	for rule, role := range map[string]string{"denied": noStart, "allowed": canStart} {
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventPattern: aws.String(`{"source":["` + rule + `"]}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), Targets: []ebtypes.Target{{
			Id: aws.String("m"), Arn: m.StateMachineArn, RoleArn: aws.String(role)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("denied"), DetailType: aws.String("x"), Detail: aws.String("{}")}}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() error {
		for _, e := range ctLookup(t, v.cloudtrail(), cttypes.LookupAttributeKeyEventName, "StartExecution", 50) {
			rec := ctRecord(t, e)
			if rec["errorCode"] == "AccessDeniedException" && ctGet(rec, "userIdentity", "type") == "AssumedRole" &&
				strings.Contains(fmt.Sprint(ctGet(rec, "userIdentity", "arn")), ":assumed-role/no-start/") &&
				ctGet(rec, "userIdentity", "invokedBy") == "events.amazonaws.com" {
				return nil
			}
		}
		return errNotYet
	})
	if l, _ := sf.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: m.StateMachineArn}); len(l.Executions) != 0 {
		t.Fatalf("%d executions started by a role without states:StartExecution", len(l.Executions))
	}
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("allowed"), DetailType: aws.String("x"), Detail: aws.String("{}")}}}); err != nil {
		t.Fatal(err)
	}
	var exec sfntypes.ExecutionListItem
	eventually(t, 20*time.Second, func() error {
		l, err := sf.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: m.StateMachineArn})
		if err != nil || len(l.Executions) != 1 || l.Executions[0].Status == sfntypes.ExecutionStatusRunning {
			return errNotYet
		}
		exec = l.Executions[0]
		return nil
	})

	// The state machine's role lacks iam:ListRoles: its second task fails
	// with the error AWS names for it.
	d := sfnWait(t, sf, aws.ToString(exec.ExecutionArn), 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusFailed || aws.ToString(d.Error) != "Iam.AccessDeniedException" ||
		!strings.Contains(aws.ToString(d.Cause), "iam:ListRoles") {
		t.Errorf("execution %s: %s %s, want FAILED Iam.AccessDeniedException", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	// Both calls are in the audit trail as the role's session, named for
	// the execution, made through Step Functions.
	session := ":assumed-role/workflow/" + aws.ToString(exec.Name)
	for name, code := range map[string]string{"ListUsers": "<nil>", "ListRoles": "AccessDenied"} {
		eventually(t, 10*time.Second, func() error {
			for _, e := range ctLookup(t, v.cloudtrail(), cttypes.LookupAttributeKeyEventName, name, 50) {
				rec := ctRecord(t, e)
				if strings.HasSuffix(fmt.Sprint(ctGet(rec, "userIdentity", "arn")), session) &&
					ctGet(rec, "userIdentity", "invokedBy") == "states.amazonaws.com" && fmt.Sprint(rec["errorCode"]) == code {
					return nil
				}
			}
			return fmt.Errorf("no %s record by %s with error %q: %w", name, session, code, errNotYet)
		})
	}

	// Step Functions' AssumeRole is in the trail too, made by the service.
	assumed := func(role, code string) func() error {
		return func() error {
			for _, e := range ctLookup(t, v.cloudtrail(), cttypes.LookupAttributeKeyEventName, "AssumeRole", 50) {
				rec := ctRecord(t, e)
				if ctGet(rec, "userIdentity", "type") == "AWSService" && ctGet(rec, "userIdentity", "invokedBy") == "states.amazonaws.com" &&
					ctGet(rec, "requestParameters", "roleArn") == role && fmt.Sprint(rec["errorCode"]) == code {
					return nil
				}
			}
			return fmt.Errorf("no AssumeRole of %s by states.amazonaws.com with error %q: %w", role, code, errNotYet)
		}
	}
	eventually(t, 10*time.Second, assumed(sfnRole, "<nil>"))

	// A machine whose role does not trust Step Functions cannot act at all.
	untrusted := mkRole("untrusted", "events.amazonaws.com", azPolicy(`{"Effect":"Allow","Action":"*","Resource":"*"}`))
	m2, err := sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("untrusting"), RoleArn: aws.String(untrusted), Definition: aws.String(def)})
	if err != nil {
		t.Fatal(err)
	}
	ex2, err := sf.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: m2.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	d = sfnWait(t, sf, aws.ToString(ex2.ExecutionArn), 20*time.Second)
	if d.Status != sfntypes.ExecutionStatusFailed || aws.ToString(d.Error) != "Iam.AccessDeniedException" ||
		!strings.Contains(aws.ToString(d.Cause), "states.amazonaws.com") {
		t.Errorf("untrusted role: %s %s %s, want FAILED Iam.AccessDeniedException naming states.amazonaws.com", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	eventually(t, 10*time.Second, assumed(untrusted, "AccessDenied"))
}

func TestPolicyValidateCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", azPolicy(`{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:000000000000:alerts"}`))
	bad := write("bad.json", `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::logs/*"}
  ]
}`)
	broken := write("broken.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n")
	trust := write("trust.json", azPolicy(`{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}`))
	run := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(vigilBin, append([]string{"policy", "validate"}, args...)...)
		var out strings.Builder
		cmd.Stdout = &out
		cmd.Stderr = io.Discard
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.String(), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), 0
	}
	if out, code := run(good); code != 0 || out != "" {
		t.Errorf("good policy: exit %d, output %q", code, out)
	}
	if out, code := run(trust, "--kind", "trust"); code != 0 || out != "" {
		t.Errorf("trust policy: exit %d, output %q", code, out)
	}
	if _, code := run(trust); code != 1 {
		t.Errorf("a trust policy checked as an identity policy: exit %d, want 1", code)
	}
	out, code := run(bad)
	if code != 1 {
		t.Errorf("bad policy: exit %d, want 1", code)
	}
	for _, want := range []string{bad + ":4:35: SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE: ", bad + ":5:35: ERROR INVALID_ACTION: ", "Fix: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 2 {
		t.Errorf("%d lines, want one a finding:\n%s", n, out)
	}
	out, code = run("--json", broken)
	var report struct {
		Kind  string
		Files []struct {
			File     string
			Findings []struct {
				FindingType, IssueCode string
				Locations              []struct {
					Path []json.RawMessage
					Span struct{ Start struct{ Line, Column int } }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 1 {
		t.Fatalf("--json: exit %d, %v:\n%s", code, err, out)
	}
	if len(report.Files) != 1 || len(report.Files[0].Findings) == 0 || report.Files[0].Findings[0].IssueCode != "JSON_SYNTAX_ERROR" ||
		report.Files[0].Findings[0].Locations[0].Span.Start.Line != 4 || report.Files[0].Findings[0].Locations[0].Path == nil {
		t.Errorf("--json report of a broken file: %s", out)
	}
	if _, code := run("--kind", "nonsense", good); code == 0 {
		t.Error("an unknown --kind was accepted")
	}
}

func TestAccessAnalyzerValidatePolicy(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	creds, err := v.Cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	validate := func(body string) (int, map[string]any) {
		t.Helper()
		r, _ := http.NewRequest(http.MethodPost, v.URL+"/policy/validation", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(ctx, creds, r, hex.EncodeToString(h[:]), "access-analyzer", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	doc, _ := json.Marshal(azPolicy(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}`))
	status, out := validate(`{"policyType":"IDENTITY_POLICY","policyDocument":` + string(doc) + `}`)
	findings, _ := out["findings"].([]any)
	if status != 200 || len(findings) != 1 {
		t.Fatalf("ValidatePolicy: %d %v", status, out)
	}
	f := findings[0].(map[string]any)
	if f["findingType"] != "SECURITY_WARNING" || f["issueCode"] != "PASS_ROLE_WITH_STAR_IN_RESOURCE" ||
		!strings.HasPrefix(fmt.Sprint(f["learnMoreLink"]), "https://docs.aws.amazon.com/") {
		t.Errorf("finding %v", f)
	}
	if status, out := validate(`{"policyType":"IDENTITY_POLICY"}`); status != 400 || out["__type"] != "ValidationException" {
		t.Errorf("without a document: %d %v", status, out)
	}
	// A user needs access-analyzer:ValidatePolicy.
	u := azUser(t, v, "author")
	ucreds, _ := u.Credentials.Retrieve(ctx)
	creds = ucreds
	if status, out := validate(`{"policyType":"IDENTITY_POLICY","policyDocument":"{}"}`); status != 403 || out["__type"] != "AccessDeniedException" {
		t.Errorf("as a user without permission: %d %v", status, out)
	}
	azPutUserPolicy(t, v, "author", "validate", azPolicy(`{"Effect":"Allow","Action":"access-analyzer:ValidatePolicy","Resource":"*"}`))
	if status, _ := validate(`{"policyType":"RESOURCE_POLICY","validatePolicyResourceType":"AWS::IAM::AssumeRolePolicyDocument","policyDocument":"{}"}`); status != 200 {
		t.Errorf("as a user with permission: %d", status)
	}
}

func TestIAMSimulatePolicies(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	azUser(t, v, "sim")
	azPutUserPolicy(t, v, "sim", "Grant-Publish", `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "sns:*", "Resource": "*"},
    {"Effect": "Deny", "Action": "sns:DeleteTopic", "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}
  ]
}`)
	out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + azAccount + ":user/sim"),
		ActionNames: []string{"sns:Publish", "sns:DeleteTopic", "iam:ListUsers", "iam:ListRoles"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]iamtypes.EvaluationResult{}
	for _, r := range out.EvaluationResults {
		got[aws.ToString(r.EvalActionName)] = r
	}
	for action, want := range map[string]iamtypes.PolicyEvaluationDecisionType{"sns:Publish": "allowed", "sns:DeleteTopic": "explicitDeny",
		"iam:ListUsers": "implicitDeny", "iam:ListRoles": "implicitDeny"} {
		if got[action].EvalDecision != want {
			t.Errorf("%s: %s, want %s", action, got[action].EvalDecision, want)
		}
	}
	pub := got["sns:Publish"]
	if len(pub.MatchedStatements) != 1 || aws.ToString(pub.MatchedStatements[0].SourcePolicyId) != "Grant-Publish" ||
		pub.MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeUser || pub.MatchedStatements[0].StartPosition.Line != 4 ||
		aws.ToString(pub.EvalResourceName) != "*" {
		t.Errorf("sns:Publish matched %+v", pub.MatchedStatements)
	}
	if del := got["sns:DeleteTopic"]; len(del.MatchedStatements) != 1 || del.MatchedStatements[0].StartPosition.Line != 5 {
		t.Errorf("sns:DeleteTopic matched %+v", del.MatchedStatements)
	}
	if mc := got["iam:ListUsers"].MissingContextValues; len(mc) != 1 || !strings.EqualFold(mc[0], "aws:RequestedRegion") {
		t.Errorf("missing context values %q", mc)
	}

	// With the context the condition needs, it is allowed.
	out, err = c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + azAccount + ":user/sim"),
		ActionNames: []string{"iam:ListUsers"}, ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:RequestedRegion"),
			ContextKeyValues: []string{"eu-west-1"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}}})
	if err != nil || len(out.EvaluationResults) != 1 || out.EvaluationResults[0].EvalDecision != "allowed" {
		t.Errorf("with context: %+v, %v", out, err)
	}

	// SimulateCustomPolicy with a boundary and resources.
	cust, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList:                    []string{azPolicy(`{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}`)},
		PermissionsBoundaryPolicyInputList: []string{azPolicy(`{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:` + azAccount + `:ok"}`)},
		ActionNames:                        []string{"sns:Publish"},
		ResourceArns:                       []string{"arn:aws:sns:us-east-1:" + azAccount + ":ok", "arn:aws:sns:us-east-1:" + azAccount + ":no"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cust.EvaluationResults) != 2 || cust.EvaluationResults[0].EvalDecision != "allowed" || cust.EvaluationResults[1].EvalDecision != "implicitDeny" ||
		cust.EvaluationResults[1].PermissionsBoundaryDecisionDetail == nil || cust.EvaluationResults[1].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary ||
		len(cust.EvaluationResults[0].ResourceSpecificResults) != 1 {
		t.Errorf("SimulateCustomPolicy = %+v", cust.EvaluationResults)
	}
	if len(cust.EvaluationResults) > 0 && len(cust.EvaluationResults[0].MatchedStatements) > 0 &&
		aws.ToString(cust.EvaluationResults[0].MatchedStatements[0].SourcePolicyId) != "PolicyInputList.1" {
		t.Errorf("SourcePolicyId %q", aws.ToString(cust.EvaluationResults[0].MatchedStatements[0].SourcePolicyId))
	}
	_, err = c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + azAccount + ":user/nobody"),
		ActionNames: []string{"sns:Publish"}})
	wantAPIError(t, err, "NoSuchEntity", 404)
	// Simulating is itself an action a user needs permission for.
	_, err = iam.NewFromConfig(azUser(t, v, "curious")).SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{azPolicy(`{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}`)}, ActionNames: []string{"sns:Publish"}})
	wantAPIError(t, err, "AccessDenied", 403)
}

// TestAuthzSeedTagBasedIAM follows seed 002's "tag-based IAM" walk-through
// through the real server: a developer, JohnA, may create IAM resources
// only with the Developer- prefix, his user name as their Owner tag and
// (for roles) the S3ActionBoundary; the role he creates then runs within
// the boundary.
func TestAuthzSeedTagBasedIAM(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	a := "arn:aws:iam::" + azAccount + ":"
	boundary := azManaged(t, v, "S3ActionBoundary", `{"Version":"2012-10-17","Statement":[{"Sid":"S3ActionBoundary","Effect":"Allow",
	  "Action":["S3:CreateBucket","S3:ListAllMyBuckets","S3:GetBucketLocation","S3:PutObject","S3:PutObjectAcl"],
	  "Resource":"arn:aws:s3:::Developer-*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`)
	create := azManaged(t, v, "DeveloperCreateActions", `{"Version":"2012-10-17","Statement":[
	  {"Sid":"CreateRole","Effect":"Allow","Action":"iam:CreateRole","Resource":"`+a+`role/Developer-*",
	   "Condition":{"StringEquals":{"aws:RequestTag/Owner":"${aws:username}","iam:PermissionsBoundary":"`+boundary+`"}}},
	  {"Sid":"CreatePolicyandInstanceProfile","Effect":"Allow","Action":["iam:CreateInstanceProfile","iam:CreatePolicy"],
	   "Resource":["`+a+`instance-profile/Developer-*","`+a+`policy/Developer-*"],
	   "Condition":{"StringEquals":{"aws:RequestTag/Owner":"${aws:username}"}}},
	  {"Sid":"TagActionsAndAttachActions","Effect":"Allow","Action":["iam:TagInstanceProfile","iam:TagPolicy","iam:AttachRolePolicy","iam:TagRole"],
	   "Resource":["`+a+`instance-profile/Developer-*","`+a+`policy/Developer-*","`+a+`role/Developer-*"],
	   "Condition":{"StringEquals":{"aws:ResourceTag/Owner":"${aws:username}"}}}]}`)
	addRole := azManaged(t, v, "AddRoleAssociateInstanceProfile", `{"Version":"2012-10-17","Statement":[
	  {"Sid":"AddRoleToInstanceProfile","Effect":"Allow","Action":["iam:AddRoleToInstanceProfile","iam:PassRole"],
	   "Resource":["`+a+`instance-profile/Developer-*","`+a+`role/Developer-*"],
	   "Condition":{"StringEquals":{"aws:ResourceTag/Owner":"${aws:username}"}}}]}`)
	john := iam.NewFromConfig(azUser(t, v, "JohnA"))
	for _, p := range []string{create, addRole} {
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("JohnA"), PolicyArn: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	owner := []iamtypes.Tag{tag("Owner", "JohnA")}
	doc := azPolicy(`{"Sid":"S3Access","Effect":"Allow","Action":["S3:GetBucketLocation","S3:PutObject","S3:PutObjectAcl"],"Resource":"arn:aws:s3:::Developer-*"}`)

	// Managed policies: only with the prefix and the Owner tag.
	_, err := john.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("TestPolicy"), PolicyDocument: aws.String(doc), Tags: owner})
	wantDenied(t, err, "AccessDenied", 403, "User: "+a+"user/JohnA is not authorized to perform: iam:CreatePolicy on resource: "+a+"policy/TestPolicy")
	_, err = john.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Developer-ApplicationS3Access"), PolicyDocument: aws.String(doc)})
	wantAPIError(t, err, "AccessDenied", 403)
	pol, err := john.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Developer-ApplicationS3Access"), PolicyDocument: aws.String(doc), Tags: owner})
	if err != nil {
		t.Fatalf("CreatePolicy with prefix and Owner tag: %v", err)
	}

	// Instance profiles likewise.
	_, err = john.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("Developer-EC2-InstanceProfile")})
	wantDenied(t, err, "AccessDenied", 403, "iam:CreateInstanceProfile on resource: "+a+"instance-profile/Developer-EC2-InstanceProfile")
	if _, err := john.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("Developer-EC2-InstanceProfile"), Tags: owner}); err != nil {
		t.Fatalf("CreateInstanceProfile with the Owner tag: %v", err)
	}

	// Roles also need the boundary.
	trust := azPolicy(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`)
	role := &iam.CreateRoleInput{RoleName: aws.String("Developer-EC2"), AssumeRolePolicyDocument: aws.String(trust), Tags: owner}
	_, err = john.CreateRole(ctx, role)
	wantAPIError(t, err, "AccessDenied", 403)
	role.PermissionsBoundary = aws.String(boundary)
	role.Tags = []iamtypes.Tag{tag("Owner", "Someone")}
	_, err = john.CreateRole(ctx, role)
	wantAPIError(t, err, "AccessDenied", 403)
	role.Tags = owner
	if _, err := john.CreateRole(ctx, role); err != nil {
		t.Fatalf("CreateRole with tag and boundary: %v", err)
	}
	if _, err := john.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Developer-EC2"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatalf("AttachRolePolicy on his role: %v", err)
	}
	// Someone else's role is out of reach.
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Developer-Other"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []iamtypes.Tag{tag("Owner", "MaryM")}}); err != nil {
		t.Fatal(err)
	}
	_, err = john.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("Developer-Other"), Tags: owner})
	wantAPIError(t, err, "AccessDenied", 403)

	// Step 3: his role into his instance profile, not into another.
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("EC2-access-profile")}); err != nil {
		t.Fatal(err)
	}
	_, err = john.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("EC2-access-profile"), RoleName: aws.String("Developer-EC2")})
	wantDenied(t, err, "AccessDenied", 403, "iam:AddRoleToInstanceProfile on resource: "+a+"instance-profile/EC2-access-profile")
	if _, err := john.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("Developer-EC2-InstanceProfile"),
		RoleName: aws.String("Developer-EC2")}); err != nil {
		t.Fatalf("AddRoleToInstanceProfile on his own: %v", err)
	}

	// The role's S3 access holds in us-east-1 only: the boundary says so.
	sim := func(region string) iamtypes.EvaluationResult {
		t.Helper()
		out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(a + "role/Developer-EC2"),
			ActionNames: []string{"s3:PutObject"}, ResourceArns: []string{"arn:aws:s3:::Developer-data/report.csv"},
			ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:RequestedRegion"), ContextKeyValues: []string{region},
				ContextKeyType: iamtypes.ContextKeyTypeEnumString}}})
		if err != nil || len(out.EvaluationResults) != 1 {
			t.Fatalf("SimulatePrincipalPolicy: %+v, %v", out, err)
		}
		return out.EvaluationResults[0]
	}
	if r := sim("us-east-1"); r.EvalDecision != "allowed" || r.PermissionsBoundaryDecisionDetail == nil || !r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("us-east-1: %s %+v", r.EvalDecision, r.PermissionsBoundaryDecisionDetail)
	}
	if r := sim("eu-west-1"); r.EvalDecision != "implicitDeny" || r.PermissionsBoundaryDecisionDetail == nil || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("eu-west-1: %s %+v", r.EvalDecision, r.PermissionsBoundaryDecisionDetail)
	}
}
