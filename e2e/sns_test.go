package e2e

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

// snsRequest is one request an HTTP subscriber received.
type snsRequest struct {
	Header http.Header
	Body   []byte
}

// snsMessage decodes the JSON envelope of a request.
func (r snsRequest) snsMessage(t *testing.T) map[string]string {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("delivery is not a JSON envelope: %v\n%s", err, r.Body)
	}
	m := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			m[k] = s
		}
	}
	return m
}

// snsSubscriber is a real HTTP endpoint. It answers with the statuses
// queued in fail (then 200), and holds requests while blocked is set.
type snsSubscriber struct {
	*httptest.Server
	mu      sync.Mutex
	got     []snsRequest
	fail    []int
	blocked bool
}

func newSNSSubscriber(t *testing.T) *snsSubscriber {
	s := &snsSubscriber{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		if s.blocked {
			s.mu.Unlock()
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		s.got = append(s.got, snsRequest{Header: r.Header.Clone(), Body: body})
		status := http.StatusOK
		if len(s.fail) > 0 {
			status, s.fail = s.fail[0], s.fail[1:]
		}
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *snsSubscriber) requests() []snsRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]snsRequest(nil), s.got...)
}

func (s *snsSubscriber) setBlocked(b bool) {
	s.mu.Lock()
	s.blocked = b
	s.mu.Unlock()
}

// waitRequests waits for the subscriber to have received n requests.
func (s *snsSubscriber) waitRequests(t *testing.T, n int, within time.Duration) []snsRequest {
	t.Helper()
	var got []snsRequest
	eventually(t, within, func() error {
		if got = s.requests(); len(got) < n {
			return fmt.Errorf("subscriber has %d requests, want %d", len(got), n)
		}
		return nil
	})
	return got
}

// snsVerify checks a message signature as the AWS documentation tells a
// subscriber to: fetch the certificate from SigningCertURL, rebuild the
// string to sign from the message's fields in the documented order, and
// verify the base64 signature with RSA PKCS#1 v1.5 over SHA1
// (SignatureVersion 1) or SHA256 (SignatureVersion 2). It shares no code
// with Vigil.
func snsVerify(m map[string]string, certHost string) error {
	u, err := url.Parse(m["SigningCertURL"])
	if err != nil || u.Host != certHost || !regexp.MustCompile(`^/SimpleNotificationService-[0-9a-f]+\.pem$`).MatchString(u.Path) {
		return fmt.Errorf("unexpected SigningCertURL %q", m["SigningCertURL"])
	}
	resp, err := http.Get(u.String())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("certificate fetch: %s", resp.Status)
	}
	pemData, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(pemData)
	if block == nil || block.Type != "CERTIFICATE" {
		return errors.New("SigningCertURL does not serve a PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("certificate key is not RSA")
	}
	var fields []string
	switch m["Type"] {
	case "Notification":
		fields = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		fields = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	default:
		return fmt.Errorf("unknown message type %q", m["Type"])
	}
	var text strings.Builder
	for _, f := range fields {
		v, present := m[f]
		if f == "Subject" && !present {
			continue // a notification without a subject signs no Subject line
		}
		text.WriteString(f + "\n" + v + "\n")
	}
	sig, err := base64.StdEncoding.DecodeString(m["Signature"])
	if err != nil {
		return fmt.Errorf("signature is not base64: %v", err)
	}
	switch m["SignatureVersion"] {
	case "1":
		h := sha1.Sum([]byte(text.String()))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA1, h[:], sig)
	case "2":
		h := sha256.Sum256([]byte(text.String()))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig)
	}
	return fmt.Errorf("unknown SignatureVersion %q", m["SignatureVersion"])
}

func snsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprintf("not an API error: %v", err)
}

