package sts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/services/iam"
	"github.com/vigilsec/vigil/internal/store"
)

const account = "123456789012"

type fixture struct {
	iam  *iam.Service
	sts  *Service
	user identity.Principal // alice, an IAM user
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir, store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	env := &services.Env{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), AccountID: account, Region: "us-east-1", DataDir: dir}
	f := &fixture{iam: iam.New(env)}
	f.sts = New(env, f.iam)
	var u iam.CreateUserResult
	f.iamCall(t, "CreateUser", map[string]any{"UserName": "alice"}, &u)
	f.user = identity.Principal{Type: identity.IAMUser, ARN: u.User.ARN, AccountID: account, UserName: "alice", PrincipalID: u.User.UserID}
	return f
}

func root() identity.Principal {
	return identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + account + ":root", AccountID: account, PrincipalID: account}
}

func (f *fixture) iamCall(t testing.TB, action string, in any, out any) {
	t.Helper()
	raw, _ := json.Marshal(in)
	res, err := f.iam.Handle(context.Background(), &awsproto.Call{Action: action, Input: raw, Caller: root()})
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	if out != nil {
		b, _ := json.Marshal(res)
		json.Unmarshal(b, out)
	}
}

// role creates a role with a trust policy and returns its ARN.
func (f *fixture) role(t testing.TB, name, trust string, maxSession int) string {
	t.Helper()
	var r iam.RoleResult
	f.iamCall(t, "CreateRole", map[string]any{"RoleName": name, "AssumeRolePolicyDocument": trust, "MaxSessionDuration": maxSession}, &r)
	return r.Role.ARN
}

func (f *fixture) assume(t *testing.T, caller identity.Principal, in map[string]any) (*AssumeRoleResult, *awsproto.Call, error) {
	t.Helper()
	raw, _ := json.Marshal(in)
	c := &awsproto.Call{Service: spec, Action: "AssumeRole", Input: raw, Caller: caller, Region: "us-east-1", Time: time.Now()}
	res, err := f.sts.Handle(context.Background(), c)
	if err != nil {
		return nil, c, err
	}
	return res.(*AssumeRoleResult), c, nil
}

func wantCode(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	var e *awsproto.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v: want %s", err, code)
	}
	if e.Code != code || e.Status != status || !strings.Contains(e.Message, msg) {
		t.Fatalf("error %s (%d) %q: want %s (%d) containing %q", e.Code, e.Status, e.Message, code, status, msg)
	}
}

func trust(principal string, actions ...string) string {
	if len(actions) == 0 {
		actions = []string{"sts:AssumeRole"}
	}
	a, _ := json.Marshal(actions)
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + string(a) + `}]}`
}

func TestAssumeRole(t *testing.T) {
	f := newFixture(t)
	roleArn := f.role(t, "auditor", trust(account), 7200)
	res, c, err := f.assume(t, f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "alice-session", "DurationSeconds": "900"})
	if err != nil {
		t.Fatal(err)
	}
	cr := res.Credentials
	if !strings.HasPrefix(cr.AccessKeyID, "ASIA") || len(cr.AccessKeyID) != 20 || len(cr.SecretAccessKey) != 40 || cr.SessionToken == "" {
		t.Errorf("credentials %+v", cr)
	}
	if d := time.Until(time.Time(cr.Expiration)); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("expires in %v, want 15 minutes", d)
	}
	if res.AssumedRoleUser.ARN != "arn:aws:sts::"+account+":assumed-role/auditor/alice-session" ||
		!strings.HasPrefix(res.AssumedRoleUser.AssumedRoleID, "AROA") || !strings.HasSuffix(res.AssumedRoleUser.AssumedRoleID, ":alice-session") ||
		res.PackedPolicySize != nil {
		t.Errorf("result %+v", res)
	}
	if len(c.Resources) != 1 || c.Resources[0].ARN != roleArn {
		t.Errorf("resources %+v", c.Resources)
	}
	audit, _ := json.Marshal(c.AuditResponse)
	if strings.Contains(string(audit), cr.SecretAccessKey) || strings.Contains(string(audit), cr.SessionToken) || !strings.Contains(string(audit), cr.AccessKeyID) {
		t.Errorf("audit record %s", audit)
	}
	// The credentials resolve to the session, and GetCallerIdentity says so.
	p, key, ok, err := f.iam.LookupKey(context.Background(), cr.AccessKeyID)
	if !ok || err != nil || key.SessionToken != cr.SessionToken {
		t.Fatalf("LookupKey: %v %v", ok, err)
	}
	who, err := f.sts.Handle(context.Background(), &awsproto.Call{Action: "GetCallerIdentity", Caller: p})
	if err != nil {
		t.Fatal(err)
	}
	if w := who.(*GetCallerIdentityResult); w.ARN != res.AssumedRoleUser.ARN || w.UserID != res.AssumedRoleUser.AssumedRoleID || w.Account != account {
		t.Errorf("GetCallerIdentity = %+v", w)
	}
	// Role chaining is limited to an hour.
	_, _, err = f.assume(t, p, map[string]any{"RoleArn": roleArn, "RoleSessionName": "again", "DurationSeconds": 3601})
	wantCode(t, err, "ValidationError", 400, "1 hour session limit")
}

