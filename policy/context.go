package policy

import (
	"strings"
)

// Context holds the request's condition keys and their values. Key names are
// case-insensitive; Set stores them in lower case, and Evaluate lower-cases a
// context built by hand. A key with one value is single-valued; a key with
// several values, or with none (an empty set), needs ForAllValues or
// ForAnyValue, as in AWS.
type Context map[string][]string

// Set replaces the values of key.
func (c Context) Set(key string, values ...string) {
	c[strings.ToLower(key)] = values
}

// Get returns the values of key and whether the key is present.
func (c Context) Get(key string) ([]string, bool) {
	v, ok := c[strings.ToLower(key)]
	return v, ok
}

// single returns the value of a lower-case single-valued key; policy
// variables may only name such keys.
func (c Context) single(key string) (string, bool) {
	v, ok := c[key]
	if !ok || len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// normalized returns c with lower-case keys, copying only when needed.
func (c Context) normalized() Context {
	for k := range c {
		if hasUpper(k) {
			n := make(Context, len(c))
			for k, v := range c {
				n[strings.ToLower(k)] = v
			}
			return n
		}
	}
	return c
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// PrincipalType classifies the principal that makes a request.
type PrincipalType uint8

const (
	// Anonymous is an unauthenticated caller.
	Anonymous PrincipalType = iota
	// Root is the AWS account root user.
	Root
	// User is an IAM user.
	User
	// AssumedRole is a role session from AssumeRole or AssumeRoleWith*.
	AssumedRole
	// FederatedUser is a session from GetFederationToken.
	FederatedUser
	// Service is an AWS service principal such as sns.amazonaws.com.
	Service
	// WebIdentity is a caller of AssumeRoleWithWebIdentity or
	// AssumeRoleWithSAML, matched by Federated principals in trust policies.
	WebIdentity
)

var principalTypeNames = [...]string{"Anonymous", "Account", "User", "AssumedRole", "FederatedUser", "Service", "WebIdentity"}

// String returns the value AWS gives aws:PrincipalType.
func (t PrincipalType) String() string {
	if int(t) < len(principalTypeNames) {
		return principalTypeNames[t]
	}
	return "Unknown"
}

// Principal is the caller of a request.
type Principal struct {
	Type PrincipalType
	// ARN is the caller's ARN: arn:aws:iam::123456789012:root,
	// arn:aws:iam::123456789012:user/path/name,
	// arn:aws:sts::123456789012:assumed-role/RoleName/SessionName or
	// arn:aws:sts::123456789012:federated-user/Name. Empty for services and
	// anonymous callers.
	ARN     string
	Account string
	// ID is the unique id: AIDA... for users, AROA...:SessionName for role
	// sessions, Account:Name for federated users (aws:userid).
	ID string
	// RoleARN is the ARN of the role (with its path) of an AssumedRole.
	RoleARN string
	// SourceUserARN is the ARN of the IAM user (or root) who called
	// GetFederationToken, for a FederatedUser.
	SourceUserARN string
	// Service is the service principal name, for Service.
	Service string
	// Federated is the identity provider (such as accounts.google.com or a
	// saml-provider ARN), for WebIdentity.
	Federated string
	// CanonicalUser is the S3 canonical user id, when known.
	CanonicalUser string
}

// userName returns the friendly name of an IAM user from its ARN.
func (p *Principal) userName() string {
	if p.Type != User {
		return ""
	}
	_, res, ok := strings.Cut(arnResource(p.ARN), "user/")
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(res, '/'); i >= 0 {
		return res[i+1:]
	}
	return res
}

// SetPrincipal sets the global condition keys that describe p:
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:userid,
// aws:username and aws:PrincipalTag/K for each tag (for a role session, pass
// the role's tags merged with the session tags).
func (c Context) SetPrincipal(p Principal, tags map[string]string) {
	arn := p.ARN
	if p.Type == AssumedRole && p.RoleARN != "" {
		// aws:PrincipalArn is the role, not the session.
		arn = p.RoleARN
	}
	if arn != "" {
		c["aws:principalarn"] = []string{arn}
	}
	if p.Account != "" {
		c["aws:principalaccount"] = []string{p.Account}
	}
	if p.Type != Service && p.Type != WebIdentity {
		c["aws:principaltype"] = []string{p.Type.String()}
	}
	if p.ID != "" {
		c["aws:userid"] = []string{p.ID}
	}
	if name := p.userName(); name != "" {
		c["aws:username"] = []string{name}
	}
	if p.Type == Service {
		c["aws:principalservicename"] = []string{p.Service}
		c["aws:principalisawsservice"] = []string{"true"}
	} else if p.Type != Anonymous {
		c["aws:principalisawsservice"] = []string{"false"}
	}
	for k, v := range tags {
		c["aws:principaltag/"+strings.ToLower(k)] = []string{v}
	}
}

func arnResource(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	return parts[5]
}