// snsConfirmedARN returns the ARN of the topic's confirmed subscription
// to endpoint, or "".
func snsConfirmedARN(t *testing.T, c *sns.Client, topic, endpoint string) string {
	t.Helper()
	out, err := c.ListSubscriptionsByTopic(context.Background(), &sns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Subscriptions {
		if aws.ToString(s.Endpoint) == endpoint && aws.ToString(s.SubscriptionArn) != "PendingConfirmation" {
			return aws.ToString(s.SubscriptionArn)
		}
	}
	return ""
}

// TestSNSSignedHTTPDelivery runs the whole HTTP subscription flow for each
// signature version: the confirmation handshake (through SubscribeURL for
// version 1, through ConfirmSubscription for version 2), nothing delivered
// before it, then a notification whose envelope, headers and signature are
// checked independently.
func TestSNSSignedHTTPDelivery(t *testing.T) {
	v := startVigil(t)
	c, ctx := v.sns(), context.Background()
	vigilHost := strings.TrimPrefix(v.URL, "http://")
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) {
			topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("security-v" + version),
				Attributes: map[string]string{"SignatureVersion": version}})
			if err != nil {
				t.Fatal(err)
			}
			topicARN := aws.ToString(topic.TopicArn)
			sub := newSNSSubscriber(t)
			out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.SubscriptionArn) != "pending confirmation" {
				t.Errorf("Subscribe returned %q, want \"pending confirmation\"", aws.ToString(out.SubscriptionArn))
			}
			first := sub.waitRequests(t, 1, 20*time.Second)[0]
			conf := first.snsMessage(t)
			if conf["Type"] != "SubscriptionConfirmation" || conf["Token"] == "" || conf["TopicArn"] != topicARN {
				t.Fatalf("first request is not a confirmation: %s", first.Body)
			}
			if got := first.Header.Get("x-amz-sns-message-type"); got != "SubscriptionConfirmation" {
				t.Errorf("x-amz-sns-message-type = %q", got)
			}
			if err := snsVerify(conf, vigilHost); err != nil {
				t.Errorf("confirmation signature: %v", err)
			}
			su, err := url.Parse(conf["SubscribeURL"])
			if err != nil || su.Host != vigilHost || su.Query().Get("Action") != "ConfirmSubscription" ||
				su.Query().Get("Token") != conf["Token"] || su.Query().Get("TopicArn") != topicARN {
				t.Fatalf("SubscribeURL = %q", conf["SubscribeURL"])
			}

			// Nothing but the confirmation reaches an unconfirmed endpoint.
			if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: &topicARN, Message: aws.String("before confirmation")}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			if n := len(sub.requests()); n != 1 {
				t.Fatalf("unconfirmed endpoint got %d requests, want 1", n)
			}

			if version == "1" {
				resp, err := http.Get(conf["SubscribeURL"]) // unsigned, as a subscriber would
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<SubscriptionArn>"+topicARN+":") {
					t.Fatalf("SubscribeURL answered %s: %s", resp.Status, body)
				}
			} else {
				if _, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: &topicARN, Token: aws.String(conf["Token"])}); err != nil {
					t.Fatal(err)
				}
			}
			subARN := snsConfirmedARN(t, c, topicARN, sub.URL)
			if subARN == "" {
				t.Fatal("subscription not confirmed")
			}

			pub, err := c.Publish(ctx, &sns.PublishInput{TopicArn: &topicARN, Subject: aws.String("Exposed key AKIAEXAMPLE"),
				Message: aws.String("Key AKIAEXAMPLE of user alice was deleted & <reported>."),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{
					"severity": {DataType: aws.String("String"), StringValue: aws.String("HIGH")}}})
			if err != nil {
				t.Fatal(err)
			}
			reqs := sub.waitRequests(t, 2, 20*time.Second)
			note := reqs[1]
			m := note.snsMessage(t)
			for k, want := range map[string]string{"Type": "Notification", "MessageId": aws.ToString(pub.MessageId),
				"TopicArn": topicARN, "Subject": "Exposed key AKIAEXAMPLE",
				"Message": "Key AKIAEXAMPLE of user alice was deleted & <reported>.", "SignatureVersion": version} {
				if m[k] != want {
					t.Errorf("envelope %s = %q, want %q", k, m[k], want)
				}
			}
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(m["Timestamp"]) {
				t.Errorf("Timestamp = %q", m["Timestamp"])
			}
			if uu, err := url.Parse(m["UnsubscribeURL"]); err != nil || uu.Query().Get("SubscriptionArn") != subARN || uu.Query().Get("Action") != "Unsubscribe" {
				t.Errorf("UnsubscribeURL = %q", m["UnsubscribeURL"])
			}
			var attrs struct {
				MessageAttributes map[string]struct{ Type, Value string }
			}
			json.Unmarshal(note.Body, &attrs)
			if a := attrs.MessageAttributes["severity"]; a.Type != "String" || a.Value != "HIGH" {
				t.Errorf("MessageAttributes = %+v", attrs.MessageAttributes)
			}
			for h, want := range map[string]string{
				"x-amz-sns-message-type":     "Notification",
				"x-amz-sns-message-id":       aws.ToString(pub.MessageId),
				"x-amz-sns-topic-arn":        topicARN,
				"x-amz-sns-subscription-arn": subARN,
				"Content-Type":               "text/plain; charset=UTF-8",
				"User-Agent":                 "Amazon Simple Notification Service Agent",
			} {
				if got := note.Header.Get(h); got != want {
					t.Errorf("header %s = %q, want %q", h, got, want)
				}
			}
			if err := snsVerify(m, vigilHost); err != nil {
				t.Errorf("notification signature: %v", err)
			}
			forged := map[string]string{}
			for k, val := range m {
				forged[k] = val
			}
			forged["Message"] = "Key AKIAEXAMPLE is fine."
			if snsVerify(forged, vigilHost) == nil {
				t.Error("a forged message verified")
			}

			// A notification without a subject leaves Subject out of the envelope and the signature.
			if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: &topicARN, Message: aws.String("no subject")}); err != nil {
				t.Fatal(err)
			}
			bare := sub.waitRequests(t, 3, 20*time.Second)[2].snsMessage(t)
			if _, has := bare["Subject"]; has {
				t.Errorf("envelope without subject has Subject %q", bare["Subject"])
			}
			if err := snsVerify(bare, vigilHost); err != nil {
				t.Errorf("subjectless notification signature: %v", err)
			}
		})
	}
}

