package e2e

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/vigilsec/vigil/internal/store"
)

const (
	e2eAccount  = "000000000000"
	readOnlyS3  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}`
	allowAllDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	// chainSessionPolicy is a session policy that still lets the session
	// assume another role: the second role's trust policy names the first
	// role, not the session, so the session policy must allow it too.
	chainSessionPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"},` +
		`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
)

// withSession returns a copy of v's config that signs with temporary credentials.
func (v *vigil) withSession(akid, secret, token string) aws.Config {
	c := v.Cfg.Copy()
	c.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, token)
	c.RetryMaxAttempts = 1
	return c
}

// unescape decodes a policy document as IAM returns it.
func unescape(t *testing.T, doc *string) string {
	t.Helper()
	s, err := url.QueryUnescape(aws.ToString(doc))
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", aws.ToString(doc), err)
	}
	return s
}

func TestIAMGroupsRolesPolicies(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	cfg := v.Cfg.Copy()
	cfg.RetryMaxAttempts = 1
	c := iam.NewFromConfig(cfg)

	// Groups and membership.
	g, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("responders"), Path: aws.String("/sec/")})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^AGPA[A-Z2-7]{17}$`).MatchString(aws.ToString(g.Group.GroupId)) || aws.ToString(g.Group.Arn) != "arn:aws:iam::"+e2eAccount+":group/sec/responders" {
		t.Errorf("CreateGroup = %+v", g.Group)
	}
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Responders")})
	wantAPIError(t, err, "EntityAlreadyExists", 409)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dana")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("responders"), UserName: aws.String("dana")}); err != nil {
		t.Fatal(err)
	}
	gg, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("responders")})
	if err != nil || len(gg.Users) != 1 || aws.ToString(gg.Users[0].UserName) != "dana" {
		t.Fatalf("GetGroup = %+v, %v", gg, err)
	}
	fu, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("dana")})
	if err != nil || len(fu.Groups) != 1 {
		t.Fatalf("ListGroupsForUser = %+v, %v", fu, err)
	}
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("responders")})
	wantAPIError(t, err, "DeleteConflict", 409)
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", 404)

	// Roles: the trust policy comes back URL-encoded, as in AWS.
	trust := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"Service\": \"states.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\"}]\n}"
	r, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("workflow"), Path: aws.String("/service/"),
		AssumeRolePolicyDocument: aws.String(trust), Description: aws.String("runs playbooks"), MaxSessionDuration: aws.Int32(7200),
		Tags: []iamtypes.Tag{tag("team", "sec")}})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^AROA[A-Z2-7]{17}$`).MatchString(aws.ToString(r.Role.RoleId)) || aws.ToInt32(r.Role.MaxSessionDuration) != 7200 ||
		aws.ToString(r.Role.Arn) != "arn:aws:iam::"+e2eAccount+":role/service/workflow" {
		t.Errorf("CreateRole = %+v", r.Role)
	}
	gr, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("workflow")})
	if err != nil {
		t.Fatal(err)
	}
	if unescape(t, gr.Role.AssumeRolePolicyDocument) != trust || len(gr.Role.Tags) != 1 || gr.Role.RoleLastUsed == nil {
		t.Errorf("GetRole = %+v", gr.Role)
	}
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(allowAllDoc)})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(60)})
	wantAPIError(t, err, "ValidationError", 400)
	if _, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("workflow"), Tags: []iamtypes.Tag{tag("env", "prod")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("workflow"), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	rt, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("workflow")})
	if err != nil || len(rt.Tags) != 1 || aws.ToString(rt.Tags[0].Key) != "env" {
		t.Errorf("ListRoleTags = %+v, %v", rt, err)
	}
	if _, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("workflow"), MaxSessionDuration: aws.Int32(3600)}); err != nil {
		t.Fatal(err)
	}

	// Managed policies with versions.
	cp, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read-logs"), PolicyDocument: aws.String(readOnlyS3)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(cp.Policy.Arn)
	if arn != "arn:aws:iam::"+e2eAccount+":policy/read-logs" || aws.ToString(cp.Policy.DefaultVersionId) != "v1" ||
		!regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`).MatchString(aws.ToString(cp.Policy.PolicyId)) {
		t.Errorf("CreatePolicy = %+v", cp.Policy)
	}
	if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(allowAllDoc), SetAsDefault: true}); err != nil {
		t.Fatal(err)
	}
	pv, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
	if err != nil || !pv.PolicyVersion.IsDefaultVersion || unescape(t, pv.PolicyVersion.Document) != allowAllDoc {
		t.Errorf("GetPolicyVersion = %+v, %v", pv, err)
	}
	for range 3 {
		if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(readOnlyS3)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(readOnlyS3)})
	wantAPIError(t, err, "LimitExceeded", 409)
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
	wantAPIError(t, err, "DeleteConflict", 409)
	if _, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}

	// Attachments, inline policies and boundaries.
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("workflow"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("responders"), PolicyArn: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dana"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NotAPolicy")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("workflow"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(readOnlyS3)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dana"), PolicyName: aws.String("x"), PolicyDocument: aws.String(trust)})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)
	rp, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("workflow"), PolicyName: aws.String("inline")})
	if err != nil || unescape(t, rp.PolicyDocument) != readOnlyS3 || aws.ToString(rp.RoleName) != "workflow" {
		t.Errorf("GetRolePolicy = %+v, %v", rp, err)
	}
	if _, err := c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("dana"), PermissionsBoundary: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	ents, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || len(ents.PolicyRoles) != 1 || len(ents.PolicyUsers) != 1 {
		t.Errorf("ListEntitiesForPolicy = %+v, %v", ents, err)
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantAPIError(t, err, "DeleteConflict", 409)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("workflow")})
	wantAPIError(t, err, "DeleteConflict", 409)
	lp, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{OnlyAttached: true})
	if err != nil || len(lp.Policies) != 2 {
		t.Errorf("ListPolicies OnlyAttached = %+v, %v", lp, err)
	}
	details, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	if err != nil || len(details.RoleDetailList) != 1 || len(details.UserDetailList) != 1 || len(details.GroupDetailList) != 1 {
		t.Errorf("GetAccountAuthorizationDetails = %+v, %v", details, err)
	}

	// Everything survives a crash.
	v.restart(t)
	c = iam.NewFromConfig(v.Cfg)
	gr2, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("workflow")})
	if err != nil || aws.ToString(gr2.Role.RoleId) != aws.ToString(r.Role.RoleId) || aws.ToInt32(gr2.Role.MaxSessionDuration) != 3600 {
		t.Fatalf("GetRole after restart = %+v, %v", gr2, err)
	}
	gp, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || aws.ToString(gp.Policy.DefaultVersionId) != "v1" || aws.ToInt32(gp.Policy.AttachmentCount) != 1 || aws.ToInt32(gp.Policy.PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("GetPolicy after restart = %+v, %v", gp, err)
	}
	vs, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil || len(vs.Versions) != 5 {
		t.Errorf("ListPolicyVersions after restart = %+v, %v", vs, err)
	}
	ap, err := c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("responders")})
	if err != nil || len(ap.AttachedPolicies) != 1 || aws.ToString(ap.AttachedPolicies[0].PolicyArn) != admin {
		t.Errorf("ListAttachedGroupPolicies after restart = %+v, %v", ap, err)
	}
	names, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("workflow")})
	if err != nil || len(names.PolicyNames) != 1 || names.PolicyNames[0] != "inline" {
		t.Errorf("ListRolePolicies after restart = %+v, %v", names, err)
	}
	gg, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("responders")})
	if err != nil || len(gg.Users) != 1 {
		t.Errorf("GetGroup after restart = %+v, %v", gg, err)
	}

	// And can be taken apart again.
	steps := []func() error{
		func() error {
			_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("workflow"), PolicyArn: aws.String(arn)})
			return err
		},
		func() error {
			_, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("workflow"), PolicyName: aws.String("inline")})
			return err
		},
		func() error {
			_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("workflow")})
			return err
		},
		func() error {
			_, err := c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("dana")})
			return err
		},
		func() error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("responders"), UserName: aws.String("dana")})
			return err
		},
		func() error {
			_, err := c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("responders"), PolicyArn: aws.String(admin)})
			return err
		},
		func() error {
			_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("responders")})
			return err
		},
	}
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		steps = append(steps, func() error {
			_, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(v)})
			return err
		})
	}
	steps = append(steps, func() error {
		_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
		return err
	})
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("teardown step %d: %v", i, err)
		}
	}
}

