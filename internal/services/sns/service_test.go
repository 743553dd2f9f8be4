package sns_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

var ctx = context.Background()

func createTopic(t *testing.T, e *env, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateTopic(%s): %v", name, err)
	}
	return *out.TopicArn
}

func TestTopicLifecycle(t *testing.T) {
	e := newEnv(t)
	arn := createTopic(t, e, "alerts", map[string]string{"DisplayName": "Alerts"})
	if want := "arn:aws:sns:us-east-1:123456789012:alerts"; arn != want {
		t.Fatalf("TopicArn = %s, want %s", arn, want)
	}
	// Same name, same attributes: the same topic.
	if again := createTopic(t, e, "alerts", map[string]string{"DisplayName": "Alerts"}); again != arn {
		t.Fatalf("second CreateTopic = %s", again)
	}
	_, err := e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("alerts"), Attributes: map[string]string{"DisplayName": "Other"}})
	if errorCode(err) != "InvalidParameter" {
		t.Fatalf("CreateTopic with different attributes: %v", err)
	}
	attrs, err := e.Client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	a := attrs.Attributes
	for k, want := range map[string]string{"TopicArn": arn, "Owner": testAccount, "DisplayName": "Alerts",
		"SubscriptionsConfirmed": "0", "SubscriptionsPending": "0", "SubscriptionsDeleted": "0", "SignatureVersion": "1"} {
		if a[k] != want {
			t.Errorf("attribute %s = %q, want %q", k, a[k], want)
		}
	}
	var policy struct {
		ID        string `json:"Id"`
		Statement []struct {
			Action    []string
			Resource  string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(a["Policy"]), &policy); err != nil || policy.ID != "__default_policy_ID" ||
		len(policy.Statement) != 1 || policy.Statement[0].Resource != arn ||
		policy.Statement[0].Condition["StringEquals"]["AWS:SourceOwner"] != testAccount {
		t.Errorf("default Policy = %s (%v)", a["Policy"], err)
	}
	var eff map[string]map[string]any
	if err := json.Unmarshal([]byte(a["EffectiveDeliveryPolicy"]), &eff); err != nil || eff["http"]["defaultHealthyRetryPolicy"] == nil {
		t.Errorf("EffectiveDeliveryPolicy = %s (%v)", a["EffectiveDeliveryPolicy"], err)
	}

	if _, err := e.Client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &arn,
		AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	attrs, _ = e.Client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &arn})
	if attrs.Attributes["SignatureVersion"] != "2" {
		t.Errorf("SignatureVersion after set = %q", attrs.Attributes["SignatureVersion"])
	}

	list, err := e.Client.ListTopics(ctx, &awssns.ListTopicsInput{})
	if err != nil || len(list.Topics) != 1 || *list.Topics[0].TopicArn != arn {
		t.Fatalf("ListTopics = %+v, %v", list, err)
	}
	if _, err := e.Client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: &arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: &arn}); err != nil {
		t.Fatalf("deleting a deleted topic: %v", err)
	}
	if _, err := e.Client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &arn}); errorCode(err) != "NotFound" {
		t.Fatalf("GetTopicAttributes after delete: %v", err)
	}
}

func TestListTopicsPages(t *testing.T) {
	e := newEnv(t)
	for i := range 105 {
		createTopic(t, e, fmt.Sprintf("t%03d", i), nil)
	}
	var all []string
	p := awssns.NewListTopicsPaginator(e.Client, &awssns.ListTopicsInput{})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tp := range out.Topics {
			all = append(all, *tp.TopicArn)
		}
	}
	if pages != 2 || len(all) != 105 || !strings.HasSuffix(all[104], ":t104") {
		t.Fatalf("pages=%d topics=%d last=%v", pages, len(all), all[len(all)-1])
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	out, err := e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("sec")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.TopicArn
	if _, err := e.Client.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: arn,
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("ir")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.UntagResource(ctx, &awssns.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.Client.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" || *tags.Tags[0].Value != "ir" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	_, err = e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("other")}}})
	if errorCode(err) != "InvalidParameter" {
		t.Fatalf("CreateTopic with other tags: %v", err)
	}
	missing := "arn:aws:sns:us-east-1:123456789012:nope"
	if _, err := e.Client.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: &missing}); errorCode(err) != "ResourceNotFound" {
		t.Fatalf("ListTagsForResource(missing): %v", err)
	}
}