// TestSNSDeliveryRetry makes the subscriber fail three times and checks
// that the topic's delivery policy brings the message through.
func TestSNSDeliveryRetry(t *testing.T) {
	v := startVigil(t)
	c, ctx := v.sns(), context.Background()
	policy := `{"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"numNoDelayRetries":1,"minDelayTarget":1,"maxDelayTarget":2,"backoffFunction":"linear"}}}`
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("retry"), Attributes: map[string]string{"DeliveryPolicy": policy}})
	if err != nil {
		t.Fatal(err)
	}
	sub := newSNSSubscriber(t)
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}); err != nil {
		t.Fatal(err)
	}
	conf := sub.waitRequests(t, 1, 20*time.Second)[0].snsMessage(t)
	if _, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String(conf["Token"])}); err != nil {
		t.Fatal(err)
	}
	sub.mu.Lock()
	sub.fail = []int{500, 502, 429}
	sub.mu.Unlock()
	pub, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("retry me")})
	if err != nil {
		t.Fatal(err)
	}
	reqs := sub.waitRequests(t, 5, 30*time.Second)
	for i, r := range reqs[1:] {
		if m := r.snsMessage(t); m["MessageId"] != aws.ToString(pub.MessageId) {
			t.Errorf("attempt %d carried message %q", i+1, m["MessageId"])
		}
	}
	time.Sleep(3 * time.Second)
	if n := len(sub.requests()); n != 5 {
		t.Errorf("%d requests, want 5: the confirmation, three failures and one success", n)
	}
	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: topic.TopicArn})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(attrs.Attributes["EffectiveDeliveryPolicy"], `"numRetries":5`) {
		t.Errorf("EffectiveDeliveryPolicy = %s", attrs.Attributes["EffectiveDeliveryPolicy"])
	}
}

