package e2e

// Regression tests for what QA of issue 2 found with the AWS CLI and boto3:
// each drives the real binary the way the failing request did.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// qaResponse is a raw response: status, error code (JSON __type or the
// awsQuery <Code>) and body.
type qaResponse struct {
	status int
	code   string
	body   string
}

// qaSend signs and sends a raw request for service: a JSON body when
// target is set (X-Amz-Target), else an awsQuery form.
func qaSend(t *testing.T, v *vigil, service, target, contentType, body string) qaResponse {
	t.Helper()
	ctx := context.Background()
	creds, err := v.Cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodPost, v.URL+"/", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	if target != "" {
		r.Header.Set("X-Amz-Target", target)
	}
	h := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, r, hex.EncodeToString(h[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := qaResponse{status: resp.StatusCode, body: string(b)}
	var e struct {
		Type string `json:"__type"`
	}
	if json.Unmarshal(b, &e) == nil && e.Type != "" {
		out.code = e.Type
	} else if _, rest, ok := strings.Cut(out.body, "<Code>"); ok {
		out.code, _, _ = strings.Cut(rest, "</Code>")
	}
	return out
}

func qaJSON(t *testing.T, v *vigil, service, target, body string) qaResponse {
	t.Helper()
	ct := "application/x-amz-json-1.1"
	if service == "states" {
		ct = "application/x-amz-json-1.0"
	}
	return qaSend(t, v, service, target, ct, body)
}

func qaQuery(t *testing.T, v *vigil, service string, form url.Values) qaResponse {
	t.Helper()
	return qaSend(t, v, service, "", "application/x-www-form-urlencoded; charset=utf-8", form.Encode())
}

const ctTarget = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"

// TestQATimestampsOutOfRange: epoch timestamps beyond what a date can hold
// used to overflow, so PutEvents accepted Time 1e300 and delivered an event
// dated "292277026304-08-26T15:42:51Z", and LookupEvents took StartTime
// 1e300 for a time in the distant past and listed everything.
func TestQATimestampsOutOfRange(t *testing.T) {
	v := startVigil(t)
	for _, tt := range []struct{ service, target, body, member string }{
		{"events", "AWSEvents.PutEvents", `{"Entries":[{"Source":"qa","DetailType":"d","Detail":"{}","Time":1e300}]}`, "Entries.Time"},
		{"events", "AWSEvents.PutEvents", `{"Entries":[{"Source":"qa","DetailType":"d","Detail":"{}","Time":-1e18}]}`, "Entries.Time"},
		{"cloudtrail", ctTarget, `{"StartTime":1e300}`, "StartTime"},
		{"cloudtrail", ctTarget, `{"EndTime":"10000-01-01T00:00:00Z"}`, "EndTime"},
	} {
		r := qaJSON(t, v, tt.service, tt.target, tt.body)
		if r.status != 400 || r.code != "SerializationException" || !strings.Contains(r.body, tt.member) {
			t.Errorf("%s %s = %d %s, want 400 SerializationException naming %s", tt.target, tt.body, r.status, r.body, tt.member)
		}
	}

	// Timestamps in range still work, through the SDK.
	ctx := context.Background()
	at := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	out, err := v.events().PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("qa"), DetailType: aws.String("d"), Detail: aws.String("{}"), Time: &at}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents with Time %v: %+v, %v", at, out, err)
	}
	_, err = v.cloudtrail().LookupEvents(ctx, &cloudtrail.LookupEventsInput{
		StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Minute))})
	if err != nil {
		t.Fatalf("LookupEvents with a plain time range: %v", err)
	}
}

