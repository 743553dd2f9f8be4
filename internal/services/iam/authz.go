package iam

import (
	"context"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
)

// What each IAM operation acts on, for the front door's IAM policy
// evaluation: the user, group, role, managed policy or instance profile
// ARN (with its path) as the Service Authorization Reference names it,
// its tags (aws:ResourceTag and iam:ResourceTag), and IAM's keys
// iam:PermissionsBoundary and iam:PolicyARN.

// authInput holds every member the operations name their resource with.
type authInput struct {
	UserName, GroupName, RoleName, InstanceProfileName string
	PolicyArn, PolicyName, Path, AccessKeyId           string
	PermissionsBoundary, PolicySourceArn               string
}

// listActions act on no resource of their own.
var listActions = map[string]bool{
	"ListUsers": true, "ListGroups": true, "ListRoles": true, "ListPolicies": true, "ListInstanceProfiles": true,
	"GetAccountAuthorizationDetails": true, "SimulateCustomPolicy": true,
}

// tagOnCreate is the tagging permission a create with Tags needs too.
var tagOnCreate = map[string]string{
	"CreateUser": "iam:TagUser", "CreateRole": "iam:TagRole", "CreatePolicy": "iam:TagPolicy",
	"CreateInstanceProfile": "iam:TagInstanceProfile",
}

// AuthContext implements services.Authorizer.
func (s *Service) AuthContext(ctx context.Context, call *awsproto.Call) (services.AuthInfo, error) {
	var info services.AuthInfo
	if listActions[call.Action] || services.OnlyResourcePoliciesLimit(call.Caller) {
		return info, nil
	}
	if err := s.init(ctx); err != nil {
		return info, err
	}
	var in authInput
	services.DecodeLoose(call, &in)
	r, err := s.authResource(ctx, call, &in)
	if err != nil {
		return info, err
	}
	info.Resources = []string{r.arn}
	info.ResourceTags = r.tags
	info.Keys = map[string][]string{}
	for k, v := range r.tags {
		info.Keys["iam:ResourceTag/"+k] = []string{v}
	}
	if r.boundary != "" {
		info.Keys["iam:PermissionsBoundary"] = []string{r.boundary}
	}
	if strings.HasPrefix(call.Action, "Attach") || strings.HasPrefix(call.Action, "Detach") {
		info.Keys["iam:PolicyARN"] = []string{in.PolicyArn}
	}
	if tag, ok := tagOnCreate[call.Action]; ok {
		if c, ok := services.TagOnCreate(tag, r.arn, call.Input); ok {
			info.Also = append(info.Also, c)
		}
	}
	if call.Action == "AddRoleToInstanceProfile" && in.RoleName != "" {
		role, err := s.authEntity(ctx, entRole, in.RoleName)
		if err != nil {
			return info, err
		}
		info.Also = append(info.Also, services.Check{Action: "iam:PassRole", Resource: role.arn, ResourceTags: role.tags,
			Keys: map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}})
	}
	return info, nil
}

// authRes is the resource an operation acts on.
type authRes struct {
	arn      string
	tags     map[string]string
	boundary string // the user's or role's permissions boundary (iam:PermissionsBoundary)
	missing  bool   // no such entity
}

// authResource finds the resource an operation acts on. A resource that
// does not exist is named from the input, without a path.
func (s *Service) authResource(ctx context.Context, call *awsproto.Call, in *authInput) (authRes, error) {
	a := call.Action
	switch {
	case strings.Contains(a, "InstanceProfile") && a != "ListInstanceProfilesForRole":
		return s.authProfile(ctx, a, in)
	case a == "CreatePolicy":
		return authRes{arn: s.policyARN(pathOr(in.Path), in.PolicyName)}, nil
	case in.PolicyArn != "" && (strings.Contains(a, "Polic") && !strings.HasPrefix(a, "Attach") && !strings.HasPrefix(a, "Detach")):
		return s.authPolicy(ctx, in.PolicyArn)
	case a == "SimulatePrincipalPolicy":
		return authRes{arn: in.PolicySourceArn}, nil
	case a == "GetAccessKeyLastUsed":
		return s.authKeyOwner(ctx, in.AccessKeyId)
	case a == "CreateUser":
		return authRes{arn: s.userARN(pathOr(in.Path), in.UserName), boundary: in.PermissionsBoundary}, nil
	case a == "CreateRole":
		return authRes{arn: s.roleARN(pathOr(in.Path), in.RoleName), boundary: in.PermissionsBoundary}, nil
	case a == "CreateGroup":
		return authRes{arn: s.groupARN(pathOr(in.Path), in.GroupName)}, nil
	}
	t, name := entityOfAuth(a, in)
	if t == entUser && name == "" {
		return s.authCaller(ctx, call.Caller)
	}
	r, err := s.authEntity(ctx, t, name)
	if err != nil {
		return r, err
	}
	if strings.HasPrefix(a, "Put") && strings.HasSuffix(a, "PermissionsBoundary") {
		r.boundary = in.PermissionsBoundary
	}
	return r, nil
}