// TestSNSSurvivesKill publishes to an endpoint that is down, kills the
// server with SIGKILL right after Publish is answered, restarts it, brings
// the endpoint up and expects every accepted message.
func TestSNSSurvivesKill(t *testing.T) {
	v := startVigil(t)
	c, ctx := v.sns(), context.Background()
	policy := `{"http":{"defaultHealthyRetryPolicy":{"numRetries":20,"minDelayTarget":1,"maxDelayTarget":1}}}`
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("durable"), Attributes: map[string]string{"DeliveryPolicy": policy}})
	if err != nil {
		t.Fatal(err)
	}
	sub := newSNSSubscriber(t)
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}); err != nil {
		t.Fatal(err)
	}
	conf := sub.waitRequests(t, 1, 20*time.Second)[0].snsMessage(t)
	if _, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String(conf["Token"])}); err != nil {
		t.Fatal(err)
	}
	sub.setBlocked(true)
	want := map[string]bool{}
	for i := range 10 {
		out, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(fmt.Sprint("durable ", i))})
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(out.MessageId)] = true
	}
	v.kill()
	sub.setBlocked(false)
	v.start(t)
	eventually(t, 60*time.Second, func() error {
		seen := map[string]bool{}
		for _, r := range sub.requests()[1:] {
			if id := r.snsMessage(t)["MessageId"]; want[id] {
				seen[id] = true
			}
		}
		if len(seen) != len(want) {
			return fmt.Errorf("%d of %d messages delivered after the restart", len(seen), len(want))
		}
		return nil
	})
}

// TestSNSLambdaSubscription delivers to a Vigil function, which gets the
// SNS Lambda event.
func TestSNSLambdaSubscription(t *testing.T) {
	dir := t.TempDir()
	v := startVigil(t, "--function", evRecorder("snsrecorder", dir))
	c, ctx := v.sns(), context.Background()
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("to-function")})
	if err != nil {
		t.Fatal(err)
	}
	fn := evFnARN("snsrecorder")
	out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("lambda"), Endpoint: &fn})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(out.SubscriptionArn), aws.ToString(topic.TopicArn)+":") {
		t.Fatalf("lambda subscription is not confirmed at once: %q", aws.ToString(out.SubscriptionArn))
	}
	pub, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("to the function"), Subject: aws.String("hi")})
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	eventually(t, 20*time.Second, func() error {
		if got = evRecorded(t, dir); len(got) == 0 {
			return errors.New("the function has not been called")
		}
		return nil
	})
	recs, _ := got[0]["Records"].([]any)
	if len(recs) != 1 {
		t.Fatalf("event %v", got[0])
	}
	rec, _ := recs[0].(map[string]any)
	msg, _ := rec["Sns"].(map[string]any)
	if rec["EventSource"] != "aws:sns" || rec["EventSubscriptionArn"] != aws.ToString(out.SubscriptionArn) ||
		msg["MessageId"] != aws.ToString(pub.MessageId) || msg["Message"] != "to the function" || msg["Subject"] != "hi" {
		t.Errorf("lambda event %v", got[0])
	}
}

