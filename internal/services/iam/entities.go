package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/arn"
	"github.com/vigilsec/vigil/internal/awsproto"
)

// What the group, role and policy operations share: name rules, errors,
// quotas, and finding a user, group or role by name.

var (
	groupNameRule   = rule(1, 128, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	roleNameRule    = rule(1, 64, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	policyNameRule  = rule(1, 128, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	policyPathRule  = rule(1, 512, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`, `(/[A-Za-z0-9.,+@=_-]+)*/`)
	policyDocRule   = rule(1, 131072, `[\u0009\u000A\u000D\u0020-\u00FF]+`, `[\x09\x0A\x0D\x20-\x{FF}]+`)
	roleDescRule    = rule(0, 1000, `[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*`, `[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*`)
	policyDescRule  = rule(0, 1000, "", "")
	versionIDRule   = rule(0, 0, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	sessionNameRule = rule(2, 64, `[\w+=,.@-]*`, `[\w+=,.@-]*`)
)

// IAM quotas (the defaults AWS documents).
const (
	maxGroupsPerAcct    = 300
	maxRolesPerAcct     = 1000
	maxPoliciesPerAcct  = 1500
	maxGroupsPerUser    = 10
	maxAttachedPolicies = 10 // managed policies per user, group or role
	maxPolicyVersions   = 5
	maxManagedSize      = 6144 // characters, white space not counted
	maxTrustSize        = 2048
	defaultSession      = 3600
	minSession          = 3600
	maxSession          = 43200

	resGroup  = "AWS::IAM::Group"
	resRole   = "AWS::IAM::Role"
	resPolicy = "AWS::IAM::Policy"
)

// inlineQuota is the aggregate size of an entity's inline policies.
var inlineQuota = map[entityType]struct {
	name string
	size int
}{
	entUser:  {"UserPolicySize", 2048},
	entGroup: {"GroupPolicySize", 5120},
	entRole:  {"RolePolicySize", 10240},
}

var attachQuota = map[entityType]string{entUser: "PoliciesPerUser", entGroup: "PoliciesPerGroup", entRole: "PoliciesPerRole"}

func noSuchGroup(name string) error {
	return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "The group with name %s cannot be found.", name)
}

func noSuchRole(name string) error {
	return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "The role with name %s cannot be found.", name)
}

func noSuchPolicy(policyARN string) error {
	return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "Policy %s does not exist or is not attachable.", policyARN)
}

func alreadyExists(format string, args ...any) error {
	return awsproto.Errorf(http.StatusConflict, "EntityAlreadyExists", format, args...)
}

func deleteConflict(msg string) error {
	return awsproto.Errorf(http.StatusConflict, "DeleteConflict", "%s", msg)
}

func newGroupID() string  { return randomID("AGPA", 17) }
func newRoleID() string   { return randomID("AROA", 17) }
func newPolicyID() string { return randomID("ANPA", 17) }

func (s *Service) groupARN(path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:group%s%s", s.env.AccountID, path, name)
}

func (s *Service) roleARN(path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role%s%s", s.env.AccountID, path, name)
}

func (s *Service) policyARN(path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:policy%s%s", s.env.AccountID, path, name)
}

// entity is a user, group or role as the policy operations see it.
type entity struct {
	typ            entityType
	id, name, path string
}

func (s *Service) entityARN(e entity) string {
	switch e.typ {
	case entGroup:
		return s.groupARN(e.path, e.name)
	case entRole:
		return s.roleARN(e.path, e.name)
	}
	return s.userARN(e.path, e.name)
}

func entityResource(t entityType) string {
	switch t {
	case entGroup:
		return resGroup
	case entRole:
		return resRole
	}
	return resUser
}

// named looks a row up by name with byName and answers notFound(name)
// when there is none.
func named[T any](ctx context.Context, q querier, name string,
	byName func(context.Context, querier, string) (T, bool, error), notFound func(string) error) (T, error) {
	row, ok, err := byName(ctx, q, name)
	if err == nil && !ok {
		err = notFound(name)
	}
	return row, err
}

// nameFree answers EntityAlreadyExists, in the words of format (with name
// for its %s), when byName finds an entity called name.
func nameFree[T any](ctx context.Context, q querier, name string,
	byName func(context.Context, querier, string) (T, bool, error), format string) error {
	_, exists, err := byName(ctx, q, name)
	if err == nil && exists {
		err = alreadyExists(format, name)
	}
	return err
}

// findUser, findGroup, findRole and findProfile find an entity by name,
// or answer NoSuchEntity.
func findUser(ctx context.Context, q querier, name string) (userRow, error) {
	return named(ctx, q, name, userByName, noSuchUser)
}

func findGroup(ctx context.Context, q querier, name string) (groupRow, error) {
	return named(ctx, q, name, groupByName, noSuchGroup)
}

func findRole(ctx context.Context, q querier, name string) (roleRow, error) {
	return named(ctx, q, name, roleByName, noSuchRole)
}

func findProfile(ctx context.Context, q querier, name string) (profileRow, error) {
	return named(ctx, q, name, profileByName, noSuchProfile)
}

// findEntity finds the user, group or role with name, or answers NoSuchEntity.
func findEntity(ctx context.Context, q querier, t entityType, name string) (entity, error) {
	switch t {
	case entUser:
		u, err := findUser(ctx, q, name)
		return entity{typ: t, id: u.id, name: u.name, path: u.path}, err
	case entGroup:
		g, err := findGroup(ctx, q, name)
		return entity{typ: t, id: g.id, name: g.name, path: g.path}, err
	}
	r, err := findRole(ctx, q, name)
	return entity{typ: t, id: r.id, name: r.name, path: r.path}, err
}

// useEntity finds the entity an operation acts on and records it as a
// resource of the call.
func (s *Service) useEntity(ctx context.Context, q querier, call *awsproto.Call, t entityType, name string) (entity, error) {
	e, err := findEntity(ctx, q, t, name)
	if err != nil {
		return entity{}, err
	}
	call.AddResource(entityResource(t), s.entityARN(e))
	return e, nil
}

// entityOf picks the entity an inline, attachment or boundary operation
// names: the member its action name says (PutUserPolicy: UserName, ...).
func entityOf(action string, in *entityPolicyInput) (entityType, *string, string) {
	switch {
	case strings.Contains(action, "Group"):
		return entGroup, in.GroupName, "groupName"
	case strings.Contains(action, "Role"):
		return entRole, in.RoleName, "roleName"
	}
	return entUser, in.UserName, "userName"
}

// nameRule is the constraint on an entity's name in the operations that
// name an existing one. AWS's model allows existing user names up to 128
// characters in some operations and 64 in others.
func nameRule(t entityType, long bool) strRule {
	switch t {
	case entGroup:
		return groupNameRule
	case entRole:
		return roleNameRule
	}
	if long {
		return existingUserNameRule
	}
	return userNameRule
}

// managedRef is a managed policy named by ARN, resolved.
type managedRef struct {
	row policyRow
	arn string
}

// parsePolicyARN checks that s can name a managed policy and splits it
// into the account ("aws" for AWS-managed), path and name.
func parsePolicyARN(s string) (account, path, name string, err error) {
	a, perr := arn.Parse(s)
	if perr != nil || a.Partition != "aws" || a.Service != "iam" || a.Region != "" || !strings.HasPrefix(a.Resource, "policy/") {
		return "", "", "", invalidInput("ARN %s is not valid.", s)
	}
	rest := strings.TrimPrefix(a.Resource, "policy")
	i := strings.LastIndexByte(rest, '/')
	path, name = rest[:i+1], rest[i+1:]
	if name == "" {
		return "", "", "", invalidInput("ARN %s is not valid.", s)
	}
	return a.AccountID, path, name, nil
}

// findPolicy resolves a managed policy ARN, or answers NoSuchEntity.
func (s *Service) findPolicy(ctx context.Context, q querier, policyARN string) (managedRef, error) {
	account, path, name, err := parsePolicyARN(policyARN)
	if err != nil {
		return managedRef{}, err
	}
	switch account {
	case "aws":
		if p, ok := builtinPolicy(path, name); ok {
			return managedRef{row: p, arn: p.arn}, nil
		}
	case s.env.AccountID:
		p, ok, err := localPolicyByName(ctx, q, name)
		if err != nil {
			return managedRef{}, err
		}
		if ok && p.path == path && p.name == name {
			p.arn = s.policyARN(p.path, p.name)
			return managedRef{row: p, arn: p.arn}, nil
		}
	}
	return managedRef{}, noSuchPolicy(policyARN)
}

// defaultDocument returns the document of a policy's default version.
func defaultDocument(ctx context.Context, q querier, p policyRow) (string, error) {
	if p.aws {
		return builtinDocs[p.name], nil
	}
	v, ok, err := localVersion(ctx, q, p.id, p.defaultVersion)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("policy %s: default version v%d is missing", p.name, p.defaultVersion)
	}
	return v.document, nil
}

// checkBoundary resolves a permissions boundary ARN as AWS does, with
// AWS's words when it does not name an attachable policy. No ARN is no
// boundary.
func (s *Service) checkBoundary(ctx context.Context, q querier, boundary *string) (string, error) {
	if boundary == nil {
		return "", nil
	}
	ref, err := s.findPolicy(ctx, q, *boundary)
	if err != nil {
		if e := (*awsproto.Error)(nil); errors.As(err, &e) && e.Code == "NoSuchEntity" {
			return "", awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "Scope ARN: %s does not exist or is not attachable.", *boundary)
		}
		return "", err
	}
	return ref.arn, nil
}

// intRange checks an optional integer member against its model's bounds.
func (v *violations) intRange(field string, n awsproto.Int, min, max int64) {
	if !n.Set {
		return
	}
	val := fmt.Sprint(n.Value)
	if n.Value < min {
		v.add(val, field, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if n.Value > max {
		v.add(val, field, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// isoPtr returns t as an optional timestamp: nil when zero.
func isoPtr(t time.Time) *awsproto.ISOTime {
	if t.IsZero() {
		return nil
	}
	x := awsproto.ISOTime(t)
	return &x
}
