package iam

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// Instance profiles: containers that pass one role to an EC2 instance.
// Vigil runs no instances; it keeps the profiles so that the IAM side of
// those workflows (and the policies that govern it) behaves as in AWS.

// InstanceProfile is an instance profile with its role, if any.
type InstanceProfile struct {
	Path                string           `xml:"Path" json:"Path"`
	InstanceProfileName string           `xml:"InstanceProfileName" json:"InstanceProfileName"`
	InstanceProfileID   string           `xml:"InstanceProfileId" json:"InstanceProfileId"`
	ARN                 string           `xml:"Arn" json:"Arn"`
	CreateDate          awsproto.ISOTime `xml:"CreateDate" json:"CreateDate"`
	Roles               members[Role]    `xml:"Roles" json:"Roles"`
	Tags                members[Tag]     `xml:"Tags,omitempty" json:"Tags,omitempty"`
}

// InstanceProfileResult is the output of CreateInstanceProfile and GetInstanceProfile.
type InstanceProfileResult struct {
	InstanceProfile InstanceProfile `xml:"InstanceProfile" json:"InstanceProfile"`
}

// ListInstanceProfilesResult is the output of ListInstanceProfiles and ListInstanceProfilesForRole.
type ListInstanceProfilesResult struct {
	InstanceProfiles members[InstanceProfile] `xml:"InstanceProfiles" json:"InstanceProfiles"`
	IsTruncated      bool                     `xml:"IsTruncated" json:"IsTruncated"`
	Marker           string                   `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

type profileInput struct {
	InstanceProfileName *string
	RoleName            *string
	Path                *string
	PathPrefix          *string
	Tags                list[tagInput]
	TagKeys             list[string]
	Marker              *string
	MaxItems            awsproto.Int
}

var profileNameRule = rule(1, 128, `[\w+=,.@-]+`, `[\w+=,.@-]+`)

const resProfile = "AWS::IAM::InstanceProfile"

type profileRow struct {
	id, name, path string
	created        time.Time
	tags           []Tag
	roleID         string
}

func noSuchProfile(name string) error {
	return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "Instance Profile %s cannot be found.", name)
}

func (s *Service) profileARN(path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:instance-profile%s%s", s.env.AccountID, path, name)
}

const profileCols = `id, name, path, created_at, tags, role_id`

func scanProfile(sc scanner) (profileRow, error) {
	var p profileRow
	var created int64
	var tags string
	if err := sc.Scan(&p.id, &p.name, &p.path, &created, &tags, &p.roleID); err != nil {
		return profileRow{}, err
	}
	p.created = fromNanos(created)
	var err error
	p.tags, err = decodeTags("instance profile", p.name, tags)
	return p, err
}

func profileByName(ctx context.Context, q querier, name string) (profileRow, bool, error) {
	return queryRow(ctx, q, "read instance profile", scanProfile, `SELECT `+profileCols+` FROM iam_instance_profiles WHERE name = ?`, name)
}

func queryProfiles(ctx context.Context, q querier, where string, args ...any) ([]profileRow, error) {
	return queryRows(ctx, q, "list instance profiles", scanProfile,
		`SELECT `+profileCols+` FROM iam_instance_profiles WHERE `+where+` ORDER BY name`, args...)
}

func saveProfile(ctx context.Context, tx *store.Tx, p profileRow) error {
	return exec(ctx, tx, "save instance profile", `INSERT INTO iam_instance_profiles (`+profileCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET tags = excluded.tags, role_id = excluded.role_id`,
		p.id, p.name, p.path, p.created.UnixNano(), tagsJSON(p.tags), p.roleID)
}

// profileOut shapes a profile with its role in listing form.
func (s *Service) profileOut(ctx context.Context, q querier, p profileRow, full bool) (InstanceProfile, error) {
	out := InstanceProfile{Path: p.path, InstanceProfileName: p.name, InstanceProfileID: p.id, ARN: s.profileARN(p.path, p.name),
		CreateDate: awsproto.ISOTime(p.created), Roles: members[Role]{}}
	if full {
		out.Tags = p.tags
	}
	if p.roleID != "" {
		r, ok, err := roleByID(ctx, q, p.roleID)
		if err != nil {
			return InstanceProfile{}, err
		}
		if ok {
			out.Roles = append(out.Roles, s.roleOut(r, false))
		}
	}
	return out, nil
}

