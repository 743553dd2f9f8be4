// Package iam serves AWS Identity and Access Management: users, their
// access keys and tags, the account's root key, groups, roles with their
// trust policies, managed policies with versions, inline policies and
// permissions boundaries. It is also where the front door resolves an
// access key id (long-term, or temporary from STS AssumeRole) to a
// principal and its secret, and finds the policies that govern a principal.
package iam

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

var spec = &awsproto.Spec{
	Name:         "iam",
	Protocol:     awsproto.Query,
	XMLNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
	EventSource:  "iam.amazonaws.com",
}

// flushEvery is how often recorded key uses are written to the database.
const flushEvery = 5 * time.Second

// Service is the IAM service.
type Service struct {
	env *services.Env
	now func() time.Time

	initMu sync.Mutex
	inited atomic.Bool

	keys     keyCache
	policies genCache[Policies] // PrincipalPolicies by principal

	usesMu sync.Mutex
	uses   map[string]keyUse // last uses not yet written, by key id
}

// New returns the IAM service. Its tables are created on first use.
func New(env *services.Env) *Service {
	return &Service{env: env, now: time.Now, keys: keyCache{m: map[string]cachedKey{}}, uses: map[string]keyUse{}}
}

// Spec describes how IAM is reached.
func (s *Service) Spec() *awsproto.Spec { return spec }

// init creates the tables once. It runs lazily because New has no context
// and the front door may look a key up before Start.
func (s *Service) init(ctx context.Context) error {
	if s.inited.Load() {
		return nil
	}
	s.initMu.Lock()
	defer s.initMu.Unlock()
	if s.inited.Load() {
		return nil
	}
	if err := s.env.DB.Migrate(ctx, "iam", schema); err != nil {
		return fmt.Errorf("iam tables: %w", err)
	}
	s.inited.Store(true)
	return nil
}

// Start creates the tables and starts writing recorded key uses to the
// database every few seconds until ctx ends, then once more.
func (s *Service) Start(ctx context.Context) error {
	if err := s.init(ctx); err != nil {
		return err
	}
	go s.flushLoop(ctx)
	return nil
}

func (s *Service) flushLoop(ctx context.Context) {
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
				s.env.Log.Warn("iam: record access key use", "err", err)
			}
		case <-ctx.Done():
			// Last chance before shutdown; the database may already be closing.
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			if err := s.Flush(final); err != nil {
				s.env.Log.Debug("iam: final flush of access key use", "err", err)
			}
			cancel()
			return
		}
	}
}

// Handle runs one IAM operation.
func (s *Service) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	switch call.Action {
	case "CreateUser":
		return result(s.createUser(ctx, call))
	case "GetUser":
		return result(s.getUser(ctx, call))
	case "ListUsers":
		return result(s.listUsers(ctx, call))
	case "DeleteUser":
		return nil, s.deleteUser(ctx, call)
	case "TagUser":
		return nil, s.tagUser(ctx, call)
	case "UntagUser":
		return nil, s.untagUser(ctx, call)
	case "ListUserTags":
		return result(s.listUserTags(ctx, call))
	case "CreateAccessKey":
		return result(s.createAccessKey(ctx, call))
	case "ListAccessKeys":
		return result(s.listAccessKeys(ctx, call))
	case "DeleteAccessKey":
		return nil, s.deleteAccessKey(ctx, call)
	case "UpdateAccessKey":
		return nil, s.updateAccessKey(ctx, call)
	case "GetAccessKeyLastUsed":
		return result(s.getAccessKeyLastUsed(ctx, call))
	case "SimulatePrincipalPolicy", "SimulateCustomPolicy":
		return result(s.simulate(ctx, call))
	}
	if res, ok, err := s.handleEntities(ctx, call); ok {
		return res, err
	}
	return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidAction",
		"Could not find operation %s for version 2010-05-08 (Vigil's IAM does not serve it)", call.Action)
}

