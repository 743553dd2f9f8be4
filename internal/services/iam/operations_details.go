package iam

import (
	"context"
	"math"
	"strconv"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// GetAccountAuthorizationDetails: every user, group, role and managed
// policy with the policies that apply to it, in one listing.

// PolicyDetail is an inline policy with its URL-encoded document.
type PolicyDetail struct {
	PolicyName     string `xml:"PolicyName" json:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument" json:"PolicyDocument"`
}

type UserDetail struct {
	Path                    string                  `xml:"Path" json:"Path"`
	UserName                string                  `xml:"UserName" json:"UserName"`
	UserID                  string                  `xml:"UserId" json:"UserId"`
	ARN                     string                  `xml:"Arn" json:"Arn"`
	CreateDate              awsproto.ISOTime        `xml:"CreateDate" json:"CreateDate"`
	UserPolicyList          members[PolicyDetail]   `xml:"UserPolicyList" json:"UserPolicyList"`
	GroupList               members[string]         `xml:"GroupList" json:"GroupList"`
	AttachedManagedPolicies members[AttachedPolicy] `xml:"AttachedManagedPolicies" json:"AttachedManagedPolicies"`
	PermissionsBoundary     *PermissionsBoundary    `xml:"PermissionsBoundary,omitempty" json:"PermissionsBoundary,omitempty"`
	Tags                    members[Tag]            `xml:"Tags" json:"Tags"`
}

type GroupDetail struct {
	Path                    string                  `xml:"Path" json:"Path"`
	GroupName               string                  `xml:"GroupName" json:"GroupName"`
	GroupID                 string                  `xml:"GroupId" json:"GroupId"`
	ARN                     string                  `xml:"Arn" json:"Arn"`
	CreateDate              awsproto.ISOTime        `xml:"CreateDate" json:"CreateDate"`
	GroupPolicyList         members[PolicyDetail]   `xml:"GroupPolicyList" json:"GroupPolicyList"`
	AttachedManagedPolicies members[AttachedPolicy] `xml:"AttachedManagedPolicies" json:"AttachedManagedPolicies"`
}

type RoleDetail struct {
	Path                     string                   `xml:"Path" json:"Path"`
	RoleName                 string                   `xml:"RoleName" json:"RoleName"`
	RoleID                   string                   `xml:"RoleId" json:"RoleId"`
	ARN                      string                   `xml:"Arn" json:"Arn"`
	CreateDate               awsproto.ISOTime         `xml:"CreateDate" json:"CreateDate"`
	AssumeRolePolicyDocument string                   `xml:"AssumeRolePolicyDocument" json:"AssumeRolePolicyDocument"`
	InstanceProfileList      members[InstanceProfile] `xml:"InstanceProfileList" json:"InstanceProfileList"`
	RolePolicyList           members[PolicyDetail]    `xml:"RolePolicyList" json:"RolePolicyList"`
	AttachedManagedPolicies  members[AttachedPolicy]  `xml:"AttachedManagedPolicies" json:"AttachedManagedPolicies"`
	PermissionsBoundary      *PermissionsBoundary     `xml:"PermissionsBoundary,omitempty" json:"PermissionsBoundary,omitempty"`
	Tags                     members[Tag]             `xml:"Tags" json:"Tags"`
	RoleLastUsed             *RoleLastUsed            `xml:"RoleLastUsed,omitempty" json:"RoleLastUsed,omitempty"`
}

type ManagedPolicyDetail struct {
	PolicyName                    string                 `xml:"PolicyName" json:"PolicyName"`
	PolicyID                      string                 `xml:"PolicyId" json:"PolicyId"`
	ARN                           string                 `xml:"Arn" json:"Arn"`
	Path                          string                 `xml:"Path" json:"Path"`
	DefaultVersionID              string                 `xml:"DefaultVersionId" json:"DefaultVersionId"`
	AttachmentCount               int                    `xml:"AttachmentCount" json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int                    `xml:"PermissionsBoundaryUsageCount" json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool                   `xml:"IsAttachable" json:"IsAttachable"`
	Description                   string                 `xml:"Description,omitempty" json:"Description,omitempty"`
	CreateDate                    awsproto.ISOTime       `xml:"CreateDate" json:"CreateDate"`
	UpdateDate                    awsproto.ISOTime       `xml:"UpdateDate" json:"UpdateDate"`
	PolicyVersionList             members[PolicyVersion] `xml:"PolicyVersionList" json:"PolicyVersionList"`
}

type GetAccountAuthorizationDetailsResult struct {
	UserDetailList  members[UserDetail]          `xml:"UserDetailList" json:"UserDetailList"`
	GroupDetailList members[GroupDetail]         `xml:"GroupDetailList" json:"GroupDetailList"`
	RoleDetailList  members[RoleDetail]          `xml:"RoleDetailList" json:"RoleDetailList"`
	Policies        members[ManagedPolicyDetail] `xml:"Policies" json:"Policies"`
	IsTruncated     bool                         `xml:"IsTruncated" json:"IsTruncated"`
	Marker          string                       `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

type detailsInput struct {
	Filter   list[string]
	Marker   *string
	MaxItems awsproto.Int
}

func (s *Service) getAccountAuthorizationDetails(ctx context.Context, call *awsproto.Call) (*GetAccountAuthorizationDetailsResult, error) {
	var in detailsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	for _, f := range in.Filter {
		v.enum("filter", &f, entityFilters, "User, Role, Group, LocalManagedPolicy, AWSManagedPolicy")
	}
	v.paging(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := readOffsetPage('D', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	all, err := s.allDetails(ctx, in.Filter)
	if err != nil {
		return nil, err
	}
	return pageDetails(all, p.offset, p.size), nil
}

// allDetails builds the whole listing, filtered. Pages are cut from it
// afterwards: Vigil's accounts are small enough for that.
func (s *Service) allDetails(ctx context.Context, filter []string) (*GetAccountAuthorizationDetailsResult, error) {
	want := func(f string) bool {
		for _, x := range filter {
			if x == f {
				return true
			}
		}
		return len(filter) == 0
	}
	var all GetAccountAuthorizationDetailsResult
	var err error
	q := s.env.DB.Read()
	if want("User") {
		if all.UserDetailList, err = s.userDetails(ctx, q); err != nil {
			return nil, err
		}
	}
	if want("Group") {
		if all.GroupDetailList, err = s.groupDetails(ctx, q); err != nil {
			return nil, err
		}
	}
	if want("Role") {
		if all.RoleDetailList, err = s.roleDetails(ctx, q); err != nil {
			return nil, err
		}
	}
	if all.Policies, err = s.policyDetails(ctx, q, want("LocalManagedPolicy"), want("AWSManagedPolicy")); err != nil {
		return nil, err
	}
	return &all, nil
}

// pageDetails keeps the items [offset, offset+size) of the sequence users,
// groups, roles, policies.
func pageDetails(all *GetAccountAuthorizationDetailsResult, offset, size int) *GetAccountAuthorizationDetailsResult {
	total := len(all.UserDetailList) + len(all.GroupDetailList) + len(all.RoleDetailList) + len(all.Policies)
	end := min(offset+size, total)
	pos := 0
	// cut returns the part of the next list, of n items, inside [offset, end).
	cut := func(n int) (lo, hi int) {
		lo, hi = min(max(0, offset-pos), n), min(max(0, end-pos), n)
		pos += n
		return lo, max(lo, hi)
	}
	res := &GetAccountAuthorizationDetailsResult{}
	lo, hi := cut(len(all.UserDetailList))
	res.UserDetailList = append(members[UserDetail]{}, all.UserDetailList[lo:hi]...)
	lo, hi = cut(len(all.GroupDetailList))
	res.GroupDetailList = append(members[GroupDetail]{}, all.GroupDetailList[lo:hi]...)
	lo, hi = cut(len(all.RoleDetailList))
	res.RoleDetailList = append(members[RoleDetail]{}, all.RoleDetailList[lo:hi]...)
	lo, hi = cut(len(all.Policies))
	res.Policies = append(members[ManagedPolicyDetail]{}, all.Policies[lo:hi]...)
	if end < total {
		res.IsTruncated, res.Marker = true, makeMarker('D', strconv.Itoa(end))
	}
	return res
}

func (s *Service) userDetails(ctx context.Context, q querier) (members[UserDetail], error) {
	users, err := listUsers(ctx, q, "/", "", math.MaxInt32)
	if err != nil {
		return nil, err
	}
	out := members[UserDetail]{}
	for _, u := range users {
		d := UserDetail{Path: u.path, UserName: u.name, UserID: u.id, ARN: s.userARN(u.path, u.name),
			CreateDate: awsproto.ISOTime(u.created), GroupList: members[string]{}, Tags: append(members[Tag]{}, u.tags...)}
		if u.boundary != "" {
			d.PermissionsBoundary = &PermissionsBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: u.boundary}
		}
		if d.UserPolicyList, d.AttachedManagedPolicies, err = entityPolicyDetails(ctx, q, entUser, u.id); err != nil {
			return nil, err
		}
		groups, err := groupsOfUser(ctx, q, u.id)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			d.GroupList = append(d.GroupList, g.name)
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) groupDetails(ctx context.Context, q querier) (members[GroupDetail], error) {
	groups, err := listGroups(ctx, q, "/", "", math.MaxInt32)
	if err != nil {
		return nil, err
	}
	out := members[GroupDetail]{}
	for _, g := range groups {
		d := GroupDetail{Path: g.path, GroupName: g.name, GroupID: g.id, ARN: s.groupARN(g.path, g.name), CreateDate: awsproto.ISOTime(g.created)}
		if d.GroupPolicyList, d.AttachedManagedPolicies, err = entityPolicyDetails(ctx, q, entGroup, g.id); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) roleDetails(ctx context.Context, q querier) (members[RoleDetail], error) {
	roles, err := listRoles(ctx, q, "/", "", math.MaxInt32)
	if err != nil {
		return nil, err
	}
	out := members[RoleDetail]{}
	for _, r := range roles {
		ro := s.roleOut(r, true)
		d := RoleDetail{Path: ro.Path, RoleName: ro.RoleName, RoleID: ro.RoleID, ARN: ro.ARN, CreateDate: ro.CreateDate,
			AssumeRolePolicyDocument: ro.AssumeRolePolicyDocument, InstanceProfileList: members[InstanceProfile]{},
			PermissionsBoundary: ro.PermissionsBoundary, Tags: append(members[Tag]{}, r.tags...),
			RoleLastUsed: &RoleLastUsed{LastUsedDate: isoPtr(r.lastUsed), Region: r.lastRegion}}
		if d.RolePolicyList, d.AttachedManagedPolicies, err = entityPolicyDetails(ctx, q, entRole, r.id); err != nil {
			return nil, err
		}
		profiles, err := profilesOfRole(ctx, q, r.id)
		if err != nil {
			return nil, err
		}
		for _, p := range profiles {
			ip, err := s.profileOut(ctx, q, p, true)
			if err != nil {
				return nil, err
			}
			d.InstanceProfileList = append(d.InstanceProfileList, ip)
		}
		out = append(out, d)
	}
	return out, nil
}

// entityPolicyDetails lists an entity's inline and attached policies.
func entityPolicyDetails(ctx context.Context, q querier, t entityType, id string) (members[PolicyDetail], members[AttachedPolicy], error) {
	inline, err := inlinePolicies(ctx, q, t, id)
	if err != nil {
		return nil, nil, err
	}
	pl := members[PolicyDetail]{}
	for _, p := range inline {
		pl = append(pl, PolicyDetail{PolicyName: p.name, PolicyDocument: encodeDocument(p.document)})
	}
	arns, err := attachedARNs(ctx, q, t, id)
	if err != nil {
		return nil, nil, err
	}
	al := members[AttachedPolicy]{}
	for _, a := range arns {
		if _, _, name, err := parsePolicyARN(a); err == nil {
			al = append(al, AttachedPolicy{PolicyName: name, PolicyARN: a})
		}
	}
	return pl, al, nil
}

// policyDetails lists the account's managed policies and, as AWS does,
// the AWS-managed ones in use, each with all its versions.
func (s *Service) policyDetails(ctx context.Context, q querier, local, aws bool) (members[ManagedPolicyDetail], error) {
	uses, err := policyUses(ctx, q)
	if err != nil {
		return nil, err
	}
	var rows []policyRow
	if local {
		if rows, err = localPolicies(ctx, q, "/"); err != nil {
			return nil, err
		}
		for i := range rows {
			rows[i].arn = s.policyARN(rows[i].path, rows[i].name)
		}
	}
	if aws {
		for _, p := range builtinList("/") {
			if u := uses[p.arn]; u.attachments+u.boundaries > 0 {
				rows = append(rows, p)
			}
		}
	}
	out := members[ManagedPolicyDetail]{}
	for _, p := range rows {
		po := s.policyOut(p, uses[p.arn], true)
		d := ManagedPolicyDetail{PolicyName: po.PolicyName, PolicyID: po.PolicyID, ARN: po.ARN, Path: po.Path,
			DefaultVersionID: po.DefaultVersionID, AttachmentCount: po.AttachmentCount,
			PermissionsBoundaryUsageCount: po.PermissionsBoundaryUsageCount, IsAttachable: true, Description: po.Description,
			CreateDate: po.CreateDate, UpdateDate: po.UpdateDate, PolicyVersionList: members[PolicyVersion]{}}
		versions, err := versionsOf(ctx, q, p)
		if err != nil {
			return nil, err
		}
		for _, ver := range versions {
			d.PolicyVersionList = append(d.PolicyVersionList, PolicyVersion{Document: encodeDocument(ver.document),
				VersionID: versionID(ver.version), IsDefaultVersion: ver.version == p.defaultVersion, CreateDate: awsproto.ISOTime(ver.created)})
		}
		out = append(out, d)
	}
	return out, nil
}
