package sns_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
)

// TestEndpointPasswordIsMasked subscribes an endpoint with basic-auth
// credentials: deliveries authenticate with the real password, while the
// List operations, GetSubscriptionAttributes and the audit record of
// Subscribe show it as "****".
func TestEndpointPasswordIsMasked(t *testing.T) {
	e := newEnv(t)
	topic := createTopic(t, e, "basic-auth", nil)
	sub := newSubscriber(t)
	endpoint := strings.Replace(sub.URL, "http://", "http://hook-user:s3cr3t-pw@", 1) + "/sns?src=vigil"
	masked := strings.Replace(sub.URL, "http://", "http://hook-user:****@", 1) + "/sns?src=vigil"

	root := identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + testAccount + ":root", AccountID: testAccount}
	in, _ := json.Marshal(map[string]any{"TopicArn": topic, "Protocol": "http", "Endpoint": endpoint})
	call := &awsproto.Call{Service: e.Svc.Spec(), Action: "Subscribe", Input: in, Caller: root, Region: testRegion}
	if _, err := e.Svc.AuthContext(ctx, call); err != nil {
		t.Fatal(err)
	}
	audited, _ := json.Marshal(call.AuditRequest)
	if strings.Contains(string(audited), "s3cr3t-pw") || !strings.Contains(string(audited), `"Endpoint":"`+masked+`"`) {
		t.Fatalf("audit request after AuthContext: %s", audited)
	}
	if _, err := e.Svc.Handle(ctx, call); err != nil {
		t.Fatal(err)
	}
	audited, _ = json.Marshal(call.AuditRequest)
	if strings.Contains(string(audited), "s3cr3t-pw") || !strings.Contains(string(audited), `"TopicArn":"`+topic+`"`) {
		t.Fatalf("audit request after Subscribe: %s", audited)
	}

	conf := sub.waitFor(t, 1, 10*time.Second)[0]
	checkAuth := func(d delivery) {
		t.Helper()
		r := &http.Request{Header: d.Header}
		if u, p, ok := r.BasicAuth(); !ok || u != "hook-user" || p != "s3cr3t-pw" {
			t.Errorf("delivery authenticated as %q/%q (%v)", u, p, ok)
		}
	}
	checkAuth(conf)
	resp, err := http.Get(conf.envelope(t)["SubscribeURL"].(string))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	all, err := e.Client.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if err != nil || len(all.Subscriptions) != 1 || aws.ToString(all.Subscriptions[0].Endpoint) != masked {
		t.Fatalf("ListSubscriptions: %v, %+v", err, all)
	}
	subARN := aws.ToString(all.Subscriptions[0].SubscriptionArn)
	byTopic, err := e.Client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	if err != nil || len(byTopic.Subscriptions) != 1 || aws.ToString(byTopic.Subscriptions[0].Endpoint) != masked {
		t.Fatalf("ListSubscriptionsByTopic: %v, %+v", err, byTopic)
	}
	attrs, err := e.Client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN})
	if err != nil || attrs.Attributes["Endpoint"] != masked {
		t.Fatalf("GetSubscriptionAttributes: %v, %v", err, attrs)
	}
	for k, v := range attrs.Attributes {
		if strings.Contains(v, "s3cr3t-pw") {
			t.Errorf("attribute %s shows the password", k)
		}
	}

	if _, err := e.Client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	note := sub.waitFor(t, 2, 10*time.Second)[1]
	checkAuth(note)
	if note.envelope(t)["Message"] != "hello" {
		t.Errorf("delivered %s", note.Body)
	}
	// Subscribing again with the real endpoint finds the same subscription.
	again, err := e.Client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"),
		Endpoint: aws.String(endpoint), ReturnSubscriptionArn: true})
	if err != nil || aws.ToString(again.SubscriptionArn) != subARN {
		t.Errorf("Subscribe again: %v, %v", err, again)
	}
}

// TestSubscribeAuditOfMalformedInput checks that a Subscribe whose input
// cannot be decoded is still recorded without the password.
func TestSubscribeAuditOfMalformedInput(t *testing.T) {
	e := newEnv(t)
	root := identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + testAccount + ":root", AccountID: testAccount}
	in := json.RawMessage(`{"TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Protocol":"https","Endpoint":"https://u:s3cr3t-pw@h/","Attributes":"not a map"}`)
	call := &awsproto.Call{Service: e.Svc.Spec(), Action: "Subscribe", Input: in, Caller: root, Region: testRegion}
	if _, err := e.Svc.Handle(ctx, call); err == nil {
		t.Fatal("malformed Subscribe succeeded")
	}
	audited, _ := json.Marshal(call.AuditRequest)
	if call.AuditRequest == nil || strings.Contains(string(audited), "s3cr3t-pw") {
		t.Fatalf("audit request %s", audited)
	}
}
