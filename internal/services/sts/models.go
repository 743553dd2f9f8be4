package sts

import (
	"encoding/json"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services/iam"
)

// GetCallerIdentityResult is GetCallerIdentity's output.
type GetCallerIdentityResult struct {
	UserID  string `xml:"UserId" json:"UserId"`
	Account string `xml:"Account" json:"Account"`
	ARN     string `xml:"Arn" json:"Arn"`
}

// Credentials are temporary security credentials.
type Credentials struct {
	AccessKeyID     string           `xml:"AccessKeyId" json:"AccessKeyId"`
	SecretAccessKey string           `xml:"SecretAccessKey" json:"SecretAccessKey"`
	SessionToken    string           `xml:"SessionToken" json:"SessionToken"`
	Expiration      awsproto.ISOTime `xml:"Expiration" json:"Expiration"`
}

// AssumedRoleUser identifies a role session.
type AssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId" json:"AssumedRoleId"`
	ARN           string `xml:"Arn" json:"Arn"`
}

// AssumeRoleResult is AssumeRole's output.
type AssumeRoleResult struct {
	Credentials      Credentials     `xml:"Credentials" json:"Credentials"`
	AssumedRoleUser  AssumedRoleUser `xml:"AssumedRoleUser" json:"AssumedRoleUser"`
	PackedPolicySize *int            `xml:"PackedPolicySize,omitempty" json:"PackedPolicySize,omitempty"`
	SourceIdentity   string          `xml:"SourceIdentity,omitempty" json:"SourceIdentity,omitempty"`
}

// assumeRoleAudit is what the audit trail records of AssumeRole: the
// result without the secret key and the session token.
type assumeRoleAudit struct {
	Credentials struct {
		AccessKeyID string           `json:"accessKeyId"`
		Expiration  awsproto.ISOTime `json:"expiration"`
	} `json:"credentials"`
	AssumedRoleUser struct {
		AssumedRoleID string `json:"assumedRoleId"`
		ARN           string `json:"arn"`
	} `json:"assumedRoleUser"`
	PackedPolicySize *int   `json:"packedPolicySize,omitempty"`
	SourceIdentity   string `json:"sourceIdentity,omitempty"`
}

// TrustRequest describes an AssumeRole call to the trust check.
type TrustRequest struct {
	Call    *awsproto.Call // the AssumeRole call (source IP, time, region)
	RoleArn string
	Role    iam.Role
	// Actions are what the trust policy must allow: sts:AssumeRole, plus
	// sts:TagSession when session tags are passed and
	// sts:SetSourceIdentity when a source identity is.
	Actions           []string
	SessionName       string
	ExternalID        string // "" when none was passed
	SourceIdentity    string
	DurationSeconds   int
	SessionTags       map[string]string // the tags passed (aws:RequestTag)
	TransitiveTagKeys []string
}

type tagInput struct {
	Key   *string
	Value *string
}

type policyDescriptor struct {
	ARN *string `json:"arn"`
}

type assumeRoleInput struct {
	RoleArn           *string
	RoleSessionName   *string
	PolicyArns        list[policyDescriptor]
	Policy            *string
	DurationSeconds   awsproto.Int
	Tags              list[tagInput]
	TransitiveTagKeys list[string]
	ExternalId        *string
	SerialNumber      *string
	TokenCode         *string
	SourceIdentity    *string
}

// list is an input list; awsQuery sends an empty one as "Name=".
type list[T any] []T

func (l *list[T]) UnmarshalJSON(b []byte) error {
	if string(b) == `""` {
		*l = list[T]{}
		return nil
	}
	var v []T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = v
	return nil
}