func decodeProfile(call *awsproto.Call, in *profileInput, more func(v *violations)) error {
	if err := call.Decode(in); err != nil {
		return err
	}
	var v violations
	v.must("instanceProfileName", in.InstanceProfileName, profileNameRule)
	if more != nil {
		more(&v)
	}
	return v.err()
}

func (s *Service) createInstanceProfile(ctx context.Context, call *awsproto.Call) (*InstanceProfileResult, error) {
	var in profileInput
	err := decodeProfile(call, &in, func(v *violations) {
		v.str("path", in.Path, pathRule)
		v.tags(in.Tags)
	})
	if err != nil {
		return nil, err
	}
	if err := checkDuplicateTags(in.Tags); err != nil {
		return nil, err
	}
	p := profileRow{id: randomID("AIPA", 17), name: *in.InstanceProfileName, path: "/", created: s.now().UTC(), tags: toTags(in.Tags)}
	if in.Path != nil {
		p.path = *in.Path
	}
	err = s.write(ctx, func(tx *store.Tx) error {
		if err := nameFree(ctx, tx, p.name, profileByName, "Instance Profile %s already exists."); err != nil {
			return err
		}
		return saveProfile(ctx, tx, p)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.profileOut(ctx, s.env.DB.Read(), p, true)
	if err != nil {
		return nil, err
	}
	call.AddResource(resProfile, out.ARN)
	return &InstanceProfileResult{InstanceProfile: out}, nil
}

func (s *Service) getInstanceProfile(ctx context.Context, call *awsproto.Call) (*InstanceProfileResult, error) {
	var in profileInput
	if err := decodeProfile(call, &in, nil); err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	p, err := findProfile(ctx, q, *in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	out, err := s.profileOut(ctx, q, p, true)
	if err != nil {
		return nil, err
	}
	call.AddResource(resProfile, out.ARN)
	return &InstanceProfileResult{InstanceProfile: out}, nil
}

// changeProfile runs fn on a profile inside a write transaction and saves it.
func (s *Service) changeProfile(ctx context.Context, call *awsproto.Call, name string, fn func(tx *store.Tx, p *profileRow) error) error {
	return s.write(ctx, func(tx *store.Tx) error {
		p, err := findProfile(ctx, tx, name)
		if err != nil {
			return err
		}
		call.AddResource(resProfile, s.profileARN(p.path, p.name))
		if err := fn(tx, &p); err != nil {
			return err
		}
		return saveProfile(ctx, tx, p)
	})
}

func (s *Service) deleteInstanceProfile(ctx context.Context, call *awsproto.Call) error {
	var in profileInput
	if err := decodeProfile(call, &in, nil); err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		p, err := findProfile(ctx, tx, *in.InstanceProfileName)
		if err != nil {
			return err
		}
		call.AddResource(resProfile, s.profileARN(p.path, p.name))
		if p.roleID != "" {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		return exec(ctx, tx, "delete instance profile", `DELETE FROM iam_instance_profiles WHERE id = ?`, p.id)
	})
}

// profileRole runs AddRoleToInstanceProfile (add=true) and RemoveRoleFromInstanceProfile.
func (s *Service) profileRole(ctx context.Context, call *awsproto.Call, add bool) error {
	var in profileInput
	if err := decodeProfile(call, &in, func(v *violations) { v.must("roleName", in.RoleName, roleNameRule) }); err != nil {
		return err
	}
	return s.changeProfile(ctx, call, *in.InstanceProfileName, func(tx *store.Tx, p *profileRow) error {
		r, err := findRole(ctx, tx, *in.RoleName)
		if err != nil {
			return err
		}
		call.AddResource(resRole, s.roleARN(r.path, r.name))
		switch {
		case add && p.roleID != "":
			return limitExceeded("InstanceSessionsPerInstanceProfile", 1)
		case add:
			p.roleID = r.id
		case p.roleID != r.id:
			return noSuchRole(*in.RoleName)
		default:
			p.roleID = ""
		}
		return nil
	})
}

func (s *Service) listInstanceProfiles(ctx context.Context, call *awsproto.Call, forRole bool) (*ListInstanceProfilesResult, error) {
	var in profileInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	if forRole {
		v.must("roleName", in.RoleName, roleNameRule)
	} else {
		v.str("pathPrefix", in.PathPrefix, pathPrefixRule)
	}
	v.paging(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	pg, err := readOffsetPage('I', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	var rows []profileRow
	if forRole {
		r, err := findRole(ctx, q, *in.RoleName)
		if err != nil {
			return nil, err
		}
		call.AddResource(resRole, s.roleARN(r.path, r.name))
		rows, err = profilesOfRole(ctx, q, r.id)
		if err != nil {
			return nil, err
		}
	} else {
		prefix := "/"
		if in.PathPrefix != nil {
			prefix = *in.PathPrefix
		}
		if rows, err = queryProfiles(ctx, q, `substr(path, 1, length(?)) = ?`, prefix, prefix); err != nil {
			return nil, err
		}
	}
	rows, next := cut(rows, pg)
	res := &ListInstanceProfilesResult{InstanceProfiles: members[InstanceProfile]{}, IsTruncated: next != "", Marker: next}
	for _, p := range rows {
		out, err := s.profileOut(ctx, q, p, false)
		if err != nil {
			return nil, err
		}
		res.InstanceProfiles = append(res.InstanceProfiles, out)
	}
	return res, nil
}

func (s *Service) tagInstanceProfile(ctx context.Context, call *awsproto.Call, untag bool) error {
	var in profileInput
	err := decodeProfile(call, &in, func(v *violations) { v.tagChange(untag, in.Tags, in.TagKeys) })
	if err != nil {
		return err
	}
	if err := checkDuplicateTags(in.Tags); err != nil {
		return err
	}
	return s.changeProfile(ctx, call, *in.InstanceProfileName, func(tx *store.Tx, p *profileRow) error {
		tags, err := retag(p.tags, untag, in.Tags, in.TagKeys, "TagsPerInstanceProfile")
		p.tags = tags
		return err
	})
}

func (s *Service) listInstanceProfileTags(ctx context.Context, call *awsproto.Call) (*ListTagsResult, error) {
	var in profileInput
	if err := decodeProfile(call, &in, func(v *violations) { v.paging(in.Marker, in.MaxItems) }); err != nil {
		return nil, err
	}
	pg, err := readOffsetPage('t', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	p, err := findProfile(ctx, s.env.DB.Read(), *in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	call.AddResource(resProfile, s.profileARN(p.path, p.name))
	return tagPage(p.tags, pg), nil
}

// profilesOfRole returns the instance profiles holding a role, for
// DeleteRole's check and GetAccountAuthorizationDetails.
func profilesOfRole(ctx context.Context, q querier, roleID string) ([]profileRow, error) {
	return queryProfiles(ctx, q, `role_id = ?`, roleID)
}

// handleProfiles runs the instance profile operations; ok=false for others.
func (s *Service) handleProfiles(ctx context.Context, call *awsproto.Call) (res any, ok bool, err error) {
	if !strings.Contains(call.Action, "InstanceProfile") {
		return nil, false, nil
	}
	switch call.Action {
	case "CreateInstanceProfile":
		res, err = result(s.createInstanceProfile(ctx, call))
	case "GetInstanceProfile":
		res, err = result(s.getInstanceProfile(ctx, call))
	case "DeleteInstanceProfile":
		err = s.deleteInstanceProfile(ctx, call)
	case "AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile":
		err = s.profileRole(ctx, call, call.Action == "AddRoleToInstanceProfile")
	case "ListInstanceProfiles", "ListInstanceProfilesForRole":
		res, err = result(s.listInstanceProfiles(ctx, call, call.Action == "ListInstanceProfilesForRole"))
	case "TagInstanceProfile", "UntagInstanceProfile":
		err = s.tagInstanceProfile(ctx, call, call.Action == "UntagInstanceProfile")
	case "ListInstanceProfileTags":
		res, err = result(s.listInstanceProfileTags(ctx, call))
	default:
		return nil, false, nil
	}
	return res, true, err
}
