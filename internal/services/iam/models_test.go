package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
)

func encodeQuery(t *testing.T, action string, result any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := awsproto.WriteQueryResult(&buf, spec, action, "req-1", result); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestQueryEncoding(t *testing.T) {
	created := awsproto.ISOTime(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC))
	tests := []struct {
		name, action string
		result       any
		want         []string
		notWant      []string
	}{
		{"empty user list is present", "ListUsers", &ListUsersResult{},
			[]string{"<Users></Users>", "<IsTruncated>false</IsTruncated>"}, []string{"<Marker>"}},
		{"users as members", "ListUsers", &ListUsersResult{Users: members[User]{{Path: "/", UserName: "a", UserID: "AIDAX", ARN: "arn", CreateDate: created}}, IsTruncated: true, Marker: "m"},
			[]string{"<Users><member><Path>/</Path><UserName>a</UserName><UserId>AIDAX</UserId><Arn>arn</Arn><CreateDate>2024-05-06T07:08:09Z</CreateDate></member></Users>",
				"<IsTruncated>true</IsTruncated><Marker>m</Marker>"},
			[]string{"<Tags>", "PermissionsBoundary"}},
		{"user with tags and boundary", "GetUser", &GetUserResult{User: User{UserName: "a", Tags: members[Tag]{{"k", "v"}},
			PermissionsBoundary: &PermissionsBoundary{"PermissionsBoundaryPolicy", "arn:aws:iam::aws:policy/X"}}},
			[]string{"<GetUserResult><User>", "<Tags><member><Key>k</Key><Value>v</Value></member></Tags>",
				"<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType><PermissionsBoundaryArn>arn:aws:iam::aws:policy/X</PermissionsBoundaryArn></PermissionsBoundary>"}, nil},
		{"root has no name or path", "GetUser", &GetUserResult{User: User{UserID: "123456789012", ARN: "arn:aws:iam::123456789012:root", CreateDate: created}},
			[]string{"<UserId>123456789012</UserId>"}, []string{"<UserName>", "<Path>"}},
		{"empty tag list is present", "ListUserTags", &ListUserTagsResult{}, []string{"<Tags></Tags>"}, nil},
		{"never used key", "GetAccessKeyLastUsed", &GetAccessKeyLastUsedResult{UserName: "a", AccessKeyLastUsed: &AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}},
			[]string{"<UserName>a</UserName><AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed>"}, []string{"LastUsedDate"}},
		{"key metadata", "ListAccessKeys", &ListAccessKeysResult{AccessKeyMetadata: members[AccessKeyMetadata]{{UserName: "a", AccessKeyID: "AKIAX", Status: "Active", CreateDate: created}}},
			[]string{"<AccessKeyMetadata><member><UserName>a</UserName><AccessKeyId>AKIAX</AccessKeyId><Status>Active</Status><CreateDate>2024-05-06T07:08:09Z</CreateDate></member></AccessKeyMetadata>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeQuery(t, tt.action, tt.result)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %s in\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %s in\n%s", w, got)
				}
			}
		})
	}
}

