package iam

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// The checks IAM makes on a policy document when it is stored: the
// grammar's shape, not what the policy means. The policy evaluator (package
// policy) reads the documents again when it decides; this file only keeps
// out what AWS would refuse with MalformedPolicyDocument.

// docKind is what a document is for; each kind has its own rules about
// Principal and Resource.
type docKind int

const (
	identityDoc docKind = iota // inline or managed policy, permissions boundary
	trustDoc                   // a role's AssumeRolePolicyDocument
	sessionDoc                 // the Policy passed to AssumeRole
)

func malformed(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "MalformedPolicyDocument", format, args...)
}

var (
	statementKeys = map[string]bool{"Sid": true, "Effect": true, "Action": true, "NotAction": true,
		"Resource": true, "NotResource": true, "Principal": true, "NotPrincipal": true, "Condition": true}
	principalKeys = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}
	sidRe         = regexp.MustCompile(`^[0-9A-Za-z]*$`)
	vendorRe      = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	accountIDRe   = regexp.MustCompile(`^[0-9]{12}$`)
)

// policyStatement is one statement, with its members kept raw so that
// their JSON type can be checked.
type policyStatement map[string]json.RawMessage

// checkPolicy validates doc as a policy of kind k and returns the AWS
// principals it names (for trust policies, whose same-account users and
// roles must exist).
func checkPolicy(doc string, k docKind) ([]string, error) {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(doc))
	if err := dec.Decode(&top); err != nil || top == nil || dec.More() {
		return nil, malformed("This policy contains invalid Json")
	}
	for key := range top {
		if key != "Version" && key != "Id" && key != "Statement" {
			return nil, malformed("Syntax errors in policy.")
		}
	}
	if raw, ok := top["Version"]; ok {
		var v string
		if json.Unmarshal(raw, &v) != nil || (v != "2012-10-17" && v != "2008-10-17") {
			return nil, malformed("The policy failed legacy parsing")
		}
	}
	if raw, ok := top["Id"]; ok && !isJSONString(raw) {
		return nil, malformed("Syntax errors in policy.")
	}
	stmts, err := statements(top["Statement"])
	if err != nil {
		return nil, err
	}
	var principals []string
	sids := map[string]bool{}
	for _, st := range stmts {
		if err := checkSid(st, sids); err != nil {
			return nil, err
		}
		ps, err := checkStatement(st, k)
		if err != nil {
			return nil, err
		}
		principals = append(principals, ps...)
	}
	return principals, nil
}

// statements reads Statement, an object or a non-empty list of objects.
func statements(raw json.RawMessage) ([]policyStatement, error) {
	if raw == nil {
		return nil, malformed("Syntax errors in policy.")
	}
	var one policyStatement
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, malformed("Syntax errors in policy.")
		}
		return []policyStatement{one}, nil
	}
	var list []policyStatement
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	for _, st := range list {
		if st == nil {
			return nil, malformed("Syntax errors in policy.")
		}
	}
	return list, nil
}

func checkSid(st policyStatement, seen map[string]bool) error {
	raw, ok := st["Sid"]
	if !ok {
		return nil
	}
	var sid string
	if json.Unmarshal(raw, &sid) != nil {
		return malformed("Syntax errors in policy.")
	}
	if !sidRe.MatchString(sid) {
		return malformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
	}
	if sid != "" && seen[sid] {
		return malformed("Statement IDs (SID) in a single policy must be unique.")
	}
	seen[sid] = true
	return nil
}

func checkStatement(st policyStatement, k docKind) ([]string, error) {
	for key := range st {
		if !statementKeys[key] {
			return nil, malformed("Syntax errors in policy.")
		}
	}
	raw, ok := st["Effect"]
	if !ok {
		return nil, malformed("Missing required field Effect")
	}
	var effect string
	if json.Unmarshal(raw, &effect) != nil {
		return nil, malformed("Syntax errors in policy.")
	}
	if effect != "Allow" && effect != "Deny" {
		return nil, malformed("Invalid effect: %s", effect)
	}
	principals, err := checkPrincipals(st, k)
	if err != nil {
		return nil, err
	}
	if err := checkActions(st); err != nil {
		return nil, err
	}
	if err := checkResources(st, k); err != nil {
		return nil, err
	}
	if err := checkCondition(st["Condition"]); err != nil {
		return nil, err
	}
	return principals, nil
}