// subscribeHTTP subscribes a test endpoint and confirms it by following
// the SubscribeURL of the confirmation it receives.
func subscribeHTTP(t *testing.T, e *env, topic string, sub *subscriber, attrs map[string]string) string {
	t.Helper()
	before := len(sub.deliveries())
	out, err := e.Client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"),
		Endpoint: aws.String(sub.URL), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if *out.SubscriptionArn != "pending confirmation" {
		t.Fatalf("Subscribe returned %q", *out.SubscriptionArn)
	}
	return confirmHTTP(t, e, topic, sub, before)
}

// confirmHTTP confirms the subscription of sub to topic by following the
// SubscribeURL of the confirmation, the first request sub received after
// its first before ones, and returns the confirmed subscription's ARN.
func confirmHTTP(t *testing.T, e *env, topic string, sub *subscriber, before int) string {
	t.Helper()
	d := sub.waitFor(t, before+1, 10*time.Second)[before]
	env := d.envelope(t)
	if env["Type"] != "SubscriptionConfirmation" {
		t.Fatalf("first delivery is %v", env["Type"])
	}
	resp, err := http.Get(env["SubscribeURL"].(string))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("SubscribeURL answered %s", resp.Status)
	}
	subs, err := e.Client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs.Subscriptions {
		if *s.Endpoint == sub.URL && *s.SubscriptionArn != "PendingConfirmation" {
			return *s.SubscriptionArn
		}
	}
	t.Fatalf("subscription of %s not confirmed: %+v", sub.URL, subs.Subscriptions)
	return ""
}

func TestHTTPDelivery(t *testing.T) {
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) {
			e := newEnv(t)
			topic := createTopic(t, e, "deliver", map[string]string{"SignatureVersion": version})
			sub := newSubscriber(t)
			// Publishing before confirmation reaches nobody.
			out, err := e.Client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)})
			if err != nil {
				t.Fatal(err)
			}
			_ = out
			conf := sub.waitFor(t, 1, 10*time.Second)[0]
			if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("too early")}); err != nil {
				t.Fatal(err)
			}
			cenv := conf.envelope(t)
			if err := verifySignature(t, cenv); err != nil {
				t.Fatalf("confirmation signature: %v", err)
			}
			// Confirm through the API this time.
			confirmed, err := e.Client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String(cenv["Token"].(string))})
			if err != nil {
				t.Fatal(err)
			}
			subARN := *confirmed.SubscriptionArn
			time.Sleep(200 * time.Millisecond)
			if n := len(sub.deliveries()); n != 1 {
				t.Fatalf("%d deliveries before confirmation took effect, want only the confirmation", n)
			}
			pub, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String(`{"key":"<AKIA>"}`),
				Subject: aws.String("Key exposed"),
				MessageAttributes: map[string]types.MessageAttributeValue{
					"severity": {DataType: aws.String("String"), StringValue: aws.String("high")},
					"count":    {DataType: aws.String("Number"), StringValue: aws.String("3")},
					"blob":     {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2, 3}},
				}})
			if err != nil {
				t.Fatal(err)
			}
			d := sub.waitFor(t, 2, 10*time.Second)[1]
			env := d.envelope(t)
			want := map[string]string{"Type": "Notification", "MessageId": *pub.MessageId, "TopicArn": topic,
				"Subject": "Key exposed", "Message": `{"key":"<AKIA>"}`, "SignatureVersion": version}
			for k, v := range want {
				if env[k] != v {
					t.Errorf("envelope %s = %v, want %q", k, env[k], v)
				}
			}
			if ts, _ := env["Timestamp"].(string); len(ts) != len("2006-01-02T15:04:05.000Z") || !strings.HasSuffix(ts, "Z") {
				t.Errorf("Timestamp = %q", ts)
			}
			attrs, _ := env["MessageAttributes"].(map[string]any)
			if sev, _ := attrs["severity"].(map[string]any); sev["Type"] != "String" || sev["Value"] != "high" {
				t.Errorf("MessageAttributes = %v", env["MessageAttributes"])
			}
			if blob, _ := attrs["blob"].(map[string]any); blob["Type"] != "Binary" || blob["Value"] != "AQID" {
				t.Errorf("binary attribute = %v", attrs["blob"])
			}
			for h, v := range map[string]string{"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": *pub.MessageId,
				"x-amz-sns-topic-arn": topic, "x-amz-sns-subscription-arn": subARN,
				"Content-Type": "text/plain; charset=UTF-8", "User-Agent": "Amazon Simple Notification Service Agent"} {
				if got := d.Header.Get(h); got != v {
					t.Errorf("header %s = %q, want %q", h, got, v)
				}
			}
			if err := verifySignature(t, env); err != nil {
				t.Errorf("notification signature: %v", err)
			}
			// A tampered message must not verify.
			env["Message"] = "tampered"
			if verifySignature(t, env) == nil {
				t.Error("tampered message verified")
			}
			// UnsubscribeURL works without credentials and sends an UnsubscribeConfirmation.
			resp, err := http.Get(env["UnsubscribeURL"].(string))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("UnsubscribeURL: %v %v", resp, err)
			}
			resp.Body.Close()
			u := sub.waitFor(t, 3, 10*time.Second)[2].envelope(t)
			if u["Type"] != "UnsubscribeConfirmation" {
				t.Fatalf("after unsubscribe got %v", u["Type"])
			}
			if err := verifySignature(t, u); err != nil {
				t.Errorf("UnsubscribeConfirmation signature: %v", err)
			}
			if _, err := e.Client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN}); errorCode(err) != "NotFound" {
				t.Fatalf("subscription after unsubscribe: %v", err)
			}
			// Its SubscribeURL restores the subscription.
			resp, err = http.Get(u["SubscribeURL"].(string))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("resubscribe: %v %v", resp, err)
			}
			resp.Body.Close()
			if _, err := e.Client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN}); err != nil {
				t.Fatalf("subscription after resubscribe: %v", err)
			}
		})
	}
}

