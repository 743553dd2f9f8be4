package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// SNS message data protection (issue 6) through the real server: the
// expense-report example of seed 003 with real roles and HTTP endpoints,
// Deny in both directions, audit findings on disk, validation, the IAM
// actions, a restart, and the AWS CLI.

// The three JSON blocks of seed 003's expense-report walk-through, as the
// post shows them (without the post's indentation): the topic's policy,
// the report published, and what the reporting subscriber receives.
const (
	seedPolicy = `{
    "Name": "__example_data_protection_policy",
    "Description": "This policy protects sensitive data in expense reports",
    "Version": "2021-06-01",
    "Configuration": {
        "CustomDataIdentifier": [{
            "Name": "MyCompanyEmployeeId", "Regex": "EID-\d{9}-US"
        }]
    },
    "Statement": [{
        "Principal": [
            "arn:aws:iam::123456789012:role/ReportingApplicationRole"
        ],
        "DataDirection": "Outbound",
        "DataIdentifier": [
            "MyCompanyEmployeeId",
            "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"
        ],
        "Operation": { "Deidentify": { "MaskConfig": { "MaskWithCharacter": "#" } } }
    }]
}
`
	seedPublished = `{
    "expense": {
        "currency": "USD",
        "amount": 175.99,
        "category": "Office Supplies",
        "status": "Approved",
        "created_at": "2023-10-17T20:03:44+0000",
        "updated_at": "2023-10-19T14:21:51+0000"
    },
    "payment": {
        "credit_card_network": "Visa",
        "credit_card_number": "4539894458086459"
    },
    "reviewer": {
        "employee_id": "EID-123456789-US",
        "employee_location": "Seattle, USA"
    },
    "contractor": {
        "employee_id": "CID-000012348-CA",
        "employee_location": "Vancouver, CAN"
    }
}
`
	seedReporting = `{
    "expense": {
        "currency": "USD",
        "amount": 175.99,
        "category": "Office Supplies",
        "status": "Approved",
        "created_at": "2023-10-17T20:03:44+0000",
        "updated_at": "2023-10-19T14:21:51+0000"
    },
    "payment": {
        "credit_card_network": "Visa",
        "credit_card_number": "################"
    },
    "reviewer": {
        "employee_id": "################",
        "employee_location": "Seattle, USA"
    },
    "contractor": {
        "employee_id": "CID-000012348-CA",
        "employee_location": "Vancouver, CAN"
    }
}
`
	seedAccount = "123456789012"
)

// checkSeedBlocks compares the constants with seed 003 when the shared
// seeds are beside the repository, so the test provably runs the post's
// own example.
func checkSeedBlocks(t *testing.T) {
	t.Helper()
	matches, _ := filepath.Glob("../../shared/seeds/003_*.txt")
	if len(matches) == 0 {
		t.Log("seed 003 is not beside the repository; using the embedded copy")
		return
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	block := func(marker string) string {
		i := 0
		for i < len(lines) && !strings.Contains(lines[i], marker) {
			i++
		}
		for i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "{") {
			i++
		}
		if i == len(lines) {
			t.Fatalf("seed 003: no JSON block after %q", marker)
		}
		indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " "))]
		var b strings.Builder
		for ; i < len(lines); i++ {
			b.WriteString(strings.TrimPrefix(lines[i], indent) + "\n")
			if lines[i] == indent+"}" {
				break
			}
		}
		return b.String()
	}
	for _, c := range []struct{ marker, want string }{
		{"expands the data protection policy to include the Operation", seedPolicy},
		{"enter the following message payload", seedPublished},
		{"You will see that the values for properties", seedReporting},
	} {
		if got := block(c.marker); got != c.want {
			t.Fatalf("seed 003 block after %q differs from the embedded copy:\n%s", c.marker, got)
		}
	}
}