// entityOfAuth picks the user, group or role an operation names.
func entityOfAuth(action string, in *authInput) (entityType, string) {
	switch {
	case strings.Contains(action, "Group") && action != "ListGroupsForUser":
		return entGroup, in.GroupName
	case strings.Contains(action, "Role"):
		return entRole, in.RoleName
	}
	return entUser, in.UserName
}

// authCaller is the resource of a user operation that names no user: the
// caller itself.
func (s *Service) authCaller(ctx context.Context, p identity.Principal) (authRes, error) {
	if p.Type != identity.IAMUser {
		return authRes{arn: p.ARN}, nil
	}
	r, err := s.authEntity(ctx, entUser, p.UserName)
	if r.missing {
		r.arn = p.ARN
	}
	return r, err
}

// authEntity reads a user, group or role. One that does not exist is
// named without a path.
func (s *Service) authEntity(ctx context.Context, t entityType, name string) (authRes, error) {
	q := s.env.DB.Read()
	switch t {
	case entUser:
		u, ok, err := userByName(ctx, q, name)
		if err != nil || !ok {
			return authRes{arn: s.userARN("/", name), missing: true}, err
		}
		return authRes{arn: s.userARN(u.path, u.name), tags: tagMap(u.tags), boundary: u.boundary}, nil
	case entGroup:
		g, ok, err := groupByName(ctx, q, name)
		if err != nil || !ok {
			return authRes{arn: s.groupARN("/", name), missing: true}, err
		}
		return authRes{arn: s.groupARN(g.path, g.name)}, nil
	}
	ro, ok, err := roleByName(ctx, q, name)
	if err != nil || !ok {
		return authRes{arn: s.roleARN("/", name), missing: true}, err
	}
	return authRes{arn: s.roleARN(ro.path, ro.name), tags: tagMap(ro.tags), boundary: ro.boundary}, nil
}

func (s *Service) authPolicy(ctx context.Context, policyArn string) (authRes, error) {
	ref, err := s.findPolicy(ctx, s.env.DB.Read(), policyArn)
	if err != nil {
		return authRes{arn: policyArn}, nil
	}
	return authRes{arn: ref.arn, tags: tagMap(ref.row.tags)}, nil
}

func (s *Service) authProfile(ctx context.Context, action string, in *authInput) (authRes, error) {
	if action == "CreateInstanceProfile" {
		return authRes{arn: s.profileARN(pathOr(in.Path), in.InstanceProfileName)}, nil
	}
	p, ok, err := profileByName(ctx, s.env.DB.Read(), in.InstanceProfileName)
	if err != nil || !ok {
		return authRes{arn: s.profileARN("/", in.InstanceProfileName)}, err
	}
	return authRes{arn: s.profileARN(p.path, p.name), tags: tagMap(p.tags)}, nil
}

// authKeyOwner is the user an access key belongs to; a key that does not
// exist belongs to no one, named "user/" with no name.
func (s *Service) authKeyOwner(ctx context.Context, akid string) (authRes, error) {
	k, ok, err := keyByID(ctx, s.env.DB.Read(), akid)
	if err != nil {
		return authRes{}, err
	}
	switch {
	case !ok:
		return authRes{arn: s.userARN("/", "")}, nil
	case k.userID == "":
		return authRes{arn: s.rootARN()}, nil
	}
	u, found, err := userByID(ctx, s.env.DB.Read(), k.userID)
	if err != nil || !found {
		return authRes{arn: s.userARN("/", k.userName)}, err
	}
	return authRes{arn: s.userARN(u.path, u.name), tags: tagMap(u.tags), boundary: u.boundary}, nil
}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
