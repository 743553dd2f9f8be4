package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const exposedKeyMachine = "arn:aws:states:us-east-1:000000000000:stateMachine:ExposedKeyResponse"

// healthEventDetail is the detail of the seed's AWS Health event, with the key id filled in.
func healthEventDetail(key string) string {
	return `{
		"eventArn": "arn:aws:health:us-east-1::event/AWS_RISK_CREDENTIALS_EXPOSED_XXXXXXXXXXXXXXXXX",
		"service": "RISK",
		"eventTypeCode": "AWS_RISK_CREDENTIALS_EXPOSED",
		"eventTypeCategory": "issue",
		"startTime": "Sat, 05 Jun 2016 15:10:09 GMT",
		"eventDescription": [{"language": "en_US", "latestDescription": "A description of the event is provided here"}],
		"affectedEntities": [{"entityValue": "` + key + `"}]
	}`
}

// playbookEnv is a server with the exposed-key playbook and a confirmed
// HTTP subscriber on its security topic.
type playbookEnv struct {
	v     *vigil
	sub   *snsSubscriber
	topic string
}

func startPlaybook(t *testing.T) *playbookEnv {
	t.Helper()
	v := startVigil(t, "--playbook", "exposed-access-key")
	ctx := context.Background()
	topics, err := v.sns().ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var topic string
	for _, tp := range topics.Topics {
		if strings.HasSuffix(aws.ToString(tp.TopicArn), ":SecurityNotificationTopic") {
			topic = aws.ToString(tp.TopicArn)
		}
	}
	if topic == "" {
		t.Fatalf("no SecurityNotificationTopic among %d topics", len(topics.Topics))
	}
	sub := newSNSSubscriber(t)
	if _, err := v.sns().Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}); err != nil {
		t.Fatal(err)
	}
	confirm := sub.waitRequests(t, 1, 10*time.Second)[0].snsMessage(t)
	if confirm["Type"] != "SubscriptionConfirmation" {
		t.Fatalf("first delivery is %q, want SubscriptionConfirmation", confirm["Type"])
	}
	resp, err := http.Get(confirm["SubscribeURL"]) // unsigned, as a subscriber does it
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SubscribeURL answered %s", resp.Status)
	}
	if snsConfirmedARN(t, v.sns(), topic, sub.URL) == "" {
		t.Fatal("subscription not confirmed through SubscribeURL")
	}
	return &playbookEnv{v: v, sub: sub, topic: topic}
}

// newUserKey creates a user with an access key and returns the key.
func (p *playbookEnv) newUserKey(t *testing.T, user string) (akid, secret string) {
	t.Helper()
	ctx := context.Background()
	if _, err := p.v.iam().CreateUser(ctx, &iam.CreateUserInput{UserName: &user}); err != nil {
		t.Fatal(err)
	}
	k, err := p.v.iam().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: &user})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
}

func (p *playbookEnv) putEvent(t *testing.T, source, detailType, detail string) {
	t.Helper()
	out, err := p.v.events().PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: &source, DetailType: &detailType, Detail: &detail,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents refused the event: %s %s", aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
	}
}

// waitExecutions waits until the response machine has n executions, all finished.
func (p *playbookEnv) waitExecutions(t *testing.T, n int, within time.Duration) []sfntypes.ExecutionListItem {
	t.Helper()
	var execs []sfntypes.ExecutionListItem
	eventually(t, within, func() error {
		out, err := p.v.sfn().ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(exposedKeyMachine)})
		if err != nil {
			return err
		}
		execs = out.Executions
		if len(execs) != n {
			return fmt.Errorf("%d executions, want %d", len(execs), n)
		}
		for _, e := range execs {
			if e.Status == sfntypes.ExecutionStatusRunning {
				return fmt.Errorf("execution %s still running", aws.ToString(e.Name))
			}
		}
		return nil
	})
	return execs
}

// notifications returns the verified Notification messages the subscriber has.
func (p *playbookEnv) notifications(t *testing.T, n int) []map[string]string {
	t.Helper()
	var out []map[string]string
	eventually(t, 20*time.Second, func() error {
		out = nil
		for _, r := range p.sub.requests() {
			if m := r.snsMessage(t); m["Type"] == "Notification" {
				out = append(out, m)
			}
		}
		if len(out) < n {
			return fmt.Errorf("%d notifications, want %d", len(out), n)
		}
		return nil
	})
	host := strings.TrimPrefix(p.v.URL, "http://")
	for _, m := range out {
		if err := snsVerify(m, host); err != nil {
			t.Fatalf("notification signature does not verify: %v", err)
		}
		if m["TopicArn"] != p.topic {
			t.Errorf("notification from %s, want %s", m["TopicArn"], p.topic)
		}
	}
	return out
}

