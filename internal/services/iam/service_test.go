package iam

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

const testAccount = "123456789012"

func newTestService(t testing.TB) *Service {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir, store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(&services.Env{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AccountID: testAccount, Region: "us-east-1", DataDir: dir})
}

func rootCaller() identity.Principal {
	return identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + testAccount + ":root", AccountID: testAccount, PrincipalID: testAccount}
}

// call runs action with input (anything json.Marshal takes) as caller.
func call(t testing.TB, s *Service, caller identity.Principal, action string, input any) (any, *awsproto.Call, error) {
	t.Helper()
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	c := &awsproto.Call{Service: spec, Action: action, Input: raw, Caller: caller}
	res, err := s.Handle(context.Background(), c)
	return res, c, err
}

// mustCall runs action as root and fails the test on error.
func mustCall[T any](t testing.TB, s *Service, action string, input any) T {
	t.Helper()
	res, _, err := call(t, s, rootCaller(), action, input)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	if res == nil {
		var zero T
		return zero
	}
	return *res.(*T)
}

// wantCode asserts that err is an *awsproto.Error with code and status.
func wantCode(t testing.TB, err error, code string, status int) *awsproto.Error {
	t.Helper()
	var e *awsproto.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v: want %s", err, code)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("error %s (%d) %q: want %s (%d)", e.Code, e.Status, e.Message, code, status)
	}
	return e
}

