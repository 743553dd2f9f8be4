package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/policy"
)

const acct = "123456789012"

// fakeService answers every call and says what it acts on.
type fakeService struct {
	spec *awsproto.Spec
	info services.AuthInfo
	ran  int
}

func (f *fakeService) Spec() *awsproto.Spec { return f.spec }
func (f *fakeService) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	f.ran++
	return map[string]string{"ok": "yes"}, nil
}
func (f *fakeService) AuthContext(ctx context.Context, call *awsproto.Call) (services.AuthInfo, error) {
	return f.info, nil
}

// fakePolicies serves fixed policies per principal ARN, and roles.
type fakePolicies struct {
	by    map[string]PrincipalPolicies
	trust map[string]string
}

func (f *fakePolicies) PrincipalPolicies(ctx context.Context, p identity.Principal) (PrincipalPolicies, error) {
	key := p.ARN
	if p.RoleARN != "" {
		key = p.RoleARN
	}
	return f.by[key], nil
}

func (f *fakePolicies) RoleTrust(ctx context.Context, roleArn string) ([]byte, error) {
	t, ok := f.trust[roleArn]
	if !ok {
		return nil, awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "no role %s", roleArn)
	}
	return []byte(t), nil
}

func (f *fakePolicies) RolePrincipal(ctx context.Context, roleArn, session string) (identity.Principal, error) {
	name := roleArn[strings.LastIndexByte(roleArn, '/')+1:]
	return identity.Principal{Type: identity.AssumedRole, ARN: "arn:aws:sts::" + acct + ":assumed-role/" + name + "/" + session,
		AccountID: acct, PrincipalID: "AROAEXAMPLE:" + session, RoleARN: roleArn}, nil
}

func doc(stmts ...string) []byte {
	return []byte(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)
}

var (
	root  = identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + acct + ":root", AccountID: acct, PrincipalID: acct}
	alice = identity.Principal{Type: identity.IAMUser, ARN: "arn:aws:iam::" + acct + ":user/alice", AccountID: acct,
		UserName: "alice", PrincipalID: "AIDAALICE", Tags: map[string]string{"team": "red"}}
	bob = identity.Principal{Type: identity.IAMUser, ARN: "arn:aws:iam::" + acct + ":user/bob", AccountID: acct,
		UserName: "bob", PrincipalID: "AIDABOB"}
)

const topicARN = "arn:aws:sns:us-east-1:" + acct + ":alerts"

func newTestServer(t *testing.T, src PolicySource, svcs ...services.Service) *Server {
	t.Helper()
	s := New(slog.New(slog.NewTextHandler(io.Discard, nil)), "us-east-1")
	s.SetAccount(acct)
	s.SetPolicies(src)
	for _, svc := range svcs {
		s.Register(svc)
	}
	return s
}