func TestJSONEncoding(t *testing.T) {
	// Service-to-service callers get botocore member names and real arrays.
	b, err := json.Marshal(&ListUsersResult{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"Users":[],"IsTruncated":false}` {
		t.Errorf("empty list: %s", b)
	}
	b, _ = json.Marshal(&GetAccessKeyLastUsedResult{UserName: "a", AccessKeyLastUsed: &AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}})
	if string(b) != `{"UserName":"a","AccessKeyLastUsed":{"ServiceName":"N/A","Region":"N/A"}}` {
		t.Errorf("last used: %s", b)
	}
}

func TestStrRule(t *testing.T) {
	tests := []struct {
		r      strRule
		in     string
		broken int
	}{
		{userNameRule, "alice", 0},
		{userNameRule, "a.b+c=d,e@f-g_h", 0},
		{userNameRule, "x y", 1},
		{userNameRule, "", 1}, // length only: the pattern is not checked on what is too short
		{userNameRule, "é", 1},
		{userNameRule, strings.Repeat("a", 64), 0},
		{userNameRule, strings.Repeat("a", 65), 1},
		{pathRule, "/", 0},
		{pathRule, "/a/b/", 0},
		{pathRule, "/a", 1},
		{pathRule, "a/", 1},
		{pathRule, "/a b/", 1},
		{pathPrefixRule, "/", 0},
		{pathPrefixRule, "/ops", 0},
		{pathPrefixRule, "ops", 1},
		{tagKeyRule, "Cost Center_é.:/=+-@", 0},
		{tagKeyRule, "a#b", 1},
		{tagKeyRule, strings.Repeat("ß", 128), 0}, // characters, not bytes
		{tagKeyRule, strings.Repeat("ß", 129), 1},
		{tagValueRule, "", 0},
		{tagValueRule, "a,b", 1},
		{accessKeyIDRule, "AKIAIOSFODNN7EXAMPLE", 0},
		{accessKeyIDRule, "AKIA-IOSFODNN7EXAMPLE", 1},
		{markerRule, "abc", 0},
		{markerRule, "a\nb", 1},
	}
	for _, tt := range tests {
		if got := tt.r.broken(tt.in); len(got) != tt.broken {
			t.Errorf("%s on %q: broken %q, want %d", tt.r.pattern, tt.in, got, tt.broken)
		}
	}
}

func TestMergeTags(t *testing.T) {
	got := mergeTags([]Tag{{"A", "1"}, {"b", "2"}}, []Tag{{"a", "3"}, {"C", "4"}, {"B", "5"}})
	want := []Tag{{"A", "3"}, {"b", "5"}, {"C", "4"}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

func TestMarkers(t *testing.T) {
	m := makeMarker('k', "7")
	if n, err := readOffsetMarker('k', &m); err != nil || n != 7 {
		t.Errorf("round trip: %d %v", n, err)
	}
	for _, bad := range []string{"", "!!", makeMarker('u', "7"), makeMarker('k', "-1"), makeMarker('k', "x")} {
		if _, err := readOffsetMarker('k', &bad); err == nil {
			t.Errorf("marker %q accepted", bad)
		}
	}
	if got, next := page([]int{1, 2, 3}, 5, 2, 'k'); len(got) != 0 || next != "" {
		t.Errorf("offset past end: %v %q", got, next)
	}
}

// FuzzHandleQuery drives every operation with arbitrary awsQuery forms, as
// the front door would pass them: no input may panic or fail internally.
func FuzzHandleQuery(f *testing.F) {
	f.Add("CreateUser", "UserName=alice&Path=/a/&Tags.member.1.Key=k&Tags.member.1.Value=v")
	f.Add("TagUser", "UserName=alice&Tags.member.1.Key=K&Tags.member.1.Value=&Tags.member.2.Key=k")
	f.Add("UntagUser", "UserName=alice&TagKeys.member.1=k&TagKeys=")
	f.Add("ListUsers", "MaxItems=1&Marker=dWFsaWNl&PathPrefix=/")
	f.Add("ListUserTags", "UserName=alice&MaxItems=1000000000000000000000")
	f.Add("CreateAccessKey", "UserName=alice")
	f.Add("UpdateAccessKey", "AccessKeyId=AKIAAAAAAAAAAAAAAAAA&Status=Inactive")
	f.Add("GetAccessKeyLastUsed", "AccessKeyId=AKIAAAAAAAAAAAAAAAAA")
	f.Add("DeleteUser", "UserName.member.1=x")
	f.Add("CreateRole", "RoleName=r&AssumeRolePolicyDocument=%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22*%22%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D&MaxSessionDuration=3600")
	f.Add("CreatePolicy", "PolicyName=p&PolicyDocument=%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D")
	f.Add("CreatePolicyVersion", "PolicyArn=arn:aws:iam::123456789012:policy/p&PolicyDocument=%7B%7D&SetAsDefault=true")
	f.Add("AttachRolePolicy", "RoleName=r&PolicyArn=arn:aws:iam::aws:policy/ReadOnlyAccess")
	f.Add("PutGroupPolicy", "GroupName=g&PolicyName=p&PolicyDocument=%7B%7D")
	f.Add("AddUserToGroup", "GroupName=g&UserName=alice")
	f.Add("GetAccountAuthorizationDetails", "Filter.member.1=Role&MaxItems=2&Marker=RDE")
	f.Add("ListEntitiesForPolicy", "PolicyArn=arn:aws:iam::aws:policy/ReadOnlyAccess&EntityFilter=Role")
	f.Add("AddRoleToInstanceProfile", "InstanceProfileName=i&RoleName=r")
	s := newTestService(f)
	f.Fuzz(func(t *testing.T, action, form string) {
		vals, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		input, err := awsproto.Unflatten(vals)
		if err != nil {
			return
		}
		c := &awsproto.Call{Service: spec, Action: action, Input: input, Caller: rootCaller()}
		_, err = s.Handle(context.Background(), c)
		var e *awsproto.Error
		if err != nil && (!errors.As(err, &e) || e.Status >= 500) {
			t.Fatalf("%s %s: %v", action, form, err)
		}
	})
}
