package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Stages in which IAM checks a document; it reports the first failing
// stage's message, so errors are ordered by stage and then by position.
const (
	stageSyntax  = iota
	stageMissing // required elements that are absent, reported after what is wrongly present
	stageLegacy
	stageSid
	stageActions
	stageResources
	stageResourceFormat
	stageActionFormat
)

// Parse parses and compiles a policy document of the given kind. It rejects
// what IAM rejects, returning an *Error with AWS's MalformedPolicyDocument
// message and the position of the offending element.
func Parse(doc []byte, kind Kind) (*Policy, error) {
	p, errs := parse(doc, kind)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return p, nil
}

type parser struct {
	kind Kind
	li   *lineIndex
	errs []*Error
	vars bool // the document's version supports policy variables
	root *node
	// For Validate: each statement's element values and path.
	stmtNodes []map[string]*node
	stmtPaths [][]PathElement
}

// parse returns the policy and every error found, most important first. The
// policy is returned (best effort) even when there are errors, for
// Validate.
func parse(doc []byte, kind Kind) (*Policy, []*Error) {
	ps, pol := parseDoc(doc, kind)
	return pol, ps.errs
}

func parseDoc(doc []byte, kind Kind) (*parser, *Policy) {
	ps := &parser{kind: kind, li: newLineIndex(doc)}
	root, err := parseJSON(doc)
	if err != nil {
		off := 0
		if je, ok := err.(*jsonError); ok {
			off = je.off
		}
		ps.failAt(stageSyntax, MsgSyntax, "JSON_SYNTAX_ERROR", jsonDetail(err), off, off, nil)
		return ps, nil
	}
	ps.root = root
	pol := ps.policy(root)
	slices.SortStableFunc(ps.errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.stage, b.stage), cmp.Compare(a.Span.Start.Offset, b.Span.Start.Offset))
	})
	return ps, pol
}

func jsonDetail(err error) string {
	if je, ok := err.(*jsonError); ok {
		return je.msg
	}
	return err.Error()
}

func (ps *parser) failAt(stage int, msg, code, detail string, start, end int, path []PathElement) {
	ps.errs = append(ps.errs, &Error{
		Message: msg, Detail: detail, Code: code, Span: ps.li.span(start, end),
		Path: pathString(path), path: slices.Clone(path), stage: stage,
	})
}

func (ps *parser) fail(stage int, msg, code, detail string, n *node, path []PathElement) {
	ps.failAt(stage, msg, code, detail, n.start, n.end, path)
}

// members checks an object's keys against the allowed set and rejects
// duplicates, returning the values by key.
func (ps *parser) members(n *node, allowed []string, path []PathElement) map[string]*node {
	out := make(map[string]*node, len(n.members))
	for _, m := range n.members {
		if _, dup := out[m.key]; dup {
			ps.failAt(stageSyntax, MsgSyntax, "JSON_SYNTAX_ERROR", fmt.Sprintf("duplicate element %q", m.key), m.keyStart, m.keyEnd, path)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, m.key) {
			ps.failAt(stageSyntax, MsgSyntax, "INVALID_POLICY_ELEMENT", fmt.Sprintf("unknown element %q", m.key), m.keyStart, m.keyEnd, append(path, pk(m.key)))
			continue
		}
		out[m.key] = m.val
	}
	return out
}

func (ps *parser) typeMismatch(n *node, want string, path []PathElement) {
	ps.fail(stageSyntax, MsgSyntax, "DATA_TYPE_MISMATCH", fmt.Sprintf("expected %s, found %s", want, n.kind), n, path)
}