func TestRawDeliveryAndStructure(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "raw", nil)
	sub := newSubscriber(t)
	subscribeHTTP(t, e, topic, sub, map[string]string{"RawMessageDelivery": "true"})
	_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"plain","http":"for http","email":"for email"}`)})
	if err != nil {
		t.Fatal(err)
	}
	d := sub.waitFor(t, 2, 10*time.Second)[1]
	if string(d.Body) != "for http" || d.Header.Get("x-amz-sns-rawdelivery") != "true" {
		t.Fatalf("raw delivery body %q headers %v", d.Body, d.Header)
	}
}

func TestDeliveryRetries(t *testing.T) {
	e := newEnv(t)
	policy := `{"http":{"defaultHealthyRetryPolicy":{"numRetries":4,"numNoDelayRetries":2,"minDelayTarget":1,"maxDelayTarget":1}}}`
	topic := createTopic(t, e, "retry", map[string]string{"DeliveryPolicy": policy})
	sub := newSubscriber(t)
	subscribeHTTP(t, e, topic, sub, nil)
	sub.failNext(500, 503, 429)
	if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("persist")}); err != nil {
		t.Fatal(err)
	}
	got := sub.waitFor(t, 1+4, 15*time.Second)
	for i, d := range got[1:] {
		if env := d.envelope(t); env["Message"] != "persist" {
			t.Fatalf("attempt %d carried %v", i+1, env["Message"])
		}
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(sub.deliveries()); n != 5 {
		t.Fatalf("%d requests after success, want 5 (confirmation + 4 attempts)", n)
	}

	// A 4xx other than 429 is a client error: no retry.
	sub.failNext(403)
	if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("refused")}); err != nil {
		t.Fatal(err)
	}
	sub.waitFor(t, 6, 10*time.Second)
	time.Sleep(2500 * time.Millisecond)
	if n := len(sub.deliveries()); n != 6 {
		t.Fatalf("%d requests after a 403, want 6", n)
	}
}

func TestLambdaDelivery(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "fn", nil)
	fn := "arn:aws:lambda:us-east-1:123456789012:function:notify"
	out, err := e.Client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("lambda"), Endpoint: &fn})
	if err != nil || !strings.HasPrefix(*out.SubscriptionArn, topic+":") {
		t.Fatalf("Subscribe lambda = %v, %v", out, err)
	}
	e.Lambda.mu.Lock()
	e.Lambda.failures, e.Lambda.status = 1, 500
	e.Lambda.mu.Unlock()
	if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(e.Lambda.Calls()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	calls := e.Lambda.Calls()
	if len(calls) != 2 {
		t.Fatalf("lambda got %d invocations, want 2 (one failure, one retry)", len(calls))
	}
	var in struct {
		FunctionName, InvocationType string
		Payload                      []byte
	}
	if err := json.Unmarshal(calls[1], &in); err != nil {
		t.Fatal(err)
	}
	if in.FunctionName != fn || in.InvocationType != "Event" {
		t.Fatalf("invoke input %s", calls[1])
	}
	var ev struct {
		Records []struct {
			EventSource, EventVersion, EventSubscriptionArn string
			Sns                                             map[string]any
		}
	}
	if err := json.Unmarshal(in.Payload, &ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("payload %s: %v", in.Payload, err)
	}
	r := ev.Records[0]
	if r.EventSource != "aws:sns" || r.EventVersion != "1.0" || r.EventSubscriptionArn != *out.SubscriptionArn ||
		r.Sns["Message"] != "hello" || r.Sns["Subject"] != nil || r.Sns["SigningCertUrl"] == nil || r.Sns["Type"] != "Notification" {
		t.Fatalf("record %+v", r)
	}
}

func TestFilterPolicy(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "filtered", nil)
	sub := newSubscriber(t)
	arn := subscribeHTTP(t, e, topic, sub, map[string]string{"FilterPolicy": `{"severity":["high"]}`})
	pub := func(sev string) {
		_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String(sev),
			MessageAttributes: map[string]types.MessageAttributeValue{"severity": {DataType: aws.String("String"), StringValue: aws.String(sev)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	pub("low")
	pub("high")
	d := sub.waitFor(t, 2, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if len(sub.deliveries()) != 2 || d[1].envelope(t)["Message"] != "high" {
		t.Fatalf("filtered deliveries: %d", len(sub.deliveries()))
	}
	// Body scope.
	for _, kv := range [][2]string{{"FilterPolicyScope", "MessageBody"}, {"FilterPolicy", `{"kind":[{"prefix":"key"}]}`}} {
		if _, err := e.Client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: &arn,
			AttributeName: aws.String(kv[0]), AttributeValue: aws.String(kv[1])}); err != nil {
			t.Fatalf("set %s: %v", kv[0], err)
		}
	}
	for _, m := range []string{`{"kind":"other"}`, `{"kind":"key-exposed"}`} {
		if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}
	d = sub.waitFor(t, 3, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if len(sub.deliveries()) != 3 || d[2].envelope(t)["Message"] != `{"kind":"key-exposed"}` {
		t.Fatalf("body-filtered deliveries: %d", len(sub.deliveries()))
	}
	attrs, err := e.Client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &arn})
	if err != nil || attrs.Attributes["FilterPolicyScope"] != "MessageBody" || attrs.Attributes["SubscriptionPrincipal"] != "arn:aws:iam::123456789012:root" {
		t.Fatalf("attributes %v, %v", attrs, err)
	}
	_, err = e.Client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: &arn,
		AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"a":"not an array"}`)})
	if errorCode(err) != "InvalidParameter" {
		t.Fatalf("bad filter policy: %v", err)
	}
}

