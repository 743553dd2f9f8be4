// Package identity describes who is making a call: the principal the front
// door resolved from a request's signature, or the one a service acts as.
package identity

// Principal types, as CloudTrail's userIdentity.type names them.
const (
	Root        = "Root"
	IAMUser     = "IAMUser"
	AssumedRole = "AssumedRole"
	AWSService  = "AWSService"
)

// Principal is an authenticated caller.
type Principal struct {
	Type        string            // Root, IAMUser, AssumedRole or AWSService
	ARN         string            // arn:aws:iam::ACCOUNT:root, ...:user/NAME
	AccountID   string            // the principal's account
	UserName    string            // IAM user name; empty for root and roles
	PrincipalID string            // AIDA... for users, the account id for root
	AccessKeyID string            // the key that signed the request, if any
	Tags        map[string]string // principal tags, for ABAC
	InvokedBy   string            // set when a service acts on a principal's behalf, e.g. states.amazonaws.com

	// Set for assumed-role sessions (Type AssumedRole), where ARN is the
	// session's arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION and
	// PrincipalID is ROLEID:SESSION.
	RoleARN        string // the role's IAM ARN, arn:aws:iam::ACCOUNT:role/PATH/ROLE (aws:PrincipalArn)
	SessionName    string // the RoleSessionName given to AssumeRole
	SourceIdentity string // the SourceIdentity set on the session, if any (aws:SourceIdentity)
}

// IsRoot reports whether p is the account's root user.
func (p Principal) IsRoot() bool { return p.Type == Root }
