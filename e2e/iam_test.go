package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// asKey returns a copy of v's config that signs with another access key.
func (v *vigil) asKey(akid, secret string) aws.Config {
	c := v.Cfg.Copy()
	c.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, "")
	c.RetryMaxAttempts = 1
	return c
}

func tag(k, v string) iamtypes.Tag { return iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)} }

func TestIAMUsers(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()

	out, err := c.CreateUser(ctx, &iam.CreateUserInput{
		UserName:            aws.String("alice"),
		Path:                aws.String("/eng/"),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess"),
		Tags:                []iamtypes.Tag{tag("team", "security")},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := out.User
	if aws.ToString(u.Arn) != "arn:aws:iam::000000000000:user/eng/alice" || aws.ToString(u.Path) != "/eng/" ||
		!regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`).MatchString(aws.ToString(u.UserId)) || u.CreateDate == nil ||
		time.Since(*u.CreateDate) > time.Minute || len(u.Tags) != 1 || u.PermissionsBoundary == nil {
		t.Errorf("CreateUser = %+v", u)
	}

	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.User.UserId) != aws.ToString(u.UserId) || aws.ToString(got.User.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::aws:policy/PowerUserAccess" ||
		got.User.PermissionsBoundary.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy ||
		len(got.User.Tags) != 1 || aws.ToString(got.User.Tags[0].Value) != "security" {
		t.Errorf("GetUser = %+v", got.User)
	}

	// Without a name, GetUser describes the caller: here the root user.
	root, err := c.GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(root.User.Arn) != "arn:aws:iam::000000000000:root" || aws.ToString(root.User.UserId) != "000000000000" || root.User.UserName != nil {
		t.Errorf("GetUser as root = %+v", root.User)
	}

	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantAPIError(t, err, "EntityAlreadyExists", 409)

	// Paging through ListUsers with the SDK's paginator.
	for _, n := range []string{"bob", "carol", "dave", "erin"} {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n), Path: aws.String("/ops/")}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := 0
	pg := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	for pg.HasMorePages() {
		p, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range p.Users {
			names = append(names, aws.ToString(u.UserName))
			if u.Tags != nil || u.PermissionsBoundary != nil {
				t.Errorf("ListUsers returned tags or boundary for %s", aws.ToString(u.UserName))
			}
		}
	}
	if strings.Join(names, ",") != "alice,bob,carol,dave,erin" || pages != 3 {
		t.Errorf("ListUsers pages = %d, names %v", pages, names)
	}
	ops, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/ops/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ops.Users) != 4 || ops.IsTruncated {
		t.Errorf("ListUsers /ops/ = %d users, truncated %v", len(ops.Users), ops.IsTruncated)
	}

	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "NoSuchEntity", 404)

	// Users survive a crash.
	v.restart(t)
	got, err = v.iam().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("erin")})
	if err != nil || aws.ToString(got.User.Path) != "/ops/" {
		t.Fatalf("GetUser after restart: %+v %v", got, err)
	}
}

func TestIAMUserTags(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("frank")}); err != nil {
		t.Fatal(err)
	}
	many := make([]iamtypes.Tag, 30)
	for i := range many {
		many[i] = tag(fmt.Sprintf("key%02d", i), "v")
	}
	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("frank"), Tags: many}); err != nil {
		t.Fatal(err)
	}
	// A key in another case replaces the value and keeps the first spelling.
	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("frank"), Tags: []iamtypes.Tag{tag("KEY00", "changed")}}); err != nil {
		t.Fatal(err)
	}
	var tags []iamtypes.Tag
	pg := iam.NewListUserTagsPaginator(c, &iam.ListUserTagsInput{UserName: aws.String("frank"), MaxItems: aws.Int32(7)})
	for pg.HasMorePages() {
		p, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tags = append(tags, p.Tags...)
	}
	if len(tags) != 30 || aws.ToString(tags[0].Key) != "key00" || aws.ToString(tags[0].Value) != "changed" {
		t.Errorf("ListUserTags: %d tags, first %s=%s", len(tags), aws.ToString(tags[0].Key), aws.ToString(tags[0].Value))
	}

	more := make([]iamtypes.Tag, 21)
	for i := range more {
		more[i] = tag(fmt.Sprintf("more%02d", i), "v")
	}
	_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("frank"), Tags: more})
	wantAPIError(t, err, "LimitExceeded", 409)
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("frank"), Tags: []iamtypes.Tag{tag("a", "1"), tag("A", "2")}})
	wantAPIError(t, err, "InvalidInput", 400)
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("frank"), Tags: []iamtypes.Tag{tag("bad#key", "1")}})
	wantAPIError(t, err, "ValidationError", 400)
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("nobody"), Tags: []iamtypes.Tag{tag("a", "1")}})
	wantAPIError(t, err, "NoSuchEntity", 404)

	if _, err := c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("frank"), TagKeys: []string{"KEY00", "key01", "absent"}}); err != nil {
		t.Fatal(err)
	}
	left, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("frank")})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Tags) != 28 || left.IsTruncated {
		t.Errorf("after UntagUser: %d tags, truncated %v", len(left.Tags), left.IsTruncated)
	}
}

func TestIAMAccessKeyLifecycle(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("grace"), Tags: []iamtypes.Tag{tag("team", "blue")}}); err != nil {
		t.Fatal(err)
	}
	// AWS's example policy that lets users manage their own keys.
	ownKeys := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:CreateAccessKey","iam:ListAccessKeys",` +
		`"iam:UpdateAccessKey","iam:DeleteAccessKey"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("grace"), PolicyName: aws.String("own-keys"), PolicyDocument: aws.String(ownKeys)}); err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("grace")})
	if err != nil {
		t.Fatal(err)
	}
	k := created.AccessKey
	akid, secret := aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)
	if !regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`).MatchString(akid) || len(secret) != 40 || k.Status != iamtypes.StatusTypeActive ||
		aws.ToString(k.UserName) != "grace" || k.CreateDate == nil {
		t.Errorf("CreateAccessKey = %+v", k)
	}

	last, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(akid)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(last.UserName) != "grace" || last.AccessKeyLastUsed.LastUsedDate != nil ||
		aws.ToString(last.AccessKeyLastUsed.ServiceName) != "N/A" || aws.ToString(last.AccessKeyLastUsed.Region) != "N/A" {
		t.Errorf("GetAccessKeyLastUsed before use = %+v %+v", last, last.AccessKeyLastUsed)
	}

	// The new key works at once, as grace.
	userCfg := v.asKey(akid, secret)
	who, err := sts.NewFromConfig(userCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with grace's key: %v", err)
	}
	if aws.ToString(who.Arn) != "arn:aws:iam::000000000000:user/grace" || !strings.HasPrefix(aws.ToString(who.UserId), "AIDA") {
		t.Errorf("GetCallerIdentity = %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId))
	}
	last, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(akid)})
	if err != nil {
		t.Fatal(err)
	}
	if lu := last.AccessKeyLastUsed; lu.LastUsedDate == nil || time.Since(*lu.LastUsedDate) > time.Minute ||
		aws.ToString(lu.ServiceName) != "sts" || aws.ToString(lu.Region) != "us-east-1" {
		t.Errorf("GetAccessKeyLastUsed after use = %+v", lu)
	}

	// Grace manages her own keys without naming herself.
	gc := iam.NewFromConfig(userCfg)
	me, err := gc.GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(me.User.UserName) != "grace" {
		t.Fatalf("GetUser as grace: %+v %v", me, err)
	}
	second, err := gc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("grace")})
	wantAPIError(t, err, "LimitExceeded", 409)
	mine, err := gc.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.AccessKeyMetadata) != 2 || aws.ToString(mine.AccessKeyMetadata[0].AccessKeyId) != akid {
		t.Errorf("ListAccessKeys as grace = %+v", mine.AccessKeyMetadata)
	}

	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("grace")})
	wantAPIError(t, err, "DeleteConflict", 409)

	// Inactive: refused on the very next call; active again: accepted.
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("grace"), AccessKeyId: aws.String(akid), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = sts.NewFromConfig(userCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("grace")})
	if err != nil {
		t.Fatal(err)
	}
	if keys.AccessKeyMetadata[0].Status != iamtypes.StatusTypeInactive {
		t.Errorf("status after UpdateAccessKey = %s", keys.AccessKeyMetadata[0].Status)
	}
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("grace"), AccessKeyId: aws.String(akid), Status: iamtypes.StatusTypeActive}); err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(userCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("reactivated key: %v", err)
	}

	// Deleted: refused on the very next call.
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("grace"), AccessKeyId: aws.String(akid)}); err != nil {
		t.Fatal(err)
	}
	_, err = sts.NewFromConfig(userCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("grace"), AccessKeyId: aws.String(akid)})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(akid)})
	wantAPIError(t, err, "NoSuchEntity", 404)

	// The second key survives a crash, and so does its state.
	id2 := aws.ToString(second.AccessKey.AccessKeyId)
	v.restart(t)
	c = v.iam()
	secondCfg := v.asKey(id2, aws.ToString(second.AccessKey.SecretAccessKey))
	if _, err := sts.NewFromConfig(secondCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("second key after restart: %v", err)
	}
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("grace"), AccessKeyId: aws.String(id2)}); err != nil {
		t.Fatal(err)
	}
	_, err = sts.NewFromConfig(secondCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
	if _, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("grace"), PolicyName: aws.String("own-keys")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("grace")}); err != nil {
		t.Fatalf("DeleteUser once the keys and the policy are gone: %v", err)
	}
	if strings.Contains(v.Log(), aws.ToString(second.AccessKey.SecretAccessKey)) || strings.Contains(v.Log(), secret) {
		t.Error("a secret access key appears in the server log")
	}
}