func TestEmailSubscriptionStaysPending(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "mail", nil)
	out, err := e.Client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("email"),
		Endpoint: aws.String("soc@example.com"), ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := e.Client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
	if err != nil || attrs.Attributes["PendingConfirmation"] != "true" {
		t.Fatalf("email subscription attributes %v, %v", attrs, err)
	}
	ta, _ := e.Client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topic})
	if ta.Attributes["SubscriptionsPending"] != "1" {
		t.Fatalf("SubscriptionsPending = %s", ta.Attributes["SubscriptionsPending"])
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "errs", nil)
	missing := "arn:aws:sns:us-east-1:123456789012:missing"
	long := strings.Repeat("x", 256*1024+1)
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"bad topic name", func() error {
			_, err := e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("bad name")})
			return err
		}, "InvalidParameter"},
		{"fifo topic", func() error {
			_, err := e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("q.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
			return err
		}, "InvalidParameter"},
		{"bad signature version", func() error {
			_, err := e.Client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("sv"), Attributes: map[string]string{"SignatureVersion": "3"}})
			return err
		}, "InvalidParameter"},
		{"unknown topic", func() error {
			_, err := e.Client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &missing})
			return err
		}, "NotFound"},
		{"malformed arn", func() error {
			_, err := e.Client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String("nope")})
			return err
		}, "InvalidParameter"},
		{"other account", func() error {
			_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:999999999999:x"), Message: aws.String("m")})
			return err
		}, "AuthorizationError"},
		{"publish to unknown topic", func() error {
			_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &missing, Message: aws.String("m")})
			return err
		}, "NotFound"},
		{"empty message", func() error {
			_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("")})
			return err
		}, "InvalidParameter"},
		{"long subject", func() error {
			_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m"), Subject: aws.String(strings.Repeat("s", 101))})
			return err
		}, "InvalidParameter"},
		{"message too long", func() error {
			_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: &long})
			return err
		}, "InvalidParameter"},
		{"bad number attribute", func() error {
			_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m"),
				MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("ten")}}})
			return err
		}, "ParameterValueInvalid"},
		{"bad attribute type", func() error {
			_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m"),
				MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Blob"), StringValue: aws.String("x")}}})
			return err
		}, "ParameterValueInvalid"},
		{"bad string array", func() error {
			_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m"),
				MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String.Array"), StringValue: aws.String("[1,")}}})
			return err
		}, "ParameterValueInvalid"},
		{"structure without default", func() error {
			_, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String(`{"http":"x"}`), MessageStructure: aws.String("json")})
			return err
		}, "InvalidParameter"},
		{"unknown protocol", func() error {
			_, err := e.Client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("carrier-pigeon"), Endpoint: aws.String("x")})
			return err
		}, "InvalidParameter"},
		{"endpoint does not match protocol", func() error {
			_, err := e.Client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("https"), Endpoint: aws.String("http://example.com/")})
			return err
		}, "InvalidParameter"},
		{"bad filter policy", func() error {
			_, err := e.Client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String("http://example.com/"),
				Attributes: map[string]string{"FilterPolicy": "{"}})
			return err
		}, "InvalidParameter"},
		{"bad token", func() error {
			_, err := e.Client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String("00")})
			return err
		}, "InvalidParameter"},
		{"unknown subscription", func() error {
			_, err := e.Client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(topic + ":0f3b0e8c-0000-4000-8000-000000000000")})
			return err
		}, "NotFound"},
		{"unknown attribute", func() error {
			_, err := e.Client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &topic, AttributeName: aws.String("Color"), AttributeValue: aws.String("red")})
			return err
		}, "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorCode(tt.call()); got != tt.code {
				t.Fatalf("error code %q, want %q", got, tt.code)
			}
		})
	}
}

