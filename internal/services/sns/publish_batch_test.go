package sns_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services/sns"
)

func strAttr(v string) map[string]types.MessageAttributeValue {
	return map[string]types.MessageAttributeValue{"severity": {DataType: aws.String("String"), StringValue: aws.String(v)}}
}

// TestPublishBatch publishes one batch whose entries meet every fate: a
// delivery, a filter policy that keeps a message away, a JSON structure,
// and per-entry refusals by validation and by the topic's data protection
// policy, which leave the other entries published.
func TestPublishBatch(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "batch", nil)
	deny := `{"Name":"p","Version":"2021-06-01","Statement":[{"Sid":"no-cards","DataDirection":"Inbound","Principal":["*"],` +
		`"DataIdentifier":["` + ccARN + `"],"Operation":{"Deny":{}}},` +
		`{"Sid":"redact-email","DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["` + emailARN + `"],` +
		`"Operation":{"Deidentify":{"RedactConfig":{}}}}]}`
	if _, err := e.Client.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &deny}); err != nil {
		t.Fatal(err)
	}
	sub := newSubscriber(t)
	subARN := subscribeHTTP(t, e, topic, sub, map[string]string{"FilterPolicy": `{"severity":["high"]}`})

	out, err := e.Client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("high-1"), Message: aws.String("first"), Subject: aws.String("Alert"), MessageAttributes: strAttr("high")},
		{Id: aws.String("low"), Message: aws.String("filtered out"), MessageAttributes: strAttr("low")},
		{Id: aws.String("card"), Message: aws.String("card 4539894458086459"), MessageAttributes: strAttr("high")},
		{Id: aws.String("empty"), Message: aws.String(""), MessageAttributes: strAttr("high")},
		{Id: aws.String("structured"), Message: aws.String(`{"default":"plain","http":"for http"}`), MessageStructure: aws.String("json"),
			MessageAttributes: strAttr("high")},
		{Id: aws.String("redacted"), Message: aws.String("reply to ops@example.com"), MessageAttributes: strAttr("high")},
		{Id: aws.String("bad-number"), Message: aws.String("m"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("ten")}}},
		{Id: aws.String("fifo-only"), Message: aws.String("m"), MessageGroupId: aws.String("g")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, s := range out.Successful {
		ids[aws.ToString(s.Id)] = aws.ToString(s.MessageId)
	}
	if len(out.Successful) != 4 || ids["high-1"] == "" || ids["low"] == "" || ids["structured"] == "" || ids["redacted"] == "" {
		t.Fatalf("Successful = %+v", ids)
	}
	wantFailed := map[string]string{"card": "AuthorizationError", "empty": "InvalidParameter",
		"bad-number": "ParameterValueInvalid", "fifo-only": "InvalidParameter"}
	if len(out.Failed) != len(wantFailed) {
		t.Errorf("%d failed entries, want %d", len(out.Failed), len(wantFailed))
	}
	for _, f := range out.Failed {
		id := aws.ToString(f.Id)
		if aws.ToString(f.Code) != wantFailed[id] || !f.SenderFault || aws.ToString(f.Message) == "" {
			t.Errorf("failed entry %s: %s %q sender=%v", id, aws.ToString(f.Code), aws.ToString(f.Message), f.SenderFault)
		}
		if strings.Contains(aws.ToString(f.Message), "4539894458086459") {
			t.Errorf("failure of %s repeats the card number: %s", id, aws.ToString(f.Message))
		}
	}

	// The confirmation, then the three high-severity messages that passed.
	got := sub.waitFor(t, 4, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := len(sub.deliveries()); n != 4 {
		t.Fatalf("subscriber got %d requests, want 4", n)
	}
	byID := map[string]map[string]any{}
	for _, d := range got[1:] {
		env := d.envelope(t)
		byID[env["MessageId"].(string)] = env
		if d.Header.Get("x-amz-sns-subscription-arn") != subARN {
			t.Errorf("delivery to %s", d.Header.Get("x-amz-sns-subscription-arn"))
		}
		if err := verifySignature(t, env); err != nil {
			t.Errorf("signature: %v", err)
		}
	}
	first, structured := byID[ids["high-1"]], byID[ids["structured"]]
	if first == nil || first["Message"] != "first" || first["Subject"] != "Alert" {
		t.Errorf("first message delivered as %v", first)
	}
	if attrs, _ := first["MessageAttributes"].(map[string]any); attrs["severity"] == nil {
		t.Errorf("message attributes not delivered: %v", first["MessageAttributes"])
	}
	if structured == nil || structured["Message"] != "for http" {
		t.Errorf("structured message delivered as %v", structured)
	}
	if r := byID[ids["redacted"]]; r == nil || r["Message"] != "reply to " {
		t.Errorf("de-identified message delivered as %v", r)
	}
}

// TestPublishBatchRequestErrors checks what fails the whole batch.
func TestPublishBatchRequestErrors(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "batch-errors", nil)
	entry := func(id, msg string) types.PublishBatchRequestEntry {
		return types.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String(msg)}
	}
	var eleven, ten []types.PublishBatchRequestEntry
	for i := range 11 {
		eleven = append(eleven, entry(fmt.Sprint("e", i), "m"))
	}
	ten = eleven[:10]
	half := strings.Repeat("x", 128*1024)
	tests := []struct {
		name    string
		topic   string
		entries []types.PublishBatchRequestEntry
		code    string
	}{
		{"empty", topic, []types.PublishBatchRequestEntry{}, "EmptyBatchRequest"},
		{"eleven entries", topic, eleven, "TooManyEntriesInBatchRequest"},
		{"ten entries", topic, ten, ""},
		{"repeated id", topic, []types.PublishBatchRequestEntry{entry("a", "m"), entry("b", "m"), entry("a", "m")}, "BatchEntryIdsNotDistinct"},
		{"id with a space", topic, []types.PublishBatchRequestEntry{entry("a b", "m")}, "InvalidBatchEntryId"},
		{"empty id", topic, []types.PublishBatchRequestEntry{entry("", "m")}, "InvalidBatchEntryId"},
		{"id of 81 characters", topic, []types.PublishBatchRequestEntry{entry(strings.Repeat("i", 81), "m")}, "InvalidBatchEntryId"},
		{"id of 80 characters", topic, []types.PublishBatchRequestEntry{entry(strings.Repeat("i", 80), "m")}, ""},
		{"256 KiB together", topic, []types.PublishBatchRequestEntry{entry("a", half), entry("b", half)}, ""},
		{"over 256 KiB together", topic, []types.PublishBatchRequestEntry{entry("a", half), entry("b", half+"x")}, "BatchRequestTooLong"},
		{"missing topic", "arn:aws:sns:us-east-1:123456789012:missing", []types.PublishBatchRequestEntry{entry("a", "m")}, "NotFound"},
		{"malformed topic", "nope", []types.PublishBatchRequestEntry{entry("a", "m")}, "InvalidParameter"},
		{"other account", "arn:aws:sns:us-east-1:999999999999:x", []types.PublishBatchRequestEntry{entry("a", "m")}, "AuthorizationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.Client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(tt.topic), PublishBatchRequestEntries: tt.entries})
			if tt.code == "" {
				if err != nil || len(out.Successful) != len(tt.entries) || len(out.Failed) != 0 {
					t.Fatalf("PublishBatch: %v, %+v", err, out)
				}
				return
			}
			if got := errorCode(err); got != tt.code {
				t.Fatalf("error %v, want code %s", err, tt.code)
			}
		})
	}
}