func TestIAMInvalidInputs(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("henry")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
		msg    string
	}{
		{"user name with a space", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x y")})
			return err
		}, "ValidationError", 400, `Value 'x y' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"user name too long", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.Repeat("a", 65))})
			return err
		}, "ValidationError", 400, "Member must have length less than or equal to 64"},
		{"bad path", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ok"), Path: aws.String("ops")})
			return err
		}, "ValidationError", 400, "at 'path'"},
		{"boundary that is no policy", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ok"), PermissionsBoundary: aws.String("arn:aws:s3:::a-bucket-of-mine")})
			return err
		}, "InvalidInput", 400, "is not valid"},
		{"tag value with a comma", func() error {
			_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("henry"), Tags: []iamtypes.Tag{tag("team", "a,b")}})
			return err
		}, "ValidationError", 400, "at 'tags.1.member.value'"},
		{"unknown user", func() error {
			_, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity", 404, "The user with name nobody cannot be found."},
		{"max items zero", func() error {
			_, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(0)})
			return err
		}, "ValidationError", 400, "Member must have value greater than or equal to 1"},
		{"bad marker", func() error {
			_, err := c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("not-a-marker")})
			return err
		}, "ValidationError", 400, "Marker"},
		{"bad status", func() error {
			_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA"), Status: "Enabled"})
			return err
		}, "ValidationError", 400, "Member must satisfy enum value set: [Active, Inactive]"},
		{"unknown access key", func() error {
			_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA"), Status: iamtypes.StatusTypeInactive})
			return err
		}, "NoSuchEntity", 404, "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found."},
		{"short access key id", func() error {
			_, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIA")})
			return err
		}, "ValidationError", 400, "at 'accessKeyId'"},
		{"unknown user for a key", func() error {
			_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity", 404, "nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantAPIError(t, err, tt.code, tt.status)
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}