func TestAuthenticateOnUnsubscribe(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "locked", nil)
	sub := newSubscriber(t)
	if _, err := e.Client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}); err != nil {
		t.Fatal(err)
	}
	conf := sub.waitFor(t, 1, 10*time.Second)[0].envelope(t)
	out, err := e.Client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topic,
		Token: aws.String(conf["Token"].(string)), AuthenticateOnUnsubscribe: aws.String("true")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := e.Client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
	if err != nil || attrs.Attributes["ConfirmationWasAuthenticated"] != "true" || attrs.Attributes["PendingConfirmation"] != "false" {
		t.Fatalf("attributes %v, %v", attrs, err)
	}
	// The UnsubscribeURL no longer works without a signature...
	resp, err := http.Get(e.URL + "/?Action=Unsubscribe&SubscriptionArn=" + *out.SubscriptionArn)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned unsubscribe answered %s", resp.Status)
	}
	// ...but a signed Unsubscribe does, and sends no UnsubscribeConfirmation.
	if _, err := e.Client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: out.SubscriptionArn}); err != nil {
		t.Fatal(err)
	}
	ta, _ := e.Client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topic})
	if ta.Attributes["SubscriptionsConfirmed"] != "0" || ta.Attributes["SubscriptionsDeleted"] != "1" {
		t.Errorf("topic counts after unsubscribe: %v", ta.Attributes)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(sub.deliveries()); n != 1 {
		t.Errorf("%d requests, want only the confirmation", n)
	}
	// Unsubscribing again is fine.
	if _, err := e.Client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: out.SubscriptionArn}); err != nil {
		t.Errorf("second Unsubscribe: %v", err)
	}
}

func TestResubscribeIsIdempotent(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "again", nil)
	fn := "arn:aws:lambda:us-east-1:123456789012:function:f"
	in := &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("lambda"), Endpoint: &fn}
	a, err := e.Client.Subscribe(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Client.Subscribe(ctx, in)
	if err != nil || *a.SubscriptionArn != *b.SubscriptionArn {
		t.Fatalf("second Subscribe = %v, %v", b, err)
	}
	in.Attributes = map[string]string{"FilterPolicy": `{"a":["b"]}`}
	if _, err := e.Client.Subscribe(ctx, in); errorCode(err) != "InvalidParameter" {
		t.Fatalf("Subscribe with other attributes: %v", err)
	}
	list, err := e.Client.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if err != nil || len(list.Subscriptions) != 1 || *list.Subscriptions[0].Protocol != "lambda" || *list.Subscriptions[0].Owner != testAccount {
		t.Fatalf("ListSubscriptions = %+v, %v", list, err)
	}
}