func TestPlaybookExposedAccessKey(t *testing.T) {
	p := startPlaybook(t)
	ctx := context.Background()
	akid, secret := p.newUserKey(t, "test-user")

	// Some activity by the user before the leak: two identity checks and a
	// tag, which its policy allows on itself only.
	selfTag := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagUser","Resource":"arn:aws:iam::000000000000:user/${aws:username}"}]}`
	if _, err := p.v.iam().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("test-user"), PolicyName: aws.String("tag-self"), PolicyDocument: aws.String(selfTag)}); err != nil {
		t.Fatal(err)
	}
	asUser := p.v.asKey(akid, secret)
	for range 2 {
		if _, err := sts.NewFromConfig(asUser).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := iam.NewFromConfig(asUser).TagUser(ctx, &iam.TagUserInput{UserName: aws.String("test-user"), Tags: []iamtypes.Tag{tag("team", "payments")}}); err != nil {
		t.Fatal(err)
	}

	p.putEvent(t, "aws.health", "AWS Health Event", healthEventDetail(akid))
	execs := p.waitExecutions(t, 1, 30*time.Second)
	if execs[0].Status != sfntypes.ExecutionStatusSucceeded {
		desc, _ := p.v.sfn().DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: execs[0].ExecutionArn})
		t.Fatalf("execution %s: %s %s", execs[0].Status, aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}

	// The key is gone and no longer authenticates.
	keys, err := p.v.iam().ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("test-user")})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.AccessKeyMetadata) != 0 {
		t.Errorf("user still has %d access keys", len(keys.AccessKeyMetadata))
	}
	_, err = sts.NewFromConfig(asUser).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)

	// The workflow's steps, in order.
	hist, err := p.v.sfn().GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: execs[0].ExecutionArn, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var entered []string
	for _, e := range hist.Events {
		if e.StateEnteredEventDetails != nil {
			entered = append(entered, aws.ToString(e.StateEnteredEventDetails.Name))
		}
	}
	if got, want := strings.Join(entered, ","), "IdentifyKey,FromHealthEvent,FindKeyOwner,DeleteAccessKeyPair,SummarizeUserActivity,FormatNotification,NotifySecurity"; got != want {
		t.Errorf("states entered: %s\nwant %s", got, want)
	}

	// Security got a signed notification naming the key, the user and the counts.
	m := p.notifications(t, 1)[0]
	if !strings.Contains(m["Subject"], "test-user") {
		t.Errorf("subject %q does not name the user", m["Subject"])
	}
	body := m["Message"]
	for _, want := range []string{akid, "test-user", "has been deleted", "2  GetCallerIdentity", "1  TagUser", "AWS::IAM::User"} {
		if !strings.Contains(body, want) {
			t.Errorf("notification lacks %q:\n%s", want, body)
		}
	}

	// The deletion is in the audit trail, made by Step Functions.
	trail, err := p.v.cloudtrail().LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
		AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("DeleteAccessKey"),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(trail.Events) != 1 {
		t.Fatalf("%d DeleteAccessKey records, want 1", len(trail.Events))
	}
	var rec struct {
		UserIdentity      struct{ InvokedBy string } `json:"userIdentity"`
		RequestParameters struct {
			AccessKeyID string `json:"accessKeyId"`
		} `json:"requestParameters"`
	}
	json.Unmarshal([]byte(aws.ToString(trail.Events[0].CloudTrailEvent)), &rec)
	if rec.UserIdentity.InvokedBy != "states.amazonaws.com" || rec.RequestParameters.AccessKeyID != akid {
		t.Errorf("DeleteAccessKey record: %s", aws.ToString(trail.Events[0].CloudTrailEvent))
	}
}

