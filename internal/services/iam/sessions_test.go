package iam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/identity"
)

var sessionKeyRe = regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)

// newRole creates a role trusting the account and returns its id.
func newRole(t *testing.T, s *Service, name, path string, tags ...Tag) Role {
	t.Helper()
	in := map[string]any{"RoleName": name, "AssumeRolePolicyDocument": trustRoot}
	if path != "" {
		in["Path"] = path
	}
	var tl []map[string]string
	for _, tg := range tags {
		tl = append(tl, map[string]string{"Key": tg.Key, "Value": tg.Value})
	}
	if tl != nil {
		in["Tags"] = tl
	}
	return mustCall[RoleResult](t, s, "CreateRole", in).Role
}

func userCaller(t *testing.T, s *Service, name string) identity.Principal {
	t.Helper()
	u := mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": name}).User
	return identity.Principal{Type: identity.IAMUser, ARN: u.ARN, AccountID: testAccount, UserName: name, PrincipalID: u.UserID}
}

func TestIssueSessionAndLookup(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	role := newRole(t, s, "deployer", "/ci/", Tag{"team", "sec"}, Tag{"env", "dev"})
	caller := userCaller(t, s, "alice")
	start := time.Now()
	sess, err := s.IssueSession(ctx, SessionRequest{Caller: caller, RoleID: role.RoleID, SessionName: "build-7", Duration: time.Hour,
		Policy: allowAll, Tags: []Tag{{"Env", "prod"}}, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if !sessionKeyRe.MatchString(sess.AccessKeyID) || !secretRe.MatchString(sess.SecretAccessKey) || len(sess.SessionToken) < 100 ||
		sess.AssumedRoleID != role.RoleID+":build-7" || sess.ARN != "arn:aws:sts::"+testAccount+":assumed-role/deployer/build-7" ||
		sess.PackedPolicySize < 1 || sess.PackedPolicySize > 100 {
		t.Errorf("session %+v", sess)
	}
	if d := sess.Expiration.Sub(start); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("expires in %v, want an hour", d)
	}
	p, key, ok, err := s.LookupKey(ctx, sess.AccessKeyID)
	if err != nil || !ok {
		t.Fatalf("LookupKey = %v, %v", ok, err)
	}
	want := identity.Principal{Type: identity.AssumedRole, ARN: sess.ARN, AccountID: testAccount, PrincipalID: sess.AssumedRoleID,
		AccessKeyID: sess.AccessKeyID, RoleARN: "arn:aws:iam::" + testAccount + ":role/ci/deployer", SessionName: "build-7"}
	if p.Type != want.Type || p.ARN != want.ARN || p.PrincipalID != want.PrincipalID || p.AccessKeyID != want.AccessKeyID ||
		p.RoleARN != want.RoleARN || p.SessionName != want.SessionName || p.AccountID != testAccount || p.UserName != "" {
		t.Errorf("principal %+v, want %+v", p, want)
	}
	if len(p.Tags) != 2 || p.Tags["team"] != "sec" || p.Tags["Env"] != "prod" {
		t.Errorf("tags %v: want the role's, with the session's Env replacing env", p.Tags)
	}
	if key.Secret != sess.SecretAccessKey || key.SessionToken != sess.SessionToken || !key.Expires.Equal(sess.Expiration) {
		t.Errorf("key %+v", key)
	}
	r := mustCall[RoleResult](t, s, "GetRole", map[string]any{"RoleName": "deployer"}).Role
	if r.RoleLastUsed == nil || r.RoleLastUsed.LastUsedDate == nil || r.RoleLastUsed.Region != "eu-west-1" {
		t.Errorf("RoleLastUsed %+v", r.RoleLastUsed)
	}
	// Restarted service: the session is in the database.
	if _, _, ok, err := New(s.env).LookupKey(ctx, sess.AccessKeyID); !ok || err != nil {
		t.Errorf("after restart: %v %v", ok, err)
	}
	// Deleting the role ends its sessions.
	mustCall[struct{}](t, s, "DeleteRole", map[string]any{"RoleName": "deployer"})
	if _, _, ok, err := s.LookupKey(ctx, sess.AccessKeyID); ok || err != nil {
		t.Errorf("session of a deleted role: %v %v", ok, err)
	}
}

func TestExpiredSessionKeepsItsExpiry(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	role := newRole(t, s, "r", "")
	past := time.Now().Add(-2 * time.Hour)
	s.now = func() time.Time { return past }
	sess, err := s.IssueSession(ctx, SessionRequest{Caller: rootCaller(), RoleID: role.RoleID, SessionName: "old", Duration: 15 * time.Minute})
	s.now = time.Now
	if err != nil {
		t.Fatal(err)
	}
	_, key, ok, err := s.LookupKey(ctx, sess.AccessKeyID)
	if !ok || err != nil || key.Expires.After(time.Now()) {
		t.Errorf("expired session: ok=%v err=%v expires %v", ok, err, key.Expires)
	}
	if sess.PackedPolicySize != -1 {
		t.Errorf("PackedPolicySize %d with nothing packed", sess.PackedPolicySize)
	}
}

func TestRoleChaining(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	first, second := newRole(t, s, "first", ""), newRole(t, s, "second", "")
	sess, err := s.IssueSession(ctx, SessionRequest{Caller: userCaller(t, s, "u"), RoleID: first.RoleID, SessionName: "one", Duration: time.Hour,
		Tags: []Tag{{"dept", "eng"}, {"proj", "x"}}, TransitiveTagKeys: []string{"dept"}, SourceIdentity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	chained, _, _, err := s.LookupKey(ctx, sess.AccessKeyID)
	if err != nil || chained.SourceIdentity != "alice" {
		t.Fatalf("LookupKey: %+v %v", chained, err)
	}
	next, err := s.IssueSession(ctx, SessionRequest{Caller: chained, RoleID: second.RoleID, SessionName: "two", Duration: time.Hour,
		Tags: []Tag{{"other", "z"}}})
	if err != nil {
		t.Fatal(err)
	}
	if next.SourceIdentity != "alice" {
		t.Errorf("source identity %q not carried", next.SourceIdentity)
	}
	p, _, _, _ := s.LookupKey(ctx, next.AccessKeyID)
	if p.Tags["dept"] != "eng" || p.Tags["other"] != "z" || p.Tags["proj"] != "" || p.SourceIdentity != "alice" {
		t.Errorf("chained principal %+v", p)
	}
	// A third hop still carries dept: it stays transitive.
	p3, err := s.IssueSession(ctx, SessionRequest{Caller: p, RoleID: first.RoleID, SessionName: "three", Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if pp, _, _, _ := s.LookupKey(ctx, p3.AccessKeyID); pp.Tags["dept"] != "eng" {
		t.Errorf("third hop tags %v", pp.Tags)
	}
	_, err = s.IssueSession(ctx, SessionRequest{Caller: chained, RoleID: second.RoleID, SessionName: "x", Duration: time.Hour, Tags: []Tag{{"DEPT", "ops"}}})
	wantCode(t, err, "ValidationError", 400)
	_, err = s.IssueSession(ctx, SessionRequest{Caller: chained, RoleID: second.RoleID, SessionName: "x", Duration: time.Hour, SourceIdentity: "mallory"})
	wantCode(t, err, "ValidationError", 400)
}

func TestIssueSessionErrors(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	role := newRole(t, s, "r", "")
	base := SessionRequest{Caller: rootCaller(), RoleID: role.RoleID, SessionName: "s", Duration: time.Hour}
	req := base
	req.Policy = trustRoot
	_, err := s.IssueSession(ctx, req)
	wantCode(t, err, "MalformedPolicyDocument", 400)
	req = base
	req.PolicyArns = []string{"arn:aws:iam::" + testAccount + ":policy/none"}
	_, err = s.IssueSession(ctx, req)
	wantCode(t, err, "ValidationError", 400)
	req = base
	for i := range 50 {
		b := make([]byte, 120)
		rand.Read(b)
		req.Tags = append(req.Tags, Tag{fmt.Sprint("k", i), hex.EncodeToString(b)[:240]})
	}
	_, err = s.IssueSession(ctx, req)
	e := wantCode(t, err, "PackedPolicyTooLarge", 400)
	if !strings.Contains(e.Message, "% of allotted space") {
		t.Errorf("message %q", e.Message)
	}
	req = base
	req.RoleID = "AROANOSUCHROLEXXXXXX"
	_, err = s.IssueSession(ctx, req)
	wantCode(t, err, "NoSuchEntity", 404)
}

func TestRoleTrustAndPrincipal(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	role := newRole(t, s, "worker", "/svc/", Tag{"tier", "1"})
	doc, got, err := s.RoleTrust(ctx, role.ARN)
	if err != nil || string(doc) != trustRoot || got.RoleID != role.RoleID || got.MaxSessionDuration != 3600 {
		t.Fatalf("RoleTrust = %s %+v %v", doc, got, err)
	}
	for _, bad := range []string{"arn:aws:iam::" + testAccount + ":role/worker", "arn:aws:iam::999999999999:role/svc/worker",
		"arn:aws:iam::" + testAccount + ":user/svc/worker", "not an arn"} {
		if _, _, err := s.RoleTrust(ctx, bad); err == nil {
			t.Errorf("RoleTrust(%s): want NoSuchEntity", bad)
		} else {
			wantCode(t, err, "NoSuchEntity", 404)
		}
	}
	p, err := s.RolePrincipal(ctx, role.ARN, "states-exec")
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != identity.AssumedRole || p.ARN != "arn:aws:sts::"+testAccount+":assumed-role/worker/states-exec" ||
		p.PrincipalID != role.RoleID+":states-exec" || p.RoleARN != role.ARN || p.Tags["tier"] != "1" || p.AccessKeyID != "" {
		t.Errorf("RolePrincipal = %+v", p)
	}
	if _, err := s.RolePrincipal(ctx, role.ARN, "x"); err == nil {
		t.Error("RolePrincipal with a one-character session name: want an error")
	}
}

func docNames(docs []PolicyDoc) string {
	var parts []string
	for _, d := range docs {
		parts = append(parts, d.Type+":"+d.Name+":"+d.Owner+":"+d.VersionID)
	}
	return strings.Join(parts, " ")
}

func TestPrincipalPolicies(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	if p, err := s.PrincipalPolicies(ctx, rootCaller()); err != nil || p.Identity != nil || p.Boundary != nil {
		t.Errorf("root: %+v %v", p, err)
	}
	u := userCaller(t, s, "u")
	mp := "arn:aws:iam::" + testAccount + ":policy/mp"
	mustCall[PolicyResult](t, s, "CreatePolicy", map[string]any{"PolicyName": "mp", "PolicyDocument": readS3})
	mustCall[PolicyVersionResult](t, s, "CreatePolicyVersion", map[string]any{"PolicyArn": mp, "PolicyDocument": allowAll, "SetAsDefault": true})
	mustCall[struct{}](t, s, "PutUserPolicy", map[string]any{"UserName": "u", "PolicyName": "ui", "PolicyDocument": readS3})
	mustCall[struct{}](t, s, "AttachUserPolicy", map[string]any{"UserName": "u", "PolicyArn": mp})
	mustCall[CreateGroupResult](t, s, "CreateGroup", map[string]any{"GroupName": "g"})
	mustCall[struct{}](t, s, "AddUserToGroup", map[string]any{"GroupName": "g", "UserName": "u"})
	mustCall[struct{}](t, s, "PutGroupPolicy", map[string]any{"GroupName": "g", "PolicyName": "gi", "PolicyDocument": readS3})
	mustCall[struct{}](t, s, "AttachGroupPolicy", map[string]any{"GroupName": "g", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	mustCall[struct{}](t, s, "PutUserPermissionsBoundary", map[string]any{"UserName": "u", "PermissionsBoundary": mp})

	pol, err := s.PrincipalPolicies(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := docNames(pol.Identity), "user:ui:u: user-managed:mp:u:v2 group:gi:g: aws-managed:ReadOnlyAccess:g:v1"; got != want {
		t.Errorf("identity policies\n got %s\nwant %s", got, want)
	}
	if string(pol.Identity[1].Document) != allowAll || pol.Identity[1].ARN != mp {
		t.Errorf("managed policy doc %s", pol.Identity[1].Document)
	}
	if pol.Boundary == nil || pol.Boundary.ARN != mp || string(pol.Boundary.Document) != allowAll || pol.HasSessionPolicy {
		t.Errorf("boundary %+v", pol.Boundary)
	}
	// A change reaches the next call.
	mustCall[struct{}](t, s, "DeleteUserPolicy", map[string]any{"UserName": "u", "PolicyName": "ui"})
	if pol, _ := s.PrincipalPolicies(ctx, u); len(pol.Identity) != 3 {
		t.Errorf("after DeleteUserPolicy: %s", docNames(pol.Identity))
	}

	role := newRole(t, s, "r", "")
	mustCall[struct{}](t, s, "PutRolePolicy", map[string]any{"RoleName": "r", "PolicyName": "ri", "PolicyDocument": allowAll})
	mustCall[struct{}](t, s, "AttachRolePolicy", map[string]any{"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
	sess, err := s.IssueSession(ctx, SessionRequest{Caller: u, RoleID: role.RoleID, SessionName: "s", Duration: time.Hour,
		Policy: readS3, PolicyArns: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	if err != nil {
		t.Fatal(err)
	}
	rp, _, _, _ := s.LookupKey(ctx, sess.AccessKeyID)
	pol, err = s.PrincipalPolicies(ctx, rp)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := docNames(pol.Identity), "role:ri:r: aws-managed:IAMReadOnlyAccess:r:v1"; got != want {
		t.Errorf("role identity policies %s, want %s", got, want)
	}
	if !pol.HasSessionPolicy || len(pol.Session) != 2 || string(pol.Session[0].Document) != readS3 || pol.Session[1].ARN != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("session policies %+v", pol.Session)
	}
	svc, _ := s.RolePrincipal(ctx, role.ARN, "svc")
	if pol, _ := s.PrincipalPolicies(ctx, svc); pol.HasSessionPolicy || len(pol.Identity) != 2 {
		t.Errorf("service acting as role: %+v", pol)
	}
}

func BenchmarkPrincipalPoliciesCached(b *testing.B) {
	s := newTestService(b)
	u := mustCall[CreateUserResult](b, s, "CreateUser", map[string]any{"UserName": "u"}).User
	mustCall[struct{}](b, s, "PutUserPolicy", map[string]any{"UserName": "u", "PolicyName": "p", "PolicyDocument": allowAll})
	p := identity.Principal{Type: identity.IAMUser, PrincipalID: u.UserID}
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.PrincipalPolicies(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}
