package sns

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

// newBareService returns a service on a fresh store, with no runner: the
// jobs it enqueues stay in the table for the test to inspect.
func newBareService(t *testing.T) (*Service, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir(), store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := New(&services.Env{DB: db, AccountID: "123456789012", Region: "us-east-1", BaseURL: "http://vigil.test"})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, db
}

func call(t *testing.T, s *Service, action string, in any) any {
	t.Helper()
	raw, _ := json.Marshal(in)
	c := &awsproto.Call{Service: spec, Action: action, Input: raw,
		Caller: identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::123456789012:root", AccountID: "123456789012"}}
	out, err := s.Handle(context.Background(), c)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	return out
}

func jobsOf(t *testing.T, db *store.DB, kind string) []store.Job {
	t.Helper()
	rows, err := db.Read().Query(`SELECT id, payload FROM jobs WHERE kind = ? ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var jobs []store.Job
	for rows.Next() {
		j := store.Job{Kind: kind}
		rows.Scan(&j.ID, &j.Payload)
		jobs = append(jobs, j)
	}
	return jobs
}

func TestPendingSubscriptionExpires(t *testing.T) {
	s, db := newBareService(t)
	topic := call(t, s, "CreateTopic", map[string]any{"Name": "t"}).(*CreateTopicResult).TopicArn
	call(t, s, "Subscribe", map[string]any{"TopicArn": topic, "Protocol": "http", "Endpoint": "http://127.0.0.1:1/"})
	if n := len(jobsOf(t, db, kindConfirm)); n != 1 {
		t.Fatalf("%d confirmation jobs, want 1", n)
	}
	// Publishing reaches no pending subscription: no message, no job.
	call(t, s, "Publish", map[string]any{"TopicArn": topic, "Message": "m"})
	if n := len(jobsOf(t, db, kindDeliver)); n != 0 {
		t.Fatalf("%d delivery jobs for a pending subscription", n)
	}
	expiry := jobsOf(t, db, kindExpire)
	if len(expiry) != 1 {
		t.Fatalf("%d expiry jobs, want 1", len(expiry))
	}
	var due int64
	db.Read().QueryRow(`SELECT due_at FROM jobs WHERE id = ?`, expiry[0].ID).Scan(&due)
	if d := time.Until(time.Unix(0, due)); d < 71*time.Hour || d > 73*time.Hour {
		t.Errorf("expiry due in %v, want about 72h", d)
	}
	if err := s.handleExpire(context.Background(), expiry[0]); err != nil {
		t.Fatal(err)
	}
	list := call(t, s, "ListSubscriptionsByTopic", map[string]any{"TopicArn": topic}).(*ListSubscriptionsResult)
	if len(list.Subscriptions) != 0 {
		t.Fatalf("subscriptions after expiry: %+v", list.Subscriptions)
	}
}

func TestPublishEnqueuesOneJobPerConfirmedSubscription(t *testing.T) {
	s, db := newBareService(t)
	topic := call(t, s, "CreateTopic", map[string]any{"Name": "fan"}).(*CreateTopicResult).TopicArn
	for _, f := range []string{"a", "b", "c"} {
		call(t, s, "Subscribe", map[string]any{"TopicArn": topic, "Protocol": "lambda",
			"Endpoint": "arn:aws:lambda:us-east-1:123456789012:function:" + f})
	}
	call(t, s, "Subscribe", map[string]any{"TopicArn": topic, "Protocol": "lambda",
		"Endpoint":   "arn:aws:lambda:us-east-1:123456789012:function:filtered",
		"Attributes": map[string]string{"FilterPolicy": `{"k":["never"]}`}})
	out := call(t, s, "Publish", map[string]any{"TopicArn": topic, "Message": "m"}).(*PublishResult)
	jobs := jobsOf(t, db, kindDeliver)
	if len(jobs) != 3 {
		t.Fatalf("%d delivery jobs, want 3", len(jobs))
	}
	var pending int
	db.Read().QueryRow(`SELECT pending FROM sns_messages WHERE id = ?`, out.MessageId).Scan(&pending)
	if pending != 3 {
		t.Fatalf("message pending = %d, want 3", pending)
	}
	// Deliveries to a deleted topic end quietly and release the message.
	call(t, s, "DeleteTopic", map[string]any{"TopicArn": topic})
	for _, j := range jobs {
		if err := s.handleDeliver(context.Background(), j); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	db.Read().QueryRow(`SELECT COUNT(*) FROM sns_messages`).Scan(&n)
	if n != 0 || len(jobsOf(t, db, kindDeliver)) != 0 {
		t.Fatalf("after the deliveries: %d messages, %d jobs", n, len(jobsOf(t, db, kindDeliver)))
	}
}