func TestPlaybookKeyAlreadyGone(t *testing.T) {
	p := startPlaybook(t)
	ctx := context.Background()
	akid, _ := p.newUserKey(t, "careful-user")
	if _, err := p.v.iam().DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("careful-user"), AccessKeyId: &akid}); err != nil {
		t.Fatal(err)
	}
	p.putEvent(t, "aws.health", "AWS Health Event", healthEventDetail(akid))
	execs := p.waitExecutions(t, 1, 30*time.Second)
	if execs[0].Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s, want SUCCEEDED through the catch branch", execs[0].Status)
	}
	m := p.notifications(t, 1)[0]
	if !strings.Contains(m["Subject"], "deletion failed") {
		t.Errorf("subject %q does not say the deletion failed", m["Subject"])
	}
	for _, want := range []string{akid, "Error: Iam.NoSuchEntityException", "could not delete it"} {
		if !strings.Contains(m["Message"], want) {
			t.Errorf("notification lacks %q:\n%s", want, m["Message"])
		}
	}
}

func TestPlaybookTrustedAdvisorEvent(t *testing.T) {
	p := startPlaybook(t)
	akid, _ := p.newUserKey(t, "ta-user")
	detail := `{"check-name": "Exposed Access Keys", "check-item-detail": {"Case ID": "02648f3b-e8d0-4bd6-b2e0-example",
		"Usage (USD per Day)": "0", "User Name (IAM or Root)": "ta-user", "Deadline For Resolution": "01/24/2027 22:40 UTC",
		"Access Key ID": "` + akid + `", "Time Updated": "01/17/2027 22:42 UTC", "Location": "https://github.com/example"},
		"status": "ERROR", "resource_id": "", "uuid": "aa12345f-55c7-498e-b7ac-123456781234"}`
	p.putEvent(t, "aws.trustedadvisor", "Trusted Advisor Check Item Refresh Notification", detail)
	execs := p.waitExecutions(t, 1, 30*time.Second)
	if execs[0].Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s", execs[0].Status)
	}
	keys, err := p.v.iam().ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String("ta-user")})
	if err != nil || len(keys.AccessKeyMetadata) != 0 {
		t.Fatalf("ta-user keys after the response: %v, %v", keys, err)
	}
	if m := p.notifications(t, 1)[0]; !strings.Contains(m["Subject"], "ta-user") {
		t.Errorf("subject %q", m["Subject"])
	}
}

// TestPlaybookSurvivesKill accepts several exposure events, kills the
// server at once, and expects every key deleted and every notification
// delivered after a restart.
func TestPlaybookSurvivesKill(t *testing.T) {
	p := startPlaybook(t)
	const n = 5
	keys := make([]string, n)
	for i := range keys {
		keys[i], _ = p.newUserKey(t, fmt.Sprintf("leaky-%d", i))
	}
	for _, k := range keys {
		p.putEvent(t, "aws.health", "AWS Health Event", healthEventDetail(k))
	}
	p.v.kill()
	p.v.restart(t)

	execs := p.waitExecutions(t, n, 60*time.Second)
	for _, e := range execs {
		if e.Status != sfntypes.ExecutionStatusSucceeded {
			t.Errorf("execution %s: %s", aws.ToString(e.Name), e.Status)
		}
	}
	for i := range keys {
		out, err := p.v.iam().ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(fmt.Sprintf("leaky-%d", i))})
		if err != nil || len(out.AccessKeyMetadata) != 0 {
			t.Errorf("leaky-%d still has keys (%v)", i, err)
		}
	}
	got := p.notifications(t, n)
	seen := map[string]bool{}
	for _, m := range got {
		for _, k := range keys {
			if strings.Contains(m["Message"], k) {
				seen[k] = true
			}
		}
	}
	if len(seen) != n {
		t.Errorf("notifications name %d of %d keys", len(seen), n)
	}
}

func TestPlaybookInstallIsIdempotent(t *testing.T) {
	p := startPlaybook(t)
	p.v.restart(t) // installs again at start
	ctx := context.Background()
	rules, err := p.v.events().ListRules(ctx, &eventbridge.ListRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Rules) != 1 {
		t.Errorf("%d rules after a second install, want 1", len(rules.Rules))
	}
	targets, err := p.v.events().ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: rules.Rules[0].Name})
	if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != exposedKeyMachine {
		t.Errorf("targets after a second install: %+v, %v", targets, err)
	}
	machines, _ := p.v.sfn().ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	topics, _ := p.v.sns().ListTopics(ctx, &sns.ListTopicsInput{})
	if len(machines.StateMachines) != 1 || len(topics.Topics) != 1 {
		t.Errorf("%d state machines and %d topics after a second install, want 1 and 1", len(machines.StateMachines), len(topics.Topics))
	}
	// The subscription made before the restart still delivers.
	if snsConfirmedARN(t, p.v.sns(), p.topic, p.sub.URL) == "" {
		t.Error("subscription lost across the restart")
	}
}