func (ps *parser) policy(root *node) *Policy {
	pol := &Policy{Kind: ps.kind, Span: ps.li.span(root.start, root.end)}
	if root.kind != nObject {
		ps.typeMismatch(root, "a JSON object", nil)
		return pol
	}
	m := ps.members(root, []string{"Version", "Id", "Statement"}, nil)
	if v := m["Version"]; v != nil {
		path := []PathElement{pv("Version")}
		switch {
		case v.kind != nString:
			ps.typeMismatch(v, "a string", path)
		case v.str != Version2012 && v.str != Version2008:
			ps.fail(stageSyntax, MsgSyntax, "INVALID_VERSION", fmt.Sprintf("version %q is not 2012-10-17 or 2008-10-17", v.str), v, path)
		default:
			pol.Version = v.str
		}
	}
	ps.vars = pol.Version == Version2012
	if id := m["Id"]; id != nil {
		if id.kind != nString {
			ps.typeMismatch(id, "a string", []PathElement{pv("Id")})
		} else {
			pol.PolicyID = id.str
		}
	}
	st := m["Statement"]
	var stmts []*node
	switch {
	case st == nil:
		ps.fail(stageMissing, MsgSyntax, "MISSING_STATEMENT", "the policy has no Statement element", root, nil)
	case st.kind == nObject:
		stmts = []*node{st}
	case st.kind == nArray:
		stmts = st.elems
		if len(stmts) == 0 {
			ps.fail(stageSyntax, MsgSyntax, "MISSING_STATEMENT", "the Statement list is empty", st, []PathElement{pv("Statement")})
		}
	default:
		ps.typeMismatch(st, "an object or an array of objects", []PathElement{pv("Statement")})
	}
	sids := map[string]bool{}
	for i, sn := range stmts {
		path := []PathElement{pv("Statement")}
		if st.kind == nArray {
			path = append(path, pi(i))
		}
		if sn.kind != nObject {
			ps.typeMismatch(sn, "a statement object", path)
			continue
		}
		s, elems := ps.statement(sn, i, path)
		sidNode := elems["Sid"]
		ps.stmtNodes = append(ps.stmtNodes, elems)
		ps.stmtPaths = append(ps.stmtPaths, path)
		if s.Sid != "" {
			if sids[s.Sid] {
				ps.fail(stageSid, MsgUniqueSids, "UNIQUE_SIDS_REQUIRED", fmt.Sprintf("Sid %q is used more than once", s.Sid), sidNode, append(path, pv("Sid")))
			}
			sids[s.Sid] = true
		}
		pol.Statements = append(pol.Statements, s)
	}
	return pol
}

var statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