func checkActions(st policyStatement) error {
	raw, _, err := oneOf(st, "Action", "NotAction")
	if err != nil {
		return err
	}
	if raw == nil {
		return malformed("Policy statement must contain actions.")
	}
	actions, ok := stringOrList(raw)
	if !ok || len(actions) == 0 {
		return malformed("Syntax errors in policy.")
	}
	for _, a := range actions {
		if a == "*" {
			continue
		}
		vendor, name, found := strings.Cut(a, ":")
		if !found || name == "" {
			return malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
		}
		if !vendorRe.MatchString(vendor) {
			return malformed("Vendor %s is not valid", vendor)
		}
	}
	return nil
}

func checkResources(st policyStatement, k docKind) error {
	raw, field, err := oneOf(st, "Resource", "NotResource")
	if err != nil {
		return err
	}
	if k == trustDoc {
		if raw != nil {
			return malformed("Has prohibited field %s", field)
		}
		return nil
	}
	if raw == nil {
		return malformed("Policy statement must contain resources.")
	}
	resources, ok := stringOrList(raw)
	if !ok || len(resources) == 0 {
		return malformed("Syntax errors in policy.")
	}
	for _, r := range resources {
		if r != "*" && (!strings.HasPrefix(r, "arn:") || strings.Count(r, ":") < 5) {
			return malformed("Resource %s must be in ARN format or \"*\".", r)
		}
	}
	return nil
}

// checkPrincipals applies the rule of the kind: identity and session
// policies name no principal, trust policies must.
func checkPrincipals(st policyStatement, k docKind) ([]string, error) {
	raw, field, err := oneOf(st, "Principal", "NotPrincipal")
	if err != nil {
		return nil, err
	}
	if k != trustDoc {
		if raw != nil {
			return nil, malformed("Policy document should not specify a principal.")
		}
		return nil, nil
	}
	if raw == nil {
		return nil, malformed("Missing required field Principal")
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			return nil, malformed("Invalid principal in policy: %s", star)
		}
		return nil, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	var aws []string
	for typ, v := range m {
		vals, ok := stringOrList(v)
		if !principalKeys[typ] || !ok || len(vals) == 0 {
			return nil, malformed("Invalid principal in policy: %s", field)
		}
		for _, p := range vals {
			if err := checkPrincipal(typ, p); err != nil {
				return nil, err
			}
			if typ == "AWS" {
				aws = append(aws, p)
			}
		}
	}
	return aws, nil
}

func checkPrincipal(typ, p string) error {
	bad := malformed("Invalid principal in policy: \"%s\":\"%s\"", typ, p)
	switch typ {
	case "AWS":
		if p == "*" || accountIDRe.MatchString(p) {
			return nil
		}
		if !strings.HasPrefix(p, "arn:aws:iam::") && !strings.HasPrefix(p, "arn:aws:sts::") {
			return bad
		}
		if strings.Count(p, ":") < 5 {
			return bad
		}
	case "Service":
		if p != "*" && !strings.Contains(p, ".") {
			return bad
		}
	default:
		if p == "" {
			return bad
		}
	}
	return nil
}

// checkCondition accepts {"Operator": {"key": value or [values]}}.
func checkCondition(raw json.RawMessage) error {
	if raw == nil {
		return nil
	}
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil || ops == nil {
		return malformed("Syntax errors in policy.")
	}
	for _, keys := range ops {
		if keys == nil {
			return malformed("Syntax errors in policy.")
		}
		for _, v := range keys {
			if !conditionValue(v) {
				return malformed("Syntax errors in policy.")
			}
		}
	}
	return nil
}

// conditionValue is a scalar or a list of scalars.
func conditionValue(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch x := v.(type) {
	case string, bool, float64:
		return true
	case []any:
		for _, e := range x {
			switch e.(type) {
			case string, bool, float64:
			default:
				return false
			}
		}
		return true
	}
	return false
}

// oneOf returns whichever of two exclusive members is present.
func oneOf(st policyStatement, a, b string) (json.RawMessage, string, error) {
	ra, okA := st[a]
	rb, okB := st[b]
	switch {
	case okA && okB:
		return nil, "", malformed("Syntax errors in policy.")
	case okA:
		return ra, a, nil
	case okB:
		return rb, b, nil
	}
	return nil, "", nil
}

func stringOrList(raw json.RawMessage) ([]string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		return l, true
	}
	return nil, false
}

func isJSONString(raw json.RawMessage) bool {
	var s string
	return json.Unmarshal(raw, &s) == nil
}

// policySize is a document's length as IAM's quotas count it: characters,
// white space not included.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// encodeDocument renders a stored document the way IAM returns one:
// URL-encoded (RFC 3986), as the AWS CLI and boto3 expect to decode it.
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}
