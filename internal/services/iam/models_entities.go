package iam

import "github.com/vigilsec/vigil/internal/awsproto"

// Outputs of the group, role and policy operations (botocore member names
// as xml and json tags, as in models.go).

// Group is an IAM group.
type Group struct {
	Path       string           `xml:"Path" json:"Path"`
	GroupName  string           `xml:"GroupName" json:"GroupName"`
	GroupID    string           `xml:"GroupId" json:"GroupId"`
	ARN        string           `xml:"Arn" json:"Arn"`
	CreateDate awsproto.ISOTime `xml:"CreateDate" json:"CreateDate"`
}

// RoleLastUsed says when a role was last assumed, and where.
type RoleLastUsed struct {
	LastUsedDate *awsproto.ISOTime `xml:"LastUsedDate,omitempty" json:"LastUsedDate,omitempty"`
	Region       string            `xml:"Region,omitempty" json:"Region,omitempty"`
}

// Role is an IAM role. AssumeRolePolicyDocument is URL-encoded, as AWS
// returns it.
type Role struct {
	Path                     string               `xml:"Path" json:"Path"`
	RoleName                 string               `xml:"RoleName" json:"RoleName"`
	RoleID                   string               `xml:"RoleId" json:"RoleId"`
	ARN                      string               `xml:"Arn" json:"Arn"`
	CreateDate               awsproto.ISOTime     `xml:"CreateDate" json:"CreateDate"`
	AssumeRolePolicyDocument string               `xml:"AssumeRolePolicyDocument,omitempty" json:"AssumeRolePolicyDocument,omitempty"`
	Description              string               `xml:"Description,omitempty" json:"Description,omitempty"`
	MaxSessionDuration       int                  `xml:"MaxSessionDuration,omitempty" json:"MaxSessionDuration,omitempty"`
	PermissionsBoundary      *PermissionsBoundary `xml:"PermissionsBoundary,omitempty" json:"PermissionsBoundary,omitempty"`
	Tags                     members[Tag]         `xml:"Tags,omitempty" json:"Tags,omitempty"`
	RoleLastUsed             *RoleLastUsed        `xml:"RoleLastUsed,omitempty" json:"RoleLastUsed,omitempty"`
}

// Policy is a managed policy.
type Policy struct {
	PolicyName                    string           `xml:"PolicyName" json:"PolicyName"`
	PolicyID                      string           `xml:"PolicyId" json:"PolicyId"`
	ARN                           string           `xml:"Arn" json:"Arn"`
	Path                          string           `xml:"Path" json:"Path"`
	DefaultVersionID              string           `xml:"DefaultVersionId" json:"DefaultVersionId"`
	AttachmentCount               int              `xml:"AttachmentCount" json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int              `xml:"PermissionsBoundaryUsageCount" json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool             `xml:"IsAttachable" json:"IsAttachable"`
	Description                   string           `xml:"Description,omitempty" json:"Description,omitempty"`
	CreateDate                    awsproto.ISOTime `xml:"CreateDate" json:"CreateDate"`
	UpdateDate                    awsproto.ISOTime `xml:"UpdateDate" json:"UpdateDate"`
	Tags                          members[Tag]     `xml:"Tags,omitempty" json:"Tags,omitempty"`
}

// PolicyVersion is one version of a managed policy. Document, when
// present, is URL-encoded.
type PolicyVersion struct {
	Document         string           `xml:"Document,omitempty" json:"Document,omitempty"`
	VersionID        string           `xml:"VersionId" json:"VersionId"`
	IsDefaultVersion bool             `xml:"IsDefaultVersion" json:"IsDefaultVersion"`
	CreateDate       awsproto.ISOTime `xml:"CreateDate" json:"CreateDate"`
}

// AttachedPolicy names a managed policy attached to an entity.
type AttachedPolicy struct {
	PolicyName string `xml:"PolicyName" json:"PolicyName"`
	PolicyARN  string `xml:"PolicyArn" json:"PolicyArn"`
}

// PolicyGroup, PolicyUser and PolicyRole name the entities of ListEntitiesForPolicy.
type PolicyGroup struct {
	GroupName string `xml:"GroupName" json:"GroupName"`
	GroupID   string `xml:"GroupId" json:"GroupId"`
}

type PolicyUser struct {
	UserName string `xml:"UserName" json:"UserName"`
	UserID   string `xml:"UserId" json:"UserId"`
}

type PolicyRole struct {
	RoleName string `xml:"RoleName" json:"RoleName"`
	RoleID   string `xml:"RoleId" json:"RoleId"`
}

type CreateGroupResult struct {
	Group Group `xml:"Group" json:"Group"`
}