func (ps *parser) statement(n *node, idx int, path []PathElement) (*Statement, map[string]*node) {
	s := &Statement{Index: idx, Span: ps.li.span(n.start, n.end)}
	m := ps.members(n, statementElements, path)
	at := func(name string) []PathElement { return append(slices.Clip(path), pv(name)) }
	for _, pair := range [][2]string{{"Action", "NotAction"}, {"Resource", "NotResource"}, {"Principal", "NotPrincipal"}} {
		if m[pair[0]] != nil && m[pair[1]] != nil {
			ps.fail(stageSyntax, MsgSyntax, "UNSUPPORTED_ELEMENT_COMBINATION", fmt.Sprintf("%s and %s cannot be used in the same statement", pair[0], pair[1]), m[pair[1]], at(pair[1]))
		}
	}
	if sid := m["Sid"]; sid != nil {
		switch {
		case sid.kind != nString:
			ps.typeMismatch(sid, "a string", at("Sid"))
		case ps.kind.iamGrammar() && !isAlnum(sid.str):
			ps.fail(stageSyntax, MsgSidAlphanumeric, "UNSUPPORTED_SID", fmt.Sprintf("Sid %q has characters other than letters and digits", sid.str), sid, at("Sid"))
			s.Sid = sid.str
		default:
			s.Sid = sid.str
		}
	}
	ps.effect(s, m["Effect"], n, at("Effect"))
	ps.actions(s, m, n, path)
	ps.resources(s, m, n, path)
	ps.principals(s, m, n, path)
	if c := m["Condition"]; c != nil {
		ps.conditions(s, c, at("Condition"))
	}
	return s, m
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

func (ps *parser) effect(s *Statement, e, stmt *node, path []PathElement) {
	switch {
	case e == nil:
		ps.fail(stageMissing, MsgSyntax, "MISSING_EFFECT", "the statement has no Effect element", stmt, path[:len(path)-1])
	case e.kind != nString:
		ps.typeMismatch(e, "a string", path)
	case e.str == "Allow":
		s.Effect = Allow
	case e.str == "Deny":
		s.Effect = Deny
	case strings.EqualFold(e.str, "allow"), strings.EqualFold(e.str, "deny"):
		// The grammar check ignores case but IAM's older parser does not.
		ps.fail(stageLegacy, MsgLegacyParsing, "INVALID_EFFECT", fmt.Sprintf("Effect %q must be written Allow or Deny", e.str), e, path)
		if strings.EqualFold(e.str, "deny") {
			s.Effect = Deny
		}
	default:
		ps.fail(stageSyntax, MsgSyntax, "INVALID_EFFECT", fmt.Sprintf("Effect %q is not Allow or Deny", e.str), e, path)
	}
}

// strings reads a string or an array of strings. JSON numbers and booleans
// are accepted as their text where AWS accepts them unquoted (condition
// values).
func (ps *parser) stringList(n *node, path []PathElement, scalars bool) ([]string, []*node) {
	ok := func(e *node) bool {
		return e.kind == nString || scalars && (e.kind == nNumber || e.kind == nBool)
	}
	if ok(n) {
		return []string{n.str}, []*node{n}
	}
	if n.kind != nArray {
		ps.typeMismatch(n, "a string or an array of strings", path)
		return nil, nil
	}
	var out []string
	var nodes []*node
	for i, e := range n.elems {
		if !ok(e) {
			ps.typeMismatch(e, "a string", append(slices.Clip(path), pi(i)))
			continue
		}
		out = append(out, e.str)
		nodes = append(nodes, e)
	}
	return out, nodes
}

func elemPath(path []PathElement, list *node, i int) []PathElement {
	if list.kind == nArray {
		return append(slices.Clip(path), pi(i))
	}
	return path
}

func (ps *parser) actions(s *Statement, m map[string]*node, stmt *node, path []PathElement) {
	name, n := "Action", m["Action"]
	if n == nil {
		name, n = "NotAction", m["NotAction"]
	}
	if n == nil {
		ps.fail(stageActions, MsgMissingActions, "MISSING_ACTION", "the statement has no Action or NotAction element", stmt, path)
		return
	}
	path = append(slices.Clip(path), pv(name))
	list, nodes := ps.stringList(n, path, false)
	if n.kind == nArray && len(n.elems) == 0 {
		ps.fail(stageActions, MsgMissingActions, "MISSING_ACTION", "the "+name+" list is empty", n, path)
	}
	for i, a := range list {
		ep := elemPath(path, n, i)
		if a == "*" {
			continue
		}
		svc, _, ok := strings.Cut(a, ":")
		switch {
		case !ok:
			ps.fail(stageActionFormat, MsgActionVendor, "INVALID_ACTION", fmt.Sprintf("action %q has no service prefix", a), nodes[i], ep)
		case strings.Count(a, ":") > 1:
			ps.fail(stageActionFormat, MsgActionColon, "INVALID_ACTION", fmt.Sprintf("action %q has more than one colon", a), nodes[i], ep)
		case !validVendor(svc):
			ps.fail(stageActionFormat, "Vendor "+svc+" is not valid", "INVALID_SERVICE_IN_ACTION", fmt.Sprintf("service prefix %q has characters that are not allowed", svc), nodes[i], ep)
		}
	}
	if name == "Action" {
		s.Action = list
	} else {
		s.NotAction, s.notAction = list, true
	}
	for _, a := range list {
		s.actions = append(s.actions, compileAction(a))
	}
}

func validVendor(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '.' || c == '*' || c == '?') {
			return false
		}
	}
	return true
}

var partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

func (ps *parser) resources(s *Statement, m map[string]*node, stmt *node, path []PathElement) {
	name, n := "Resource", m["Resource"]
	if n == nil {
		name, n = "NotResource", m["NotResource"]
	}
	if ps.kind == Trust {
		if n != nil {
			ps.fail(stageSyntax, "Has prohibited field "+name, "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", "a trust policy applies to its role and names no resource", n, append(slices.Clip(path), pv(name)))
		}
		return
	}
	missing := MsgMissingResources
	if ps.kind == Resource {
		missing = "Missing required field Resource"
	}
	if n == nil {
		ps.fail(stageResources, missing, "MISSING_RESOURCE", "the statement has no Resource or NotResource element", stmt, path)
		return
	}
	path = append(slices.Clip(path), pv(name))
	list, nodes := ps.stringList(n, path, false)
	if n.kind == nArray && len(n.elems) == 0 {
		ps.fail(stageResources, missing, "MISSING_RESOURCE", "the "+name+" list is empty", n, path)
	}
	for i, r := range list {
		ps.checkResource(r, nodes[i], elemPath(path, n, i))
	}
	if name == "Resource" {
		s.Resource = list
	} else {
		s.NotResource, s.notRes = list, true
	}
	s.hasRes = true
	for _, r := range list {
		s.resources = append(s.resources, compilePattern(r, ps.vars, true))
	}
}