// TestQAMalformedInputMessages: input of the wrong JSON type was answered
// with encoding/json's words ("cannot unmarshal object into Go struct
// field putEventsInput.Entries of type []events.putEventsEntry"). The
// error must name the member in the model's terms, with each protocol's code.
func TestQAMalformedInputMessages(t *testing.T) {
	v := startVigil(t)
	checks := []struct {
		name   string
		resp   qaResponse
		code   string
		status int
		want   string
	}{
		{"PutEvents Entries object", qaJSON(t, v, "events", "AWSEvents.PutEvents", `{"Entries":{"a":1}}`),
			"SerializationException", 400, "member Entries must be a list"},
		{"PutEvents Detail object", qaJSON(t, v, "events", "AWSEvents.PutEvents", `{"Entries":[{"Source":"a","DetailType":"b","Detail":{"x":1}}]}`),
			"SerializationException", 400, "member Entries.Detail must be a string"},
		{"ListRules Limit", qaJSON(t, v, "events", "AWSEvents.ListRules", `{"Limit":1e400}`),
			"SerializationException", 400, "member Limit must be an integer"},
		{"ListStateMachines body", qaJSON(t, v, "states", "AWSStepFunctions.ListStateMachines", `[]`),
			"SerializationException", 400, "must be a structure"},
		{"ListUsers MaxItems", qaQuery(t, v, "iam", url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}, "MaxItems": {"abc"}}),
			"ValidationError", 400, `member MaxItems must be an integer`},
		{"CreateUser Tags scalar", qaQuery(t, v, "iam", url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {"u"}, "Tags.member.1": {"x"}}),
			"ValidationError", 400, "member Tags must be a structure"},
		{"TagUser member 0", qaQuery(t, v, "iam", url.Values{"Action": {"TagUser"}, "Version": {"2010-05-08"}, "UserName": {"u"},
			"Tags.member.0.Key": {"a"}, "Tags.member.0.Value": {"b"}}),
			"ValidationError", 400, "index 0 is out of range"},
		{"Publish MessageAttributes scalar", qaQuery(t, v, "sns", url.Values{"Action": {"Publish"}, "Version": {"2010-03-31"},
			"TopicArn": {"arn:aws:sns:us-east-1:000000000000:t"}, "Message": {"m"}, "MessageAttributes": {"x"}}),
			"InvalidParameter", 400, "member MessageAttributes must be a map"},
		{"Subscribe ReturnSubscriptionArn", qaQuery(t, v, "sns", url.Values{"Action": {"Subscribe"}, "Version": {"2010-03-31"},
			"TopicArn": {"arn:aws:sns:us-east-1:000000000000:t"}, "Protocol": {"email"}, "Endpoint": {"a@example.com"}, "ReturnSubscriptionArn": {"maybe"}}),
			"InvalidParameter", 400, "member ReturnSubscriptionArn must be a boolean"},
	}
	for _, c := range checks {
		if c.resp.status != c.status || c.resp.code != c.code || !strings.Contains(c.resp.body, c.want) {
			t.Errorf("%s: %d %s, want %d %s containing %q", c.name, c.resp.status, c.resp.body, c.status, c.code, c.want)
		}
		for _, leak := range []string{"Go struct", "Go value", "json: cannot"} {
			if strings.Contains(c.resp.body, leak) {
				t.Errorf("%s: message leaks Go internals (%q): %s", c.name, leak, c.resp.body)
			}
		}
	}
}

// TestQAReservedTagKeys: IAM accepted user tags in the aws: namespace,
// which AWS reserves for itself.
func TestQAReservedTagKeys(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("taggy"), Tags: []iamtypes.Tag{tag("aws:owner", "me")}})
	wantAPIError(t, err, "InvalidInput", 400)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("taggy")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("taggy"), Tags: []iamtypes.Tag{tag("team", "a"), tag("AWS:x", "y")}})
	wantAPIError(t, err, "InvalidInput", 400)
	out, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("taggy")})
	if err != nil || len(out.Tags) != 0 {
		t.Errorf("tags after refused TagUser = %+v, %v; want none", out, err)
	}
}

// TestQAListRulesShape: ListRules returned CreatedBy, a member only
// DescribeRule's output has.
func TestQAListRulesShape(t *testing.T) {
	v := startVigil(t)
	if _, err := v.events().PutRule(context.Background(), &eventbridge.PutRuleInput{Name: aws.String("r"),
		EventPattern: aws.String(`{"source":["qa"]}`)}); err != nil {
		t.Fatal(err)
	}
	r := qaJSON(t, v, "events", "AWSEvents.ListRules", `{}`)
	if r.status != 200 || !strings.Contains(r.body, `"Name":"r"`) || strings.Contains(r.body, "CreatedBy") {
		t.Errorf("ListRules = %d %s, want the rule without CreatedBy", r.status, r.body)
	}
	r = qaJSON(t, v, "events", "AWSEvents.DescribeRule", `{"Name":"r"}`)
	if !strings.Contains(r.body, `"CreatedBy":"000000000000"`) {
		t.Errorf("DescribeRule = %s, want CreatedBy", r.body)
	}
}