// TestSNSInvalidInputs checks the AWS error codes of bad calls.
func TestSNSInvalidInputs(t *testing.T) {
	v := startVigil(t)
	c, ctx := v.sns(), context.Background()
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("valid")})
	if err != nil {
		t.Fatal(err)
	}
	arn := topic.TopicArn
	missing := aws.String(strings.TrimSuffix(aws.ToString(arn), "valid") + "missing")
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"topic name with spaces", func() error {
			_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("not valid")})
			return err
		}, "InvalidParameter"},
		{"FIFO topic", func() error {
			_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("q.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
			return err
		}, "InvalidParameter"},
		{"signature version 3", func() error {
			_, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: arn, AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("3")})
			return err
		}, "InvalidParameter"},
		{"bad delivery policy", func() error {
			_, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: arn, AttributeName: aws.String("DeliveryPolicy"),
				AttributeValue: aws.String(`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":0}}}`)})
			return err
		}, "InvalidParameter"},
		{"attributes of a missing topic", func() error {
			_, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: missing})
			return err
		}, "NotFound"},
		{"malformed topic ARN", func() error {
			_, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String("arn:aws:sns")})
			return err
		}, "InvalidParameter"},
		{"publish to a missing topic", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: missing, Message: aws.String("x")})
			return err
		}, "NotFound"},
		{"publish without a target", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{Message: aws.String("x")})
			return err
		}, "InvalidParameter"},
		{"empty message", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String("")})
			return err
		}, "InvalidParameter"},
		{"subject over 100 characters", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String("x"), Subject: aws.String(strings.Repeat("s", 101))})
			return err
		}, "InvalidParameter"},
		{"message over 256 KB", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String(strings.Repeat("m", 256*1024+1))})
			return err
		}, "InvalidParameter"},
		{"JSON structure without default", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String(`{"http":"x"}`), MessageStructure: aws.String("json")})
			return err
		}, "InvalidParameter"},
		{"number attribute that is not a number", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String("x"),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("12abc")}}})
			return err
		}, "ParameterValueInvalid"},
		{"unknown attribute data type", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String("x"),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"n": {DataType: aws.String("Integer"), StringValue: aws.String("1")}}})
			return err
		}, "ParameterValueInvalid"},
		{"String.Array that is not an array", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String("x"),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"a": {DataType: aws.String("String.Array"), StringValue: aws.String(`"one"`)}}})
			return err
		}, "ParameterValueInvalid"},
		{"unsupported protocol string", func() error {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: arn, Protocol: aws.String("gopher"), Endpoint: aws.String("x")})
			return err
		}, "InvalidParameter"},
		{"https protocol with an http endpoint", func() error {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: arn, Protocol: aws.String("https"), Endpoint: aws.String("http://example.com/")})
			return err
		}, "InvalidParameter"},
		{"invalid filter policy", func() error {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: arn, Protocol: aws.String("http"), Endpoint: aws.String("http://127.0.0.1:1/"),
				Attributes: map[string]string{"FilterPolicy": `{"k": "v"}`}})
			return err
		}, "InvalidParameter"},
		{"unknown confirmation token", func() error {
			_, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: arn, Token: aws.String("deadbeef")})
			return err
		}, "InvalidParameter"},
		{"attributes of a missing subscription", func() error {
			_, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(aws.ToString(arn) + ":6a1d2e0c-1111-4222-8333-944455556666")})
			return err
		}, "NotFound"},
		{"topic of another account", func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:111122223333:theirs"), Message: aws.String("x")})
			return err
		}, "AuthorizationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := snsCode(tt.call()); got != tt.code {
				t.Errorf("error code %s, want %s", got, tt.code)
			}
		})
	}
}