// assumeSetup creates a user with a key and a role that trusts the user,
// and returns the user's config and the role's ARN.
func assumeSetup(t *testing.T, v *vigil) (aws.Config, string) {
	t.Helper()
	ctx := context.Background()
	c := v.iam()
	u, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("operator")})
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("operator")})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aws.ToString(u.User.Arn) +
		`"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	r, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("responder"), Path: aws.String("/ops/"),
		AssumeRolePolicyDocument: aws.String(trust), Tags: []iamtypes.Tag{tag("team", "sec"), tag("tier", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	return v.asKey(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)), aws.ToString(r.Role.Arn)
}

func TestAssumeRoleCredentials(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	userCfg, roleArn := assumeSetup(t, v)

	out, err := sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String("incident-42"),
		DurationSeconds: aws.Int32(900), Tags: []ststypes.Tag{{Key: aws.String("tier"), Value: aws.String("2")}}})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	if !regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`).MatchString(aws.ToString(cr.AccessKeyId)) || aws.ToString(cr.SessionToken) == "" ||
		cr.Expiration == nil || time.Until(*cr.Expiration) > 15*time.Minute || time.Until(*cr.Expiration) < 14*time.Minute {
		t.Errorf("credentials %+v", cr)
	}
	wantARN := "arn:aws:sts::" + e2eAccount + ":assumed-role/responder/incident-42"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":incident-42") {
		t.Errorf("AssumedRoleUser %+v", out.AssumedRoleUser)
	}
	session := v.withSession(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	who, err := sts.NewFromConfig(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != wantARN || aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) || aws.ToString(who.Account) != e2eAccount {
		t.Errorf("GetCallerIdentity = %s %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId), aws.ToString(who.Account))
	}
	// A JSON service accepts the session too, as far as the role's policy allows.
	if _, err := v.iam().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("responder"), PolicyName: aws.String("list-machines"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"states:ListStateMachines","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sfn.NewFromConfig(session).ListStateMachines(ctx, &sfn.ListStateMachinesInput{}); err != nil {
		t.Errorf("ListStateMachines with the session: %v", err)
	}

	// A wrong or missing session token is refused.
	tampered := v.withSession(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)+"x")
	_, err = sts.NewFromConfig(tampered).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
	noToken := v.withSession(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), "")
	_, err = sts.NewFromConfig(noToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)

	// Who may not assume the role.
	rootCfg := v.Cfg.Copy()
	rootCfg.RetryMaxAttempts = 1
	_, err = sts.NewFromConfig(rootCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String("root")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + e2eAccount + ":role/ops/none"), RoleSessionName: aws.String("x1")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String("x1"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", 400)
	_, err = sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String("bad name")})
	wantAPIError(t, err, "ValidationError", 400)

	// The session survives a crash, until it expires.
	v.restart(t)
	session.BaseEndpoint = aws.String(v.URL)
	if _, err := sts.NewFromConfig(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("session after restart: %v", err)
	}
	expireSessions(t, v)
	_, err = sts.NewFromConfig(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", 403)
	_, err = sfn.NewFromConfig(session).ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	wantAPIError(t, err, "ExpiredTokenException", 400)
}

