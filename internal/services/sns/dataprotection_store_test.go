package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/dataprotect"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

// Data protection against the store, without a runner: tests run the
// delivery jobs themselves, attempt by attempt.

const (
	cardMessage  = "card 4539894458086459 on file"
	ccIdentifier = "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"
)

// inboundDeny is a policy denying published messages with identifier.
func inboundDeny(name, identifier string) string {
	return `{"Name":"` + name + `","Version":"2021-06-01","Statement":[{"Sid":"deny","DataDirection":"Inbound","Principal":["*"],` +
		`"DataIdentifier":["` + identifier + `"],"Operation":{"Deny":{}}}]}`
}

// countingInvoker stands for the Lambda service, accepting every Invoke.
type countingInvoker struct{ n atomic.Int32 }

func (c *countingInvoker) Invoke(context.Context, identity.Principal, string, string, any) (json.RawMessage, error) {
	c.n.Add(1)
	return json.RawMessage(`{"StatusCode":202}`), nil
}

func callErr(s *Service, action string, in any) (any, error) {
	raw, _ := json.Marshal(in)
	return s.Handle(context.Background(), &awsproto.Call{Service: spec, Action: action, Input: raw,
		Caller: identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::123456789012:root", AccountID: "123456789012"}})
}

// lambdaTopic creates a topic with one Lambda subscription, confirmed at once.
func lambdaTopic(t *testing.T, s *Service, name string) string {
	t.Helper()
	topic := call(t, s, "CreateTopic", map[string]any{"Name": name}).(*CreateTopicResult).TopicArn
	call(t, s, "Subscribe", map[string]any{"TopicArn": topic, "Protocol": "lambda",
		"Endpoint": "arn:aws:lambda:us-east-1:123456789012:function:f"})
	return topic
}

func countRows(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOutboundFindingsOnceAcrossAttempts runs one delivery job through an
// attempt that fails before auditing, two that fail to deliver after it and
// one that delivers: its findings are committed once.
func TestOutboundFindingsOnceAcrossAttempts(t *testing.T) {
	s, db := newBareService(t)
	topic := lambdaTopic(t, s, "audited")
	policy := `{"Name":"a","Version":"2021-06-01","Statement":[{"Sid":"audit","DataDirection":"Outbound","Principal":["*"],` +
		`"DataIdentifier":["` + ccIdentifier + `"],"Operation":{"Audit":{"SampleRate":"99",` +
		`"FindingsDestination":{"S3":{"Bucket":"audit-bucket"}}}}}]}`
	call(t, s, "PutDataProtectionPolicy", map[string]any{"ResourceArn": topic, "DataProtectionPolicy": policy})
	// Sample every message, so that each attempt finds the card.
	p, err := dataprotect.ParsePolicy([]byte(policy), dataprotect.ParseOptions{Rand: func(int) int { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	s.dp.put(topic, policy, p)
	call(t, s, "Publish", map[string]any{"TopicArn": topic, "Message": cardMessage})
	jobs := jobsOf(t, db, kindDeliver)
	if len(jobs) != 1 {
		t.Fatalf("%d delivery jobs, want 1", len(jobs))
	}
	job := jobs[0]

	// Attempt 1 stops before it audits, as a crash or a store error would.
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	job.Attempts = 1
	if err := s.handleDeliver(stopped, job); err == nil {
		t.Fatal("attempt 1 with a cancelled context succeeded")
	}
	// Attempts 2 and 3 audit, then fail: there is no Lambda service yet.
	for _, n := range []int{2, 3} {
		job.Attempts = n
		if err := s.handleDeliver(context.Background(), job); err == nil {
			t.Fatalf("attempt %d delivered without a Lambda service", n)
		}
		if got := len(jobsOf(t, db, kindFindings)); got != 1 {
			t.Fatalf("after attempt %d: %d findings jobs, want 1", n, got)
		}
	}
	inv := &countingInvoker{}
	s.env.Invoker = inv
	job.Attempts = 4
	if err := s.handleDeliver(context.Background(), job); err != nil {
		t.Fatalf("attempt 4: %v", err)
	}
	if inv.n.Load() != 1 {
		t.Errorf("%d invocations, want 1", inv.n.Load())
	}
	fj := jobsOf(t, db, kindFindings)
	if len(fj) != 1 {
		t.Fatalf("%d findings jobs after delivery, want 1", len(fj))
	}
	var recs []findingJob
	if err := json.Unmarshal(fj[0].Payload, &recs); err != nil || len(recs) != 1 || recs[0].Dest.S3 == nil {
		t.Fatalf("findings job %s: %v", fj[0].Payload, err)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM sns_outbound_audited`); n != 0 {
		t.Errorf("%d audit markers left after the job finished", n)
	}
}

// TestBrokenStoredPolicyFailsClosed stores a policy this Vigil refuses, as
// an older, more lenient Vigil could have: publishing is refused, delivery
// held, the log says so once, and setting a policy again mends the topic.
func TestBrokenStoredPolicyFailsClosed(t *testing.T) {
	var logged bytes.Buffer
	db, err := store.Open(context.Background(), t.TempDir(), store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	inv := &countingInvoker{}
	s := New(&services.Env{DB: db, Invoker: inv, AccountID: "123456789012", Region: "us-east-1", BaseURL: "http://vigil.test",
		Log: slog.New(slog.NewTextHandler(&logged, nil))})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	topic := lambdaTopic(t, s, "broken")
	call(t, s, "Publish", map[string]any{"TopicArn": topic, "Message": "before"})
	err = db.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(),
			`UPDATE sns_topics SET attributes = json_set(attributes, '$.DataProtectionPolicy', ?) WHERE arn = ?`, `{"Name":"old"}`, topic)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	for range 2 {
		_, err := callErr(s, "Publish", map[string]any{"TopicArn": topic, "Message": "m"})
		var ae *awsproto.Error
		if !errors.As(err, &ae) || ae.Code != "InvalidParameter" || ae.Status != http.StatusBadRequest ||
			!strings.Contains(ae.Message, "DataProtectionPolicy") || !strings.Contains(ae.Message, topic) {
			t.Fatalf("Publish to a topic whose policy does not parse: %v", err)
		}
	}
	out, err := callErr(s, "PublishBatch", map[string]any{"TopicArn": topic,
		"PublishBatchRequestEntries": []map[string]any{{"Id": "a", "Message": "m"}, {"Id": "b", "Message": "n"}}})
	if err != nil {
		t.Fatal(err)
	}
	res := out.(*PublishBatchResult)
	if len(res.Successful) != 0 || len(res.Failed) != 2 || res.Failed[0].Code != "InvalidParameter" || !res.Failed[1].SenderFault {
		t.Fatalf("PublishBatch: %+v", res)
	}
	jobs := jobsOf(t, db, kindDeliver)
	if len(jobs) != 1 {
		t.Fatalf("%d delivery jobs, want the one published before", len(jobs))
	}
	job := jobs[0]
	job.Attempts = 1
	err = s.handleDeliver(context.Background(), job)
	var at *runtime.RetryAt
	if !errors.As(err, &at) || time.Until(at.At) < policyHold/2 || inv.n.Load() != 0 {
		t.Fatalf("delivery from a topic whose policy does not parse: %v, %d invocations; want it held", err, inv.n.Load())
	}
	if n := strings.Count(logged.String(), "does not parse"); n != 1 {
		t.Errorf("%d log lines about the policy, want 1:\n%s", n, logged.String())
	}

	call(t, s, "PutDataProtectionPolicy", map[string]any{"ResourceArn": topic, "DataProtectionPolicy": inboundDeny("new", ccIdentifier)})
	job.Attempts = 2
	if err := s.handleDeliver(context.Background(), job); err != nil || inv.n.Load() != 1 {
		t.Fatalf("delivery after the policy was set again: %v, %d invocations", err, inv.n.Load())
	}
	call(t, s, "Publish", map[string]any{"TopicArn": topic, "Message": "after"})
}

// TestPublishRescreensChangedPolicy changes a topic's policy between the
// screening of a message and its transaction. The change comes from the
// screening hook, which would deadlock if screening ran on the writer.
func TestPublishRescreensChangedPolicy(t *testing.T) {
	allow := inboundDeny("emails", "arn:aws:dataprotection::aws:data-identifier/EmailAddress")
	deny := inboundDeny("cards", ccIdentifier)
	batch := func(topic string) map[string]any {
		return map[string]any{"TopicArn": topic, "PublishBatchRequestEntries": []map[string]any{{"Id": "a", "Message": cardMessage}}}
	}
	refused := func(action string, out any, err error) bool {
		if action == "PublishBatch" && err == nil {
			r := out.(*PublishBatchResult)
			return len(r.Failed) == 1 && r.Failed[0].Code == "AuthorizationError"
		}
		var ae *awsproto.Error
		return errors.As(err, &ae) && ae.Code == "AuthorizationError"
	}
	for _, action := range []string{"Publish", "PublishBatch"} {
		t.Run(action, func(t *testing.T) {
			s, _ := newBareService(t)
			topic := lambdaTopic(t, s, "changing")
			in := map[string]any{"TopicArn": topic, "Message": cardMessage}
			if action == "PublishBatch" {
				in = batch(topic)
			}
			set := func(policy string) {
				call(t, s, "PutDataProtectionPolicy", map[string]any{"ResourceArn": topic, "DataProtectionPolicy": policy})
			}
			set(allow)
			screenings := 0
			s.afterScreen = func() { screenings++ }
			if out, err := callErr(s, action, in); err != nil || refused(action, out, err) || screenings != 1 {
				t.Fatalf("unchanged policy: %v, %d screenings", err, screenings)
			}

			// Changed once: screened again, outside, under the new policy.
			screenings = 0
			s.afterScreen = func() {
				if screenings++; screenings == 1 {
					set(deny)
				}
			}
			if out, err := callErr(s, action, in); !refused(action, out, err) || screenings != 2 {
				t.Fatalf("policy changed to Deny: %v, %d screenings", err, screenings)
			}

			// Changed every time: screened inside after maxScreenings tries,
			// under the policy last set (deny, as maxScreenings is odd).
			set(allow)
			screenings = 0
			s.afterScreen = func() {
				if screenings++; screenings%2 == 1 {
					set(deny)
				} else {
					set(allow)
				}
			}
			if out, err := callErr(s, action, in); !refused(action, out, err) || screenings != maxScreenings {
				t.Fatalf("policy changing: %v, %d screenings, want %d", err, screenings, maxScreenings)
			}
		})
	}
}

// TestCheckDestination checks that audit destinations which would become
// paths outside the findings folder are refused, even where dataprotect's
// own checks already refuse them.
func TestCheckDestination(t *testing.T) {
	s3 := func(b string) *dataprotect.Destination {
		return &dataprotect.Destination{S3: &struct {
			Bucket string `json:"Bucket"`
		}{b}}
	}
	for _, tc := range []struct {
		bucket string
		ok     bool
	}{
		{"findings-bucket", true}, {"b.b", true}, {"", false}, {".", false}, {"..", false},
		{"a/../../etc", false}, {"../x", false}, {`a\b`, false},
	} {
		if err := checkDestination(s3(tc.bucket)); (err == nil) != tc.ok {
			t.Errorf("bucket %q: %v", tc.bucket, err)
		}
	}
}