// checkResource applies IAM's format rules for the Resource element.
func (ps *parser) checkResource(r string, n *node, path []PathElement) {
	if r == "*" {
		return
	}
	parts := strings.SplitN(r, ":", 6)
	switch {
	case len(parts) == 1 || parts[0] != "arn":
		ps.fail(stageResourceFormat, fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r), "INVALID_ARN_PREFIX", "a resource is an ARN starting arn: or \"*\"", n, path)
	case len(parts) < 6:
		ps.fail(stageLegacy, MsgLegacyParsing, "MISSING_ARN_FIELD", fmt.Sprintf("ARN %q has fewer than six colon-separated fields", r), n, path)
	case !slices.Contains(partitions, parts[1]) && !strings.ContainsAny(parts[1], "*?$"):
		ps.fail(stageResourceFormat, fmt.Sprintf("Partition %q is not valid for resource %q.", parts[1], r), "INVALID_PARTITION", "", n, path)
	case parts[2] == "" || strings.ContainsAny(parts[2], "*?"):
		ps.fail(stageResourceFormat, MsgResourceVendor, "INVALID_ARN_RESOURCE", fmt.Sprintf("ARN %q needs a service name without wildcards", r), n, path)
	case parts[2] == "iam" && parts[3] != "":
		ps.fail(stageResourceFormat, "IAM resource "+r+" cannot contain region information.", "ARN_REGION_NOT_ALLOWED", "", n, path)
	case parts[2] == "s3" && parts[3] != "" && parts[4] == "":
		// Bucket and object ARNs have neither Region nor account; access
		// points and jobs have both.
		ps.fail(stageResourceFormat, "Resource "+r+" can not contain region information.", "ARN_REGION_NOT_ALLOWED", "", n, path)
	}
}

var principalKeys = []string{"AWS", "Service", "Federated", "CanonicalUser"}

func (ps *parser) principals(s *Statement, m map[string]*node, stmt *node, path []PathElement) {
	name, n := "Principal", m["Principal"]
	if n == nil {
		name, n = "NotPrincipal", m["NotPrincipal"]
	}
	if ps.kind.identityGrammar() {
		if n != nil {
			ps.fail(stageSyntax, MsgNoPrincipalAllowed, "UNSUPPORTED_PRINCIPAL", fmt.Sprintf("a %s policy cannot name principals", ps.kind), n, append(slices.Clip(path), pv(name)))
		}
		return
	}
	if n == nil {
		ps.fail(stageMissing, MsgMissingPrincipal, "MISSING_PRINCIPAL", "the statement has no Principal element", stmt, path)
		return
	}
	path = append(slices.Clip(path), pv(name))
	if name == "NotPrincipal" && ps.kind == Trust {
		ps.fail(stageSyntax, "Has prohibited field NotPrincipal", "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL", "trust policies do not support NotPrincipal", n, path)
	}
	pe := &PrincipalElement{}
	switch n.kind {
	case nString:
		if n.str != "*" {
			ps.fail(stageSyntax, fmt.Sprintf("Invalid principal in policy: %q", n.str), "INVALID_PRINCIPAL_FORMAT", "a principal is \"*\" or an object such as {\"AWS\": \"123456789012\"}", n, path)
		}
		pe.Wildcard = true
	case nObject:
		pe.Values = map[string][]string{}
		for typ, v := range ps.members(n, nil, path) {
			if !slices.Contains(principalKeys, typ) {
				ps.fail(stageSyntax, fmt.Sprintf("Invalid principal in policy: %q", typ), "INVALID_PRINCIPAL_KEY", "principal types are AWS, Service, Federated and CanonicalUser", v, append(slices.Clip(path), pk(typ)))
				continue
			}
			tp := append(slices.Clip(path), pv(typ))
			list, nodes := ps.stringList(v, tp, false)
			for i, val := range list {
				if msg, code := checkPrincipal(typ, val); msg != "" {
					ps.fail(stageSyntax, fmt.Sprintf("Invalid principal in policy: \"%s\":\"%s\"", typ, val), code, msg, nodes[i], elemPath(tp, v, i))
				}
			}
			pe.Values[typ] = list
		}
	default:
		ps.typeMismatch(n, "\"*\" or an object", path)
	}
	if name == "Principal" {
		s.Principal = pe
	} else {
		s.NotPrincipal, s.notPrinc = pe, true
	}
	s.princ = compilePrincipal(pe)
}

