package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

// fakeInvoker records service-to-service calls and answers them with respond.
type fakeInvoker struct {
	mu      sync.Mutex
	calls   []invocation
	respond func(service, action string, input json.RawMessage) (json.RawMessage, error)
}

type invocation struct {
	As              identity.Principal
	Service, Action string
	Input           json.RawMessage
}

func (f *fakeInvoker) Invoke(ctx context.Context, as identity.Principal, service, action string, input any) (json.RawMessage, error) {
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.calls = append(f.calls, invocation{as, service, action, raw})
	respond := f.respond
	f.mu.Unlock()
	if respond != nil {
		return respond(service, action, raw)
	}
	return json.RawMessage(`{}`), nil
}

func (f *fakeInvoker) invocations() []invocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]invocation(nil), f.calls...)
}

type harness struct {
	t   testing.TB
	s   *Service
	env *services.Env
	inv *fakeInvoker
}

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
)

func newHarness(t testing.TB) *harness {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir, store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return startHarness(t, db)
}

// startHarness builds and starts a service on db, as a (re)started server would.
func startHarness(t testing.TB, db *store.DB) *harness {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	inv := &fakeInvoker{}
	env := &services.Env{DB: db, Runner: runtime.New(db, log, 1), Invoker: inv, Log: log,
		AccountID: testAccount, Region: testRegion}
	s := New(env)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, s: s, env: env, inv: inv}
}

func rootCaller() identity.Principal {
	return identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + testAccount + ":root", AccountID: testAccount}
}

// call runs an action as root with input marshalled to JSON.
func (h *harness) call(action string, input any) (any, error) {
	return h.callAs(rootCaller(), action, input)
}

func (h *harness) callAs(p identity.Principal, action string, input any) (any, error) {
	h.t.Helper()
	raw, err := json.Marshal(input)
	if err != nil {
		h.t.Fatal(err)
	}
	c := &awsproto.Call{Service: spec, Action: action, Input: raw, Caller: p, Time: time.Now()}
	return h.s.Handle(context.Background(), c)
}

// must runs an action that must succeed and returns its result as JSON.
func (h *harness) must(action string, input any) json.RawMessage {
	h.t.Helper()
	out, err := h.call(action, input)
	if err != nil {
		h.t.Fatalf("%s: %v", action, err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

// fails runs an action that must fail with code and a message containing msg.
func (h *harness) fails(action string, input any, code, msg string) {
	h.t.Helper()
	_, err := h.call(action, input)
	var e *awsproto.Error
	if !errors.As(err, &e) {
		h.t.Fatalf("%s: error = %v, want %s", action, err, code)
	}
	if e.Code != code || !strings.Contains(e.Message, msg) {
		h.t.Fatalf("%s: error = %s: %s, want %s containing %q", action, e.Code, e.Message, code, msg)
	}
	if e.Status != 400 {
		h.t.Fatalf("%s: status %d, want 400", action, e.Status)
	}
}

// jobs returns the payloads of the queued delivery jobs.
func (h *harness) jobs() []deliveryJob {
	h.t.Helper()
	rows, err := h.env.DB.Read().Query(`SELECT payload FROM jobs WHERE kind = ? ORDER BY id`, deliverKind)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []deliveryJob
	for rows.Next() {
		var p []byte
		if err := rows.Scan(&p); err != nil {
			h.t.Fatal(err)
		}
		var d deliveryJob
		if err := json.Unmarshal(p, &d); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func (h *harness) clearJobs() {
	h.t.Helper()
	err := h.env.DB.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM jobs`)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) putEvents(entries ...map[string]any) PutEventsResult {
	h.t.Helper()
	var out PutEventsResult
	if err := json.Unmarshal(h.must("PutEvents", map[string]any{"Entries": entries}), &out); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func entry(source, detailType, detail string) map[string]any {
	return map[string]any{"Source": source, "DetailType": detailType, "Detail": detail}
}

func smARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", testRegion, testAccount, name)
}

func topicARN(name string) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", testRegion, testAccount, name)
}

func fnARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", testRegion, testAccount, name)
}