// dpRole creates a role the deployer may assume, allowed to subscribe, and
// returns an SNS client acting as a session of it.
func dpRole(t *testing.T, v *vigil, deployer aws.Config, deployerARN, name string) *sns.Client {
	t.Helper()
	ctx := context.Background()
	trust := azPolicy(`{"Effect":"Allow","Principal":{"AWS":"` + deployerARN + `"},"Action":"sts:AssumeRole"}`)
	if _, err := v.iam().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.iam().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("subscribe"),
		PolicyDocument: aws.String(azPolicy(`{"Effect":"Allow","Action":"sns:Subscribe","Resource":"*"}`))}); err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(deployer).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + seedAccount + ":role/" + name), RoleSessionName: aws.String(strings.ToLower(name))})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	return sns.NewFromConfig(v.withSession(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
}

// dpSubscribe subscribes an HTTP endpoint with c, confirms it through its
// SubscribeURL, and returns the subscription's ARN.
func dpSubscribe(t *testing.T, v *vigil, c *sns.Client, topic string, sub *snsSubscriber) string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	conf := sub.waitRequests(t, 1, 20*time.Second)[0].snsMessage(t)
	if _, err := v.sns().ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String(conf["Token"])}); err != nil {
		t.Fatal(err)
	}
	arn := snsConfirmedARN(t, v.sns(), topic, sub.URL)
	if arn == "" {
		t.Fatalf("subscription of %s is not confirmed", sub.URL)
	}
	return arn
}