// checkPrincipal checks the form of one principal value; IAM also checks
// that named users and roles exist, which is for the caller to do.
func checkPrincipal(typ, v string) (msg, code string) {
	if v == "" {
		return "an empty principal", "INVALID_PRINCIPAL_FORMAT"
	}
	wild := strings.ContainsAny(v, "*?")
	switch typ {
	case "AWS":
		if v == "*" || isAccountID(v) {
			return "", ""
		}
		if wild {
			return "wildcards may only stand alone, as \"*\"", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"
		}
		if !strings.HasPrefix(v, "arn:") {
			if isUniqueID(v) {
				return "", ""
			}
			return "an AWS principal is an account id, an ARN or \"*\"", "INVALID_PRINCIPAL_FORMAT"
		}
		parts := strings.SplitN(v, ":", 6)
		if len(parts) != 6 || !slices.Contains(partitions, parts[1]) || parts[3] != "" || !isAccountID(parts[4]) && parts[4] != "aws" {
			return "not an IAM or STS principal ARN", "INVALID_PRINCIPAL_FORMAT"
		}
		res := parts[5]
		switch parts[2] {
		case "iam":
			if res == "root" || strings.HasPrefix(res, "user/") || strings.HasPrefix(res, "role/") {
				return "", ""
			}
		case "sts":
			if strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") == 2 || strings.HasPrefix(res, "federated-user/") {
				return "", ""
			}
		}
		return "principal ARNs name an account root, a user, a role or a session", "INVALID_PRINCIPAL_FORMAT"
	case "Service":
		if wild && v != "*" {
			return "wildcards are not allowed in service principals", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"
		}
	default:
		if wild {
			return "wildcards are not allowed in " + typ + " principals", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"
		}
	}
	return "", ""
}

// isUniqueID recognises IAM unique ids such as AIDAJQABLZS4A3QDU576Q, which
// IAM stores in place of the ARNs of deleted users and roles.
func isUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 128 || s[0] != 'A' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func (ps *parser) conditions(s *Statement, n *node, path []PathElement) {
	if n.kind != nObject {
		ps.typeMismatch(n, "an object", path)
		return
	}
	for _, om := range n.members {
		opPath := append(slices.Clip(path), pv(om.key))
		op, set, ifExists, msg := parseOperator(om.key)
		if msg != "" {
			code := "INVALID_CONDITION_OPERATOR"
			if op.fam == famNull && ifExists {
				code = "NULL_WITH_IF_EXISTS"
			}
			ps.failAt(stageSyntax, MsgSyntax, code, msg, om.keyStart, om.keyEnd, append(slices.Clip(path), pk(om.key)))
			continue
		}
		if om.val.kind != nObject {
			ps.typeMismatch(om.val, "an object of condition keys", opPath)
			continue
		}
		for _, km := range om.val.members {
			keyPath := append(slices.Clip(opPath), pv(km.key))
			if !strings.Contains(km.key, ":") {
				ps.failAt(stageActionFormat, MsgActionVendor, "INVALID_CONDITION_KEY_FORMAT", fmt.Sprintf("condition key %q has no service prefix", km.key), km.keyStart, km.keyEnd, append(slices.Clip(opPath), pk(km.key)))
			}
			vals, nodes := ps.stringList(km.val, keyPath, true)
			c := &Condition{
				Operator: om.key, Key: km.key, Values: vals, Span: ps.li.span(km.keyStart, km.val.end),
				op: op, set: set, ifExists: ifExists, key: strings.ToLower(km.key),
			}
			vars := ps.vars && (op.fam == famString || op.fam == famARN || op.fam == famBool)
			for i, v := range vals {
				cv := compileCondValue(op, v, vars)
				if op.fam == famDate && !cv.ok {
					ps.fail(stageLegacy, MsgLegacyParsing, "TYPE_MISMATCH_DATE", fmt.Sprintf("%q is not an ISO 8601 date or epoch time", v), nodes[i], elemPath(keyPath, km.val, i))
				}
				c.vals = append(c.vals, cv)
			}
			s.Conditions = append(s.Conditions, c)
		}
	}
}

// String renders a decision for logs and errors.
func (r Result) String() string {
	var b strings.Builder
	b.WriteString(r.Decision.String())
	if r.Decision != Allowed {
		b.WriteString(" (" + r.Reason.String() + ")")
	}
	for _, m := range r.Matched {
		b.WriteString(" " + strconv.Quote(m.PolicyID) + "#" + strconv.Itoa(m.Index))
	}
	return b.String()
}
