package iam

import (
	"context"
	"net/http"
	"strings"

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
		if _, exists, err := userByName(ctx, tx, u.name); err != nil {
			return err
		} else if exists {
			return awsproto.Errorf(http.StatusConflict, "EntityAlreadyExists", "User with name %s already exists.", u.name)
		}
		if in.PermissionsBoundary != nil {
			b, err := s.checkBoundary(ctx, tx, *in.PermissionsBoundary)
			if err != nil {
				return err
			}
			u.boundary = b
		}
		if n, err := countUsers(ctx, tx); err != nil {
			return err
		} else if n >= maxUsersPerAcct {
			return limitExceeded("UsersPerAccount", maxUsersPerAcct)
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
	var in userNameInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.str("userName", in.UserName, existingUserNameRule)
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.UserName == nil && call.Caller.Type == identity.Root {
		return s.getRoot(ctx, call)
	}
	o, err := s.resolveOwner(ctx, s.env.DB.Read(), call.Caller, in.UserName)
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
	prefix, after, max, err := decodePathListing(call, 'u')
	if err != nil {
		return nil, err
	}
	rows, err := listUsers(ctx, s.env.DB.Read(), prefix, after, max+1)
	if err != nil {
		return nil, err
	}
	res := &ListUsersResult{Users: members[User]{}}
	if len(rows) > max {
		rows = rows[:max]
		res.IsTruncated = true
		res.Marker = makeMarker('u', strings.ToLower(rows[max-1].name))
	}
	for _, u := range rows {
		res.Users = append(res.Users, s.userOut(u, false))
	}
	return res, nil
}

func (s *Service) deleteUser(ctx context.Context, call *awsproto.Call) error {
	var in userNameInput
	if err := call.Decode(&in); err != nil {
		return err
	}
	var v violations
	v.must("userName", in.UserName, existingUserNameRule)
	if err := v.err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		u, ok, err := userByName(ctx, tx, *in.UserName)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchUser(*in.UserName)
		}
		call.AddResource(resUser, s.userARN(u.path, u.name))
		keys, err := keysOf(ctx, tx, u.id)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return awsproto.Errorf(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete access keys first.")
		}
		if err := checkNoPolicies(ctx, tx, entUser, u.id); err != nil {
			return err
		}
		if n, err := count(ctx, tx, `SELECT count(*) FROM iam_group_members WHERE user_id = ?`, u.id); err != nil {
			return err
		} else if n > 0 {
			return deleteConflict("Cannot delete entity, must remove user from all groups first.")
		}
		return deleteUser(ctx, tx, u.id)
	})
}