func TestAuthorize(t *testing.T) {
	src := &fakePolicies{by: map[string]PrincipalPolicies{
		alice.ARN: {Identity: []PolicyDoc{{ID: "p1", Document: doc(
			`{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}`,
			`{"Effect":"Deny","Action":"sns:DeleteTopic","Resource":"*"}`,
			`{"Effect":"Allow","Action":"sns:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}}`,
			`{"Effect":"Allow","Action":"sns:GetTopicAttributes","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`,
			`{"Effect":"Allow","Action":["sns:Subscribe","states:ListStateMachines"],"Resource":"*"}`,
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"states.amazonaws.com"}}}`)}},
			Boundary: &PolicyDoc{ID: "b", Document: doc(`{"Effect":"Allow","Action":["sns:*","iam:PassRole"],"Resource":"*"}`)}},
	}}
	src.by[bob.ARN] = PrincipalPolicies{Identity: []PolicyDoc{{ID: "bad", Document: []byte(`{"Statement":`)}}}

	topicPolicy := doc(`{"Effect":"Allow","Principal":{"AWS":"`+bob.ARN+`"},"Action":"sns:Publish","Resource":"`+topicARN+`"}`,
		`{"Effect":"Deny","Principal":"*","Action":"sns:SetTopicAttributes","Resource":"`+topicARN+`"}`)
	svc := &fakeService{spec: &awsproto.Spec{Name: "sns", Protocol: awsproto.Query, Anonymous: []string{"ConfirmSubscription"}}}
	jsonSvc := &fakeService{spec: &awsproto.Spec{Name: "states", Protocol: awsproto.JSON10, TargetPrefix: "AWSStepFunctions"}}
	s := newTestServer(t, src, svc, jsonSvc)

	tests := []struct {
		name     string
		svc      *fakeService
		caller   identity.Principal
		action   string
		input    string
		ip       string
		info     services.AuthInfo
		wantCode string
		wantMsg  string
	}{
		{name: "root is allowed", svc: svc, caller: root, action: "DeleteTopic", info: services.AuthInfo{Resources: []string{topicARN}}},
		{name: "root is refused by an explicit deny in a resource policy", svc: svc, caller: root, action: "SetTopicAttributes",
			info:     services.AuthInfo{Resources: []string{topicARN}, ResourcePolicies: []services.ResourcePolicy{{ID: topicARN, Document: topicPolicy}}},
			wantCode: "AuthorizationError", wantMsg: "with an explicit deny in a resource-based policy"},
		{name: "root and another account's resource", svc: svc, caller: root, action: "Publish",
			info: services.AuthInfo{Resources: []string{"arn:aws:sns:us-east-1:999999999999:theirs"}}, wantCode: "AuthorizationError",
			wantMsg: "because no resource-based policy allows"},
		{name: "identity policy allows", svc: svc, caller: alice, action: "Publish", info: services.AuthInfo{Resources: []string{topicARN}}},
		{name: "nothing allows", svc: svc, caller: alice, action: "CreateTopic", info: services.AuthInfo{Resources: []string{topicARN}},
			wantCode: "AuthorizationError",
			wantMsg:  "User: " + alice.ARN + " is not authorized to perform: SNS:CreateTopic on resource: " + topicARN + " because no identity-based policy allows the SNS:CreateTopic action"},
		{name: "explicit deny wins", svc: svc, caller: alice, action: "DeleteTopic", info: services.AuthInfo{Resources: []string{topicARN}},
			wantCode: "AuthorizationError", wantMsg: "with an explicit deny in an identity-based policy"},
		{name: "request tag matches principal tag", svc: svc, caller: alice, action: "TagResource", input: `{"Tags":[{"Key":"team","Value":"red"}]}`,
			info: services.AuthInfo{Resources: []string{topicARN}}},
		{name: "request tag differs", svc: svc, caller: alice, action: "TagResource", input: `{"Tags":[{"Key":"team","Value":"blue"}]}`,
			info: services.AuthInfo{Resources: []string{topicARN}}, wantCode: "AuthorizationError"},
		{name: "source ip inside", svc: svc, caller: alice, action: "GetTopicAttributes", ip: "10.1.2.3", info: services.AuthInfo{Resources: []string{topicARN}}},
		{name: "source ip outside", svc: svc, caller: alice, action: "GetTopicAttributes", ip: "127.0.0.1",
			info: services.AuthInfo{Resources: []string{topicARN}}, wantCode: "AuthorizationError"},
		{name: "boundary limits", svc: jsonSvc, caller: alice, action: "ListStateMachines",
			wantCode: "AccessDeniedException", wantMsg: "because no permissions boundary allows the states:ListStateMachines action"},
		{name: "no policy for the JSON service", svc: jsonSvc, caller: alice, action: "DeleteStateMachine",
			wantCode: "AccessDeniedException", wantMsg: "because no identity-based policy allows"},
		{name: "pass role to the right service", svc: svc, caller: alice, action: "Subscribe",
			info: services.AuthInfo{Resources: []string{topicARN}, Also: []services.Check{{Action: "iam:PassRole", Resource: "arn:aws:iam::" + acct + ":role/r",
				Keys: map[string][]string{"iam:PassedToService": {"states.amazonaws.com"}}}}}},
		{name: "pass role to another service", svc: svc, caller: alice, action: "Subscribe",
			info: services.AuthInfo{Resources: []string{topicARN}, Also: []services.Check{{Action: "iam:PassRole", Resource: "arn:aws:iam::" + acct + ":role/r",
				Keys: map[string][]string{"iam:PassedToService": {"events.amazonaws.com"}}}}},
			wantCode: "AuthorizationError", wantMsg: "iam:PassRole on resource: arn:aws:iam::" + acct + ":role/r"},
		{name: "an unreadable identity policy refuses even what a resource policy allows", svc: svc, caller: bob, action: "Publish", info: services.AuthInfo{Resources: []string{topicARN},
			ResourcePolicies: []services.ResourcePolicy{{ID: topicARN, Document: topicPolicy}}}, wantCode: "AuthorizationError"},
		{name: "public operation", svc: svc, caller: bob, action: "Anything", info: services.AuthInfo{Public: true}},
		{name: "unsigned", svc: svc, caller: identity.Principal{}, action: "Publish", info: services.AuthInfo{Resources: []string{topicARN}},
			wantCode: "AuthorizationError", wantMsg: "User: anonymous is not authorized to perform: SNS:Publish"},
		{name: "unsigned anonymous action", svc: svc, caller: identity.Principal{}, action: "ConfirmSubscription"},
		{name: "service principal", svc: svc, caller: identity.Principal{Type: identity.AWSService, InvokedBy: "events.amazonaws.com"}, action: "Publish",
			info: services.AuthInfo{Resources: []string{topicARN}}},
		{name: "service principal denied", svc: svc, caller: identity.Principal{Type: identity.AWSService, InvokedBy: "events.amazonaws.com"}, action: "SetTopicAttributes",
			info:     services.AuthInfo{Resources: []string{topicARN}, ResourcePolicies: []services.ResourcePolicy{{ID: topicARN, Document: topicPolicy}}},
			wantCode: "AuthorizationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.svc.info = tt.info
			input := tt.input
			if input == "" {
				input = "{}"
			}
			call := &awsproto.Call{Service: tt.svc.spec, Action: tt.action, Input: json.RawMessage(input), Caller: tt.caller,
				SourceIP: tt.ip, Region: "us-east-1", Time: time.Now()}
			e := s.authorize(context.Background(), tt.svc, call)
			switch {
			case tt.wantCode == "" && e != nil:
				t.Fatalf("refused: %v", e)
			case tt.wantCode != "" && e == nil:
				t.Fatalf("allowed, want %s", tt.wantCode)
			case e != nil && (e.Code != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg)):
				t.Fatalf("error %s %q, want %s containing %q", e.Code, e.Message, tt.wantCode, tt.wantMsg)
			}
		})
	}
	// bob's policy cannot be parsed: bob is refused, even where a resource
	// policy would allow, because its denies cannot be known.
	svc.info = services.AuthInfo{Resources: []string{topicARN}, ResourcePolicies: []services.ResourcePolicy{{ID: topicARN, Document: topicPolicy}}}
	call := &awsproto.Call{Service: svc.spec, Action: "Publish", Input: json.RawMessage("{}"), Caller: bob}
	if e := s.authorize(context.Background(), svc, call); e == nil || e.Status != http.StatusForbidden {
		t.Errorf("unreadable policy: %v, want AuthorizationError", e)
	}
	// With a readable policy the topic policy lets bob publish.
	src.by[bob.ARN] = PrincipalPolicies{}
	if e := s.authorize(context.Background(), svc, call); e != nil {
		t.Errorf("topic policy naming bob: %v", e)
	}
}

func TestDeniedErrorShapes(t *testing.T) {
	s := newTestServer(t, nil)
	r := policy.Result{Decision: policy.ImplicitDeny, Reason: policy.Identity}
	for _, tt := range []struct {
		spec       awsproto.Spec
		code       string
		status     int
		actionText string
	}{
		{awsproto.Spec{Name: "iam", Protocol: awsproto.Query}, "AccessDenied", 403, "iam:CreateUser"},
		{awsproto.Spec{Name: "sns", Protocol: awsproto.Query}, "AuthorizationError", 403, "SNS:CreateUser"},
		{awsproto.Spec{Name: "states", Protocol: awsproto.JSON10}, "AccessDeniedException", 400, "states:CreateUser"},
		{awsproto.Spec{Name: "lambda", Protocol: awsproto.RESTJSON}, "AccessDeniedException", 403, "lambda:CreateUser"},
	} {
		call := &awsproto.Call{Service: &tt.spec, Caller: alice}
		e := s.denied(call, denial{Action: tt.spec.Name + ":CreateUser", Resource: "*", Result: r})
		want := "User: " + alice.ARN + " is not authorized to perform: " + tt.actionText + " because no identity-based policy allows the " + tt.actionText + " action"
		if e.Code != tt.code || e.Status != tt.status || e.Message != want {
			t.Errorf("%s: %s %d %q, want %s %d %q", tt.spec.Name, e.Code, e.Status, e.Message, tt.code, tt.status, want)
		}
	}
}

func TestDeniedMessage(t *testing.T) {
	for _, tt := range []struct {
		r    policy.Result
		want string
	}{
		{policy.Result{Decision: policy.ImplicitDeny, Reason: policy.Identity}, "because no identity-based policy allows the a:B action"},
		{policy.Result{Decision: policy.ImplicitDeny, Reason: policy.Boundary}, "because no permissions boundary allows the a:B action"},
		{policy.Result{Decision: policy.ImplicitDeny, Reason: policy.Session}, "because no session policy allows the a:B action"},
		{policy.Result{Decision: policy.ImplicitDeny, Reason: policy.Resource}, "because no resource-based policy allows the a:B action"},
		{policy.Result{Decision: policy.ExplicitDeny, Reason: policy.Identity}, "with an explicit deny in an identity-based policy"},
		{policy.Result{Decision: policy.ExplicitDeny, Reason: policy.Boundary}, "with an explicit deny in a permissions boundary"},
		{policy.Result{Decision: policy.ExplicitDeny, Reason: policy.Session}, "with an explicit deny in a session policy"},
		{policy.Result{Decision: policy.ExplicitDeny, Reason: policy.SCP}, "with an explicit deny in a service control policy"},
	} {
		got := deniedMessage("U", "a:B", "R", tt.r)
		if want := "User: U is not authorized to perform: a:B on resource: R " + tt.want; got != want {
			t.Errorf("%v: %q, want %q", tt.r, got, want)
		}
	}
	if got := deniedMessage("U", "a:B", "*", policy.Result{}); strings.Contains(got, "on resource") {
		t.Errorf("resource * is named: %q", got)
	}
}

func TestRequestContext(t *testing.T) {
	s := newTestServer(t, nil)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	via := root
	via.InvokedBy = "states.amazonaws.com"
	sess := identity.Principal{Type: identity.AssumedRole, ARN: "arn:aws:sts::" + acct + ":assumed-role/r/s", RoleARN: "arn:aws:iam::" + acct + ":role/r",
		AccountID: acct, PrincipalID: "AROAX:s", InvokedBy: "states.amazonaws.com", Tags: map[string]string{"Team": "blue"}}
	for _, tt := range []struct {
		name   string
		caller identity.Principal
		input  string
		ip     string
		want   map[string][]string
		absent []string
	}{
		{name: "user", caller: alice, input: `{"Tags":[{"Key":"team","Value":"red"},{"Key":"env","Value":"prod"}]}`, ip: "127.0.0.1",
			want: map[string][]string{"aws:username": {"alice"}, "aws:userid": {"AIDAALICE"}, "aws:principaltype": {"User"},
				"aws:principalarn": {alice.ARN}, "aws:principalaccount": {acct}, "aws:principaltag/team": {"red"},
				"aws:sourceip": {"127.0.0.1"}, "aws:securetransport": {"false"}, "aws:requestedregion": {"us-east-1"},
				"aws:currenttime": {"2026-03-04T05:06:07Z"}, "aws:epochtime": {"1772600767"}, "aws:requesttag/team": {"red"},
				"aws:requesttag/env": {"prod"}, "aws:tagkeys": {"team", "env"}, "aws:viaawsservice": {"false"}},
			absent: []string{"aws:calledvia"}},
		{name: "untag keys", caller: alice, input: `{"tagKeys":["a","b"]}`, want: map[string][]string{"aws:tagkeys": {"a", "b"}},
			absent: []string{"aws:sourceip"}},
		{name: "root through a service", caller: via, input: `{}`, ip: "states.amazonaws.com",
			want:   map[string][]string{"aws:calledvia": {"states.amazonaws.com"}, "aws:viaawsservice": {"true"}, "aws:principaltype": {"Account"}},
			absent: []string{"aws:sourceip", "aws:tagkeys"}},
		{name: "service role session", caller: sess, input: `{"tags":{"k":"v"}}`,
			want: map[string][]string{"aws:principalarn": {sess.RoleARN}, "aws:principaltag/team": {"blue"}, "aws:viaawsservice": {"false"},
				"aws:requesttag/k": {"v"}, "aws:principaltype": {"AssumedRole"}},
			absent: []string{"aws:calledvia", "aws:username"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			call := &awsproto.Call{Service: &awsproto.Spec{Name: "sns"}, Caller: tt.caller, Input: json.RawMessage(tt.input),
				SourceIP: tt.ip, Region: "us-east-1", Time: at}
			c := s.requestContext(context.Background(), call)
			for k, v := range tt.want {
				got, ok := c.Get(k)
				if !ok || strings.Join(got, ",") != strings.Join(v, ",") {
					t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
				}
			}
			for _, k := range tt.absent {
				if v, ok := c.Get(k); ok {
					t.Errorf("%s = %q, want absent", k, v)
				}
			}
		})
	}
}

func TestAssumeRoleForService(t *testing.T) {
	role := "arn:aws:iam::" + acct + ":role/workflow"
	src := &fakePolicies{trust: map[string]string{role: string(doc(
		`{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}`))}}
	s := newTestServer(t, src)
	ctx := context.Background()
	p, err := s.AssumeRoleForService(ctx, role, "states.amazonaws.com", "exec-1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != identity.AssumedRole || p.RoleARN != role || p.InvokedBy != "states.amazonaws.com" || !strings.HasSuffix(p.ARN, "/workflow/exec-1") {
		t.Errorf("principal %+v", p)
	}
	for _, tt := range []struct{ role, svc string }{
		{role, "events.amazonaws.com"},
		{"arn:aws:iam::" + acct + ":role/none", "states.amazonaws.com"},
	} {
		_, err := s.AssumeRoleForService(ctx, tt.role, tt.svc, "x1")
		e, ok := err.(*awsproto.Error)
		if !ok || e.Code != "AccessDenied" || e.Status != http.StatusForbidden {
			t.Errorf("%s for %s: %v, want AccessDenied", tt.role, tt.svc, err)
		}
	}
	// The role session's calls are decided by the role's policies.
	src.by = map[string]PrincipalPolicies{role: {Identity: []PolicyDoc{{ID: "r", Document: doc(`{"Effect":"Allow","Action":"states:StartExecution","Resource":"*"}`)}}}}
	svc := &fakeService{spec: &awsproto.Spec{Name: "states", Protocol: awsproto.JSON10, TargetPrefix: "AWSStepFunctions"}}
	s.Register(svc)
	if _, err := s.Invoke(ctx, p, "states", "StartExecution", map[string]string{}); err != nil {
		t.Errorf("StartExecution with the role: %v", err)
	}
	_, err = s.Invoke(ctx, p, "states", "DeleteStateMachine", map[string]string{})
	if e, ok := err.(*awsproto.Error); !ok || e.Code != "AccessDeniedException" {
		t.Errorf("DeleteStateMachine with the role: %v, want AccessDeniedException", err)
	}
	if svc.ran != 1 {
		t.Errorf("the service ran %d times, want 1", svc.ran)
	}
}

func BenchmarkAuthorize(b *testing.B) {
	var stmts []string
	for i := range 5 {
		stmts = append(stmts, `{"Effect":"Allow","Action":["sns:Publish","sns:Get*"],"Resource":"arn:aws:sns:us-east-1:`+acct+`:t`+string(rune('a'+i))+`*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}`)
	}
	var docs []PolicyDoc
	for i := range 10 {
		docs = append(docs, PolicyDoc{ID: "p" + string(rune('0'+i)), Document: doc(stmts...)})
	}
	src := &fakePolicies{by: map[string]PrincipalPolicies{alice.ARN: {Identity: docs}}}
	svc := &fakeService{spec: &awsproto.Spec{Name: "sns", Protocol: awsproto.Query}, info: services.AuthInfo{Resources: []string{"arn:aws:sns:us-east-1:" + acct + ":te-1"}}}
	s := New(slog.New(slog.NewTextHandler(io.Discard, nil)), "us-east-1")
	s.SetPolicies(src)
	call := &awsproto.Call{Service: svc.spec, Action: "Publish", Input: json.RawMessage(`{}`), Caller: alice, SourceIP: "127.0.0.1", Time: time.Now()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if e := s.authorize(ctx, svc, call); e != nil {
			b.Fatal(e)
		}
	}
}
