package sns_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
)

const (
	reportingRole = "arn:aws:iam::" + testAccount + ":role/ReportingApplicationRole"
	ccARN         = "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"
	emailARN      = "arn:aws:dataprotection::aws:data-identifier/EmailAddress"
)

// expensePolicy is the blog post's policy (seed 003): mask employee ids
// and card numbers for subscriptions ReportingApplicationRole created.
const expensePolicy = `{"Name":"__example_data_protection_policy","Version":"2021-06-01",
 "Configuration":{"CustomDataIdentifier":[{"Name":"MyCompanyEmployeeId","Regex":"EID-\\d{9}-US"}]},
 "Statement":[{"Principal":["` + reportingRole + `"],"DataDirection":"Outbound",
   "DataIdentifier":["MyCompanyEmployeeId","` + ccARN + `"],
   "Operation":{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"#"}}}}]}`

const expenseReport = `{"payment":{"credit_card_number":"4539894458086459"},` +
	`"reviewer":{"employee_id":"EID-123456789-US"},"contractor":{"employee_id":"CID-000012348-CA"}}`

const expenseMasked = `{"payment":{"credit_card_number":"################"},` +
	`"reviewer":{"employee_id":"################"},"contractor":{"employee_id":"CID-000012348-CA"}}`

func assumed(role, session string) identity.Principal {
	return identity.Principal{Type: identity.AssumedRole, AccountID: testAccount,
		ARN:     "arn:aws:sts::" + testAccount + ":assumed-role/" + role + "/" + session,
		RoleARN: "arn:aws:iam::" + testAccount + ":role/" + role}
}

// callAs runs an operation as p, past the front door.
func callAs(t testing.TB, e *env, p identity.Principal, action string, input any) (any, error) {
	t.Helper()
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	return e.Svc.Handle(ctx, &awsproto.Call{Service: e.Svc.Spec(), Action: action, Input: in, Caller: p, Region: testRegion})
}

// subscribeAs subscribes an HTTP endpoint as p and confirms it.
func subscribeAs(t *testing.T, e *env, p identity.Principal, topic string, sub *subscriber) string {
	t.Helper()
	before := len(sub.deliveries())
	if _, err := callAs(t, e, p, "Subscribe", map[string]any{"TopicArn": topic, "Protocol": "http", "Endpoint": sub.URL}); err != nil {
		t.Fatalf("Subscribe as %s: %v", p.ARN, err)
	}
	return confirmHTTP(t, e, topic, sub, before)
}

func TestDataProtectionPolicyAPI(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "expenses", nil)
	get := func() string {
		t.Helper()
		out, err := e.Client.GetDataProtectionPolicy(ctx, &awssns.GetDataProtectionPolicyInput{ResourceArn: &topic})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.DataProtectionPolicy)
	}
	if got := get(); got != "" {
		t.Errorf("new topic has policy %q", got)
	}
	if _, err := e.Client.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: &topic,
		DataProtectionPolicy: aws.String(expensePolicy)}); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != expensePolicy {
		t.Errorf("GetDataProtectionPolicy = %q", got)
	}
	attrs, err := e.Client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topic})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["DataProtectionPolicy"] != expensePolicy || attrs.Attributes["DataProtectionDeliveriesDenied"] != "0" {
		t.Errorf("GetTopicAttributes: %v", attrs.Attributes)
	}
	// An empty policy removes it.
	if _, err := e.Client.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: &topic,
		DataProtectionPolicy: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "" {
		t.Errorf("after removal: %q", got)
	}
	// CreateTopic takes it as a parameter or as an attribute, and
	// SetTopicAttributes as an attribute.
	out, err := e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("p1"), DataProtectionPolicy: aws.String(expensePolicy)})
	if err != nil {
		t.Fatal(err)
	}
	p1 := aws.ToString(out.TopicArn)
	if _, err := e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("p1"), DataProtectionPolicy: aws.String(expensePolicy)}); err != nil {
		t.Errorf("CreateTopic again with the same policy: %v", err)
	}
	p2 := createTopic(t, e, "p2", map[string]string{"DataProtectionPolicy": expensePolicy})
	for _, arn := range []string{p1, p2} {
		g, err := e.Client.GetDataProtectionPolicy(ctx, &awssns.GetDataProtectionPolicyInput{ResourceArn: &arn})
		if err != nil || aws.ToString(g.DataProtectionPolicy) != expensePolicy {
			t.Errorf("%s: policy %q, %v", arn, aws.ToString(g.DataProtectionPolicy), err)
		}
	}
	if _, err := e.Client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &topic,
		AttributeName: aws.String("DataProtectionPolicy"), AttributeValue: aws.String(expensePolicy)}); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != expensePolicy {
		t.Errorf("after SetTopicAttributes: %q", got)
	}
}