// TestSNSPublishBatchAndMaskedEndpoint drives PublishBatch through the
// SDK to an HTTP subscriber that authenticates with basic auth and
// filters on an attribute: accepted entries are delivered (with the real
// password), the filtered one is not, an invalid one fails alone. The
// password never shows: not in ListSubscriptions, not in the CloudTrail
// record of Subscribe, not in the log.
func TestSNSPublishBatchAndMaskedEndpoint(t *testing.T) {
	v := startVigil(t)
	c, ctx := v.sns(), context.Background()
	const password = "hunter2-batch-pw"
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("batch-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	topicARN := aws.ToString(topic.TopicArn)
	sub := newSNSSubscriber(t)
	endpoint := strings.Replace(sub.URL, "http://", "http://soc-hook:"+password+"@", 1) + "/sns"
	masked := strings.Replace(sub.URL, "http://", "http://soc-hook:****@", 1) + "/sns"
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("http"), Endpoint: &endpoint,
		Attributes: map[string]string{"FilterPolicy": `{"severity":["HIGH","CRITICAL"]}`}}); err != nil {
		t.Fatal(err)
	}
	basicAuth := func(r snsRequest) string {
		u, p, _ := (&http.Request{Header: r.Header}).BasicAuth()
		return u + ":" + p
	}
	conf := sub.waitRequests(t, 1, 20*time.Second)[0]
	if got := basicAuth(conf); got != "soc-hook:"+password {
		t.Errorf("confirmation authenticated as %q", got)
	}
	resp, err := http.Get(conf.snsMessage(t)["SubscribeURL"])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if snsConfirmedARN(t, c, topicARN, masked) == "" {
		t.Fatal("no confirmed subscription listed with the masked endpoint")
	}
	list, err := c.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{})
	if err != nil || len(list.Subscriptions) != 1 || aws.ToString(list.Subscriptions[0].Endpoint) != masked {
		t.Fatalf("ListSubscriptions: %v, %+v", err, list)
	}

	sev := func(s string) map[string]snstypes.MessageAttributeValue {
		return map[string]snstypes.MessageAttributeValue{"severity": {DataType: aws.String("String"), StringValue: aws.String(s)}}
	}
	out, err := c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: &topicARN, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("key-exposed"), Message: aws.String("Access key AKIAEXAMPLE exposed"), Subject: aws.String("Exposed key"), MessageAttributes: sev("HIGH")},
		{Id: aws.String("login"), Message: aws.String("Console login from a known IP"), MessageAttributes: sev("LOW")},
		{Id: aws.String("empty"), Message: aws.String(""), MessageAttributes: sev("HIGH")},
		{Id: aws.String("root-use"), Message: aws.String("Root user signed in"), MessageAttributes: sev("CRITICAL")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, s := range out.Successful {
		ids[aws.ToString(s.Id)] = aws.ToString(s.MessageId)
	}
	if len(out.Successful) != 3 || ids["key-exposed"] == "" || ids["login"] == "" || ids["root-use"] == "" {
		t.Errorf("Successful: %v", ids)
	}
	if len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "empty" || aws.ToString(out.Failed[0].Code) != "InvalidParameter" || !out.Failed[0].SenderFault {
		t.Errorf("Failed: %+v", out.Failed)
	}
	reqs := sub.waitRequests(t, 3, 20*time.Second)
	time.Sleep(500 * time.Millisecond) // a filtered message would arrive by now
	if n := len(sub.requests()); n != 3 {
		t.Fatalf("subscriber got %d requests, want the confirmation and two notifications", n)
	}
	vigilHost := strings.TrimPrefix(v.URL, "http://")
	got := map[string]string{}
	for _, r := range reqs[1:] {
		m := r.snsMessage(t)
		got[m["MessageId"]] = m["Message"]
		if a := basicAuth(r); a != "soc-hook:"+password {
			t.Errorf("notification authenticated as %q", a)
		}
		if err := snsVerify(m, vigilHost); err != nil {
			t.Errorf("notification signature: %v", err)
		}
	}
	if got[ids["key-exposed"]] != "Access key AKIAEXAMPLE exposed" || got[ids["root-use"]] != "Root user signed in" {
		t.Errorf("notifications %v, message ids %v", got, ids)
	}

	// CloudTrail: Subscribe is listed with the endpoint masked; PublishBatch,
	// a data event like Publish, is recorded but not listed.
	ct := v.cloudtrail()
	var events []map[string]any
	eventually(t, 10*time.Second, func() error {
		events = nil
		for _, e := range ctLookup(t, ct, "EventName", "Subscribe", 50) {
			events = append(events, ctRecord(t, e))
			if strings.Contains(aws.ToString(e.CloudTrailEvent), password) {
				return fmt.Errorf("the Subscribe record shows the password: %s", aws.ToString(e.CloudTrailEvent))
			}
		}
		if len(events) != 1 {
			return fmt.Errorf("%d Subscribe events, want 1", len(events))
		}
		return nil
	})
	if ep := ctGet(events[0], "requestParameters", "endpoint"); ep != masked {
		t.Errorf("requestParameters.endpoint = %v, want %s", ep, masked)
	}
	if ctGet(events[0], "requestParameters", "topicArn") != topicARN {
		t.Errorf("requestParameters = %v", events[0]["requestParameters"])
	}
	if n := len(ctLookup(t, ct, "EventName", "PublishBatch", 50)); n != 0 {
		t.Errorf("LookupEvents lists %d PublishBatch events; data events are not listed", n)
	}
	if strings.Contains(v.Log(), password) {
		t.Error("the server log shows the password")
	}
}
