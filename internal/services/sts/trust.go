package sts

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/vigilsec/vigil/internal/identity"
)

// DefaultTrustCheck is the trust-policy check AssumeRole uses until the
// policy evaluator is wired in: a deliberately small reading of the trust
// policy, strict where it cannot tell.
//
// Every action of req must be allowed by an Allow statement whose Action
// matches it (case-insensitive, with * and ? wildcards) and whose AWS
// Principal is "*", the caller's account (as its id or root ARN), the
// caller's ARN or, for a role session, its role's ARN; a Service principal
// matches a service the caller acts for (InvokedBy). The only condition it
// understands is StringEquals or StringLike on sts:ExternalId; an Allow
// with any other condition grants nothing. A Deny statement that matches
// principal and action refuses, whatever its condition.
func DefaultTrustCheck(ctx context.Context, caller identity.Principal, trustDoc []byte, req TrustRequest) (bool, error) {
	stmts, err := trustStatements(trustDoc)
	if err != nil {
		return false, nil // a stored trust policy is valid; if not, refuse
	}
	for _, action := range req.Actions {
		allowed := false
		for _, st := range stmts {
			if !st.principalMatches(caller) || !anyMatch(st.Action, action) {
				continue
			}
			switch {
			case st.Effect == "Deny":
				return false, nil
			case st.Effect == "Allow" && st.conditionHolds(req):
				allowed = true
			}
		}
		if !allowed {
			return false, nil
		}
	}
	return true, nil
}

type trustStatement struct {
	Effect    string
	Action    stringList
	Principal json.RawMessage
	Condition map[string]map[string]stringList
}

// stringList reads a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = []string{s}
		return nil
	}
	var v []string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = v
	return nil
}

func trustStatements(doc []byte) ([]trustStatement, error) {
	var top struct{ Statement json.RawMessage }
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, err
	}
	var list []trustStatement
	if err := json.Unmarshal(top.Statement, &list); err == nil {
		return list, nil
	}
	var one trustStatement
	if err := json.Unmarshal(top.Statement, &one); err != nil {
		return nil, err
	}
	return []trustStatement{one}, nil
}

func (st trustStatement) principalMatches(c identity.Principal) bool {
	var star string
	if json.Unmarshal(st.Principal, &star) == nil {
		return star == "*"
	}
	var m map[string]stringList
	if json.Unmarshal(st.Principal, &m) != nil {
		return false
	}
	for _, p := range m["AWS"] {
		switch p {
		case "*", c.AccountID, "arn:aws:iam::" + c.AccountID + ":root":
			return true
		}
		if p == c.ARN || c.RoleARN != "" && p == c.RoleARN {
			return true
		}
	}
	for _, p := range m["Service"] {
		if c.InvokedBy != "" && p == c.InvokedBy {
			return true
		}
	}
	return false
}

// conditionHolds evaluates the one condition the default check knows.
func (st trustStatement) conditionHolds(req TrustRequest) bool {
	for op, keys := range st.Condition {
		if op != "StringEquals" && op != "StringLike" {
			return false
		}
		for key, values := range keys {
			if !strings.EqualFold(key, "sts:ExternalId") || req.ExternalID == "" {
				return false
			}
			ok := false
			for _, v := range values {
				if op == "StringEquals" && v == req.ExternalID || op == "StringLike" && wildcard(v, req.ExternalID, false) {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

func anyMatch(patterns []string, action string) bool {
	for _, p := range patterns {
		if wildcard(p, action, true) {
			return true
		}
	}
	return false
}

// wildcard matches s against a pattern where * is any run and ? any one
// character.
func wildcard(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, r := []rune(pattern), []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(r) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == r[si]):
			pi++
			si++
		case star >= 0:
			pi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