func TestDataProtectionPolicyErrors(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "checked", nil)
	stmt := func(op string, ids ...string) string {
		return `{"Name":"p","Version":"2021-06-01","Statement":[{"DataDirection":"Inbound","Principal":["*"],` +
			`"DataIdentifier":["` + strings.Join(ids, `","`) + `"],"Operation":` + op + `}]}`
	}
	var custom []string
	for i := range 11 {
		custom = append(custom, `{"Name":"c`+string(rune('a'+i))+`","Regex":"x"}`)
	}
	tooMany := `{"Name":"p","Version":"2021-06-01","Configuration":{"CustomDataIdentifier":[` + strings.Join(custom, ",") +
		`]},"Statement":[{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["ca"],"Operation":{"Deny":{}}}]}`
	audit := func(dest string) string {
		return stmt(`{"Audit":{"SampleRate":"10","FindingsDestination":`+dest+`}}`, ccARN)
	}
	for _, tc := range []struct {
		name, policy, want string
	}{
		{"unknown identifier", stmt(`{"Deny":{}}`, "arn:aws:dataprotection::aws:data-identifier/CreditCardNumberz"), "is not a valid Data Identifier"},
		{"undefined custom identifier", stmt(`{"Deny":{}}`, "EmployeeId"), "EmployeeId is not a valid Data Identifier"},
		{"bad operation", stmt(`{"Block":{}}`, ccARN), "Block"},
		{"two operations", stmt(`{"Deny":{},"Deidentify":{"RedactConfig":{}}}`, ccARN), "exactly one of Audit, Deidentify and Deny"},
		{"too many custom identifiers", tooMany, "the maximum is 10"},
		{"sample rate", stmt(`{"Audit":{"SampleRate":"100","NoFindingsDestination":{"S3":{"Bucket":"b-1"}}}}`, ccARN), "SampleRate 100"},
		{"log group", audit(`{"CloudWatchLogs":{"LogGroup":"/aws/vendedlogs/../../etc"}}`), "must not contain . or .."},
		{"delivery stream", audit(`{"Firehose":{"DeliveryStream":"../x"}}`), "is not a valid delivery stream name"},
		{"not JSON", `{"Name":`, "not a valid policy document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Client.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &tc.policy})
			if errorCode(err) != "InvalidParameter" || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("PutDataProtectionPolicy: %v; want InvalidParameter naming %q", err, tc.want)
			}
			_, err = e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("new"), DataProtectionPolicy: &tc.policy})
			if errorCode(err) != "InvalidParameter" || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CreateTopic: %v", err)
			}
			_, err = e.Client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &topic,
				AttributeName: aws.String("DataProtectionPolicy"), AttributeValue: &tc.policy})
			if errorCode(err) != "InvalidParameter" || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("SetTopicAttributes: %v", err)
			}
		})
	}
	missing := "arn:aws:sns:" + testRegion + ":" + testAccount + ":missing"
	_, err := e.Client.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: &missing, DataProtectionPolicy: aws.String(expensePolicy)})
	if errorCode(err) != "NotFound" {
		t.Errorf("Put on a missing topic: %v", err)
	}
	_, err = e.Client.GetDataProtectionPolicy(ctx, &awssns.GetDataProtectionPolicyInput{ResourceArn: &missing})
	if errorCode(err) != "NotFound" {
		t.Errorf("Get on a missing topic: %v", err)
	}
	_, err = e.Client.GetDataProtectionPolicy(ctx, &awssns.GetDataProtectionPolicyInput{ResourceArn: aws.String("nope")})
	if errorCode(err) != "InvalidParameter" {
		t.Errorf("Get with a bad ARN: %v", err)
	}
}

