package iam

import (
	"context"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/store"
)

// userOut shapes a stored user for a response. Listings leave out the
// boundary and tags, as AWS's do.
func (s *Service) userOut(u userRow, full bool) User {
	out := User{Path: u.path, UserName: u.name, UserID: u.id, ARN: s.userARN(u.path, u.name),
		CreateDate: awsproto.ISOTime(u.created)}
	if full {
		if u.boundary != "" {
			out.PermissionsBoundary = &PermissionsBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: u.boundary}
		}
		out.Tags = u.tags
	}
	return out
}

func (s *Service) createUser(ctx context.Context, call *awsproto.Call) (*CreateUserResult, error) {
	var in createUserInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.str("path", in.Path, pathRule)
	v.must("userName", in.UserName, userNameRule)
	v.str("permissionsBoundary", in.PermissionsBoundary, arnRule)
	v.tags(in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkDuplicateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := checkReservedTags(in.Tags); err != nil {
		return nil, err
	}
	u := userRow{id: newUserID(), name: *in.UserName, path: "/", created: s.now().UTC(), tags: toTags(in.Tags)}
	if in.Path != nil {
		u.path = *in.Path
	}
	err := s.write(ctx, func(tx *store.Tx) error {
		if err := nameFree(ctx, tx, u.name, userByName, "User with name %s already exists."); err != nil {
			return err
		}
		b, err := s.checkBoundary(ctx, tx, in.PermissionsBoundary)
		if err != nil {
			return err
		}
		u.boundary = b
		if err := underQuota(ctx, tx, "UsersPerAccount", maxUsersPerAcct, `SELECT count(*) FROM iam_users`); err != nil {
			return err
		}
		return insertUser(ctx, tx, u)
	})
	if err != nil {
		return nil, err
	}
	out := s.userOut(u, true)
	call.AddResource(resUser, out.ARN)
	return &CreateUserResult{User: out}, nil
}

func (s *Service) getUser(ctx context.Context, call *awsproto.Call) (*GetUserResult, error) {
	name, err := decodeUserName(call, false)
	if err != nil {
		return nil, err
	}
	if name == nil && call.Caller.Type == identity.Root {
		return s.getRoot(ctx, call)
	}
	o, err := s.resolveOwner(ctx, s.env.DB.Read(), call.Caller, name)
	if err != nil {
		return nil, err
	}
	out := s.userOut(o.user, true)
	call.AddResource(resUser, out.ARN)
	return &GetUserResult{User: out}, nil
}

// getRoot describes the root user: no path and no name, the account id
// as its id.
func (s *Service) getRoot(ctx context.Context, call *awsproto.Call) (*GetUserResult, error) {
	created, ok, err := readAccountCreated(ctx, s.env.DB.Read())
	if err != nil {
		return nil, err
	}
	if !ok {
		created = s.now().UTC()
	}
	call.AddResource(resUser, s.rootARN())
	return &GetUserResult{User: User{UserID: s.env.AccountID, ARN: s.rootARN(), CreateDate: awsproto.ISOTime(created)}}, nil
}

func (s *Service) listUsers(ctx context.Context, call *awsproto.Call) (*ListUsersResult, error) {
	p, err := decodePathListing(call, 'u')
	if err != nil {
		return nil, err
	}
	rows, err := listUsers(ctx, s.env.DB.Read(), p.prefix, p.after, p.size+1)
	if err != nil {
		return nil, err
	}
	rows, next := cutByName(rows, p, func(u userRow) string { return u.name })
	users := collect(rows, func(u userRow) User { return s.userOut(u, false) })
	return &ListUsersResult{Users: users, IsTruncated: next != "", Marker: next}, nil
}

func (s *Service) deleteUser(ctx context.Context, call *awsproto.Call) error {
	name, err := decodeUserName(call, true)
	if err != nil {
		return err
	}
	return s.withUser(ctx, call, *name, func(tx *store.Tx, u userRow) error {
		if err := noneLeft(ctx, tx, "Cannot delete entity, must delete access keys first.",
			`SELECT count(*) FROM iam_access_keys WHERE user_id = ?`, u.id); err != nil {
			return err
		}
		if err := checkNoPolicies(ctx, tx, entUser, u.id); err != nil {
			return err
		}
		if err := noneLeft(ctx, tx, "Cannot delete entity, must remove user from all groups first.",
			`SELECT count(*) FROM iam_group_members WHERE user_id = ?`, u.id); err != nil {
			return err
		}
		return deleteUser(ctx, tx, u.id)
	})
}

// decodeUserName reads the input of an operation on one user, whose
// UserName may be left out (meaning the caller) unless required.
func decodeUserName(call *awsproto.Call, required bool) (*string, error) {
	var in userNameInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	if required {
		v.must("userName", in.UserName, existingUserNameRule)
	} else {
		v.str("userName", in.UserName, existingUserNameRule)
	}
	return in.UserName, v.err()
}

// withUser runs fn inside a write transaction on the user named, which it
// records as a resource of the call.
func (s *Service) withUser(ctx context.Context, call *awsproto.Call, name string,
	fn func(tx *store.Tx, u userRow) error) error {
	return s.write(ctx, func(tx *store.Tx) error {
		u, err := findUser(ctx, tx, name)
		if err != nil {
			return err
		}
		call.AddResource(resUser, s.userARN(u.path, u.name))
		return fn(tx, u)
	})
}