// TestPublishBatchInvoked checks the JSON result a service-to-service
// caller (a Step Functions task) receives, member names as botocore's.
func TestPublishBatchInvoked(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "invoked", nil)
	root := identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + testAccount + ":root", AccountID: testAccount}
	res, err := callAs(t, e, root, "PublishBatch", map[string]any{"TopicArn": topic, "PublishBatchRequestEntries": []map[string]any{
		{"Id": "ok", "Message": "m"}, {"Id": "bad", "Message": "m", "Subject": " leading space"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	var out struct {
		Successful []struct{ Id, MessageId string }
		Failed     []struct {
			Id, Code, Message string
			SenderFault       bool
		}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 1 || out.Successful[0].Id != "ok" || out.Successful[0].MessageId == "" ||
		len(out.Failed) != 1 || out.Failed[0].Id != "bad" || out.Failed[0].Code != "InvalidParameter" || !out.Failed[0].SenderFault {
		t.Fatalf("result %s", b)
	}
	if _, ok := res.(*sns.PublishBatchResult); !ok {
		t.Fatalf("result is %T", res)
	}
	// awsQuery sends an empty list as an empty value.
	_, err = e.Svc.Handle(ctx, &awsproto.Call{Service: e.Svc.Spec(), Action: "PublishBatch", Caller: root, Region: testRegion,
		Input: json.RawMessage(`{"TopicArn":"` + topic + `","PublishBatchRequestEntries":""}`)})
	var ae *awsproto.Error
	if !errors.As(err, &ae) || ae.Code != "EmptyBatchRequest" {
		t.Fatalf("empty awsQuery list: %v", err)
	}
}

// BenchmarkPublishBatch publishes ten messages per operation through the
// SDK and the front door, as one PublishBatch or as ten Publish calls, to
// a topic without subscribers: the cost of the calls and their commits.
func BenchmarkPublishBatch(b *testing.B) {
	e := newEnv(b)
	out, err := e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	topic := out.TopicArn
	var entries []types.PublishBatchRequestEntry
	for i := range 10 {
		entries = append(entries, types.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint("m", i)),
			Message: aws.String(`{"detail":{"user":"alice","key":"AKIAEXAMPLE"}}`), MessageAttributes: strAttr("high")})
	}
	b.Run("PublishBatch", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic, PublishBatchRequestEntries: entries}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Publish", func(b *testing.B) {
		for b.Loop() {
			for _, en := range entries {
				if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: en.Message, MessageAttributes: en.MessageAttributes}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