func TestAssumeRoleRefusals(t *testing.T) {
	f := newFixture(t)
	roleArn := f.role(t, "r", trust(account), 3600)
	other := f.role(t, "other", trust("arn:aws:iam::"+account+":user/alice", "sts:AssumeRole"), 3600)
	var bob iam.CreateUserResult
	f.iamCall(t, "CreateUser", map[string]any{"UserName": "bob"}, &bob)
	bobP := identity.Principal{Type: identity.IAMUser, ARN: bob.User.ARN, AccountID: account, PrincipalID: bob.User.UserID}
	denied := "is not authorized to perform: sts:AssumeRole on resource: "
	tests := []struct {
		name   string
		caller identity.Principal
		in     map[string]any
		code   string
		status int
		msg    string
	}{
		{"root", root(), map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1"}, "AccessDenied", 403, "Roles may not be assumed by root accounts."},
		{"no such role", f.user, map[string]any{"RoleArn": "arn:aws:iam::" + account + ":role/ghost", "RoleSessionName": "s1"}, "AccessDenied", 403,
			"User: " + f.user.ARN + " " + denied + "arn:aws:iam::" + account + ":role/ghost"},
		{"not trusted", bobP, map[string]any{"RoleArn": other, "RoleSessionName": "s1"}, "AccessDenied", 403, denied + other},
		{"tags need TagSession", f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "Tags": []map[string]string{{"Key": "k", "Value": "v"}}},
			"AccessDenied", 403, denied},
		{"longer than the role allows", f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "DurationSeconds": 3601}, "ValidationError", 400,
			"exceeds the MaxSessionDuration set for this role"},
		{"too short", f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "DurationSeconds": 899}, "ValidationError", 400,
			"Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"session name short", f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s"}, "ValidationError", 400,
			"at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"session name bad", f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "a b"}, "ValidationError", 400,
			`Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"no session name", f.user, map[string]any{"RoleArn": roleArn}, "ValidationError", 400, "Value null at 'roleSessionName'"},
		{"mfa", f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "SerialNumber": "arn:aws:iam::1:mfa/x", "TokenCode": "123456"}, "ValidationError", 400, "MFA"},
		{"duplicate tags", f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "Tags": []map[string]string{{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}}},
			"ValidationError", 400, "Duplicate tag keys"},
		{"transitive key not a tag", f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "Tags": []map[string]string{{"Key": "k", "Value": "1"}}, "TransitiveTagKeys": []string{"j"}},
			"ValidationError", 400, "Transitive tag key j"},
		{"malformed session policy", f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "Policy": "{"}, "MalformedPolicyDocument", 400, "invalid Json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.assume(t, tt.caller, tt.in)
			wantCode(t, err, tt.code, tt.status, tt.msg)
		})
	}
}

func TestAssumeRoleSessionOptions(t *testing.T) {
	f := newFixture(t)
	doc := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:user/alice"},
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}`
	roleArn := f.role(t, "tagged", doc, 3600)
	in := map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "ExternalId": "ext-123", "SourceIdentity": "alice@example.com",
		"Tags": []map[string]string{{"Key": "project", "Value": "vigil"}}, "TransitiveTagKeys": []string{"project"},
		"Policy": `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "PolicyArns": []map[string]string{{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}
	res, _, err := f.assume(t, f.user, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.PackedPolicySize == nil || *res.PackedPolicySize < 1 || res.SourceIdentity != "alice@example.com" {
		t.Errorf("result %+v", res)
	}
	p, _, _, _ := f.iam.LookupKey(context.Background(), res.Credentials.AccessKeyID)
	if p.Tags["project"] != "vigil" || p.SourceIdentity != "alice@example.com" {
		t.Errorf("principal %+v", p)
	}
	pol, err := f.iam.PrincipalPolicies(context.Background(), p)
	if err != nil || !pol.HasSessionPolicy || len(pol.Session) != 2 {
		t.Errorf("session policies %+v %v", pol, err)
	}
	in["ExternalId"] = "wrong-id"
	_, _, err = f.assume(t, f.user, in)
	wantCode(t, err, "AccessDenied", 403, "")
	delete(in, "ExternalId")
	_, _, err = f.assume(t, f.user, in)
	wantCode(t, err, "AccessDenied", 403, "")
}

func TestTrustCheckHook(t *testing.T) {
	f := newFixture(t)
	roleArn := f.role(t, "hooked", trust(account), 3600)
	var got TrustRequest
	var gotDoc string
	f.sts.TrustCheck = func(ctx context.Context, caller identity.Principal, doc []byte, req TrustRequest) (bool, error) {
		got, gotDoc = req, string(doc)
		return caller.UserName == "alice", nil
	}
	_, _, err := f.assume(t, f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "SourceIdentity": "al",
		"Tags": []map[string]string{{"Key": "a", "Value": "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if gotDoc != trust(account) || got.RoleArn != roleArn || got.SessionName != "s1" || got.Call == nil || got.DurationSeconds != 3600 ||
		strings.Join(got.Actions, ",") != "sts:AssumeRole,sts:TagSession,sts:SetSourceIdentity" || got.SessionTags["a"] != "b" {
		t.Errorf("trust request %+v", got)
	}
	f.sts.TrustCheck = func(context.Context, identity.Principal, []byte, TrustRequest) (bool, error) { return false, nil }
	_, _, err = f.assume(t, f.user, map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1"})
	wantCode(t, err, "AccessDenied", 403, "")
}

func TestDefaultTrustCheck(t *testing.T) {
	user := identity.Principal{Type: identity.IAMUser, ARN: "arn:aws:iam::" + account + ":user/alice", AccountID: account}
	session := identity.Principal{Type: identity.AssumedRole, ARN: "arn:aws:sts::" + account + ":assumed-role/r/s", AccountID: account,
		RoleARN: "arn:aws:iam::" + account + ":role/r"}
	service := identity.Principal{Type: identity.AWSService, AccountID: account, InvokedBy: "states.amazonaws.com"}
	assume := TrustRequest{Actions: []string{"sts:AssumeRole"}}
	tests := []struct {
		name   string
		caller identity.Principal
		doc    string
		req    TrustRequest
		want   bool
	}{
		{"account id", user, trust(account), assume, true},
		{"account root arn", user, trust("arn:aws:iam::" + account + ":root"), assume, true},
		{"user arn", user, trust(user.ARN), assume, true},
		{"other user", user, trust("arn:aws:iam::" + account + ":user/bob"), assume, false},
		{"other account", user, trust("999999999999"), assume, false},
		{"star principal", user, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:*"}}`, assume, true},
		{"aws star", user, trust("*"), assume, true},
		{"role of a session", session, trust(session.RoleARN), assume, true},
		{"session arn", session, trust(session.ARN), assume, true},
		{"service", service, `{"Statement":[{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, assume, true},
		{"other service", service, `{"Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, assume, false},
		{"action case", user, trust(account, "STS:assumerole"), assume, true},
		{"action wildcard", user, trust(account, "sts:Assume*"), assume, true},
		{"other action", user, trust(account, "sts:AssumeRoleWithSAML"), assume, false},
		{"tag session missing", user, trust(account), TrustRequest{Actions: []string{"sts:AssumeRole", "sts:TagSession"}}, false},
		{"tag session present", user, trust(account, "sts:AssumeRole", "sts:TagSession"), TrustRequest{Actions: []string{"sts:AssumeRole", "sts:TagSession"}}, true},
		{"deny wins", user, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"` + user.ARN + `"},"Action":"*"}]}`, assume, false},
		{"unknown condition", user, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, assume, false},
		{"external id like", user, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:ExternalId":"ext-*"}}}]}`,
			TrustRequest{Actions: []string{"sts:AssumeRole"}, ExternalID: "ext-9"}, true},
		{"not json", user, `{`, assume, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultTrustCheck(context.Background(), tt.caller, []byte(tt.doc), tt.req)
			if err != nil || got != tt.want {
				t.Errorf("DefaultTrustCheck = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "anything", true}, {"a*c", "abbbc", true}, {"a*c", "abbb", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*:*", "sts:x", true}, {"**a", "bba", true},
		{"sts:*Role", "sts:AssumeRole", true}, {"sts:*Role", "sts:AssumeRoles", false}, {"", "", true}, {"", "a", false},
	}
	for _, tt := range tests {
		if got := wildcard(tt.pattern, tt.s, false); got != tt.want {
			t.Errorf("wildcard(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

func FuzzWildcard(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !wildcard(strings.ReplaceAll(pattern, "?", "*"), s, false) && strings.Trim(pattern, "*?") == "" && pattern != "" {
			t.Fatalf("pattern %q of only wildcards rejected %q", pattern, s)
		}
		if !strings.ContainsAny(s, "*?") && !wildcard(s, s, false) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}

// FuzzAssumeRole drives AssumeRole with arbitrary awsQuery forms: no input
// may panic or fail internally.
func FuzzAssumeRole(f *testing.F) {
	f.Add("RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s1&DurationSeconds=900")
	f.Add("RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s1&Tags.member.1.Key=k&Tags.member.1.Value=v&TransitiveTagKeys.member.1=k")
	f.Add("RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s1&PolicyArns.member.1.arn=arn:aws:iam::aws:policy/ReadOnlyAccess&Policy=%7B%7D")
	f.Add("RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s1&Tags=&PolicyArns.member.1=x")
	fx := newFixture(f)
	fx.role(f, "r", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["sts:*"]}]}`, 3600)
	f.Fuzz(func(t *testing.T, form string) {
		vals, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		input, err := awsproto.Unflatten(vals)
		if err != nil {
			return
		}
		c := &awsproto.Call{Service: spec, Action: "AssumeRole", Input: input, Caller: fx.user, Region: "us-east-1"}
		_, err = fx.sts.Handle(context.Background(), c)
		var e *awsproto.Error
		if err != nil && (!errors.As(err, &e) || e.Status >= 500) {
			t.Fatalf("%s: %v", form, err)
		}
	})
}