// TestDataProtectionOutbound runs the expense-report example: each
// subscriber gets its own view, signed over what it gets, and an Outbound
// Deny stops one delivery and counts it.
func TestDataProtectionOutbound(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "approvals", map[string]string{"SignatureVersion": "2"})
	deny := `{"Sid":"no-cards-to-auditors","Principal":["arn:aws:iam::` + testAccount + `:user/auditor"],"DataDirection":"Outbound",` +
		`"DataIdentifier":["` + ccARN + `"],"Operation":{"Deny":{}}}`
	policy := strings.Replace(expensePolicy, `}}}]}`, `}}},`+deny+`]}`, 1)
	if _, err := e.Client.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &policy}); err != nil {
		t.Fatal(err)
	}
	payment, reporting, auditor := newSubscriber(t), newSubscriber(t), newSubscriber(t)
	subscribeAs(t, e, assumed("PaymentApplicationRole", "payment-stack"), topic, payment)
	subscribeAs(t, e, assumed("ReportingApplicationRole", "reporting-stack"), topic, reporting)
	auditorUser := identity.Principal{Type: identity.IAMUser, AccountID: testAccount, ARN: "arn:aws:iam::" + testAccount + ":user/auditor", UserName: "auditor"}
	auditorSub := subscribeAs(t, e, auditorUser, topic, auditor)

	if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String(expenseReport)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sub  *subscriber
		want string
	}{{"payment", payment, expenseReport}, {"reporting", reporting, expenseMasked}} {
		env := tc.sub.waitFor(t, 2, 10*time.Second)[1].envelope(t)
		if env["Message"] != tc.want {
			t.Errorf("%s received %v, want %s", tc.name, env["Message"], tc.want)
		}
		if err := verifySignature(t, env); err != nil {
			t.Errorf("%s: signature does not verify over what it received: %v", tc.name, err)
		}
	}
	// A message without a card number reaches the auditor; the first did not.
	if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String(`{"status":"Approved"}`)}); err != nil {
		t.Fatal(err)
	}
	got := auditor.waitFor(t, 2, 10*time.Second)
	if len(got) != 2 || got[1].envelope(t)["Message"] != `{"status":"Approved"}` {
		t.Fatalf("auditor received %d requests; second %s", len(got), got[len(got)-1].Body)
	}
	sa, err := e.Client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &auditorSub})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Attributes["DataProtectionDeliveriesDenied"] != "1" {
		t.Errorf("subscription attributes: %v", sa.Attributes)
	}
	ta, err := e.Client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topic})
	if err != nil {
		t.Fatal(err)
	}
	if ta.Attributes["DataProtectionDeliveriesDenied"] != "1" {
		t.Errorf("topic attributes: %v", ta.Attributes)
	}
}

