package iam

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/arn"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// roleOut shapes a stored role. Listings leave out the boundary, tags and
// last use, as AWS's do.
func (s *Service) roleOut(r roleRow, full bool) Role {
	out := Role{Path: r.path, RoleName: r.name, RoleID: r.id, ARN: s.roleARN(r.path, r.name),
		CreateDate: awsproto.ISOTime(r.created), AssumeRolePolicyDocument: encodeDocument(r.trust),
		Description: r.description, MaxSessionDuration: r.maxSession}
	if full {
		if r.boundary != "" {
			out.PermissionsBoundary = &PermissionsBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: r.boundary}
		}
		out.Tags = r.tags
	}
	return out
}

// checkTrust validates a role's trust policy: its grammar, its size, and
// that the users and roles of this account that it names exist, as IAM
// requires when it stores one.
func (s *Service) checkTrust(ctx context.Context, q querier, doc string) error {
	principals, err := checkPolicy(doc, trustDoc)
	if err != nil {
		return err
	}
	if policySize(doc) > maxTrustSize {
		return limitExceeded("ACLSizePerRole", maxTrustSize)
	}
	for _, p := range principals {
		a, err := arn.Parse(p)
		if err != nil || a.Service != "iam" || a.AccountID != s.env.AccountID {
			continue
		}
		var found bool
		switch typ, rest, _ := strings.Cut(a.Resource, "/"); typ {
		case "user", "role":
			i := strings.LastIndexByte(rest, '/')
			path, name := "/"+rest[:i+1], rest[i+1:]
			if typ == "user" {
				u, ok, err := userByName(ctx, q, name)
				if err != nil {
					return err
				}
				found = ok && u.path == path && u.name == name
			} else {
				r, ok, err := roleByName(ctx, q, name)
				if err != nil {
					return err
				}
				found = ok && r.path == path && r.name == name
			}
		default:
			found = a.Resource == "root"
		}
		if !found {
			return malformed("Invalid principal in policy: \"AWS\":\"%s\"", p)
		}
	}
	return nil
}

func (s *Service) createRole(ctx context.Context, call *awsproto.Call) (*RoleResult, error) {
	var in createRoleInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.str("path", in.Path, pathRule)
	v.must("roleName", in.RoleName, roleNameRule)
	v.must("assumeRolePolicyDocument", in.AssumeRolePolicyDocument, policyDocRule)
	v.str("description", in.Description, roleDescRule)
	v.intRange("maxSessionDuration", in.MaxSessionDuration, minSession, maxSession)
	v.str("permissionsBoundary", in.PermissionsBoundary, arnRule)
	v.tags(in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkDuplicateTags(in.Tags); err != nil {
		return nil, err
	}
	r := roleRow{id: newRoleID(), name: *in.RoleName, path: "/", created: s.now().UTC(), trust: *in.AssumeRolePolicyDocument,
		description: deref(in.Description), maxSession: int(in.MaxSessionDuration.Or(defaultSession)), tags: toTags(in.Tags)}
	if in.Path != nil {
		r.path = *in.Path
	}
	err := s.write(ctx, func(tx *store.Tx) error {
		if err := nameFree(ctx, tx, r.name, roleByName, "Role with name %s already exists."); err != nil {
			return err
		}
		if err := s.checkTrust(ctx, tx, r.trust); err != nil {
			return err
		}
		b, err := s.checkBoundary(ctx, tx, in.PermissionsBoundary)
		if err != nil {
			return err
		}
		r.boundary = b
		if err := underQuota(ctx, tx, "RolesPerAccount", maxRolesPerAcct, `SELECT count(*) FROM iam_roles`); err != nil {
			return err
		}
		return insertRole(ctx, tx, r)
	})
	if err != nil {
		return nil, err
	}
	out := s.roleOut(r, true)
	call.AddResource(resRole, out.ARN)
	return &RoleResult{Role: out}, nil
}

// roleName decodes and checks the input of an operation on one role.
func roleName(call *awsproto.Call, in *roleInput, more func(v *violations)) error {
	if err := call.Decode(in); err != nil {
		return err
	}
	var v violations
	v.must("roleName", in.RoleName, roleNameRule)
	if more != nil {
		more(&v)
	}
	return v.err()
}

func (s *Service) getRole(ctx context.Context, call *awsproto.Call) (*RoleResult, error) {
	var in roleInput
	if err := roleName(call, &in, nil); err != nil {
		return nil, err
	}
	r, err := findRole(ctx, s.env.DB.Read(), *in.RoleName)
	if err != nil {
		return nil, err
	}
	out := s.roleOut(r, true)
	out.RoleLastUsed = &RoleLastUsed{LastUsedDate: isoPtr(r.lastUsed), Region: r.lastRegion}
	call.AddResource(resRole, out.ARN)
	return &RoleResult{Role: out}, nil
}

func (s *Service) listRoles(ctx context.Context, call *awsproto.Call) (*ListRolesResult, error) {
	p, err := decodePathListing(call, 'r')
	if err != nil {
		return nil, err
	}
	rows, err := listRoles(ctx, s.env.DB.Read(), p.prefix, p.after, p.size+1)
	if err != nil {
		return nil, err
	}
	rows, next := cutByName(rows, p, func(r roleRow) string { return r.name })
	roles := collect(rows, func(r roleRow) Role { return s.roleOut(r, false) })
	return &ListRolesResult{Roles: roles, IsTruncated: next != "", Marker: next}, nil
}

func (s *Service) deleteRole(ctx context.Context, call *awsproto.Call) error {
	var in roleInput
	if err := roleName(call, &in, nil); err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		r, err := s.useEntity(ctx, tx, call, entRole, *in.RoleName)
		if err != nil {
			return err
		}
		if profiles, err := profilesOfRole(ctx, tx, r.id); err != nil {
			return err
		} else if len(profiles) > 0 {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		if err := checkNoPolicies(ctx, tx, entRole, r.id); err != nil {
			return err
		}
		// The role's sessions end with it: their policies are gone.
		if err := exec(ctx, tx, "end role sessions", `DELETE FROM iam_sessions WHERE role_id = ?`, r.id); err != nil {
			return err
		}
		return exec(ctx, tx, "delete role", `DELETE FROM iam_roles WHERE id = ?`, r.id)
	})
}

