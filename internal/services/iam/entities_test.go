package iam

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	groupIDRe  = regexp.MustCompile(`^AGPA[A-Z2-7]{17}$`)
	roleIDRe   = regexp.MustCompile(`^AROA[A-Z2-7]{17}$`)
	policyIDRe = regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)
)

// wantErr runs action as root and asserts its error code, status and
// (when msg is not empty) a part of the message.
func wantErr(t *testing.T, s *Service, action string, input any, code string, status int, msg string) {
	t.Helper()
	_, _, err := call(t, s, rootCaller(), action, input)
	e := wantCode(t, err, code, status)
	if msg != "" && !strings.Contains(e.Message, msg) {
		t.Errorf("%s: message %q, want it to contain %q", action, e.Message, msg)
	}
}

func decoded(t *testing.T, doc string) string {
	t.Helper()
	d, err := url.QueryUnescape(doc)
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", doc, err)
	}
	return d
}

func TestGroups(t *testing.T) {
	s := newTestService(t)
	g := mustCall[CreateGroupResult](t, s, "CreateGroup", map[string]any{"GroupName": "admins", "Path": "/ops/"}).Group
	if !groupIDRe.MatchString(g.GroupID) || g.ARN != "arn:aws:iam::"+testAccount+":group/ops/admins" || g.Path != "/ops/" {
		t.Errorf("created %+v", g)
	}
	wantErr(t, s, "CreateGroup", map[string]any{"GroupName": "ADMINS"}, "EntityAlreadyExists", 409, "Group with name ADMINS already exists.")
	wantErr(t, s, "CreateGroup", map[string]any{"GroupName": "a b"}, "ValidationError", 400, "at 'groupName'")
	mustCall[CreateGroupResult](t, s, "CreateGroup", map[string]any{"GroupName": "devs"})
	for _, u := range []string{"carol", "bob"} {
		mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": u})
		mustCall[struct{}](t, s, "AddUserToGroup", map[string]any{"GroupName": "admins", "UserName": u})
	}
	mustCall[struct{}](t, s, "AddUserToGroup", map[string]any{"GroupName": "admins", "UserName": "bob"}) // twice is fine
	mustCall[struct{}](t, s, "AddUserToGroup", map[string]any{"GroupName": "devs", "UserName": "bob"})
	wantErr(t, s, "AddUserToGroup", map[string]any{"GroupName": "nope", "UserName": "bob"}, "NoSuchEntity", 404, "The group with name nope cannot be found.")
	wantErr(t, s, "AddUserToGroup", map[string]any{"GroupName": "devs", "UserName": "nobody"}, "NoSuchEntity", 404, "The user with name nobody cannot be found.")

	got := mustCall[GetGroupResult](t, s, "GetGroup", map[string]any{"GroupName": "admins"})
	if got.Group.GroupID != g.GroupID || len(got.Users) != 2 || got.Users[0].UserName != "bob" || got.Users[1].UserName != "carol" {
		t.Errorf("GetGroup = %+v", got)
	}
	page1 := mustCall[GetGroupResult](t, s, "GetGroup", map[string]any{"GroupName": "admins", "MaxItems": 1})
	page2 := mustCall[GetGroupResult](t, s, "GetGroup", map[string]any{"GroupName": "admins", "Marker": page1.Marker})
	if !page1.IsTruncated || len(page1.Users) != 1 || page2.IsTruncated || len(page2.Users) != 1 || page2.Users[0].UserName != "carol" {
		t.Errorf("GetGroup pages %+v / %+v", page1, page2)
	}
	list := mustCall[ListGroupsResult](t, s, "ListGroups", map[string]any{"PathPrefix": "/ops/"})
	if len(list.Groups) != 1 || list.Groups[0].GroupName != "admins" {
		t.Errorf("ListGroups /ops/ = %+v", list)
	}
	forBob := mustCall[ListGroupsResult](t, s, "ListGroupsForUser", map[string]any{"UserName": "bob"})
	if len(forBob.Groups) != 2 || forBob.Groups[0].GroupName != "admins" || forBob.Groups[1].GroupName != "devs" {
		t.Errorf("ListGroupsForUser = %+v", forBob)
	}

	wantErr(t, s, "DeleteGroup", map[string]any{"GroupName": "admins"}, "DeleteConflict", 409, "must remove users from group first")
	wantErr(t, s, "DeleteUser", map[string]any{"UserName": "bob"}, "DeleteConflict", 409, "groups")
	mustCall[struct{}](t, s, "RemoveUserFromGroup", map[string]any{"GroupName": "admins", "UserName": "bob"})
	wantErr(t, s, "RemoveUserFromGroup", map[string]any{"GroupName": "admins", "UserName": "bob"}, "NoSuchEntity", 404, "")
	mustCall[struct{}](t, s, "RemoveUserFromGroup", map[string]any{"GroupName": "admins", "UserName": "carol"})
	mustCall[struct{}](t, s, "PutGroupPolicy", map[string]any{"GroupName": "admins", "PolicyName": "p", "PolicyDocument": allowAll})
	wantErr(t, s, "DeleteGroup", map[string]any{"GroupName": "admins"}, "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
	mustCall[struct{}](t, s, "DeleteGroupPolicy", map[string]any{"GroupName": "admins", "PolicyName": "p"})
	mustCall[struct{}](t, s, "AttachGroupPolicy", map[string]any{"GroupName": "admins", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	wantErr(t, s, "DeleteGroup", map[string]any{"GroupName": "admins"}, "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
	mustCall[struct{}](t, s, "DetachGroupPolicy", map[string]any{"GroupName": "admins", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	mustCall[struct{}](t, s, "DeleteGroup", map[string]any{"GroupName": "admins"})
	wantErr(t, s, "GetGroup", map[string]any{"GroupName": "admins"}, "NoSuchEntity", 404, "")
}

func TestGroupsPerUserLimit(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "u"})
	for i := range maxGroupsPerUser + 1 {
		mustCall[CreateGroupResult](t, s, "CreateGroup", map[string]any{"GroupName": fmt.Sprint("g", i)})
		_, _, err := call(t, s, rootCaller(), "AddUserToGroup", map[string]any{"GroupName": fmt.Sprint("g", i), "UserName": "u"})
		if i < maxGroupsPerUser && err != nil {
			t.Fatal(err)
		}
		if i == maxGroupsPerUser {
			wantCode(t, err, "LimitExceeded", 409)
		}
	}
}

func TestRoles(t *testing.T) {
	s := newTestService(t)
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"" + testAccount + "\"}, \"Action\": \"sts:AssumeRole\"}]\n}"
	r := mustCall[RoleResult](t, s, "CreateRole", map[string]any{"RoleName": "auditor", "Path": "/sec/", "AssumeRolePolicyDocument": doc,
		"Description": "reads the trail", "MaxSessionDuration": "7200", "Tags": []map[string]string{{"Key": "team", "Value": "sec"}},
		"PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"}).Role
	if !roleIDRe.MatchString(r.RoleID) || r.ARN != "arn:aws:iam::"+testAccount+":role/sec/auditor" || r.MaxSessionDuration != 7200 ||
		r.Description != "reads the trail" || len(r.Tags) != 1 || r.PermissionsBoundary == nil || r.RoleLastUsed != nil {
		t.Errorf("created %+v", r)
	}
	if decoded(t, r.AssumeRolePolicyDocument) != doc {
		t.Errorf("trust policy %q does not decode to what was given", r.AssumeRolePolicyDocument)
	}
	got := mustCall[RoleResult](t, s, "GetRole", map[string]any{"RoleName": "Auditor"}).Role
	if got.RoleID != r.RoleID || got.RoleLastUsed == nil || got.RoleLastUsed.LastUsedDate != nil {
		t.Errorf("GetRole = %+v", got)
	}
	def := mustCall[RoleResult](t, s, "CreateRole", map[string]any{"RoleName": "plain", "AssumeRolePolicyDocument": trustLocal}).Role
	if def.MaxSessionDuration != 3600 || def.Path != "/" {
		t.Errorf("defaults %+v", def)
	}
	list := mustCall[ListRolesResult](t, s, "ListRoles", map[string]any{})
	if len(list.Roles) != 2 || list.Roles[0].RoleName != "auditor" || list.Roles[0].Tags != nil || list.Roles[0].AssumeRolePolicyDocument == "" {
		t.Errorf("ListRoles = %+v", list)
	}
	p1 := mustCall[ListRolesResult](t, s, "ListRoles", map[string]any{"MaxItems": 1})
	p2 := mustCall[ListRolesResult](t, s, "ListRoles", map[string]any{"MaxItems": 1, "Marker": p1.Marker})
	if !p1.IsTruncated || p2.IsTruncated || p2.Roles[0].RoleName != "plain" {
		t.Errorf("ListRoles pages %+v / %+v", p1, p2)
	}

	mustCall[struct{}](t, s, "TagRole", map[string]any{"RoleName": "plain", "Tags": []map[string]string{{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "x"}}})
	mustCall[struct{}](t, s, "UntagRole", map[string]any{"RoleName": "plain", "TagKeys": []string{"TEAM"}})
	tags := mustCall[ListUserTagsResult](t, s, "ListRoleTags", map[string]any{"RoleName": "plain"})
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "env" {
		t.Errorf("ListRoleTags = %+v", tags)
	}
	mustCall[UpdateRoleResult](t, s, "UpdateRole", map[string]any{"RoleName": "plain", "Description": "d", "MaxSessionDuration": 43200})
	wantErr(t, s, "UpdateRole", map[string]any{"RoleName": "plain", "MaxSessionDuration": 43201}, "ValidationError", 400,
		"Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200")
	mustCall[struct{}](t, s, "UpdateAssumeRolePolicy", map[string]any{"RoleName": "plain", "PolicyDocument": trustRoot})
	got = mustCall[RoleResult](t, s, "GetRole", map[string]any{"RoleName": "plain"}).Role
	if got.Description != "d" || got.MaxSessionDuration != 43200 || decoded(t, got.AssumeRolePolicyDocument) != trustRoot {
		t.Errorf("after updates %+v", got)
	}
	wantErr(t, s, "UpdateAssumeRolePolicy", map[string]any{"RoleName": "plain", "PolicyDocument": allowAll}, "MalformedPolicyDocument", 400, "Missing required field Principal")
	desc := mustCall[RoleResult](t, s, "UpdateRoleDescription", map[string]any{"RoleName": "plain", "Description": "e"}).Role
	if desc.Description != "e" {
		t.Errorf("UpdateRoleDescription = %+v", desc)
	}

	mustCall[struct{}](t, s, "PutRolePolicy", map[string]any{"RoleName": "plain", "PolicyName": "p", "PolicyDocument": allowAll})
	wantErr(t, s, "DeleteRole", map[string]any{"RoleName": "plain"}, "DeleteConflict", 409, "must delete policies first")
	mustCall[struct{}](t, s, "DeleteRolePolicy", map[string]any{"RoleName": "plain", "PolicyName": "p"})
	mustCall[struct{}](t, s, "AttachRolePolicy", map[string]any{"RoleName": "plain", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
	wantErr(t, s, "DeleteRole", map[string]any{"RoleName": "plain"}, "DeleteConflict", 409, "must detach all policies first")
	mustCall[struct{}](t, s, "DetachRolePolicy", map[string]any{"RoleName": "plain", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
	mustCall[struct{}](t, s, "DeleteRole", map[string]any{"RoleName": "plain"})
	wantErr(t, s, "GetRole", map[string]any{"RoleName": "plain"}, "NoSuchEntity", 404, "The role with name plain cannot be found.")
}

func TestCreateRoleErrors(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateRoleResultAlias](t, s, "CreateRole", map[string]any{"RoleName": "taken", "AssumeRolePolicyDocument": trustRoot})
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "alice", "Path": "/eng/"})
	tests := []struct {
		name   string
		in     map[string]any
		code   string
		status int
		msg    string
	}{
		{"no trust policy", map[string]any{"RoleName": "r"}, "ValidationError", 400, "Value null at 'assumeRolePolicyDocument'"},
		{"long name", map[string]any{"RoleName": strings.Repeat("r", 65), "AssumeRolePolicyDocument": trustRoot}, "ValidationError", 400, "Member must have length less than or equal to 64"},
		{"short session", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": trustRoot, "MaxSessionDuration": 3599}, "ValidationError", 400, "greater than or equal to 3600"},
		{"duplicate", map[string]any{"RoleName": "TAKEN", "AssumeRolePolicyDocument": trustRoot}, "EntityAlreadyExists", 409, "Role with name TAKEN already exists."},
		{"invalid json", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": "{"}, "MalformedPolicyDocument", 400, "invalid Json"},
		{"no principal", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": `{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`}, "MalformedPolicyDocument", 400, "Missing required field Principal"},
		{"unknown user principal", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/bob"},"Action":"sts:AssumeRole"}]}`},
			"MalformedPolicyDocument", 400, `Invalid principal in policy: "AWS":"arn:aws:iam::` + testAccount + `:user/bob"`},
		{"user principal on the wrong path", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/alice"},"Action":"sts:AssumeRole"}]}`},
			"MalformedPolicyDocument", 400, "Invalid principal"},
		{"trust too large", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": `{"Statement":[{"Sid":"` + strings.Repeat("a", 2048) + `","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`},
			"LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048"},
		{"boundary missing", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": trustRoot, "PermissionsBoundary": "arn:aws:iam::aws:policy/NoSuchThing"},
			"NoSuchEntity", 404, "Scope ARN: arn:aws:iam::aws:policy/NoSuchThing does not exist or is not attachable."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, s, "CreateRole", tt.in, tt.code, tt.status, tt.msg) })
	}
	// A user principal that exists on its path is accepted.
	mustCall[RoleResult](t, s, "CreateRole", map[string]any{"RoleName": "r",
		"AssumeRolePolicyDocument": `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/eng/alice"},"Action":"sts:AssumeRole"}]}`})
}

// CreateRoleResultAlias lets mustCall name CreateRole's result type.
type CreateRoleResultAlias = RoleResult

const readS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::bucket/*"}]}`

func TestManagedPolicies(t *testing.T) {
	s := newTestService(t)
	p := mustCall[PolicyResult](t, s, "CreatePolicy", map[string]any{"PolicyName": "reader", "Path": "/team/", "PolicyDocument": readS3,
		"Description": "reads", "Tags": []map[string]string{{"Key": "k", "Value": "v"}}}).Policy
	arn := "arn:aws:iam::" + testAccount + ":policy/team/reader"
	if !policyIDRe.MatchString(p.PolicyID) || p.ARN != arn || p.DefaultVersionID != "v1" || !p.IsAttachable || p.AttachmentCount != 0 || len(p.Tags) != 1 {
		t.Errorf("CreatePolicy = %+v", p)
	}
	wantErr(t, s, "CreatePolicy", map[string]any{"PolicyName": "READER", "PolicyDocument": readS3}, "EntityAlreadyExists", 409, "A policy called READER already exists.")
	wantErr(t, s, "CreatePolicy", map[string]any{"PolicyName": "x", "PolicyDocument": trustRoot}, "MalformedPolicyDocument", 400, "should not specify a principal")
	wantErr(t, s, "CreatePolicy", map[string]any{"PolicyName": "x", "Path": "team", "PolicyDocument": readS3}, "ValidationError", 400, "at 'path'")

	// Versions: up to five; new ones become default only when asked.
	for i := 2; i <= maxPolicyVersions; i++ {
		v := mustCall[PolicyVersionResult](t, s, "CreatePolicyVersion", map[string]any{"PolicyArn": arn, "PolicyDocument": allowAll, "SetAsDefault": i == 3}).PolicyVersion
		if v.VersionID != fmt.Sprint("v", i) || v.IsDefaultVersion != (i == 3) || v.Document != "" {
			t.Errorf("CreatePolicyVersion %d = %+v", i, v)
		}
	}
	wantErr(t, s, "CreatePolicyVersion", map[string]any{"PolicyArn": arn, "PolicyDocument": allowAll}, "LimitExceeded", 409, "can have up to 5 versions")
	got := mustCall[PolicyResult](t, s, "GetPolicy", map[string]any{"PolicyArn": arn}).Policy
	if got.DefaultVersionID != "v3" || got.Description != "reads" {
		t.Errorf("GetPolicy = %+v", got)
	}
	v1 := mustCall[PolicyVersionResult](t, s, "GetPolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": "v1"}).PolicyVersion
	if v1.IsDefaultVersion || decoded(t, v1.Document) != readS3 {
		t.Errorf("GetPolicyVersion v1 = %+v", v1)
	}
	wantErr(t, s, "GetPolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": "v9"}, "NoSuchEntity", 404, "version v9")
	wantErr(t, s, "GetPolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": "1"}, "ValidationError", 400, "at 'versionId'")
	vs := mustCall[ListPolicyVersionsResult](t, s, "ListPolicyVersions", map[string]any{"PolicyArn": arn})
	if len(vs.Versions) != 5 || vs.Versions[0].VersionID != "v5" || !vs.Versions[2].IsDefaultVersion {
		t.Errorf("ListPolicyVersions = %+v", vs.Versions)
	}
	wantErr(t, s, "DeletePolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": "v3"}, "DeleteConflict", 409, "Cannot delete the default version of a policy.")
	mustCall[struct{}](t, s, "DeletePolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": "v4"})
	v6 := mustCall[PolicyVersionResult](t, s, "CreatePolicyVersion", map[string]any{"PolicyArn": arn, "PolicyDocument": readS3}).PolicyVersion
	if v6.VersionID != "v6" {
		t.Errorf("version numbers are reused: %+v", v6)
	}
	mustCall[struct{}](t, s, "SetDefaultPolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": "v6"})
	wantErr(t, s, "SetDefaultPolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": "v4"}, "NoSuchEntity", 404, "")

	// Attachment counts and conflicts.
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "u"})
	mustCall[struct{}](t, s, "AttachUserPolicy", map[string]any{"UserName": "u", "PolicyArn": arn})
	if got := mustCall[PolicyResult](t, s, "GetPolicy", map[string]any{"PolicyArn": arn}).Policy; got.AttachmentCount != 1 {
		t.Errorf("AttachmentCount = %d", got.AttachmentCount)
	}
	ents := mustCall[ListEntitiesForPolicyResult](t, s, "ListEntitiesForPolicy", map[string]any{"PolicyArn": arn})
	if len(ents.PolicyUsers) != 1 || ents.PolicyUsers[0].UserName != "u" || len(ents.PolicyRoles) != 0 {
		t.Errorf("ListEntitiesForPolicy = %+v", ents)
	}
	wantErr(t, s, "DeletePolicy", map[string]any{"PolicyArn": arn}, "DeleteConflict", 409, "Cannot delete a policy attached to entities.")
	wantErr(t, s, "DeleteUser", map[string]any{"UserName": "u"}, "DeleteConflict", 409, "must detach all policies first")
	mustCall[struct{}](t, s, "DetachUserPolicy", map[string]any{"UserName": "u", "PolicyArn": arn})
	wantErr(t, s, "DetachUserPolicy", map[string]any{"UserName": "u", "PolicyArn": arn}, "NoSuchEntity", 404, "was not found")
	wantErr(t, s, "DeletePolicy", map[string]any{"PolicyArn": arn}, "DeleteConflict", 409, "more than one version")
	for _, v := range []string{"v1", "v2", "v3", "v5"} {
		mustCall[struct{}](t, s, "DeletePolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": v})
	}
	mustCall[struct{}](t, s, "DeletePolicy", map[string]any{"PolicyArn": arn})
	wantErr(t, s, "GetPolicy", map[string]any{"PolicyArn": arn}, "NoSuchEntity", 404, "Policy "+arn+" was not found.")
}

func TestPolicySizeLimit(t *testing.T) {
	s := newTestService(t)
	// 6144 characters without white space is the limit; white space is free.
	fill := func(n int) string {
		base := `{"Statement":[{"Sid":"","Effect":"Allow","Action":"*","Resource":"*"}]}`
		return strings.Replace(base, `"Sid":""`, `"Sid":"`+strings.Repeat("a", n-len(base))+`"`, 1)
	}
	at := fill(maxManagedSize)
	if policySize(at) != maxManagedSize {
		t.Fatalf("fill: size %d", policySize(at))
	}
	mustCall[PolicyResult](t, s, "CreatePolicy", map[string]any{"PolicyName": "at", "PolicyDocument": strings.ReplaceAll(at, ",", ",\n    ")})
	wantErr(t, s, "CreatePolicy", map[string]any{"PolicyName": "over", "PolicyDocument": fill(maxManagedSize + 1)},
		"LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
}

func TestAWSManagedPolicies(t *testing.T) {
	s := newTestService(t)
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	p := mustCall[PolicyResult](t, s, "GetPolicy", map[string]any{"PolicyArn": admin}).Policy
	if p.PolicyName != "AdministratorAccess" || p.DefaultVersionID != "v1" || !policyIDRe.MatchString(p.PolicyID) {
		t.Errorf("GetPolicy = %+v", p)
	}
	v := mustCall[PolicyVersionResult](t, s, "GetPolicyVersion", map[string]any{"PolicyArn": admin, "VersionId": "v1"}).PolicyVersion
	if decoded(t, v.Document) != builtinDocs["AdministratorAccess"] {
		t.Errorf("document %q", v.Document)
	}
	wantErr(t, s, "CreatePolicyVersion", map[string]any{"PolicyArn": admin, "PolicyDocument": allowAll}, "InvalidInput", 400, "cannot be changed")
	wantErr(t, s, "DeletePolicy", map[string]any{"PolicyArn": admin}, "InvalidInput", 400, "")
	wantErr(t, s, "GetPolicy", map[string]any{"PolicyArn": "arn:aws:iam::aws:policy/Nope"}, "NoSuchEntity", 404, "")
	wantErr(t, s, "GetPolicy", map[string]any{"PolicyArn": "arn:aws:s3:::bucket-name-here"}, "InvalidInput", 400, "is not valid")

	mustCall[PolicyResult](t, s, "CreatePolicy", map[string]any{"PolicyName": "mine", "PolicyDocument": readS3})
	mustCall[RoleResult](t, s, "CreateRole", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": trustRoot})
	mustCall[struct{}](t, s, "AttachRolePolicy", map[string]any{"RoleName": "r", "PolicyArn": admin})
	mustCall[struct{}](t, s, "AttachRolePolicy", map[string]any{"RoleName": "r", "PolicyArn": admin})
	all := mustCall[ListPoliciesResult](t, s, "ListPolicies", map[string]any{})
	if len(all.Policies) != len(awsManagedPolicies)+1 {
		t.Errorf("ListPolicies = %d policies", len(all.Policies))
	}
	local := mustCall[ListPoliciesResult](t, s, "ListPolicies", map[string]any{"Scope": "Local"})
	if len(local.Policies) != 1 || local.Policies[0].PolicyName != "mine" || local.Policies[0].Description != "" {
		t.Errorf("ListPolicies Local = %+v", local.Policies)
	}
	attached := mustCall[ListPoliciesResult](t, s, "ListPolicies", map[string]any{"OnlyAttached": "true"})
	if len(attached.Policies) != 1 || attached.Policies[0].ARN != admin || attached.Policies[0].AttachmentCount != 1 {
		t.Errorf("ListPolicies OnlyAttached = %+v", attached.Policies)
	}
	wantErr(t, s, "ListPolicies", map[string]any{"Scope": "Mine"}, "ValidationError", 400, "enum value set: [All, AWS, Local]")
	var seen []string
	var marker any
	for range 20 {
		in := map[string]any{"MaxItems": 3}
		if marker != nil {
			in["Marker"] = marker
		}
		pg := mustCall[ListPoliciesResult](t, s, "ListPolicies", in)
		for _, p := range pg.Policies {
			seen = append(seen, p.PolicyName)
		}
		if !pg.IsTruncated {
			break
		}
		marker = pg.Marker
	}
	if len(seen) != len(all.Policies) {
		t.Errorf("paging saw %v", seen)
	}
	ap := mustCall[ListAttachedPoliciesResult](t, s, "ListAttachedRolePolicies", map[string]any{"RoleName": "r"})
	if len(ap.AttachedPolicies) != 1 || ap.AttachedPolicies[0].PolicyName != "AdministratorAccess" {
		t.Errorf("ListAttachedRolePolicies = %+v", ap)
	}
}

func TestAttachLimit(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "u"})
	for i := range maxAttachedPolicies + 1 {
		name := fmt.Sprint("p", i)
		mustCall[PolicyResult](t, s, "CreatePolicy", map[string]any{"PolicyName": name, "PolicyDocument": readS3})
		_, _, err := call(t, s, rootCaller(), "AttachUserPolicy", map[string]any{"UserName": "u", "PolicyArn": "arn:aws:iam::" + testAccount + ":policy/" + name})
		if i == maxAttachedPolicies {
			e := wantCode(t, err, "LimitExceeded", 409)
			if e.Message != "Cannot exceed quota for PoliciesPerUser: 10" {
				t.Errorf("message %q", e.Message)
			}
		} else if err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, s, "AttachUserPolicy", map[string]any{"UserName": "u", "PolicyArn": "arn:aws:iam::" + testAccount + ":policy/none"},
		"NoSuchEntity", 404, "does not exist or is not attachable")
}

func TestInlinePolicies(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "u"})
	mustCall[CreateGroupResult](t, s, "CreateGroup", map[string]any{"GroupName": "g"})
	mustCall[RoleResult](t, s, "CreateRole", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": trustRoot})
	for _, e := range []struct{ kind, field, name string }{{"User", "UserName", "u"}, {"Group", "GroupName", "g"}, {"Role", "RoleName", "r"}} {
		t.Run(e.kind, func(t *testing.T) {
			in := func(more map[string]any) map[string]any {
				m := map[string]any{e.field: e.name}
				for k, v := range more {
					m[k] = v
				}
				return m
			}
			mustCall[struct{}](t, s, "Put"+e.kind+"Policy", in(map[string]any{"PolicyName": "b", "PolicyDocument": readS3}))
			mustCall[struct{}](t, s, "Put"+e.kind+"Policy", in(map[string]any{"PolicyName": "a", "PolicyDocument": readS3}))
			mustCall[struct{}](t, s, "Put"+e.kind+"Policy", in(map[string]any{"PolicyName": "A", "PolicyDocument": allowAll})) // replaces a
			got := mustCall[GetInlinePolicyResult](t, s, "Get"+e.kind+"Policy", in(map[string]any{"PolicyName": "a"}))
			owner := got.UserName + got.GroupName + got.RoleName
			if owner != e.name || got.PolicyName != "a" || decoded(t, got.PolicyDocument) != allowAll {
				t.Errorf("Get%sPolicy = %+v", e.kind, got)
			}
			names := mustCall[ListInlinePoliciesResult](t, s, "List"+e.kind+"Policies", in(nil))
			if strings.Join(names.PolicyNames, ",") != "a,b" {
				t.Errorf("List%sPolicies = %v", e.kind, names.PolicyNames)
			}
			wantErr(t, s, "Put"+e.kind+"Policy", in(map[string]any{"PolicyName": "c", "PolicyDocument": trustRoot}), "MalformedPolicyDocument", 400, "")
			mustCall[struct{}](t, s, "Delete"+e.kind+"Policy", in(map[string]any{"PolicyName": "b"}))
			wantErr(t, s, "Delete"+e.kind+"Policy", in(map[string]any{"PolicyName": "b"}), "NoSuchEntity", 404,
				"The "+strings.ToLower(e.kind)+" policy with name b cannot be found.")
			wantErr(t, s, "Get"+e.kind+"Policy", in(map[string]any{"PolicyName": "b"}), "NoSuchEntity", 404, "")
		})
	}
	wantErr(t, s, "PutUserPolicy", map[string]any{"UserName": "nobody", "PolicyName": "a", "PolicyDocument": readS3}, "NoSuchEntity", 404, "The user with name nobody")
	// A user's inline policies share 2048 characters.
	big := strings.Replace(readS3, `"Effect"`, `"Sid":"`+strings.Repeat("x", 1000)+`","Effect"`, 1)
	mustCall[struct{}](t, s, "PutUserPolicy", map[string]any{"UserName": "u", "PolicyName": "big1", "PolicyDocument": big})
	wantErr(t, s, "PutUserPolicy", map[string]any{"UserName": "u", "PolicyName": "big2", "PolicyDocument": big},
		"LimitExceeded", 409, "Cannot exceed quota for UserPolicySize: 2048")
	// Replacing a policy does not count its old version.
	mustCall[struct{}](t, s, "PutUserPolicy", map[string]any{"UserName": "u", "PolicyName": "big1", "PolicyDocument": big})
	mustCall[struct{}](t, s, "PutRolePolicy", map[string]any{"RoleName": "r", "PolicyName": "big2", "PolicyDocument": big})
	wantErr(t, s, "DeleteUser", map[string]any{"UserName": "u"}, "DeleteConflict", 409, "must delete policies first")
}

func TestPermissionsBoundaries(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "u"})
	mustCall[RoleResult](t, s, "CreateRole", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": trustRoot})
	arn := "arn:aws:iam::" + testAccount + ":policy/limit"
	mustCall[PolicyResult](t, s, "CreatePolicy", map[string]any{"PolicyName": "limit", "PolicyDocument": readS3})
	mustCall[struct{}](t, s, "PutUserPermissionsBoundary", map[string]any{"UserName": "u", "PermissionsBoundary": arn})
	mustCall[struct{}](t, s, "PutRolePermissionsBoundary", map[string]any{"RoleName": "r", "PermissionsBoundary": arn})
	if u := mustCall[GetUserResult](t, s, "GetUser", map[string]any{"UserName": "u"}).User; u.PermissionsBoundary == nil || u.PermissionsBoundary.PermissionsBoundaryArn != arn {
		t.Errorf("user boundary %+v", u.PermissionsBoundary)
	}
	if p := mustCall[PolicyResult](t, s, "GetPolicy", map[string]any{"PolicyArn": arn}).Policy; p.PermissionsBoundaryUsageCount != 2 || p.AttachmentCount != 0 {
		t.Errorf("usage %+v", p)
	}
	b := mustCall[ListEntitiesForPolicyResult](t, s, "ListEntitiesForPolicy", map[string]any{"PolicyArn": arn, "PolicyUsageFilter": "PermissionsBoundary"})
	if len(b.PolicyUsers) != 1 || len(b.PolicyRoles) != 1 {
		t.Errorf("boundary entities %+v", b)
	}
	if l := mustCall[ListPoliciesResult](t, s, "ListPolicies", map[string]any{"PolicyUsageFilter": "PermissionsBoundary"}); len(l.Policies) != 1 {
		t.Errorf("ListPolicies boundary filter %+v", l.Policies)
	}
	wantErr(t, s, "DeletePolicy", map[string]any{"PolicyArn": arn}, "DeleteConflict", 409, "attached to entities")
	wantErr(t, s, "PutRolePermissionsBoundary", map[string]any{"RoleName": "r", "PermissionsBoundary": "arn:aws:iam::" + testAccount + ":policy/none"},
		"NoSuchEntity", 404, "Scope ARN")
	mustCall[struct{}](t, s, "DeleteUserPermissionsBoundary", map[string]any{"UserName": "u"})
	mustCall[struct{}](t, s, "DeleteRolePermissionsBoundary", map[string]any{"RoleName": "r"})
	if r := mustCall[RoleResult](t, s, "GetRole", map[string]any{"RoleName": "r"}).Role; r.PermissionsBoundary != nil {
		t.Errorf("role boundary after delete %+v", r.PermissionsBoundary)
	}
	mustCall[struct{}](t, s, "DeletePolicy", map[string]any{"PolicyArn": arn})
}

func TestPolicyTags(t *testing.T) {
	s := newTestService(t)
	arn := "arn:aws:iam::" + testAccount + ":policy/p"
	mustCall[PolicyResult](t, s, "CreatePolicy", map[string]any{"PolicyName": "p", "PolicyDocument": readS3})
	mustCall[struct{}](t, s, "TagPolicy", map[string]any{"PolicyArn": arn, "Tags": []map[string]string{{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}}})
	mustCall[struct{}](t, s, "UntagPolicy", map[string]any{"PolicyArn": arn, "TagKeys": []string{"A"}})
	tags := mustCall[ListUserTagsResult](t, s, "ListPolicyTags", map[string]any{"PolicyArn": arn})
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "b" {
		t.Errorf("ListPolicyTags = %+v", tags.Tags)
	}
	wantErr(t, s, "TagPolicy", map[string]any{"PolicyArn": arn, "Tags": manyTags(51, "k")}, "ValidationError", 400, "")
	wantErr(t, s, "TagPolicy", map[string]any{"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "Tags": manyTags(1, "k")}, "InvalidInput", 400, "")
}

func TestAccountAuthorizationDetails(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "u", "Tags": manyTags(1, "k")})
	mustCall[CreateGroupResult](t, s, "CreateGroup", map[string]any{"GroupName": "g"})
	mustCall[struct{}](t, s, "AddUserToGroup", map[string]any{"GroupName": "g", "UserName": "u"})
	mustCall[struct{}](t, s, "PutUserPolicy", map[string]any{"UserName": "u", "PolicyName": "i", "PolicyDocument": readS3})
	mustCall[RoleResult](t, s, "CreateRole", map[string]any{"RoleName": "r", "AssumeRolePolicyDocument": trustRoot})
	mustCall[struct{}](t, s, "AttachRolePolicy", map[string]any{"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	mustCall[PolicyResult](t, s, "CreatePolicy", map[string]any{"PolicyName": "p", "PolicyDocument": readS3})

	all := mustCall[GetAccountAuthorizationDetailsResult](t, s, "GetAccountAuthorizationDetails", map[string]any{})
	if len(all.UserDetailList) != 1 || len(all.GroupDetailList) != 1 || len(all.RoleDetailList) != 1 || len(all.Policies) != 2 || all.IsTruncated {
		t.Fatalf("details %+v", all)
	}
	u := all.UserDetailList[0]
	if len(u.UserPolicyList) != 1 || decoded(t, u.UserPolicyList[0].PolicyDocument) != readS3 || len(u.GroupList) != 1 || u.GroupList[0] != "g" || len(u.Tags) != 1 {
		t.Errorf("user detail %+v", u)
	}
	if r := all.RoleDetailList[0]; len(r.AttachedManagedPolicies) != 1 || decoded(t, r.AssumeRolePolicyDocument) != trustRoot {
		t.Errorf("role detail %+v", r)
	}
	for _, p := range all.Policies {
		if len(p.PolicyVersionList) != 1 || !p.PolicyVersionList[0].IsDefaultVersion || p.PolicyVersionList[0].Document == "" {
			t.Errorf("policy detail %+v", p)
		}
	}
	// Paging one item at a time visits all five.
	n, pages := 0, 0
	in := map[string]any{"MaxItems": 1}
	for {
		pg := mustCall[GetAccountAuthorizationDetailsResult](t, s, "GetAccountAuthorizationDetails", in)
		got := len(pg.UserDetailList) + len(pg.GroupDetailList) + len(pg.RoleDetailList) + len(pg.Policies)
		if got != 1 {
			t.Fatalf("page %d has %d items", pages, got)
		}
		n, pages = n+got, pages+1
		if !pg.IsTruncated {
			break
		}
		in["Marker"] = pg.Marker
	}
	if n != 5 {
		t.Errorf("paging saw %d items", n)
	}
	roles := mustCall[GetAccountAuthorizationDetailsResult](t, s, "GetAccountAuthorizationDetails", map[string]any{"Filter": []string{"Role"}})
	if len(roles.UserDetailList) != 0 || len(roles.RoleDetailList) != 1 || len(roles.Policies) != 0 {
		t.Errorf("Role filter %+v", roles)
	}
}

func TestEntityQueryEncoding(t *testing.T) {
	role := Role{Path: "/", RoleName: "r", RoleID: "AROAX", ARN: "arn", AssumeRolePolicyDocument: encodeDocument(`{"a": 1}`),
		MaxSessionDuration: 3600, RoleLastUsed: &RoleLastUsed{}}
	tests := []struct {
		action string
		result any
		want   []string
	}{
		{"GetRole", &RoleResult{Role: role}, []string{"<AssumeRolePolicyDocument>%7B%22a%22%3A%201%7D</AssumeRolePolicyDocument>",
			"<MaxSessionDuration>3600</MaxSessionDuration>", "<RoleLastUsed></RoleLastUsed>"}},
		{"UpdateRole", &UpdateRoleResult{}, []string{"<UpdateRoleResult></UpdateRoleResult>"}},
		{"ListRolePolicies", &ListInlinePoliciesResult{PolicyNames: members[string]{"a", "b"}},
			[]string{"<PolicyNames><member>a</member><member>b</member></PolicyNames><IsTruncated>false</IsTruncated>"}},
		{"GetRolePolicy", &GetInlinePolicyResult{RoleName: "r", PolicyName: "p", PolicyDocument: "%7B%7D"},
			[]string{"<GetRolePolicyResult><RoleName>r</RoleName><PolicyName>p</PolicyName><PolicyDocument>%7B%7D</PolicyDocument></GetRolePolicyResult>"}},
		{"ListEntitiesForPolicy", &ListEntitiesForPolicyResult{}, []string{"<PolicyGroups></PolicyGroups><PolicyUsers></PolicyUsers><PolicyRoles></PolicyRoles>"}},
		{"GetPolicy", &PolicyResult{Policy: Policy{PolicyName: "p", IsAttachable: true, DefaultVersionID: "v1"}},
			[]string{"<DefaultVersionId>v1</DefaultVersionId><AttachmentCount>0</AttachmentCount><PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount><IsAttachable>true</IsAttachable>"}},
	}
	for _, tt := range tests {
		got := encodeQuery(t, tt.action, tt.result)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: missing %s in\n%s", tt.action, w, got)
			}
		}
	}
}

func TestInstanceProfiles(t *testing.T) {
	s := newTestService(t)
	newRole(t, s, "Developer-EC2", "")
	p := mustCall[InstanceProfileResult](t, s, "CreateInstanceProfile", map[string]any{"InstanceProfileName": "Developer-EC2-InstanceProfile",
		"Tags": []map[string]string{{"Key": "Owner", "Value": "JohnA"}}}).InstanceProfile
	if !regexp.MustCompile(`^AIPA[A-Z2-7]{17}$`).MatchString(p.InstanceProfileID) || len(p.Roles) != 0 || len(p.Tags) != 1 ||
		p.ARN != "arn:aws:iam::"+testAccount+":instance-profile/Developer-EC2-InstanceProfile" {
		t.Errorf("CreateInstanceProfile = %+v", p)
	}
	wantErr(t, s, "CreateInstanceProfile", map[string]any{"InstanceProfileName": "developer-ec2-instanceprofile"}, "EntityAlreadyExists", 409, "")
	in := map[string]any{"InstanceProfileName": "Developer-EC2-InstanceProfile", "RoleName": "Developer-EC2"}
	mustCall[struct{}](t, s, "AddRoleToInstanceProfile", in)
	wantErr(t, s, "AddRoleToInstanceProfile", in, "LimitExceeded", 409, "InstanceSessionsPerInstanceProfile: 1")
	forRole := mustCall[ListInstanceProfilesResult](t, s, "ListInstanceProfilesForRole", map[string]any{"RoleName": "Developer-EC2"})
	if len(forRole.InstanceProfiles) != 1 || len(forRole.InstanceProfiles[0].Roles) != 1 || forRole.InstanceProfiles[0].Roles[0].RoleName != "Developer-EC2" {
		t.Errorf("ListInstanceProfilesForRole = %+v", forRole)
	}
	wantErr(t, s, "DeleteRole", map[string]any{"RoleName": "Developer-EC2"}, "DeleteConflict", 409, "must remove roles from instance profile first")
	wantErr(t, s, "DeleteInstanceProfile", map[string]any{"InstanceProfileName": "Developer-EC2-InstanceProfile"}, "DeleteConflict", 409, "")
	d := mustCall[GetAccountAuthorizationDetailsResult](t, s, "GetAccountAuthorizationDetails", map[string]any{"Filter": []string{"Role"}})
	if len(d.RoleDetailList) != 1 || len(d.RoleDetailList[0].InstanceProfileList) != 1 {
		t.Errorf("role detail %+v", d.RoleDetailList)
	}
	mustCall[struct{}](t, s, "TagInstanceProfile", map[string]any{"InstanceProfileName": "Developer-EC2-InstanceProfile", "Tags": manyTags(1, "x")})
	mustCall[struct{}](t, s, "UntagInstanceProfile", map[string]any{"InstanceProfileName": "Developer-EC2-InstanceProfile", "TagKeys": []string{"owner"}})
	if tags := mustCall[ListUserTagsResult](t, s, "ListInstanceProfileTags", map[string]any{"InstanceProfileName": "Developer-EC2-InstanceProfile"}); len(tags.Tags) != 1 {
		t.Errorf("tags %+v", tags.Tags)
	}
	mustCall[struct{}](t, s, "RemoveRoleFromInstanceProfile", in)
	wantErr(t, s, "RemoveRoleFromInstanceProfile", in, "NoSuchEntity", 404, "")
	if l := mustCall[ListInstanceProfilesResult](t, s, "ListInstanceProfiles", map[string]any{}); len(l.InstanceProfiles) != 1 || len(l.InstanceProfiles[0].Roles) != 0 {
		t.Errorf("ListInstanceProfiles = %+v", l)
	}
	mustCall[struct{}](t, s, "DeleteInstanceProfile", map[string]any{"InstanceProfileName": "Developer-EC2-InstanceProfile"})
	wantErr(t, s, "GetInstanceProfile", map[string]any{"InstanceProfileName": "Developer-EC2-InstanceProfile"}, "NoSuchEntity", 404,
		"Instance Profile Developer-EC2-InstanceProfile cannot be found.")
	mustCall[struct{}](t, s, "DeleteRole", map[string]any{"RoleName": "Developer-EC2"})
}