// TestDataProtectionInbound checks Deny and Deidentify at Publish and the
// audit findings written for the publisher.
func TestDataProtectionInbound(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "inbound", nil)
	policy := `{"Name":"inbound","Version":"2021-06-01","Statement":[
	  {"Sid":"audit","DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["` + ccARN + `","` + emailARN + `"],
	   "Operation":{"Audit":{"SampleRate":"99","FindingsDestination":{"CloudWatchLogs":{"LogGroup":"/aws/vendedlogs/sns-findings"},
	     "S3":{"Bucket":"findings-bucket"},"Firehose":{"DeliveryStream":"findings-stream"}}}}},
	  {"Sid":"no-cards","DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["` + ccARN + `"],"Operation":{"Deny":{}}},
	  {"Sid":"redact-email","DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["` + emailARN + `"],
	   "Operation":{"Deidentify":{"RedactConfig":{}}}}]}`
	if _, err := e.Client.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &policy}); err != nil {
		t.Fatal(err)
	}
	sub := newSubscriber(t)
	subscribeHTTP(t, e, topic, sub, nil)

	for range 3 { // refused, but audited: three chances for a finding
		_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("card 4539894458086459 on file")})
		if errorCode(err) != "AuthorizationError" || !strings.Contains(err.Error(), "no-cards") || strings.Contains(err.Error(), "4539894458086459") {
			t.Errorf("Publish with a card number: %v", err)
		}
	}
	for range 3 { // SampleRate 99: three chances for a finding
		if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("reply to ops@example.com please")}); err != nil {
			t.Fatal(err)
		}
	}
	got := sub.waitFor(t, 4, 10*time.Second)
	if m := got[1].envelope(t)["Message"]; m != "reply to  please" {
		t.Errorf("subscriber received %q, want the address redacted", m)
	}
	if len(got) != 4 {
		t.Errorf("subscriber received %d requests, want 4 (the denied message is not delivered)", len(got))
	}
	// Findings are written by jobs: wait until every destination has both.
	var files []string
	complete := func() bool {
		files = nil
		both := true
		filepath.WalkDir(filepath.Join(e.Dir, "findings"), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, path)
				b, _ := os.ReadFile(path)
				both = both && strings.Contains(string(b), `"EmailAddress"`) && strings.Contains(string(b), `"CreditCardNumber"`)
			}
			return nil
		})
		return both && len(files) == 3
	}
	for deadline := time.Now().Add(10 * time.Second); !complete() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if len(files) != 3 {
		t.Fatalf("findings files %v, want one per destination", files)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join(e.Dir, "findings"), f)
		if !strings.HasPrefix(rel, "logs/aws/vendedlogs/sns-findings/") && !strings.HasPrefix(rel, "firehose/findings-stream/") &&
			!strings.HasPrefix(rel, "s3/findings-bucket/AWSLogs/"+testAccount+"/SNS/"+testRegion+"/") {
			t.Errorf("unexpected findings file %s", rel)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		type finding struct {
			MessageID       string `json:"messageId"`
			CallerPrincipal string `json:"callerPrincipal"`
			ResourceARN     string `json:"resourceArn"`
			DataIdentifiers []struct {
				Name       string
				Count      int
				Detections []struct{ Start, End int }
			} `json:"dataIdentifiers"`
		}
		found := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var rec finding
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			if rec.ResourceARN != topic || rec.CallerPrincipal != "arn:aws:iam::"+testAccount+":root" || rec.MessageID == "" ||
				len(rec.DataIdentifiers) != 1 || rec.DataIdentifiers[0].Count != 1 || len(rec.DataIdentifiers[0].Detections) != 1 {
				t.Errorf("%s: finding %s", rel, line)
				continue
			}
			id := rec.DataIdentifiers[0]
			found[id.Name] = true
			if id.Name == "EmailAddress" && id.Detections[0] != (struct{ Start, End int }{9, 24}) {
				t.Errorf("%s: finding %s", rel, line)
			}
		}
		if !found["EmailAddress"] || !found["CreditCardNumber"] {
			t.Errorf("%s: findings for %v, want the address and the refused card number", rel, found)
		}
		if strings.Contains(string(b), "ops@example.com") {
			t.Errorf("%s holds the sensitive data itself", rel)
		}
	}
}
