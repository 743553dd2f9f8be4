package iam

import (
	"context"
	"strings"

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
		if _, exists, err := groupByName(ctx, tx, g.name); err != nil {
			return err
		} else if exists {
			return alreadyExists("Group with name %s already exists.", g.name)
		}
		if n, err := count(ctx, tx, `SELECT count(*) FROM iam_groups`); err != nil {
			return err
		} else if n >= maxGroupsPerAcct {
			return limitExceeded("GroupsPerAccount", maxGroupsPerAcct)
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
	v.str("marker", in.Marker, markerRule)
	v.maxItems(in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	offset, err := readOffsetMarker('m', in.Marker)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	g, ok, err := groupByName(ctx, q, *in.GroupName)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noSuchGroup(*in.GroupName)
	}
	users, err := membersOf(ctx, q, g.id)
	if err != nil {
		return nil, err
	}
	users, next := page(users, offset, maxItems(in.MaxItems), 'm')
	res := &GetGroupResult{Group: s.groupOut(g), Users: members[User]{}, IsTruncated: next != "", Marker: next}
	for _, u := range users {
		res.Users = append(res.Users, s.userOut(u, false))
	}
	call.AddResource(resGroup, res.Group.ARN)
	return res, nil
}

func (s *Service) listGroups(ctx context.Context, call *awsproto.Call) (*ListGroupsResult, error) {
	prefix, after, max, err := decodePathListing(call, 'g')
	if err != nil {
		return nil, err
	}
	rows, err := listGroups(ctx, s.env.DB.Read(), prefix, after, max+1)
	if err != nil {
		return nil, err
	}
	res := &ListGroupsResult{Groups: members[Group]{}}
	if len(rows) > max {
		rows = rows[:max]
		res.IsTruncated = true
		res.Marker = makeMarker('g', strings.ToLower(rows[max-1].name))
	}
	for _, g := range rows {
		res.Groups = append(res.Groups, s.groupOut(g))
	}
	return res, nil
}

func (s *Service) listGroupsForUser(ctx context.Context, call *awsproto.Call) (*ListGroupsResult, error) {
	var in listForUserInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.must("userName", in.UserName, existingUserNameRule)
	v.str("marker", in.Marker, markerRule)
	v.maxItems(in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	offset, err := readOffsetMarker('G', in.Marker)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	u, ok, err := userByName(ctx, q, *in.UserName)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noSuchUser(*in.UserName)
	}
	groups, err := groupsOfUser(ctx, q, u.id)
	if err != nil {
		return nil, err
	}
	groups, next := page(groups, offset, maxItems(in.MaxItems), 'G')
	res := &ListGroupsResult{Groups: members[Group]{}, IsTruncated: next != "", Marker: next}
	for _, g := range groups {
		res.Groups = append(res.Groups, s.groupOut(g))
	}
	call.AddResource(resUser, s.userARN(u.path, u.name))
	return res, nil
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
		g, ok, err := groupByName(ctx, tx, *in.GroupName)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchGroup(*in.GroupName)
		}
		call.AddResource(resGroup, s.groupARN(g.path, g.name))
		if n, err := count(ctx, tx, `SELECT count(*) FROM iam_group_members WHERE group_id = ?`, g.id); err != nil {
			return err
		} else if n > 0 {
			return deleteConflict("Cannot delete entity, must remove users from group first.")
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
	if n, err := count(ctx, q, `SELECT count(*) FROM iam_inline_policies WHERE entity_type = ? AND entity_id = ?`, t, id); err != nil {
		return err
	} else if n > 0 {
		return deleteConflict("Cannot delete entity, must delete policies first.")
	}
	if n, err := count(ctx, q, `SELECT count(*) FROM iam_attachments WHERE entity_type = ? AND entity_id = ?`, t, id); err != nil {
		return err
	} else if n > 0 {
		return deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	return nil
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
		g, ok, err := groupByName(ctx, tx, *in.GroupName)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchGroup(*in.GroupName)
		}
		u, ok, err := userByName(ctx, tx, *in.UserName)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchUser(*in.UserName)
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
		if n, err := count(ctx, tx, `SELECT count(*) FROM iam_group_members WHERE user_id = ? AND group_id != ?`, u.id, g.id); err != nil {
			return err
		} else if n >= maxGroupsPerUser {
			return limitExceeded("GroupsPerUser", maxGroupsPerUser)
		}
		return exec(ctx, tx, "add user to group", `INSERT INTO iam_group_members (group_id, user_id, added_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, g.id, u.id, s.now().UnixNano())
	})
}