type GetGroupResult struct {
	Group       Group         `xml:"Group" json:"Group"`
	Users       members[User] `xml:"Users" json:"Users"`
	IsTruncated bool          `xml:"IsTruncated" json:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// ListGroupsResult is the output of ListGroups and ListGroupsForUser.
type ListGroupsResult struct {
	Groups      members[Group] `xml:"Groups" json:"Groups"`
	IsTruncated bool           `xml:"IsTruncated" json:"IsTruncated"`
	Marker      string         `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// RoleResult is the output of CreateRole, GetRole and UpdateRoleDescription.
type RoleResult struct {
	Role Role `xml:"Role" json:"Role"`
}

type ListRolesResult struct {
	Roles       members[Role] `xml:"Roles" json:"Roles"`
	IsTruncated bool          `xml:"IsTruncated" json:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// UpdateRoleResult is UpdateRole's (empty) output.
type UpdateRoleResult struct{}

// PolicyResult is the output of CreatePolicy and GetPolicy.
type PolicyResult struct {
	Policy Policy `xml:"Policy" json:"Policy"`
}

type ListPoliciesResult struct {
	Policies    members[Policy] `xml:"Policies" json:"Policies"`
	IsTruncated bool            `xml:"IsTruncated" json:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// PolicyVersionResult is the output of CreatePolicyVersion and GetPolicyVersion.
type PolicyVersionResult struct {
	PolicyVersion PolicyVersion `xml:"PolicyVersion" json:"PolicyVersion"`
}

type ListPolicyVersionsResult struct {
	Versions    members[PolicyVersion] `xml:"Versions" json:"Versions"`
	IsTruncated bool                   `xml:"IsTruncated" json:"IsTruncated"`
	Marker      string                 `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// ListAttachedPoliciesResult is the output of ListAttached{User,Group,Role}Policies.
type ListAttachedPoliciesResult struct {
	AttachedPolicies members[AttachedPolicy] `xml:"AttachedPolicies" json:"AttachedPolicies"`
	IsTruncated      bool                    `xml:"IsTruncated" json:"IsTruncated"`
	Marker           string                  `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

type ListEntitiesForPolicyResult struct {
	PolicyGroups members[PolicyGroup] `xml:"PolicyGroups" json:"PolicyGroups"`
	PolicyUsers  members[PolicyUser]  `xml:"PolicyUsers" json:"PolicyUsers"`
	PolicyRoles  members[PolicyRole]  `xml:"PolicyRoles" json:"PolicyRoles"`
	IsTruncated  bool                 `xml:"IsTruncated" json:"IsTruncated"`
	Marker       string               `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// ListTagsResult is the output of ListRoleTags and ListPolicyTags.
type ListTagsResult = ListUserTagsResult

// GetInlinePolicyResult is the output of Get{User,Group,Role}Policy: the
// entity's name under the member its operation uses, and the document
// URL-encoded.
type GetInlinePolicyResult struct {
	UserName       string `xml:"UserName,omitempty" json:"UserName,omitempty"`
	GroupName      string `xml:"GroupName,omitempty" json:"GroupName,omitempty"`
	RoleName       string `xml:"RoleName,omitempty" json:"RoleName,omitempty"`
	PolicyName     string `xml:"PolicyName" json:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument" json:"PolicyDocument"`
}

// ListInlinePoliciesResult is the output of List{User,Group,Role}Policies.
type ListInlinePoliciesResult struct {
	PolicyNames members[string] `xml:"PolicyNames" json:"PolicyNames"`
	IsTruncated bool            `xml:"IsTruncated" json:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// Inputs.

type groupInput struct {
	GroupName *string
	Path      *string
	Marker    *string
	MaxItems  awsproto.Int
}

type membershipInput struct {
	GroupName *string
	UserName  *string
}

type listForUserInput struct {
	UserName *string
	Marker   *string
	MaxItems awsproto.Int
}

type createRoleInput struct {
	Path                     *string
	RoleName                 *string
	AssumeRolePolicyDocument *string
	Description              *string
	MaxSessionDuration       awsproto.Int
	PermissionsBoundary      *string
	Tags                     list[tagInput]
}

type roleInput struct {
	RoleName            *string
	Description         *string
	MaxSessionDuration  awsproto.Int
	PolicyDocument      *string
	PermissionsBoundary *string
	Tags                list[tagInput]
	TagKeys             list[string]
	PathPrefix          *string
	Marker              *string
	MaxItems            awsproto.Int
}

type createPolicyInput struct {
	PolicyName     *string
	Path           *string
	PolicyDocument *string
	Description    *string
	Tags           list[tagInput]
}

type policyInput struct {
	PolicyArn         *string
	PolicyDocument    *string
	VersionId         *string
	SetAsDefault      awsproto.Bool
	Tags              list[tagInput]
	TagKeys           list[string]
	EntityFilter      *string
	PathPrefix        *string
	PolicyUsageFilter *string
	Marker            *string
	MaxItems          awsproto.Int
}

type listPoliciesInput struct {
	Scope             *string
	OnlyAttached      awsproto.Bool
	PathPrefix        *string
	PolicyUsageFilter *string
	Marker            *string
	MaxItems          awsproto.Int
}

// entityPolicyInput is the input of the inline, attachment and boundary
// operations: one of UserName, GroupName and RoleName, and the rest.
type entityPolicyInput struct {
	UserName            *string
	GroupName           *string
	RoleName            *string
	PolicyName          *string
	PolicyDocument      *string
	PolicyArn           *string
	PermissionsBoundary *string
	PathPrefix          *string
	Marker              *string
	MaxItems            awsproto.Int
}