// TestSNSDataProtectionSeed003 runs the post's expense-report example: the
// payment subscriber gets the published bytes, the subscriber that
// ReportingApplicationRole created gets the card number and the reviewer's
// employee id masked, each signed over what it received.
func TestSNSDataProtectionSeed003(t *testing.T) {
	checkSeedBlocks(t)
	v := startVigil(t, "--account-id", seedAccount)
	ctx := context.Background()
	vigilHost := strings.TrimPrefix(v.URL, "http://")

	deployer := azUser(t, v, "deployer")
	azPutUserPolicy(t, v, "deployer", "assume", azPolicy(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`))
	deployerARN := "arn:aws:iam::" + seedAccount + ":user/deployer"
	payment := dpRole(t, v, deployer, deployerARN, "PaymentApplicationRole")
	reporting := dpRole(t, v, deployer, deployerARN, "ReportingApplicationRole")

	out, err := v.sns().CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ApprovalTopic"), DataProtectionPolicy: aws.String(seedPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	topic := aws.ToString(out.TopicArn)
	paymentEP, reportingEP := newSNSSubscriber(t), newSNSSubscriber(t)
	dpSubscribe(t, v, payment, topic, paymentEP)
	reportingSub := dpSubscribe(t, v, reporting, topic, reportingEP)
	attrs, err := v.sns().GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: &reportingSub})
	if err != nil {
		t.Fatal(err)
	}
	if p := attrs.Attributes["SubscriptionPrincipal"]; p != "arn:aws:sts::"+seedAccount+":assumed-role/ReportingApplicationRole/reportingapplicationrole" {
		t.Errorf("SubscriptionPrincipal = %q", p)
	}

	if _, err := v.sns().Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String(seedPublished)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ep   *snsSubscriber
		want string
	}{{"payment", paymentEP, seedPublished}, {"reporting", reportingEP, seedReporting}} {
		m := c.ep.waitRequests(t, 2, 20*time.Second)[1].snsMessage(t)
		if m["Message"] != c.want {
			t.Errorf("%s subscriber received\n%s\nwant\n%s", c.name, m["Message"], c.want)
		}
		if err := snsVerify(m, vigilHost); err != nil {
			t.Errorf("%s subscriber: signature over what it received: %v", c.name, err)
		}
	}
}

// dpPolicy is a data protection policy for the tests below: publisher may
// not publish card numbers, auditor's subscriptions get no e-mail
// addresses, and every publish is audited.
func dpPolicy(account string) string {
	return `{"Name":"alerts-protection","Version":"2021-06-01",
	  "Configuration":{"CustomDataIdentifier":[{"Name":"TicketId","Regex":"TKT-[0-9]{6}"}]},
	  "Statement":[
	    {"Sid":"audit-all","DataDirection":"Inbound","Principal":["*"],
	     "DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/CreditCardNumber","TicketId"],
	     "Operation":{"Audit":{"SampleRate":"99",
	       "FindingsDestination":{"CloudWatchLogs":{"LogGroup":"/aws/vendedlogs/sns/alerts"},"S3":{"Bucket":"audit-bucket"}},
	       "NoFindingsDestination":{"Firehose":{"DeliveryStream":"clean-messages"}}}}},
	    {"Sid":"no-cards-from-publisher","DataDirection":"Inbound","Principal":["arn:aws:iam::` + account + `:user/publisher"],
	     "DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"],"Operation":{"Deny":{}}},
	    {"Sid":"no-email-to-auditor","DataDirection":"Outbound","Principal":["arn:aws:iam::` + account + `:user/auditor"],
	     "DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deny":{}}}]}`
}

// findingLines reads the JSON lines of the findings files under dir.
func findingLines(t *testing.T, dir string) []map[string]any {
	t.Helper()
	var out []map[string]any
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil {
				out = append(out, m)
			}
		}
		return nil
	})
	return out
}

func TestSNSDataProtectionDenyAuditRestart(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.sns()
	out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil {
		t.Fatal(err)
	}
	topic := aws.ToString(out.TopicArn)
	policy := dpPolicy(e2eAccount)
	if _, err := c.PutDataProtectionPolicy(ctx, &sns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &policy}); err != nil {
		t.Fatal(err)
	}

	publisher := azUser(t, v, "publisher")
	azPutUserPolicy(t, v, "publisher", "publish", azPolicy(`{"Effect":"Allow","Action":"sns:Publish","Resource":"`+topic+`"}`))
	auditor := azUser(t, v, "auditor")
	azPutUserPolicy(t, v, "auditor", "subscribe", azPolicy(`{"Effect":"Allow","Action":"sns:Subscribe","Resource":"`+topic+`"}`))
	ops, audit := newSNSSubscriber(t), newSNSSubscriber(t)
	dpSubscribe(t, v, c, topic, ops)
	auditSub := dpSubscribe(t, v, sns.NewFromConfig(auditor), topic, audit)

	// Inbound Deny: the publisher's card number is refused and stored
	// nowhere (the audit still sees it: three tries, three chances).
	card := `{"alert":"payment retry","card":"4539894458086459"}`
	for range 3 {
		_, err = sns.NewFromConfig(publisher).Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: &card})
		wantDenied(t, err, "AuthorizationError", 403, "User: arn:aws:iam::"+e2eAccount+":user/publisher is not authorized to perform: SNS:Publish on resource: "+topic)
		if err != nil && strings.Contains(err.Error(), "4539894458086459") {
			t.Errorf("the refusal repeats the card number: %v", err)
		}
	}
	// The same message from the root is allowed; so are ticket numbers.
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: &card}); err != nil {
		t.Fatal(err)
	}
	got := ops.waitRequests(t, 2, 20*time.Second)
	if m := got[1].snsMessage(t)["Message"]; m != card {
		t.Errorf("ops received %q, want the root's message", m)
	}
	for _, m := range []string{`{"ticket":"TKT-000001"}`, `{"ticket":"TKT-000002"}`, `{"ticket":"TKT-000003"}`,
		`{"alert":"all clear"}`, `{"alert":"all clear"}`, `{"alert":"all clear"}`} {
		if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}

	// Outbound Deny: a message with an e-mail address reaches ops, not the
	// auditor's subscription, which counts it.
	mail := `{"alert":"login from new device","user":"jane.doe@example.com"}`
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: &mail}); err != nil {
		t.Fatal(err)
	}
	ops.waitRequests(t, 9, 20*time.Second)
	eventually(t, 20*time.Second, func() error {
		a, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: &auditSub})
		if err != nil {
			return err
		}
		if n := a.Attributes["DataProtectionDeliveriesDenied"]; n != "1" {
			return fmt.Errorf("DataProtectionDeliveriesDenied = %q", n)
		}
		return nil
	})
	for _, r := range audit.waitRequests(t, 8, 20*time.Second) {
		if strings.Contains(string(r.Body), "jane.doe") {
			t.Errorf("the auditor's endpoint received the address: %s", r.Body)
		}
	}
	if log := v.Log(); !strings.Contains(log, "delivery denied by the topic's data protection policy") || strings.Contains(log, "jane.doe@example.com") {
		t.Errorf("the log lacks the denial or holds the address")
	}
	ta, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &topic})
	if err != nil {
		t.Fatal(err)
	}
	if ta.Attributes["DataProtectionPolicy"] != policy || ta.Attributes["DataProtectionDeliveriesDenied"] != "1" {
		t.Errorf("topic attributes: policy set %v, denied %q", ta.Attributes["DataProtectionPolicy"] != "", ta.Attributes["DataProtectionDeliveriesDenied"])
	}

	// Audit findings: card numbers (the publisher's refused ones too) and
	// ticket ids, under the log group and in the bucket folder, with no
	// data; messages without findings under the delivery stream.
	logDir := filepath.Join(v.Dir, "findings", "logs", "aws", "vendedlogs", "sns", "alerts")
	s3Dir := filepath.Join(v.Dir, "findings", "s3", "audit-bucket", "AWSLogs", e2eAccount, "SNS", "us-east-1")
	var logs []map[string]any
	eventually(t, 20*time.Second, func() error {
		logs = findingLines(t, logDir)
		names, callers := map[string]bool{}, map[any]bool{}
		for _, f := range logs {
			callers[f["callerPrincipal"]] = true
			ids, _ := f["dataIdentifiers"].([]any)
			for _, id := range ids {
				names[id.(map[string]any)["name"].(string)] = true
			}
		}
		if !names["CreditCardNumber"] || !names["TicketId"] || !callers["arn:aws:iam::"+e2eAccount+":user/publisher"] {
			return fmt.Errorf("findings name %v for %v", names, callers)
		}
		if n := len(findingLines(t, s3Dir)); n != len(logs) {
			return fmt.Errorf("%d findings in the bucket folder, %d in the log group", n, len(logs))
		}
		return nil
	})
	for _, f := range logs {
		caller := f["callerPrincipal"]
		if f["resourceArn"] != topic || f["messageId"] == "" ||
			caller != "arn:aws:iam::"+e2eAccount+":root" && caller != "arn:aws:iam::"+e2eAccount+":user/publisher" {
			t.Errorf("finding %v", f)
		}
	}
	eventually(t, 20*time.Second, func() error {
		for _, f := range findingLines(t, filepath.Join(v.Dir, "findings", "firehose", "clean-messages")) {
			if ids, _ := f["dataIdentifiers"].([]any); len(ids) == 0 && f["resourceArn"] == topic {
				return nil
			}
		}
		return errors.New("no record without findings under the NoFindingsDestination delivery stream")
	})
	raw, _ := exec.Command("grep", "-r", "4539894458086459", filepath.Join(v.Dir, "findings")).CombinedOutput()
	if len(raw) > 0 {
		t.Errorf("a findings file holds the card number: %s", raw)
	}

	// The policy survives a crash and is still enforced.
	v.restart(t)
	c = v.sns()
	g, err := c.GetDataProtectionPolicy(ctx, &sns.GetDataProtectionPolicyInput{ResourceArn: &topic})
	if err != nil || aws.ToString(g.DataProtectionPolicy) != policy {
		t.Fatalf("after restart: %q, %v", aws.ToString(g.DataProtectionPolicy), err)
	}
	_, err = sns.NewFromConfig(publisher).Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: &card})
	wantDenied(t, err, "AuthorizationError", 403, "data protection policy")
}

// TestSNSDataProtectionAPI covers the operations' validation and their IAM
// actions.
func TestSNSDataProtectionAPI(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.sns()
	out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("api")})
	if err != nil {
		t.Fatal(err)
	}
	topic := aws.ToString(out.TopicArn)
	base := func(stmt string) string {
		return `{"Name":"p","Version":"2021-06-01","Statement":[` + stmt + `]}`
	}
	for _, tc := range []struct{ name, policy, msg string }{
		{"unknown identifier", base(`{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/Nope"],"Operation":{"Deny":{}}}`),
			"arn:aws:dataprotection::aws:data-identifier/Nope is not a valid Data Identifier"},
		{"undefined custom identifier", base(`{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["EmployeeId"],"Operation":{"Deny":{}}}`),
			"EmployeeId is not a valid Data Identifier"},
		{"bad operation", base(`{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/Ssn-US"],"Operation":{}}`),
			"Operation must contain exactly one of Audit, Deidentify and Deny"},
		{"bad direction", base(`{"DataDirection":"Sideways","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/Ssn-US"],"Operation":{"Deny":{}}}`),
			"DataDirection"},
		{"too large", base(`{"Sid":"` + strings.Repeat("x", 31000) + `"}`), "the maximum is 30720"},
	} {
		_, err := c.PutDataProtectionPolicy(ctx, &sns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: aws.String(tc.policy)})
		wantDenied(t, err, "InvalidParameter", 400, tc.msg)
	}
	missing := "arn:aws:sns:us-east-1:" + e2eAccount + ":missing"
	_, err = c.GetDataProtectionPolicy(ctx, &sns.GetDataProtectionPolicyInput{ResourceArn: &missing})
	wantAPIError(t, err, "NotFound", 404)

	// sns:GetDataProtectionPolicy and sns:PutDataProtectionPolicy are
	// checked on the topic.
	reader := azUser(t, v, "reader")
	azPutUserPolicy(t, v, "reader", "read", azPolicy(`{"Effect":"Allow","Action":"sns:GetDataProtectionPolicy","Resource":"`+topic+`"}`))
	rc := sns.NewFromConfig(reader)
	if _, err := rc.GetDataProtectionPolicy(ctx, &sns.GetDataProtectionPolicyInput{ResourceArn: &topic}); err != nil {
		t.Errorf("GetDataProtectionPolicy allowed by policy: %v", err)
	}
	_, err = rc.PutDataProtectionPolicy(ctx, &sns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: aws.String(dpPolicy(e2eAccount))})
	wantDenied(t, err, "AuthorizationError", 403, "is not authorized to perform: SNS:PutDataProtectionPolicy on resource: "+topic)
	if g, _ := c.GetDataProtectionPolicy(ctx, &sns.GetDataProtectionPolicyInput{ResourceArn: &topic}); aws.ToString(g.DataProtectionPolicy) != "" {
		t.Errorf("a refused Put changed the policy")
	}
}

// TestSNSDataProtectionAWSCLI drives the operations with the AWS CLI.
func TestSNSDataProtectionAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI is not installed; ./test.sh installs awscli")
	}
	v := startVigil(t)
	awsCLI := func(args ...string) string {
		t.Helper()
		return v.awsCLI(t, args...)
	}
	policy := dpPolicy(e2eAccount)
	topic := awsCLI("sns", "create-topic", "--name", "cli-alerts", "--query", "TopicArn")
	awsCLI("sns", "put-data-protection-policy", "--resource-arn", topic, "--data-protection-policy", policy)
	if got := awsCLI("sns", "get-data-protection-policy", "--resource-arn", topic, "--query", "DataProtectionPolicy"); got != strings.TrimSpace(policy) {
		t.Errorf("get-data-protection-policy = %q", got)
	}
	t2 := awsCLI("sns", "create-topic", "--name", "cli-seed", "--data-protection-policy", seedPolicy, "--query", "TopicArn")
	if got := awsCLI("sns", "get-data-protection-policy", "--resource-arn", t2, "--query", "DataProtectionPolicy"); !strings.Contains(got, "ReportingApplicationRole") {
		t.Errorf("create-topic --data-protection-policy stored %q", got)
	}
}
