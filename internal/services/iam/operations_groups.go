package iam

import (
	"context"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

func (s *Service) groupOut(g groupRow) Group {
	return Group{Path: g.path, GroupName: g.name, GroupID: g.id, ARN: s.groupARN(g.path, g.name), CreateDate: awsproto.ISOTime(g.created)}
}

func (s *Service) createGroup(ctx context.Context, call *awsproto.Call) (*CreateGroupResult, error) {
	var in groupInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.str("path", in.Path, pathRule)
	v.must("groupName", in.GroupName, groupNameRule)
	if err := v.err(); err != nil {
		return nil, err
	}
	g := groupRow{id: newGroupID(), name: *in.GroupName, path: "/", created: s.now().UTC()}
	if in.Path != nil {
		g.path = *in.Path
	}
	err := s.write(ctx, func(tx *store.Tx) error {
		if err := nameFree(ctx, tx, g.name, groupByName, "Group with name %s already exists."); err != nil {
			return err
		}
		if err := underQuota(ctx, tx, "GroupsPerAccount", maxGroupsPerAcct, `SELECT count(*) FROM iam_groups`); err != nil {
			return err
		}
		return exec(ctx, tx, "insert group", `INSERT INTO iam_groups (id, name, path, created_at) VALUES (?, ?, ?, ?)`,
			g.id, g.name, g.path, g.created.UnixNano())
	})
	if err != nil {
		return nil, err
	}
	out := s.groupOut(g)
	call.AddResource(resGroup, out.ARN)
	return &CreateGroupResult{Group: out}, nil
}

func (s *Service) getGroup(ctx context.Context, call *awsproto.Call) (*GetGroupResult, error) {
	var in groupInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.must("groupName", in.GroupName, groupNameRule)
	v.paging(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := readOffsetPage('m', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	g, err := findGroup(ctx, q, *in.GroupName)
	if err != nil {
		return nil, err
	}
	users, err := membersOf(ctx, q, g.id)
	if err != nil {
		return nil, err
	}
	users, next := cut(users, p)
	res := &GetGroupResult{Group: s.groupOut(g), IsTruncated: next != "", Marker: next,
		Users: collect(users, func(u userRow) User { return s.userOut(u, false) })}
	call.AddResource(resGroup, res.Group.ARN)
	return res, nil
}

func (s *Service) listGroups(ctx context.Context, call *awsproto.Call) (*ListGroupsResult, error) {
	p, err := decodePathListing(call, 'g')
	if err != nil {
		return nil, err
	}
	rows, err := listGroups(ctx, s.env.DB.Read(), p.prefix, p.after, p.size+1)
	if err != nil {
		return nil, err
	}
	rows, next := cutByName(rows, p, func(g groupRow) string { return g.name })
	return &ListGroupsResult{Groups: collect(rows, s.groupOut), IsTruncated: next != "", Marker: next}, nil
}

func (s *Service) listGroupsForUser(ctx context.Context, call *awsproto.Call) (*ListGroupsResult, error) {
	var in listForUserInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.must("userName", in.UserName, existingUserNameRule)
	v.paging(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := readOffsetPage('G', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	u, err := findUser(ctx, q, *in.UserName)
	if err != nil {
		return nil, err
	}
	groups, err := groupsOfUser(ctx, q, u.id)
	if err != nil {
		return nil, err
	}
	groups, next := cut(groups, p)
	call.AddResource(resUser, s.userARN(u.path, u.name))
	return &ListGroupsResult{Groups: collect(groups, s.groupOut), IsTruncated: next != "", Marker: next}, nil
}

func (s *Service) deleteGroup(ctx context.Context, call *awsproto.Call) error {
	var in groupInput
	if err := call.Decode(&in); err != nil {
		return err
	}
	var v violations
	v.must("groupName", in.GroupName, groupNameRule)
	if err := v.err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		g, err := s.useEntity(ctx, tx, call, entGroup, *in.GroupName)
		if err != nil {
			return err
		}
		if err := noneLeft(ctx, tx, "Cannot delete entity, must remove users from group first.",
			`SELECT count(*) FROM iam_group_members WHERE group_id = ?`, g.id); err != nil {
			return err
		}
		if err := checkNoPolicies(ctx, tx, entGroup, g.id); err != nil {
			return err
		}
		return exec(ctx, tx, "delete group", `DELETE FROM iam_groups WHERE id = ?`, g.id)
	})
}

// checkNoPolicies refuses to delete an entity that still has inline or
// attached policies, in AWS's words.
func checkNoPolicies(ctx context.Context, q querier, t entityType, id string) error {
	if err := noneLeft(ctx, q, "Cannot delete entity, must delete policies first.",
		`SELECT count(*) FROM iam_inline_policies WHERE entity_type = ? AND entity_id = ?`, t, id); err != nil {
		return err
	}
	return noneLeft(ctx, q, "Cannot delete entity, must detach all policies first.",
		`SELECT count(*) FROM iam_attachments WHERE entity_type = ? AND entity_id = ?`, t, id)
}

// membership runs AddUserToGroup (add=true) and RemoveUserFromGroup.
func (s *Service) membership(ctx context.Context, call *awsproto.Call, add bool) error {
	var in membershipInput
	if err := call.Decode(&in); err != nil {
		return err
	}
	var v violations
	v.must("groupName", in.GroupName, groupNameRule)
	v.must("userName", in.UserName, existingUserNameRule)
	if err := v.err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		g, err := findGroup(ctx, tx, *in.GroupName)
		if err != nil {
			return err
		}
		u, err := findUser(ctx, tx, *in.UserName)
		if err != nil {
			return err
		}
		call.AddResource(resGroup, s.groupARN(g.path, g.name))
		call.AddResource(resUser, s.userARN(u.path, u.name))
		if !add {
			res, err := tx.ExecContext(ctx, `DELETE FROM iam_group_members WHERE group_id = ? AND user_id = ?`, g.id, u.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return noSuchUser(u.name)
			}
			return nil
		}
		if err := underQuota(ctx, tx, "GroupsPerUser", maxGroupsPerUser,
			`SELECT count(*) FROM iam_group_members WHERE user_id = ? AND group_id != ?`, u.id, g.id); err != nil {
			return err
		}
		return exec(ctx, tx, "add user to group", `INSERT INTO iam_group_members (group_id, user_id, added_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, g.id, u.id, s.now().UnixNano())
	})
}