// expireSessions stops the server, moves every session's expiry into the
// past directly in its database, and starts it again: a test cannot wait
// the 15 minutes of the shortest session.
func expireSessions(t *testing.T, v *vigil) {
	t.Helper()
	v.stop()
	db, err := store.Open(context.Background(), v.Dir, store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), `UPDATE iam_sessions SET expires_at = ?`, time.Now().Add(-time.Minute).UnixNano())
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	v.start(t)
}

func TestAssumeRoleChainAndTags(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	userCfg, roleArn := assumeSetup(t, v)
	c := v.iam()
	// A second role that trusts sessions of the first.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + roleArn + `"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	second, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("second"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String("hop1"),
		Tags: []ststypes.Tag{{Key: aws.String("case"), Value: aws.String("7")}}, TransitiveTagKeys: []string{"case"},
		SourceIdentity: aws.String("dana@example.com"), Policy: aws.String(chainSessionPolicy),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}})
	if err != nil {
		t.Fatal(err)
	}
	if first.PackedPolicySize == nil || aws.ToInt32(first.PackedPolicySize) < 1 || aws.ToString(first.SourceIdentity) != "dana@example.com" {
		t.Errorf("AssumeRole with session policies = %+v", first)
	}
	_, err = sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String("bad-policy"),
		Policy: aws.String(`{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)
	hop1 := v.withSession(aws.ToString(first.Credentials.AccessKeyId), aws.ToString(first.Credentials.SecretAccessKey), aws.ToString(first.Credentials.SessionToken))
	_, err = sts.NewFromConfig(hop1).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: second.Role.Arn, RoleSessionName: aws.String("hop2"), DurationSeconds: aws.Int32(3700)})
	wantAPIError(t, err, "ValidationError", 400)
	out, err := sts.NewFromConfig(hop1).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: second.Role.Arn, RoleSessionName: aws.String("hop2")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+e2eAccount+":assumed-role/second/hop2" || aws.ToString(out.SourceIdentity) != "dana@example.com" {
		t.Errorf("chained session %+v (source identity %q)", out.AssumedRoleUser, aws.ToString(out.SourceIdentity))
	}
	// The role remembers its use.
	gr, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("responder")})
	if err != nil || gr.Role.RoleLastUsed == nil || gr.Role.RoleLastUsed.LastUsedDate == nil || aws.ToString(gr.Role.RoleLastUsed.Region) != "us-east-1" {
		t.Errorf("RoleLastUsed = %+v, %v", gr.Role.RoleLastUsed, err)
	}
}

func TestIAMInstanceProfiles(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Developer-EC2"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	p, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("Developer-EC2-InstanceProfile"),
		Tags: []iamtypes.Tag{tag("Owner", "JohnA")}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(p.InstanceProfile.InstanceProfileId), "AIPA") || len(p.InstanceProfile.Tags) != 1 {
		t.Errorf("CreateInstanceProfile = %+v", p.InstanceProfile)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("Developer-EC2-InstanceProfile"),
		RoleName: aws.String("Developer-EC2")}); err != nil {
		t.Fatal(err)
	}
	l, err := c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("Developer-EC2")})
	if err != nil || len(l.InstanceProfiles) != 1 || len(l.InstanceProfiles[0].Roles) != 1 ||
		unescape(t, l.InstanceProfiles[0].Roles[0].AssumeRolePolicyDocument) != trust {
		t.Fatalf("ListInstanceProfilesForRole = %+v, %v", l, err)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Developer-EC2")})
	wantAPIError(t, err, "DeleteConflict", 409)
}