var (
	userIDRe = regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`)
	akidRe   = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
	secretRe = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

func TestUserLifecycle(t *testing.T) {
	s := newTestService(t)
	created := mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{
		"UserName": "alice", "Path": "/eng/",
		"PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess",
		"Tags":                []map[string]string{{"Key": "team", "Value": "sec"}},
	})
	u := created.User
	if u.UserName != "alice" || u.Path != "/eng/" || u.ARN != "arn:aws:iam::"+testAccount+":user/eng/alice" {
		t.Errorf("created %+v", u)
	}
	if !userIDRe.MatchString(u.UserID) {
		t.Errorf("user id %q does not look like AIDA + 17", u.UserID)
	}
	if u.PermissionsBoundary == nil || u.PermissionsBoundary.PermissionsBoundaryArn != "arn:aws:iam::aws:policy/PowerUserAccess" ||
		u.PermissionsBoundary.PermissionsBoundaryType != "PermissionsBoundaryPolicy" {
		t.Errorf("boundary %+v", u.PermissionsBoundary)
	}

	got := mustCall[GetUserResult](t, s, "GetUser", map[string]any{"UserName": "ALICE"}) // names ignore case
	if got.User.UserID != u.UserID || len(got.User.Tags) != 1 || got.User.PermissionsBoundary == nil {
		t.Errorf("get %+v", got.User)
	}

	_, _, err := call(t, s, rootCaller(), "CreateUser", map[string]any{"UserName": "Alice"})
	e := wantCode(t, err, "EntityAlreadyExists", 409)
	if e.Message != "User with name Alice already exists." {
		t.Errorf("message %q", e.Message)
	}

	list := mustCall[ListUsersResult](t, s, "ListUsers", map[string]any{})
	if len(list.Users) != 1 || list.Users[0].Tags != nil || list.Users[0].PermissionsBoundary != nil {
		t.Errorf("list %+v: want one user without tags or boundary", list.Users)
	}

	mustCall[struct{}](t, s, "DeleteUser", map[string]any{"UserName": "alice"})
	_, _, err = call(t, s, rootCaller(), "GetUser", map[string]any{"UserName": "alice"})
	e = wantCode(t, err, "NoSuchEntity", 404)
	if e.Message != "The user with name alice cannot be found." {
		t.Errorf("message %q", e.Message)
	}
	_, _, err = call(t, s, rootCaller(), "DeleteUser", map[string]any{"UserName": "alice"})
	wantCode(t, err, "NoSuchEntity", 404)
}

func TestCreateUserRecordsResource(t *testing.T) {
	s := newTestService(t)
	_, c, err := call(t, s, rootCaller(), "CreateUser", map[string]any{"UserName": "bob"})
	if err != nil {
		t.Fatal(err)
	}
	want := awsproto.Resource{ARN: "arn:aws:iam::" + testAccount + ":user/bob", Type: "AWS::IAM::User"}
	if len(c.Resources) != 1 || c.Resources[0] != want {
		t.Errorf("resources %+v, want %+v", c.Resources, want)
	}
}

func TestListUsersPaging(t *testing.T) {
	s := newTestService(t)
	names := []string{"carol", "Bob", "alice", "dave", "erin"}
	for _, n := range names {
		path := "/"
		if n == "dave" || n == "erin" {
			path = "/ops/"
		}
		mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": n, "Path": path})
	}
	var seen []string
	marker := ""
	for pages := 0; ; pages++ {
		in := map[string]any{"MaxItems": "2"} // awsQuery sends numbers as strings
		if marker != "" {
			in["Marker"] = marker
		}
		res := mustCall[ListUsersResult](t, s, "ListUsers", in)
		for _, u := range res.Users {
			seen = append(seen, u.UserName)
		}
		if !res.IsTruncated {
			if res.Marker != "" {
				t.Errorf("last page has marker %q", res.Marker)
			}
			break
		}
		if len(res.Users) != 2 || res.Marker == "" || pages > 5 {
			t.Fatalf("page %d: %+v", pages, res)
		}
		marker = res.Marker
	}
	if got := strings.Join(seen, ","); got != "alice,Bob,carol,dave,erin" {
		t.Errorf("paged through %s", got)
	}
	ops := mustCall[ListUsersResult](t, s, "ListUsers", map[string]any{"PathPrefix": "/ops"})
	if len(ops.Users) != 2 || ops.Users[0].UserName != "dave" || ops.IsTruncated {
		t.Errorf("path prefix /ops: %+v", ops)
	}
	_, _, err := call(t, s, rootCaller(), "ListUsers", map[string]any{"Marker": "garbage!"})
	wantCode(t, err, "ValidationError", 400)
}

func TestGetUserCaller(t *testing.T) {
	s := newTestService(t)
	if _, _, _, err := s.EnsureRootKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	root := mustCall[GetUserResult](t, s, "GetUser", map[string]any{})
	if root.User.UserID != testAccount || root.User.ARN != "arn:aws:iam::"+testAccount+":root" || root.User.UserName != "" || root.User.Path != "" {
		t.Errorf("root %+v", root.User)
	}

	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "carol"})
	key := mustCall[CreateAccessKeyResult](t, s, "CreateAccessKey", map[string]any{"UserName": "carol"}).AccessKey
	p, _, ok, err := s.LookupKey(context.Background(), key.AccessKeyID)
	if err != nil || !ok {
		t.Fatalf("lookup: %v %v", ok, err)
	}
	res, _, err := call(t, s, p, "GetUser", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if u := res.(*GetUserResult).User; u.UserName != "carol" {
		t.Errorf("caller's user %+v", u)
	}

	role := identity.Principal{Type: identity.AssumedRole, ARN: "arn:aws:sts::" + testAccount + ":assumed-role/r/s", AccountID: testAccount}
	_, _, err = call(t, s, role, "GetUser", map[string]any{})
	e := wantCode(t, err, "ValidationError", 400)
	if !strings.Contains(e.Message, "Must specify userName") {
		t.Errorf("message %q", e.Message)
	}
}

func TestValidation(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "target"})
	long := strings.Repeat("a", 65)
	tests := []struct {
		name, action string
		input        any
		code         string
		status       int
		message      string // exact, or "" to skip
		contains     string
	}{
		{"name with space", "CreateUser", map[string]any{"UserName": "x y"}, "ValidationError", 400,
			`1 validation error detected: Value 'x y' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`, ""},
		{"name missing", "CreateUser", map[string]any{}, "ValidationError", 400,
			`1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null`, ""},
		{"name too long", "CreateUser", map[string]any{"UserName": long}, "ValidationError", 400,
			"1 validation error detected: Value '" + long + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64", ""},
		{"empty name", "CreateUser", map[string]any{"UserName": ""}, "ValidationError", 400, "",
			"at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"bad path", "CreateUser", map[string]any{"UserName": "ok", "Path": "eng"}, "ValidationError", 400,
			`1 validation error detected: Value 'eng' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007F]+\u002F)`, ""},
		{"two errors", "CreateUser", map[string]any{"UserName": "a b", "Path": "x"}, "ValidationError", 400, "",
			"2 validation errors detected: "},
		{"boundary too short", "CreateUser", map[string]any{"UserName": "ok", "PermissionsBoundary": "arn:x"}, "ValidationError", 400, "",
			"at 'permissionsBoundary' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"boundary not a policy", "CreateUser", map[string]any{"UserName": "ok", "PermissionsBoundary": "arn:aws:s3:::some-bucket-name"}, "InvalidInput", 400,
			"ARN arn:aws:s3:::some-bucket-name is not valid.", ""},
		{"boundary in another account", "CreateUser", map[string]any{"UserName": "ok", "PermissionsBoundary": "arn:aws:iam::999999999999:policy/Theirs"}, "NoSuchEntity", 404,
			"Scope ARN: arn:aws:iam::999999999999:policy/Theirs does not exist or is not attachable.", ""},
		{"bad tag key", "CreateUser", map[string]any{"UserName": "ok", "Tags": []map[string]string{{"Key": "ok", "Value": "v"}, {"Key": "a#b", "Value": "v"}}},
			"ValidationError", 400, "", "at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"tag value missing", "TagUser", map[string]any{"UserName": "target", "Tags": []map[string]string{{"Key": "k"}}},
			"ValidationError", 400, "", "Value null at 'tags.1.member.value'"},
		{"tag value too long", "TagUser", map[string]any{"UserName": "target", "Tags": []map[string]string{{"Key": "k", "Value": strings.Repeat("v", 257)}}},
			"ValidationError", 400, "", "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"duplicate tag keys", "TagUser", map[string]any{"UserName": "target", "Tags": []map[string]string{{"Key": "Env", "Value": "a"}, {"Key": "env", "Value": "b"}}},
			"InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive.", ""},
		{"too many tags", "TagUser", map[string]any{"UserName": "target", "Tags": manyTags(51, "k")},
			"ValidationError", 400, "", "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"tags missing", "TagUser", map[string]any{"UserName": "target"}, "ValidationError", 400, "", "Value null at 'tags'"},
		{"bad untag key", "UntagUser", map[string]any{"UserName": "target", "TagKeys": []string{"ok", "a#b"}},
			"ValidationError", 400, "", "at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy regular expression pattern"},
		{"max items zero", "ListUsers", map[string]any{"MaxItems": "0"}, "ValidationError", 400,
			"1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1", ""},
		{"max items too big", "ListUserTags", map[string]any{"UserName": "target", "MaxItems": 1001}, "ValidationError", 400, "",
			"Member must have value less than or equal to 1000"},
		{"max items not a number", "ListUsers", map[string]any{"MaxItems": "ten"}, "ValidationError", 400, "", ""},
		{"path prefix", "ListUsers", map[string]any{"PathPrefix": "ops"}, "ValidationError", 400, "", "at 'pathPrefix'"},
		{"short key id", "DeleteAccessKey", map[string]any{"AccessKeyId": "AKIA"}, "ValidationError", 400, "",
			"at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16"},
		{"bad status", "UpdateAccessKey", map[string]any{"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "Status": "Enabled"}, "ValidationError", 400,
			"1 validation error detected: Value 'Enabled' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", ""},
		{"status missing", "UpdateAccessKey", map[string]any{"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"}, "ValidationError", 400, "", "Value null at 'status'"},
		{"last used missing id", "GetAccessKeyLastUsed", map[string]any{}, "ValidationError", 400, "", "Value null at 'accessKeyId'"},
		{"unknown user for key", "CreateAccessKey", map[string]any{"UserName": "nobody"}, "NoSuchEntity", 404, "The user with name nobody cannot be found.", ""},
		{"unknown key", "DeleteAccessKey", map[string]any{"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"}, "NoSuchEntity", 404,
			"The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.", ""},
		{"unknown key last used", "GetAccessKeyLastUsed", map[string]any{"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"}, "NoSuchEntity", 404, "", ""},
		{"unknown action", "CreateSAMLProvider", map[string]any{}, "InvalidAction", 400, "", "CreateSAMLProvider"},
		{"malformed", "CreateUser", []int{1}, "ValidationError", 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := call(t, s, rootCaller(), tt.action, tt.input)
			e := wantCode(t, err, tt.code, tt.status)
			if tt.message != "" && e.Message != tt.message {
				t.Errorf("message\n got %q\nwant %q", e.Message, tt.message)
			}
			if !strings.Contains(e.Message, tt.contains) {
				t.Errorf("message %q does not contain %q", e.Message, tt.contains)
			}
		})
	}
	// Nothing invalid was created.
	list := mustCall[ListUsersResult](t, s, "ListUsers", map[string]any{})
	if len(list.Users) != 1 {
		t.Errorf("users after invalid calls: %+v", list.Users)
	}
}

func manyTags(n int, prefix string) []map[string]string {
	out := make([]map[string]string, n)
	for i := range out {
		out[i] = map[string]string{"Key": prefix + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)), "Value": "v"}
	}
	return out
}

func TestTags(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "dan",
		"Tags": []map[string]string{{"Key": "Department", "Value": "finance"}, {"Key": "team", "Value": "a"}}})
	// A key in another case replaces the value and keeps the first spelling.
	mustCall[struct{}](t, s, "TagUser", map[string]any{"UserName": "dan",
		"Tags": []map[string]string{{"Key": "department", "Value": "hr"}, {"Key": "site", "Value": ""}}})
	got := mustCall[ListUserTagsResult](t, s, "ListUserTags", map[string]any{"UserName": "dan"})
	want := []Tag{{"Department", "hr"}, {"team", "a"}, {"site", ""}}
	if len(got.Tags) != len(want) {
		t.Fatalf("tags %+v, want %+v", got.Tags, want)
	}
	for i := range want {
		if got.Tags[i] != want[i] {
			t.Errorf("tag %d = %+v, want %+v", i, got.Tags[i], want[i])
		}
	}

	// Paging one at a time.
	var keys []string
	marker := ""
	for range 5 {
		in := map[string]any{"UserName": "dan", "MaxItems": 1}
		if marker != "" {
			in["Marker"] = marker
		}
		p := mustCall[ListUserTagsResult](t, s, "ListUserTags", in)
		for _, tg := range p.Tags {
			keys = append(keys, tg.Key)
		}
		if !p.IsTruncated {
			break
		}
		marker = p.Marker
	}
	if strings.Join(keys, ",") != "Department,team,site" {
		t.Errorf("paged tags %v", keys)
	}

	mustCall[struct{}](t, s, "UntagUser", map[string]any{"UserName": "dan", "TagKeys": []string{"TEAM", "absent"}})
	got = mustCall[ListUserTagsResult](t, s, "ListUserTags", map[string]any{"UserName": "dan"})
	if len(got.Tags) != 2 || got.Tags[0].Key != "Department" || got.Tags[1].Key != "site" {
		t.Errorf("after untag %+v", got.Tags)
	}

	// The per-user quota counts tags across requests; the whole request fails.
	mustCall[struct{}](t, s, "TagUser", map[string]any{"UserName": "dan", "Tags": manyTags(40, "a")})
	_, _, err := call(t, s, rootCaller(), "TagUser", map[string]any{"UserName": "dan", "Tags": manyTags(10, "b")})
	e := wantCode(t, err, "LimitExceeded", 409)
	if e.Message != "Cannot exceed quota for TagsPerUser: 50" {
		t.Errorf("message %q", e.Message)
	}
	got = mustCall[ListUserTagsResult](t, s, "ListUserTags", map[string]any{"UserName": "dan"})
	if len(got.Tags) != 42 {
		t.Errorf("after refused TagUser: %d tags, want 42", len(got.Tags))
	}
	// Retagging existing keys does not count against the quota.
	mustCall[struct{}](t, s, "TagUser", map[string]any{"UserName": "dan", "Tags": manyTags(40, "a")})

	_, _, err = call(t, s, rootCaller(), "TagUser", map[string]any{"UserName": "nobody", "Tags": manyTags(1, "a")})
	wantCode(t, err, "NoSuchEntity", 404)
	_, _, err = call(t, s, rootCaller(), "ListUserTags", map[string]any{"UserName": "nobody"})
	wantCode(t, err, "NoSuchEntity", 404)
}

func TestEmptyQueryListIsEmpty(t *testing.T) {
	// awsQuery sends an empty list as "Tags=", which Unflatten makes "".
	s := newTestService(t)
	res, _, err := call(t, s, rootCaller(), "CreateUser", map[string]any{"UserName": "erin", "Tags": ""})
	if err != nil {
		t.Fatal(err)
	}
	if tags := res.(*CreateUserResult).User.Tags; len(tags) != 0 {
		t.Errorf("tags %+v", tags)
	}
	if _, _, err := call(t, s, rootCaller(), "TagUser", map[string]any{"UserName": "erin", "Tags": ""}); err != nil {
		t.Errorf("TagUser with an empty list: %v", err)
	}
}

func TestAccessKeyLifecycle(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "frank", "Tags": []map[string]string{{"Key": "team", "Value": "red"}}})
	res, c, err := call(t, s, rootCaller(), "CreateAccessKey", map[string]any{"UserName": "frank"})
	if err != nil {
		t.Fatal(err)
	}
	k := res.(*CreateAccessKeyResult).AccessKey
	if !akidRe.MatchString(k.AccessKeyID) || !secretRe.MatchString(k.SecretAccessKey) || k.Status != "Active" || k.UserName != "frank" {
		t.Errorf("key %+v", k)
	}
	// The audit trail never sees the secret.
	audit, _ := json.Marshal(c.AuditResponse)
	if c.AuditResponse == nil || strings.Contains(string(audit), k.SecretAccessKey) || !strings.Contains(string(audit), k.AccessKeyID) {
		t.Errorf("audit response %s", audit)
	}
	if len(c.Resources) != 2 || c.Resources[0].Type != "AWS::IAM::AccessKey" || c.Resources[0].ARN != k.AccessKeyID ||
		c.Resources[1].ARN != "arn:aws:iam::"+testAccount+":user/frank" {
		t.Errorf("resources %+v", c.Resources)
	}

	p, key, ok, err := s.LookupKey(ctx, k.AccessKeyID)
	if err != nil || !ok {
		t.Fatalf("lookup new key: %v %v", ok, err)
	}
	if key.Secret != k.SecretAccessKey || p.Type != identity.IAMUser || p.UserName != "frank" || p.ARN != "arn:aws:iam::"+testAccount+":user/frank" ||
		p.AccessKeyID != k.AccessKeyID || p.AccountID != testAccount || !userIDRe.MatchString(p.PrincipalID) || p.Tags["team"] != "red" {
		t.Errorf("principal %+v", p)
	}
	p.Tags["team"] = "changed" // must not reach the cache
	if p2, _, _, _ := s.LookupKey(ctx, k.AccessKeyID); p2.Tags["team"] != "red" {
		t.Errorf("cached principal was changed through a returned map")
	}

	// A tag change shows in the next lookup.
	mustCall[struct{}](t, s, "TagUser", map[string]any{"UserName": "frank", "Tags": []map[string]string{{"Key": "team", "Value": "blue"}}})
	if p, _, _, _ := s.LookupKey(ctx, k.AccessKeyID); p.Tags["team"] != "blue" {
		t.Errorf("tags after TagUser: %v", p.Tags)
	}

	// Two keys at most; a second is fine, a third is refused.
	k2 := mustCall[CreateAccessKeyResult](t, s, "CreateAccessKey", map[string]any{"UserName": "frank"}).AccessKey
	_, _, err = call(t, s, rootCaller(), "CreateAccessKey", map[string]any{"UserName": "frank"})
	if e := wantCode(t, err, "LimitExceeded", 409); e.Message != "Cannot exceed quota for AccessKeysPerUser: 2" {
		t.Errorf("message %q", e.Message)
	}

	list := mustCall[ListAccessKeysResult](t, s, "ListAccessKeys", map[string]any{"UserName": "frank"})
	if len(list.AccessKeyMetadata) != 2 || list.AccessKeyMetadata[0].AccessKeyID != k.AccessKeyID || list.AccessKeyMetadata[1].AccessKeyID != k2.AccessKeyID {
		t.Errorf("list %+v", list)
	}
	first := mustCall[ListAccessKeysResult](t, s, "ListAccessKeys", map[string]any{"UserName": "frank", "MaxItems": "1"})
	second := mustCall[ListAccessKeysResult](t, s, "ListAccessKeys", map[string]any{"UserName": "frank", "Marker": first.Marker})
	if !first.IsTruncated || len(first.AccessKeyMetadata) != 1 || second.IsTruncated || len(second.AccessKeyMetadata) != 1 ||
		second.AccessKeyMetadata[0].AccessKeyID != k2.AccessKeyID {
		t.Errorf("paged keys %+v then %+v", first, second)
	}

	// The user with keys cannot be deleted.
	_, _, err = call(t, s, rootCaller(), "DeleteUser", map[string]any{"UserName": "frank"})
	if e := wantCode(t, err, "DeleteConflict", 409); e.Message != "Cannot delete entity, must delete access keys first." {
		t.Errorf("message %q", e.Message)
	}

	// Inactive stops authenticating at once; active again works again.
	mustCall[struct{}](t, s, "UpdateAccessKey", map[string]any{"UserName": "frank", "AccessKeyId": k.AccessKeyID, "Status": "Inactive"})
	if _, _, ok, _ := s.LookupKey(ctx, k.AccessKeyID); ok {
		t.Errorf("inactive key still authenticates")
	}
	list = mustCall[ListAccessKeysResult](t, s, "ListAccessKeys", map[string]any{"UserName": "frank"})
	if list.AccessKeyMetadata[0].Status != "Inactive" {
		t.Errorf("status after update %+v", list.AccessKeyMetadata[0])
	}
	mustCall[struct{}](t, s, "UpdateAccessKey", map[string]any{"UserName": "frank", "AccessKeyId": k.AccessKeyID, "Status": "Active"})
	if _, _, ok, _ := s.LookupKey(ctx, k.AccessKeyID); !ok {
		t.Errorf("reactivated key does not authenticate")
	}

	// A key named with the wrong user is not found.
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "grace"})
	_, _, err = call(t, s, rootCaller(), "DeleteAccessKey", map[string]any{"UserName": "grace", "AccessKeyId": k.AccessKeyID})
	wantCode(t, err, "NoSuchEntity", 404)
	// Without a user name, the key must be the caller's own (root here).
	_, _, err = call(t, s, rootCaller(), "DeleteAccessKey", map[string]any{"AccessKeyId": k.AccessKeyID})
	wantCode(t, err, "NoSuchEntity", 404)

	// Deleted stops authenticating at once.
	for _, id := range []string{k.AccessKeyID, k2.AccessKeyID} {
		mustCall[struct{}](t, s, "DeleteAccessKey", map[string]any{"UserName": "frank", "AccessKeyId": id})
		if _, _, ok, _ := s.LookupKey(ctx, id); ok {
			t.Errorf("deleted key %s still authenticates", id)
		}
	}
	mustCall[struct{}](t, s, "DeleteUser", map[string]any{"UserName": "frank"})
}

func TestUserManagesOwnKeys(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "heidi"})
	k := mustCall[CreateAccessKeyResult](t, s, "CreateAccessKey", map[string]any{"UserName": "heidi"}).AccessKey
	p, _, _, _ := s.LookupKey(ctx, k.AccessKeyID)
	res, _, err := call(t, s, p, "CreateAccessKey", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	k2 := res.(*CreateAccessKeyResult).AccessKey
	if k2.UserName != "heidi" {
		t.Errorf("key created by the user for itself: %+v", k2)
	}
	res, _, err = call(t, s, p, "ListAccessKeys", map[string]any{})
	if err != nil || len(res.(*ListAccessKeysResult).AccessKeyMetadata) != 2 {
		t.Fatalf("own keys: %+v %v", res, err)
	}
	if _, _, err := call(t, s, p, "UpdateAccessKey", map[string]any{"AccessKeyId": k2.AccessKeyID, "Status": "Inactive"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := call(t, s, p, "DeleteAccessKey", map[string]any{"AccessKeyId": k2.AccessKeyID}); err != nil {
		t.Fatal(err)
	}
}

func TestRootKey(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	id, secret, created, err := s.EnsureRootKey(ctx)
	if err != nil || !created || !akidRe.MatchString(id) || !secretRe.MatchString(secret) {
		t.Fatalf("first EnsureRootKey: %q %v %v", id, created, err)
	}
	// A second service on the same database (a restart) finds the same key.
	s2 := New(s.env)
	id2, secret2, created2, err := s2.EnsureRootKey(ctx)
	if err != nil || created2 || id2 != id || secret2 != secret {
		t.Fatalf("second EnsureRootKey: %q %v %v", id2, created2, err)
	}
	p, key, ok, err := s2.LookupKey(ctx, id)
	if err != nil || !ok || key.Secret != secret {
		t.Fatalf("lookup root key: %v %v", ok, err)
	}
	want := identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + testAccount + ":root", AccountID: testAccount, PrincipalID: testAccount, AccessKeyID: id}
	if p.Type != want.Type || p.ARN != want.ARN || p.AccountID != want.AccountID || p.PrincipalID != want.PrincipalID || p.AccessKeyID != want.AccessKeyID || p.UserName != "" {
		t.Errorf("root principal %+v", p)
	}
	// Root lists its own keys without a user name.
	res, _, err := call(t, s2, p, "ListAccessKeys", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if l := res.(*ListAccessKeysResult).AccessKeyMetadata; len(l) != 1 || l[0].AccessKeyID != id || l[0].UserName != "" {
		t.Errorf("root keys %+v", l)
	}
	// If the root deactivates its only key, the next start makes a new one.
	if _, _, err := call(t, s2, p, "UpdateAccessKey", map[string]any{"AccessKeyId": id, "Status": "Inactive"}); err != nil {
		t.Fatal(err)
	}
	id3, _, created3, err := New(s.env).EnsureRootKey(ctx)
	if err != nil || !created3 || id3 == id {
		t.Errorf("EnsureRootKey with no active root key: %q %v %v", id3, created3, err)
	}
}

func TestLookupUnknownKey(t *testing.T) {
	s := newTestService(t)
	for _, id := range []string{"", "AKIAAAAAAAAAAAAAAAAA", strings.Repeat("A", 500), "'; DROP TABLE iam_users; --"} {
		if _, _, ok, err := s.LookupKey(context.Background(), id); ok || err != nil {
			t.Errorf("LookupKey(%q) = %v, %v", id, ok, err)
		}
	}
}

func TestKeyLastUsed(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "ivan"})
	k := mustCall[CreateAccessKeyResult](t, s, "CreateAccessKey", map[string]any{"UserName": "ivan"}).AccessKey

	before := mustCall[GetAccessKeyLastUsedResult](t, s, "GetAccessKeyLastUsed", map[string]any{"AccessKeyId": k.AccessKeyID})
	if before.UserName != "ivan" || before.AccessKeyLastUsed == nil || before.AccessKeyLastUsed.LastUsedDate != nil ||
		before.AccessKeyLastUsed.ServiceName != "N/A" || before.AccessKeyLastUsed.Region != "N/A" {
		t.Errorf("before use: %+v %+v", before, before.AccessKeyLastUsed)
	}

	t1 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s.NoteKeyUse(k.AccessKeyID, "sts", "eu-west-1", t1)
	s.NoteKeyUse(k.AccessKeyID, "iam", "us-east-1", t1.Add(-time.Minute)) // older: ignored
	after := mustCall[GetAccessKeyLastUsedResult](t, s, "GetAccessKeyLastUsed", map[string]any{"AccessKeyId": k.AccessKeyID})
	u := after.AccessKeyLastUsed
	if u.LastUsedDate == nil || !time.Time(*u.LastUsedDate).Equal(t1) || u.ServiceName != "sts" || u.Region != "eu-west-1" {
		t.Errorf("after use: %+v", u)
	}
	// It was written to the database: a restarted service sees it.
	res, _, err := call(t, New(s.env), rootCaller(), "GetAccessKeyLastUsed", map[string]any{"AccessKeyId": k.AccessKeyID})
	if err != nil || res.(*GetAccessKeyLastUsedResult).AccessKeyLastUsed.ServiceName != "sts" {
		t.Errorf("after restart: %+v %v", res, err)
	}
	// An older flush never moves the record backwards.
	s.NoteKeyUse(k.AccessKeyID, "iam", "us-east-1", t1.Add(-time.Hour))
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := mustCall[GetAccessKeyLastUsedResult](t, s, "GetAccessKeyLastUsed", map[string]any{"AccessKeyId": k.AccessKeyID})
	if again.AccessKeyLastUsed.ServiceName != "sts" {
		t.Errorf("older use overwrote newer: %+v", again.AccessKeyLastUsed)
	}
}

func TestFlushLoop(t *testing.T) {
	s := newTestService(t)
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	id, _, _, err := s.EnsureRootKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.NoteKeyUse(id, "iam", "us-east-1", time.Now())
	cancel() // the loop flushes once more on its way out
	deadline := time.Now().Add(5 * time.Second)
	for {
		k, _, err := keyByID(context.Background(), s.env.DB.Read(), id)
		if err != nil {
			t.Fatal(err)
		}
		if k.lastService == "iam" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("key use was not flushed when the service stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func BenchmarkLookupKeyCached(b *testing.B) {
	s := newTestService(b)
	id, _, _, err := s.EnsureRootKey(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, _, ok, _ := s.LookupKey(ctx, id); !ok {
			b.Fatal("lookup failed")
		}
	}
}

func BenchmarkNoteKeyUse(b *testing.B) {
	s := newTestService(b)
	now := time.Now()
	for b.Loop() {
		s.NoteKeyUse("AKIAAAAAAAAAAAAAAAAA", "sts", "us-east-1", now)
	}
}

// TestDeleteWhileLookingUp checks the cache under concurrent lookups: once
// DeleteAccessKey returns, no lookup may succeed with the key.
func TestDeleteWhileLookingUp(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "judy"})
	for range 20 {
		k := mustCall[CreateAccessKeyResult](t, s, "CreateAccessKey", map[string]any{"UserName": "judy"}).AccessKey
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
					s.LookupKey(ctx, k.AccessKeyID)
				}
			}
		}()
		mustCall[struct{}](t, s, "DeleteAccessKey", map[string]any{"UserName": "judy", "AccessKeyId": k.AccessKeyID})
		for range 50 {
			if _, _, ok, _ := s.LookupKey(ctx, k.AccessKeyID); ok {
				t.Fatalf("deleted key %s authenticated", k.AccessKeyID)
			}
		}
		close(stop)
		<-done
	}
}
