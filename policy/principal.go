package policy

import (
	"strings"
)

// principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	all       bool // "*" or {"AWS": "*"}
	accounts  []string
	arns      []string // user, role, session and federated-user ARNs
	ids       []string // unique ids such as AIDA... and AROA...
	services  []string // lower case
	federated []string
	canonical []string
}

// matchLevel says how a principal element names the caller; it decides which
// implicit denies a resource-based policy can override in the same account.
type matchLevel uint8

const (
	matchNone matchLevel = iota
	// matchAccount: the element names the caller's account, which delegates
	// the decision to the account's identity-based policies.
	matchAccount
	// matchSessionRole: the element names the role of the calling session.
	matchSessionRole
	// matchSessionUser: the element names the IAM user who created the
	// calling federated-user session.
	matchSessionUser
	// matchDirect: the element names the caller itself, or is "*".
	matchDirect
)

func compilePrincipal(pe *PrincipalElement) *principalSet {
	ps := &principalSet{all: pe.Wildcard}
	for typ, vals := range pe.Values {
		for _, v := range vals {
			switch typ {
			case "AWS":
				switch {
				case v == "*":
					ps.all = true
				case isAccountID(v):
					ps.accounts = append(ps.accounts, v)
				case strings.HasPrefix(v, "arn:"):
					if acct, ok := rootAccount(v); ok {
						ps.accounts = append(ps.accounts, acct)
					} else {
						ps.arns = append(ps.arns, v)
					}
				default:
					ps.ids = append(ps.ids, v)
				}
			case "Service":
				ps.services = append(ps.services, strings.ToLower(v))
			case "Federated":
				ps.federated = append(ps.federated, v)
			case "CanonicalUser":
				ps.canonical = append(ps.canonical, v)
			}
		}
	}
	return ps
}

func isAccountID(s string) bool { return len(s) == 12 && isDigits(s) }

// rootAccount recognises arn:PARTITION:iam::ACCOUNT:root.
func rootAccount(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[2] == "iam" && parts[5] == "root" && isAccountID(parts[4]) {
		return parts[4], true
	}
	return "", false
}

// match returns how strongly the element names p.
func (ps *principalSet) match(p *Principal) matchLevel {
	if ps.all {
		return matchDirect
	}
	switch p.Type {
	case Anonymous:
		return matchNone
	case Service:
		for _, s := range ps.services {
			if s == strings.ToLower(p.Service) {
				return matchDirect
			}
		}
		return matchNone
	case WebIdentity:
		for _, f := range ps.federated {
			if f == p.Federated {
				return matchDirect
			}
		}
		return matchNone
	}
	best := matchNone
	for _, c := range ps.canonical {
		if c != "" && c == p.CanonicalUser {
			return matchDirect
		}
	}
	for _, a := range ps.arns {
		if a == p.ARN {
			return matchDirect
		}
		if p.Type == AssumedRole && sameRole(a, p.RoleARN) {
			best = max(best, matchSessionRole)
		}
		if p.Type == FederatedUser && a == p.SourceUserARN {
			best = max(best, matchSessionUser)
		}
	}
	for _, id := range ps.ids {
		switch {
		case id == p.ID:
			return matchDirect
		case p.Type == AssumedRole && strings.HasPrefix(p.ID, id+":"):
			best = max(best, matchSessionRole)
		}
	}
	if best == matchNone {
		for _, a := range ps.accounts {
			if a == p.Account {
				if p.Type == Root {
					// The account principal is the root user's own identity.
					return matchDirect
				}
				return matchAccount
			}
		}
	}
	return best
}

// sameRole compares role ARNs; IAM role names are unique without regard to
// case.
func sameRole(a, b string) bool {
	if b == "" || !strings.EqualFold(a, b) {
		return false
	}
	i := strings.LastIndexByte(a, ':')
	return i >= 0 && a[:i] == b[:i]
}

// excludes reports whether a NotPrincipal element exempts p. For Deny the
// exemption must cover every identity AWS may check for the caller: the
// account, the role of a session, and the caller itself, which is why AWS
// tells authors to list all of them. For Allow any listed identity exempts
// the caller. Both readings err towards less access.
func (ps *principalSet) excludes(p *Principal, effect Effect) bool {
	if ps.all {
		return true
	}
	lvl := ps.match(p)
	if effect == Allow {
		return lvl != matchNone
	}
	if p.Type == Anonymous || p.Type == Service || p.Type == WebIdentity {
		return lvl == matchDirect
	}
	if lvl != matchDirect {
		return false
	}
	acct := false
	for _, a := range ps.accounts {
		if a == p.Account {
			acct = true
		}
	}
	if !acct && p.Type != Root {
		return false
	}
	if p.Type == AssumedRole {
		for _, a := range ps.arns {
			if sameRole(a, p.RoleARN) {
				return true
			}
		}
		for _, id := range ps.ids {
			if strings.HasPrefix(p.ID, id+":") {
				return true
			}
		}
		return false
	}
	return true
}
