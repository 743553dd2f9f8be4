package events

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/runtime"
)

// roleInvoker is a fakeInvoker that can also assume roles, as the front
// door does.
type roleInvoker struct {
	*fakeInvoker
	trusted map[string]bool // role ARNs that trust EventBridge
	asked   []string        // "role service session"
}

func (r *roleInvoker) AssumeRoleForService(ctx context.Context, roleArn, service, session string) (identity.Principal, error) {
	r.asked = append(r.asked, roleArn+" "+service+" "+session)
	if !r.trusted[roleArn] {
		return identity.Principal{}, awsproto.Errorf(403, "AccessDenied", "not trusted")
	}
	return identity.Principal{Type: identity.AssumedRole, ARN: "arn:aws:sts::" + testAccount + ":assumed-role/r/" + session,
		RoleARN: roleArn, InvokedBy: service}, nil
}

func TestDeliverWithTargetRole(t *testing.T) {
	h := newHarness(t)
	ri := &roleInvoker{fakeInvoker: h.inv, trusted: map[string]bool{"arn:aws:iam::" + testAccount + ":role/good": true}}
	h.env.Invoker = ri
	ctx := context.Background()

	job := h.deliveryFor(map[string]any{"Id": "sm", "Arn": smARN("flow"), "RoleArn": "arn:aws:iam::" + testAccount + ":role/good"})
	if err := h.s.deliver(ctx, job); err != nil {
		t.Fatal(err)
	}
	calls := h.inv.invocations()
	if len(calls) != 1 || calls[0].As.Type != identity.AssumedRole || calls[0].As.RoleARN != "arn:aws:iam::"+testAccount+":role/good" {
		t.Fatalf("calls %+v", calls)
	}
	if want := "arn:aws:iam::" + testAccount + ":role/good events.amazonaws.com EventBridge-r"; !slices.Equal(ri.asked, []string{want}) {
		t.Errorf("assumed %q, want %q", ri.asked, want)
	}

	// A role that does not trust EventBridge: the delivery ends, untried.
	job = h.deliveryFor(map[string]any{"Id": "sm", "Arn": smARN("flow"), "RoleArn": "arn:aws:iam::" + testAccount + ":role/bad"})
	err := h.s.deliver(ctx, job)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || errors.As(err, new(*runtime.RetryAt)) {
		t.Fatalf("delivery with an untrusted role: %v, want a final AccessDenied", err)
	}
	if n := len(h.inv.invocations()); n != 1 {
		t.Errorf("the target was called %d times, want once", n)
	}

	// Without a role, the service calls as the account.
	job = h.deliveryFor(map[string]any{"Id": "topic", "Arn": topicARN("alerts")})
	if err := h.s.deliver(ctx, job); err != nil {
		t.Fatal(err)
	}
	if c := h.inv.invocations()[1]; c.As.Type != identity.Root || c.As.InvokedBy != servicePrincipal {
		t.Errorf("role-less target called as %+v", c.As)
	}
}

func TestRoleSessionName(t *testing.T) {
	for in, want := range map[string]string{
		"orders":                 "orders",
		"a":                      "EventBridge-a",
		"rule with spaces/and:x": "rule-with-spaces-and-x",
		strings.Repeat("r", 70):  strings.Repeat("r", 64),
	} {
		if got := roleSessionName(in); got != want {
			t.Errorf("roleSessionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPatternKeys(t *testing.T) {
	k := patternKeys(`{"source":["aws.health","my.app"],"detail-type":["AWS Health Event"],"detail":{"x":[1]}}`)
	if !slices.Equal(k["events:source"], []string{"aws.health", "my.app"}) || !slices.Equal(k["events:detail-type"], []string{"AWS Health Event"}) {
		t.Errorf("keys %v", k)
	}
	if k := patternKeys(`{"source":[{"prefix":"aws."}]}`); len(k) != 0 {
		t.Errorf("a prefix matcher gave keys %v", k)
	}
	if k := patternKeys(`not json`); len(k) != 0 {
		t.Errorf("bad pattern gave keys %v", k)
	}
}