// handleEntities runs the operations on groups, roles and policies;
// ok=false when the action is none of them.
func (s *Service) handleEntities(ctx context.Context, call *awsproto.Call) (res any, ok bool, err error) {
	switch call.Action {
	case "CreateGroup":
		res, err = result(s.createGroup(ctx, call))
	case "GetGroup":
		res, err = result(s.getGroup(ctx, call))
	case "ListGroups":
		res, err = result(s.listGroups(ctx, call))
	case "ListGroupsForUser":
		res, err = result(s.listGroupsForUser(ctx, call))
	case "DeleteGroup":
		err = s.deleteGroup(ctx, call)
	case "AddUserToGroup", "RemoveUserFromGroup":
		err = s.membership(ctx, call, call.Action == "AddUserToGroup")
	case "CreateRole":
		res, err = result(s.createRole(ctx, call))
	case "GetRole":
		res, err = result(s.getRole(ctx, call))
	case "ListRoles":
		res, err = result(s.listRoles(ctx, call))
	case "DeleteRole":
		err = s.deleteRole(ctx, call)
	case "UpdateAssumeRolePolicy":
		err = s.updateAssumeRolePolicy(ctx, call)
	case "UpdateRole":
		res, err = result(s.updateRole(ctx, call))
	case "UpdateRoleDescription":
		res, err = result(s.updateRoleDescription(ctx, call))
	case "TagRole", "UntagRole":
		err = s.tagRole(ctx, call, call.Action == "UntagRole")
	case "ListRoleTags":
		res, err = result(s.listRoleTags(ctx, call))
	default:
		return s.handlePolicies(ctx, call)
	}
	return res, true, err
}

// handlePolicies runs the operations on managed and inline policies and
// permissions boundaries; ok=false when the action is none of them.
func (s *Service) handlePolicies(ctx context.Context, call *awsproto.Call) (res any, ok bool, err error) {
	switch call.Action {
	case "CreatePolicy":
		res, err = result(s.createPolicy(ctx, call))
	case "GetPolicy":
		res, err = result(s.getPolicy(ctx, call))
	case "ListPolicies":
		res, err = result(s.listPolicies(ctx, call))
	case "DeletePolicy":
		err = s.deletePolicy(ctx, call)
	case "CreatePolicyVersion":
		res, err = result(s.createPolicyVersion(ctx, call))
	case "GetPolicyVersion":
		res, err = result(s.getPolicyVersion(ctx, call))
	case "ListPolicyVersions":
		res, err = result(s.listPolicyVersions(ctx, call))
	case "DeletePolicyVersion", "SetDefaultPolicyVersion":
		err = s.changeVersion(ctx, call, call.Action == "SetDefaultPolicyVersion")
	case "TagPolicy", "UntagPolicy":
		err = s.tagPolicy(ctx, call, call.Action == "UntagPolicy")
	case "ListPolicyTags":
		res, err = result(s.listPolicyTags(ctx, call))
	case "ListEntitiesForPolicy":
		res, err = result(s.listEntitiesForPolicy(ctx, call))
	case "AttachUserPolicy", "AttachGroupPolicy", "AttachRolePolicy":
		err = s.attachPolicy(ctx, call)
	case "DetachUserPolicy", "DetachGroupPolicy", "DetachRolePolicy":
		err = s.detachPolicy(ctx, call)
	case "ListAttachedUserPolicies", "ListAttachedGroupPolicies", "ListAttachedRolePolicies":
		res, err = result(s.listAttachedPolicies(ctx, call))
	case "PutUserPolicy", "PutGroupPolicy", "PutRolePolicy":
		err = s.putInlinePolicy(ctx, call)
	case "GetUserPolicy", "GetGroupPolicy", "GetRolePolicy":
		res, err = result(s.getInlinePolicy(ctx, call))
	case "DeleteUserPolicy", "DeleteGroupPolicy", "DeleteRolePolicy":
		err = s.deleteInlinePolicy(ctx, call)
	case "ListUserPolicies", "ListGroupPolicies", "ListRolePolicies":
		res, err = result(s.listInlinePolicies(ctx, call))
	case "PutUserPermissionsBoundary", "PutRolePermissionsBoundary":
		err = s.putBoundary(ctx, call, false)
	case "DeleteUserPermissionsBoundary", "DeleteRolePermissionsBoundary":
		err = s.putBoundary(ctx, call, true)
	case "GetAccountAuthorizationDetails":
		res, err = result(s.getAccountAuthorizationDetails(ctx, call))
	default:
		return s.handleProfiles(ctx, call)
	}
	return res, true, err
}

// result keeps a typed nil pointer out of the interface, so that a failed
// call's result is a plain nil for the audit trail.
func result[T any](r *T, err error) (any, error) {
	if err != nil || r == nil {
		return nil, err
	}
	return r, nil
}

// write runs fn in a write transaction, then drops every cached key and
// policy set: any change to users, roles, keys or policies must reach the
// next signature check and the next authorisation.
func (s *Service) write(ctx context.Context, fn func(tx *store.Tx) error) error {
	defer s.policies.invalidate()
	defer s.keys.invalidate()
	return s.env.DB.Write(ctx, fn)
}

// userARN is the ARN of a user with the given path and name.
func (s *Service) userARN(path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:user%s%s", s.env.AccountID, path, name)
}

func (s *Service) rootARN() string {
	return "arn:aws:iam::" + s.env.AccountID + ":root"
}