// changeRole runs fn on a role inside a write transaction and stores the result.
func (s *Service) changeRole(ctx context.Context, call *awsproto.Call, name string, fn func(tx *store.Tx, r *roleRow) error) (roleRow, error) {
	var r roleRow
	err := s.write(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = findRole(ctx, tx, name); err != nil {
			return err
		}
		call.AddResource(resRole, s.roleARN(r.path, r.name))
		if err := fn(tx, &r); err != nil {
			return err
		}
		return updateRole(ctx, tx, r)
	})
	return r, err
}

func (s *Service) updateAssumeRolePolicy(ctx context.Context, call *awsproto.Call) error {
	var in roleInput
	err := roleName(call, &in, func(v *violations) { v.must("policyDocument", in.PolicyDocument, policyDocRule) })
	if err != nil {
		return err
	}
	_, err = s.changeRole(ctx, call, *in.RoleName, func(tx *store.Tx, r *roleRow) error {
		if err := s.checkTrust(ctx, tx, *in.PolicyDocument); err != nil {
			return err
		}
		r.trust = *in.PolicyDocument
		return nil
	})
	return err
}

func (s *Service) updateRole(ctx context.Context, call *awsproto.Call) (*UpdateRoleResult, error) {
	var in roleInput
	err := roleName(call, &in, func(v *violations) {
		v.str("description", in.Description, roleDescRule)
		v.intRange("maxSessionDuration", in.MaxSessionDuration, minSession, maxSession)
	})
	if err != nil {
		return nil, err
	}
	_, err = s.changeRole(ctx, call, *in.RoleName, func(tx *store.Tx, r *roleRow) error {
		if in.Description != nil {
			r.description = *in.Description
		}
		if in.MaxSessionDuration.Set {
			r.maxSession = int(in.MaxSessionDuration.Value)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &UpdateRoleResult{}, nil
}

func (s *Service) updateRoleDescription(ctx context.Context, call *awsproto.Call) (*RoleResult, error) {
	var in roleInput
	err := roleName(call, &in, func(v *violations) {
		if v.required("description", in.Description != nil) {
			v.str("description", in.Description, roleDescRule)
		}
	})
	if err != nil {
		return nil, err
	}
	r, err := s.changeRole(ctx, call, *in.RoleName, func(tx *store.Tx, r *roleRow) error {
		r.description = *in.Description
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &RoleResult{Role: s.roleOut(r, true)}, nil
}

// tagRole runs TagRole and (untag=true) UntagRole.
func (s *Service) tagRole(ctx context.Context, call *awsproto.Call, untag bool) error {
	var in roleInput
	err := roleName(call, &in, func(v *violations) { v.tagChange(untag, in.Tags, in.TagKeys) })
	if err != nil {
		return err
	}
	if !untag {
		if err := checkDuplicateTags(in.Tags); err != nil {
			return err
		}
	}
	_, err = s.changeRole(ctx, call, *in.RoleName, func(tx *store.Tx, r *roleRow) error {
		tags, err := retag(r.tags, untag, in.Tags, in.TagKeys, "TagsPerRole")
		r.tags = tags
		return err
	})
	return err
}

// dropTags removes the tags whose keys are listed, in any case.
func dropTags(tags []Tag, keys []string) []Tag {
	drop := make(map[string]bool, len(keys))
	for _, k := range keys {
		drop[strings.ToLower(k)] = true
	}
	kept := make([]Tag, 0, len(tags))
	for _, t := range tags {
		if !drop[strings.ToLower(t.Key)] {
			kept = append(kept, t)
		}
	}
	return kept
}

func (s *Service) listRoleTags(ctx context.Context, call *awsproto.Call) (*ListTagsResult, error) {
	var in roleInput
	if err := roleName(call, &in, func(v *violations) { v.paging(in.Marker, in.MaxItems) }); err != nil {
		return nil, err
	}
	p, err := readOffsetPage('t', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	r, err := findRole(ctx, s.env.DB.Read(), *in.RoleName)
	if err != nil {
		return nil, err
	}
	call.AddResource(resRole, s.roleARN(r.path, r.name))
	return tagPage(r.tags, p), nil
}

// noteRoleUse records that a role was assumed, for GetRole's RoleLastUsed.
func noteRoleUse(ctx context.Context, tx *store.Tx, roleID, region string, at int64) error {
	if err := exec(ctx, tx, "record role use", `UPDATE iam_roles SET last_used_at = ?, last_used_region = ? WHERE id = ?`, at, region, roleID); err != nil {
		return fmt.Errorf("role %s: %w", roleID, err)
	}
	return nil
}
