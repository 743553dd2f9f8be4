package policy

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Validate checks a policy document the way IAM Access Analyzer's
// ValidatePolicy and the IAM console's policy summaries do: grammar errors
// (everything Parse rejects), unknown services, actions and condition keys,
// actions that the statement's resources do not apply to, resources and
// condition keys that no action of the statement uses, operator and value
// type mismatches, redundant elements and statements, and overly broad
// grants. Findings are ordered by position.
func Validate(doc []byte, kind Kind) []Finding {
	ps, pol := parseDoc(doc, kind)
	v := &validator{ps: ps, pol: pol, kind: kind}
	for _, e := range ps.errs {
		v.addError(e)
	}
	if pol != nil && ps.root != nil {
		v.data, _ = loadData()
		v.policy()
	}
	slices.SortStableFunc(v.out, func(a, b Finding) int {
		return cmp.Compare(firstOffset(a), firstOffset(b))
	})
	return v.out
}

func firstOffset(f Finding) int {
	if len(f.Locations) == 0 {
		return 0
	}
	return f.Locations[0].Span.Start.Offset
}

type validator struct {
	ps   *parser
	pol  *Policy
	kind Kind
	data *iamData
	out  []Finding
}

func (v *validator) add(t FindingType, code, details, fix string, n *node, path []PathElement) {
	f := Finding{Type: t, IssueCode: code, Details: details, Fix: fix, LearnMoreLink: learnMoreLink(t, code)}
	loc := Location{Path: slices.Clone(path)}
	if n != nil {
		loc.Span = v.ps.li.span(n.start, n.end)
	}
	f.Locations = []Location{loc}
	v.out = append(v.out, f)
}

func (v *validator) addError(e *Error) {
	details := e.Message
	if e.Detail != "" && e.Detail != e.Message {
		details += " " + upperFirst(e.Detail) + "."
	}
	if e.Code == "JSON_SYNTAX_ERROR" && e.path == nil {
		details = fmt.Sprintf("Fix the JSON syntax error at index %d line %d column %d: %s.", e.Span.Start.Offset, e.Span.Start.Line, e.Span.Start.Column, e.Detail)
	}
	f := Finding{Type: FindingError, IssueCode: e.Code, Details: details, Fix: errorFixes[e.Code], LearnMoreLink: learnMoreLink(FindingError, e.Code)}
	f.Locations = []Location{{Path: e.path, Span: e.Span}}
	v.out = append(v.out, f)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var errorFixes = map[string]string{
	"JSON_SYNTAX_ERROR":                           "Correct the JSON at this position; each element may appear once.",
	"DATA_TYPE_MISMATCH":                          "Use the JSON type the element takes.",
	"MISSING_STATEMENT":                           "Add a Statement element holding at least one statement.",
	"INVALID_POLICY_ELEMENT":                      "Remove the element or correct its spelling (element names are case-sensitive).",
	"INVALID_VERSION":                             `Set "Version": "2012-10-17".`,
	"MISSING_EFFECT":                              `Add "Effect": "Allow" or "Effect": "Deny".`,
	"INVALID_EFFECT":                              "Write the effect exactly Allow or Deny.",
	"UNSUPPORTED_PRINCIPAL":                       "Remove the Principal element; an identity-based policy applies to the identity it is attached to.",
	"MISSING_PRINCIPAL":                           "Add a Principal element naming who the statement applies to.",
	"ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE":     "Remove the Resource element; a trust policy applies to its role.",
	"ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL": "Use a Principal element instead.",
	"MISSING_ACTION":                              "Add an Action (or NotAction) element with at least one action.",
	"MISSING_RESOURCE":                            `Add a Resource element with the ARNs the actions apply to, or "*".`,
	"UNSUPPORTED_ELEMENT_COMBINATION":             "Keep only one of the two elements.",
	"INVALID_ACTION":                              "Write actions as service:Action, for example s3:GetObject.",
	"INVALID_SERVICE_IN_ACTION":                   "Use the service prefix of the action, for example s3 or iam.",
	"INVALID_ARN_PREFIX":                          `Write the resource as an ARN (arn:partition:service:region:account:resource) or "*".`,
	"MISSING_ARN_FIELD":                           "Give the ARN all six colon-separated fields: arn:partition:service:region:account:resource.",
	"INVALID_PARTITION":                           "Use a partition such as aws, aws-cn or aws-us-gov.",
	"INVALID_ARN_RESOURCE":                        "Name the service in the ARN without wildcards.",
	"ARN_REGION_NOT_ALLOWED":                      "Leave the Region field of the ARN empty for this service.",
	"UNSUPPORTED_SID":                             "Use only letters and digits in the Sid.",
	"UNIQUE_SIDS_REQUIRED":                        "Give each statement its own Sid.",
	"INVALID_CONDITION_OPERATOR":                  "Use a condition operator such as StringEquals, ArnLike or Bool, optionally with ForAllValues:/ForAnyValue: and IfExists.",
	"NULL_WITH_IF_EXISTS":                         "Use Null without IfExists.",
	"INVALID_CONDITION_KEY_FORMAT":                "Write condition keys as service:name, for example aws:SourceIp.",
	"TYPE_MISMATCH_DATE":                          "Write dates in ISO 8601 (2024-01-31T12:00:00Z) or as epoch seconds.",
	"INVALID_PRINCIPAL_FORMAT":                    `Name principals as {"AWS": "123456789012"}, an IAM or STS ARN, or "*".`,
	"INVALID_PRINCIPAL_KEY":                       "Use AWS, Service, Federated or CanonicalUser.",
	"UNSUPPORTED_WILDCARD_IN_PRINCIPAL":           `Name specific principals, or use "*" with a condition on aws:PrincipalArn.`,
}

func (v *validator) policy() {
	if v.pol.Version == "" {
		v.add(FindingWarning, "MISSING_VERSION", "We recommend that you specify the Version element to help you with debugging permission issues.",
			`Add "Version": "2012-10-17" (without it, policy variables are read as literal text).`, v.ps.root, nil)
	}
	for i, s := range v.pol.Statements {
		st := &stmtCheck{v: v, s: s, elems: v.ps.stmtNodes[i], path: v.ps.stmtPaths[i]}
		st.run()
	}
	v.redundantStatements()
}

// stmtCheck holds one statement under validation.
type stmtCheck struct {
	v     *validator
	s     *Statement
	elems map[string]*node
	path  []PathElement

	actions  []actionRef // entries of Action (not NotAction)
	allKnown bool        // every entry of Action resolved to known actions
}

type actionRef struct {
	text string
	n    *node
	path []PathElement
	acts []*actData
}

func (st *stmtCheck) at(name string) []PathElement { return append(slices.Clip(st.path), pv(name)) }

// listNodes pairs the strings of a string-or-array element with their nodes
// and paths.
func (st *stmtCheck) listNodes(name string) ([]*node, [][]PathElement) {
	n := st.elems[name]
	if n == nil {
		return nil, nil
	}
	if n.kind == nString {
		return []*node{n}, [][]PathElement{st.at(name)}
	}
	var nodes []*node
	var paths [][]PathElement
	for i, e := range n.elems {
		if e.kind == nString {
			nodes = append(nodes, e)
			paths = append(paths, append(st.at(name), pi(i)))
		}
	}
	return nodes, paths
}

func (st *stmtCheck) run() {
	v := st.v
	if sid := st.elems["Sid"]; sid != nil && sid.kind == nString && sid.str == "" {
		v.add(FindingSuggestion, "EMPTY_SID_VALUE", "Add a value to the empty string in the Sid element.", "Name the statement or remove the Sid element.", sid, st.at("Sid"))
	}
	if c := st.elems["Condition"]; c != nil && c.kind == nObject && len(c.members) == 0 {
		v.add(FindingSuggestion, "EMPTY_OBJECT_CONDITION", "This condition block is empty and it does not affect the policy. Specify conditions.", "Remove the empty Condition element.", c, st.at("Condition"))
	}
	st.principals()
	if v.data != nil {
		st.actionNames("Action")
		st.actionNames("NotAction")
		st.resourceARNs()
		st.applicability()
		st.conditions()
	}
	st.redundantEntries("Action", true)
	st.redundantEntries("Resource", false)
	st.broad()
}

func (st *stmtCheck) principals() {
	v := st.v
	for _, name := range []string{"Principal", "NotPrincipal"} {
		n := st.elems[name]
		if n == nil {
			continue
		}
		if n.kind == nObject && len(n.members) == 0 {
			v.add(FindingSuggestion, "EMPTY_OBJECT_PRINCIPAL", "This statement includes no principals and does not affect the policy. Specify principals.", "Name the principals the statement applies to.", n, st.at(name))
		}
		if name == "NotPrincipal" && st.s.Effect == Allow {
			v.add(FindingSecurityWarning, "ALLOW_WITH_NOT_PRINCIPAL", "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.",
				"Use Principal with the intended principals, or Principal \"*\" with a condition on aws:PrincipalArn.", n, st.at(name))
		}
	}
	pe := st.s.Principal
	if pe == nil || st.s.Effect != Allow {
		return
	}
	hasCond := len(st.s.Conditions) > 0
	wild := pe.Wildcard || slices.Contains(pe.Values["AWS"], "*")
	if v.kind == Trust && wild && !hasCond {
		v.add(FindingError, "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL", `"Principal:" "*" is not supported in the principal element of a role trust policy. Replace the wildcard with a valid principal value.`,
			"Name the accounts, roles or services that may assume the role.", st.elems["Principal"], st.at("Principal"))
	}
	if v.kind == Resource && len(pe.Values["Service"]) > 0 && !st.hasKey("aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths") {
		v.add(FindingSecurityWarning, "RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL", "Granting access to a service principal without specifying a source is overly permissive. Use aws:SourceArn or aws:SourceAccount condition key and scope access to a specific source to grant fine-grained access.",
			"Add a condition on aws:SourceArn or aws:SourceAccount naming your resource or account.", st.elems["Principal"], st.at("Principal"))
	}
}

func (st *stmtCheck) hasKey(keys ...string) bool {
	for _, c := range st.s.Conditions {
		if slices.Contains(keys, c.key) {
			return true
		}
	}
	return false
}

// actionNames checks that each action names a known service and matches
// known actions, and remembers the expansion of Action entries.
func (st *stmtCheck) actionNames(name string) {
	v, d := st.v, st.v.data
	nodes, paths := st.listNodes(name)
	if name == "Action" {
		st.allKnown = len(nodes) > 0
	}
	for i, n := range nodes {
		a := n.str
		ref := actionRef{text: a, n: n, path: paths[i]}
		svc, act, ok := strings.Cut(strings.ToLower(a), ":")
		if a == "*" || !ok {
			st.allKnown = st.allKnown && a == "*"
			if name == "Action" && a == "*" {
				st.allKnown = false
			}
			continue
		}
		var services []*svcData
		if strings.ContainsAny(svc, "*?") {
			v.add(FindingSuggestion, "WILDCARD_IN_SERVICE_NAME", "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names.",
				"Write the service prefix in full.", n, paths[i])
			segs := compilePattern(svc, false, true).segs
			for p, s := range d.Services {
				if globMatch(segs, p, false) {
					services = append(services, s)
				}
			}
		} else if s := d.Services[svc]; s != nil {
			services = append(services, s)
		} else {
			msg := fmt.Sprintf("The service %s specified in the action does not exist.", svc)
			if best := closest(svc, serviceNames(d)); best != "" {
				msg += fmt.Sprintf(" Did you mean %s?", best)
			}
			v.add(FindingError, "INVALID_SERVICE_IN_ACTION", msg, "Use the service prefix from the Service Authorization Reference.", n, paths[i])
			st.allKnown = false
			continue
		}
		segs := compilePattern(act, false, true).segs
		for _, s := range services {
			for _, an := range s.actNames {
				if globMatch(segs, an, false) {
					ref.acts = append(ref.acts, s.actLower[an])
				}
			}
		}
		if len(ref.acts) == 0 {
			msg := fmt.Sprintf("The action %s does not exist.", a)
			if len(services) == 1 {
				if best := closest(act, services[0].actNames); best != "" {
					msg += fmt.Sprintf(" Did you mean %s:%s?", services[0].prefix, services[0].actLower[best].name)
				}
			}
			v.add(FindingError, "INVALID_ACTION", msg, "Correct the action name; action names are listed in the Service Authorization Reference.", n, paths[i])
			st.allKnown = false
			continue
		}
		if name == "Action" {
			st.actions = append(st.actions, ref)
		}
	}
}

func serviceNames(d *iamData) []string {
	out := make([]string, 0, len(d.Services))
	for p := range d.Services {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// closest returns the candidate nearest to s by edit distance, if it is near
// enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", max(2, len(s)/3)+1
	for _, c := range candidates {
		if d := editDistance(s, c, bestD); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, giving up at limit.
func editDistance(a, b string, limit int) int {
	if abs(len(a)-len(b)) >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

var accountLiterals = []string{"aws", ""}

// resourceARNs checks each resource ARN against what is known of its
// service.
func (st *stmtCheck) resourceARNs() {
	v, d := st.v, st.v.data
	for _, name := range []string{"Resource", "NotResource"} {
		nodes, paths := st.listNodes(name)
		for i, n := range nodes {
			parts := strings.SplitN(n.str, ":", 6)
			if len(parts) != 6 || parts[0] != "arn" {
				continue
			}
			svc, region, account := parts[2], parts[3], parts[4]
			if v.pol.Version != Version2012 && strings.Contains(n.str, "${") {
				v.add(FindingError, "VARIABLE_UNSUPPORTED_IN_VERSION", "To include variables in your policy, use the policy version 2012-10-17 or later.",
					`Set "Version": "2012-10-17", or the variable is read as literal text.`, n, paths[i])
			} else if i5 := strings.Index(n.str, "${"); i5 >= 0 && i5 < len(strings.Join(parts[:5], ":")) {
				v.add(FindingError, "VARIABLE_UNSUPPORTED_IN_ELEMENT", "Policy variables are supported only in the resource part of an ARN, after the fifth colon.",
					"Write the partition, service, Region and account literally or with wildcards.", n, paths[i])
			}
			if svc != strings.ToLower(svc) && !strings.ContainsAny(svc, "*?") {
				v.add(FindingError, "INVALID_ARN_SERVICE_CASE", fmt.Sprintf("Update the service name %s in the resource ARN to use all lowercase letters.", svc), "ARN service names are lower case.", n, paths[i])
				continue
			}
			if strings.ContainsAny(account, "*?$") || isAccountID(account) || slices.Contains(accountLiterals, account) {
				// fine
			} else {
				v.add(FindingError, "INVALID_ARN_ACCOUNT", fmt.Sprintf("The resource ARN account ID %s is not valid. Provide a 12-digit account ID.", account), "Use a 12-digit account ID, or * for any account.", n, paths[i])
			}
			s := d.Services[svc]
			if s == nil || len(s.Resources) == 0 {
				continue
			}
			if region != "" && !strings.ContainsAny(region, "*?$") && allTemplates(s, func(t string) bool { return arnField(t, 3) == "" }) {
				v.add(FindingError, "ARN_REGION_NOT_ALLOWED", fmt.Sprintf("The service %s does not support specifying a Region in the resource ARN.", svc), "Leave the Region field empty.", n, paths[i])
			}
			if account != "" && !strings.ContainsAny(account, "*?$") && allTemplates(s, func(t string) bool { return arnField(t, 4) == "" }) {
				v.add(FindingError, "ARN_ACCOUNT_NOT_ALLOWED", fmt.Sprintf("The service %s does not support specifying an account ID in the resource ARN.", svc), "Leave the account field empty.", n, paths[i])
			}
		}
	}
}

func allTemplates(s *svcData, f func(string) bool) bool {
	for _, r := range s.Resources {
		if !f(r.ARN) {
			return false
		}
	}
	return true
}

func arnField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if i < len(parts) {
		return parts[i]
	}
	return ""
}

// applicability reports actions without an applicable resource and
// resources without an applicable action, as IAM policy summaries do.
func (st *stmtCheck) applicability() {
	if len(st.actions) == 0 || st.s.notRes || !st.s.hasRes || slices.Contains(st.s.Resource, "*") {
		return
	}
	v := st.v
	resNodes, resPaths := st.listNodes("Resource")
	atoms := make([][]arnAtom, len(st.s.resources))
	for i, r := range st.s.resources {
		atoms[i] = patternAtoms(r)
	}
	used := make([]bool, len(atoms))
	applies := func(a *actData) bool {
		ok := false
		for _, rt := range a.res {
			for i := range atoms {
				if overlap(atoms[i], rt.tmpl) {
					used[i], ok = true, true
				}
			}
		}
		return ok
	}
	for _, ref := range st.actions {
		var noRLP, noMatch []string
		for _, a := range ref.acts {
			if applies(a) {
				continue
			}
			full := a.svc.prefix + ":" + a.name
			if len(a.res) == 0 {
				noRLP = append(noRLP, full)
			} else {
				noMatch = append(noMatch, full)
			}
		}
		if len(noRLP)+len(noMatch) == 0 {
			continue
		}
		var parts []string
		if len(noRLP) > 0 {
			parts = append(parts, fmt.Sprintf("%s not support resource-level permissions, so only Resource \"*\" grants %s", listSome(noRLP, "does", "do"), them(noRLP)))
		}
		if len(noMatch) > 0 {
			parts = append(parts, fmt.Sprintf("%s not apply to the resource types the Resource element names", listSome(noMatch, "does", "do")))
		}
		details := "The statement grants no permission for some actions: " + strings.Join(parts, "; ") + "."
		if len(noRLP)+len(noMatch) == len(ref.acts) {
			details = fmt.Sprintf("The action %s has no applicable resource in this statement: ", ref.text) + strings.Join(parts, "; ") + "."
		}
		v.add(FindingWarning, "ACTION_WITHOUT_APPLICABLE_RESOURCE", details,
			"Move these actions to a statement whose Resource is \"*\" (for actions without resource-level permissions) or names resources of the types they act on.", ref.n, ref.path)
	}
	if !st.allKnown {
		return
	}
	for i, ok := range used {
		if !ok && i < len(resNodes) {
			v.add(FindingWarning, "RESOURCE_WITHOUT_APPLICABLE_ACTION", fmt.Sprintf("No action of the statement applies to the resource %s, so it grants nothing.", st.s.Resource[i]),
				"Add actions that act on this resource type, or remove the resource.", resNodes[i], resPaths[i])
		}
	}
}

func listSome(names []string, one, many string) string {
	verb := many
	if len(names) == 1 {
		verb = one
	}
	shown := names
	if len(shown) > 5 {
		shown = shown[:5]
	}
	s := strings.Join(shown, ", ")
	if len(names) > len(shown) {
		s += fmt.Sprintf(" and %d more", len(names)-len(shown))
	}
	return s + " " + verb
}

func them(names []string) string {
	if len(names) == 1 {
		return "it"
	}
	return "them"
}

// typeFamilies says which operator families suit each condition key type.
var typeFamilies = map[string][]family{
	"String":    {famString},
	"ARN":       {famARN, famString},
	"Bool":      {famBool},
	"Numeric":   {famNumeric},
	"Long":      {famNumeric},
	"Integer":   {famNumeric},
	"Date":      {famDate},
	"IPAddress": {famIP},
	"Binary":    {famBinary},
}

var familyNames = map[family]string{famString: "String", famARN: "Arn", famBool: "Bool", famNumeric: "Numeric", famDate: "Date", famIP: "IpAddress", famBinary: "Binary"}

func (st *stmtCheck) conditions() {
	v, d := st.v, st.v.data
	cn := st.elems["Condition"]
	if cn == nil || cn.kind != nObject {
		return
	}
	ci := 0
	for _, om := range cn.members {
		op, set, ifExists, msg := parseOperator(om.key)
		if msg != "" || om.val.kind != nObject {
			continue
		}
		opPath := append(st.at("Condition"), pv(om.key))
		seen := map[string]string{}
		for _, km := range om.val.members {
			if ci >= len(st.s.Conditions) {
				return
			}
			c := st.s.Conditions[ci]
			ci++
			keyPath := append(slices.Clip(opPath), pk(km.key))
			keyNode := &node{start: km.keyStart, end: km.keyEnd}
			if prev, ok := seen[c.key]; ok && prev != km.key {
				v.add(FindingError, "DUPLICATE_KEYS_WITH_DIFFERENT_CASE", fmt.Sprintf("The condition key %s appears more than once with different capitalization in the same condition block. Remove the duplicate condition keys.", km.key),
					"Keep one spelling of the key and merge the values.", keyNode, keyPath)
			}
			seen[c.key] = km.key
			if km.val.kind == nArray && len(km.val.elems) == 0 {
				st.emptyValues(c, set, ifExists, keyNode, keyPath)
			}
			if op.fam == famNull && set != setNone {
				v.add(FindingSuggestion, "NULL_WITH_QUALIFIER", "Avoid using the Null condition operator with the ForAllValues or ForAnyValue qualifiers because they always return a true or false respectively.",
					"Remove the ForAllValues:/ForAnyValue: qualifier.", keyNode, keyPath)
			}
			st.conditionValues(c, op, km.val, append(slices.Clip(opPath), pv(km.key)))
			if !strings.Contains(km.key, ":") {
				continue
			}
			info, prefixKnown, found := d.keyLookup(km.key)
			if !found {
				prefix, _, _ := strings.Cut(km.key, ":")
				if strings.EqualFold(prefix, "aws") {
					v.add(FindingError, "INVALID_GLOBAL_CONDITION_KEY", fmt.Sprintf("The condition key %s does not exist. Use a valid condition key.", km.key), "Check the spelling against the global condition keys.", keyNode, keyPath)
				} else if prefixKnown {
					v.add(FindingError, "INVALID_SERVICE_CONDITION_KEY", fmt.Sprintf("The condition key %s does not exist in the service %s. Use a valid condition key.", km.key, strings.ToLower(prefix)), "Check the spelling against the service's condition keys.", keyNode, keyPath)
				} else {
					v.add(FindingError, "INVALID_SERVICE", fmt.Sprintf("The service %s does not exist. Use a valid service name.", prefix), "Use the service prefix of the condition key.", keyNode, keyPath)
				}
				continue
			}
			st.keyType(c, info, op, set, keyNode, keyPath)
			st.keyApplies(c, info, keyNode, keyPath)
		}
	}
}

func (st *stmtCheck) emptyValues(c *Condition, set setQualifier, ifExists bool, n *node, path []PathElement) {
	v := st.v
	switch {
	case set == setForAll:
		v.add(FindingSuggestion, "EMPTY_ARRAY_CONDITION_FORALLVALUES", fmt.Sprintf("The ForAllValues prefix with an empty condition key matches only if the key %s is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.", c.Key), "Use the Null operator.", n, path)
	case set == setForAny:
		v.add(FindingSuggestion, "EMPTY_ARRAY_CONDITION_FORANYVALUE", fmt.Sprintf("The ForAnyValue prefix with an empty condition key %s never matches the request context and it does not affect the policy. Specify conditions.", c.Key), "Add values or remove the key.", n, path)
	case ifExists:
		v.add(FindingSuggestion, "EMPTY_ARRAY_CONDITION_IFEXISTS", fmt.Sprintf("The IfExists suffix with an empty condition key matches only if the key %s is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.", c.Key), "Use the Null operator.", n, path)
	default:
		v.add(FindingSuggestion, "EMPTY_ARRAY_CONDITION", fmt.Sprintf("There are no values for the condition key %s and it does not affect the policy. Specify conditions.", c.Key), "Add values or remove the key.", n, path)
	}
}

// conditionValues checks each value against its operator.
func (st *stmtCheck) conditionValues(c *Condition, op opInfo, list *node, path []PathElement) {
	v := st.v
	var nodes []*node
	if list.kind == nArray {
		nodes = list.elems
	} else {
		nodes = []*node{list}
	}
	private, public := 0, 0
	for i, n := range nodes {
		if i >= len(c.Values) {
			break
		}
		val := c.Values[i]
		p := elemPath(path, list, i)
		hasVar := strings.Contains(val, "${")
		switch {
		case hasVar && v.pol.Version != Version2012:
			v.add(FindingError, "VARIABLE_UNSUPPORTED_IN_VERSION", "To include variables in your policy, use the policy version 2012-10-17 or later.", `Set "Version": "2012-10-17".`, n, p)
		case hasVar && op.fam != famString && op.fam != famARN && op.fam != famBool && !isEscapeOnly(val):
			v.add(FindingError, "INVALID_VARIABLE_FOR_OPERATOR", "Policy variables can only be used with String and ARN operators.", "Use a String or Arn operator, or a literal value.", n, p)
		}
		switch op.fam {
		case famString:
			if op.cmp != cmpLike && strings.ContainsAny(val, "*?") {
				v.add(FindingWarning, "WILDCARD_WITHOUT_LIKE_OPERATOR", "Your condition value includes a * or ? character. If you meant to use a wildcard (*, ?), update the condition operator to include Like.",
					"Use StringLike (or ArnLike) to match wildcards; with "+op.name+" they are literal characters.", n, p)
			}
		case famBool:
			if _, ok := parseBool(val); !ok && !hasVar {
				v.add(FindingWarning, "TYPE_MISMATCH_BOOLEAN", fmt.Sprintf("Add a valid Boolean value (true or false) for the condition operator %s.", c.Operator), "Use true or false.", n, p)
			}
		case famNumeric:
			if _, ok := parseNumber(val); !ok {
				v.add(FindingWarning, "TYPE_MISMATCH_NUMBER", fmt.Sprintf("Add a valid numeric value for the condition operator %s.", c.Operator), "Use an integer or decimal number.", n, p)
			}
		case famBinary:
			if !c.vals[i].ok {
				v.add(FindingWarning, "TYPE_MISMATCH_STRING", fmt.Sprintf("Add a valid base64-encoded string value for the condition operator %s.", c.Operator), "Encode the bytes in base64.", n, p)
			}
		case famIP:
			pfx, ok := parseCIDR(val)
			if !ok {
				v.add(FindingWarning, "TYPE_MISMATCH_IP_RANGE", fmt.Sprintf("The condition operator %s is used with an invalid IP range value. Specify the IP range in standard CIDR format.", c.Operator), "Write an address or a CIDR range such as 203.0.113.0/24.", n, p)
				continue
			}
			if raw, err := netip.ParsePrefix(strings.TrimSpace(val)); err == nil && raw.Addr() != raw.Masked().Addr() {
				v.add(FindingSuggestion, "IMPROVE_IP_RANGE", fmt.Sprintf("The non-zero bits in the IP address after the masked bits are ignored. Replace address with %s.", pfx), "Write the network address of the range.", n, p)
			}
			if c.key == "aws:sourceip" {
				if pfx.Addr().IsPrivate() || pfx.Addr().IsLoopback() {
					private++
				} else {
					public++
				}
			}
		}
	}
	if private > 0 && c.key == "aws:sourceip" {
		switch {
		case public == 0 && op.negated:
			v.add(FindingError, "PRIVATE_NOT_IP_ADDRESS", "The values for condition key aws:SourceIp include only private IP addresses and has no effect. aws:SourceIp works only for public IP address ranges. Update the value to include only public IP addresses.", "Use aws:VpcSourceIp for private addresses.", list, path)
		case public == 0:
			v.add(FindingError, "PRIVATE_IP_ADDRESS", "aws:SourceIp works only for public IP address ranges. The values for condition key aws:SourceIp include only private IP addresses and will not have the desired effect. Update the value to include only public IP addresses.", "Use aws:VpcSourceIp for private addresses.", list, path)
		default:
			v.add(FindingSuggestion, "PRIVATE_IP_ADDRESS_SUBSET", "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses will not have the desired effect. aws:SourceIp works only for public IP address ranges. To define permissions for private IP ranges, use aws:VpcSourceIp.", "Move private ranges to aws:VpcSourceIp.", list, path)
		}
	}
}

func isEscapeOnly(s string) bool {
	r := strings.NewReplacer("${*}", "", "${?}", "", "${$}", "")
	return !strings.Contains(r.Replace(s), "${")
}

// keyType compares the key's type with the operator.
func (st *stmtCheck) keyType(c *Condition, info keyInfo, op opInfo, set setQualifier, n *node, path []PathElement) {
	v := st.v
	if op.fam == famNull {
		return
	}
	typ := info.typ
	multi := strings.HasPrefix(typ, "ArrayOf")
	typ = strings.TrimPrefix(typ, "ArrayOf")
	switch {
	case multi && set == setNone:
		v.add(FindingError, "MISSING_QUALIFIER", fmt.Sprintf("The request context key %s has multiple values. Use the ForAllValues or ForAnyValue condition key qualifiers in your policy.", c.Key),
			"Prefix the operator with ForAnyValue: (any value matches) or ForAllValues: (every value matches).", n, path)
	case !multi && set == setForAll:
		v.add(FindingSecurityWarning, "FORALLVALUES_WITH_SINGLE_VALUED_KEY", fmt.Sprintf("Using ForAllValues qualifier with the single-valued condition key %s can be overly permissive. We recommend that you remove ForAllValues:.", c.Key),
			"Remove ForAllValues:; it is also true when the key is absent.", n, path)
	}
	fams, ok := typeFamilies[typ]
	if !ok || slices.Contains(fams, op.fam) {
		return
	}
	v.add(FindingWarning, "TYPE_MISMATCH", fmt.Sprintf("Use the operator type %s instead of operator %s for the condition key %s.", familyNames[fams[0]], c.Operator, c.Key),
		fmt.Sprintf("%s has type %s; use a %s operator.", info.name, info.typ, familyNames[fams[0]]), n, path)
}

// keyApplies reports a service condition key that no action of the
// statement supports: the condition can never be true for them.
func (st *stmtCheck) keyApplies(c *Condition, info keyInfo, n *node, path []PathElement) {
	if !st.allKnown || len(st.actions) == 0 {
		return
	}
	prefix, _, _ := strings.Cut(c.key, ":")
	if prefix == "aws" {
		return
	}
	if _, global := st.v.data.global[c.key]; global {
		return
	}
	if _, known := st.v.data.Services[prefix]; !known {
		return // keys of identity providers, such as accounts.google.com:aud
	}
	var services []string
	for _, ref := range st.actions {
		for _, a := range ref.acts {
			if a.supportsKey(info) {
				return
			}
			if !slices.Contains(services, a.svc.prefix) {
				services = append(services, a.svc.prefix)
			}
		}
	}
	// Keys of other services can still be present (aws:CalledVia chains), but
	// the console flags them, and so do we.
	st.v.add(FindingWarning, "CONDITION_WITHOUT_APPLICABLE_ACTION", fmt.Sprintf("No action of the statement supports the condition key %s, so the condition is never met for them (actions of %s).", c.Key, strings.Join(services, ", ")),
		"Use a condition key that the statement's actions support, or move the condition to a statement with such actions.", n, path)
}

// redundantEntries reports entries of Action or Resource that another entry
// of the same element already covers.
func (st *stmtCheck) redundantEntries(name string, fold bool) {
	nodes, paths := st.listNodes(name)
	for i, n := range nodes {
		for j, m := range nodes {
			if i == j {
				continue
			}
			a, b := n.str, m.str
			if fold {
				a, b = strings.ToLower(a), strings.ToLower(b)
			}
			covered := globMatch(compilePattern(b, false, true).segs, a, false)
			if !covered || a == b && j > i {
				continue
			}
			code, what := "REDUNDANT_ACTION", "action(s) are redundant because they provide similar permissions. Update the policy to remove the redundant action such as: "+n.str+"."
			if name == "Resource" {
				code, what = "REDUNDANT_RESOURCE", "resource ARN(s) are redundant because they reference the same resource. Review the use of wildcards (*)"
			}
			st.v.add(FindingSuggestion, code, "The 1 "+what, fmt.Sprintf("Remove %s; %s already covers it.", n.str, m.str), n, paths[i])
			break
		}
	}
}

// broad reports statements that grant far more than intended.
func (st *stmtCheck) broad() {
	v, s := st.v, st.s
	if s.Effect != Allow || v.kind == Trust {
		return
	}
	starRes := s.hasRes && !s.notRes && slices.ContainsFunc(s.Resource, func(r string) bool { return strings.Contains(r, "*") })
	allRes := s.hasRes && !s.notRes && slices.Contains(s.Resource, "*")
	allActs := !s.notAction && slices.Contains(s.Action, "*")
	anchor, apath := st.elems["Action"], st.at("Action")
	if anchor == nil {
		anchor, apath = st.elems["NotAction"], st.at("NotAction")
	}
	if allActs && allRes && len(s.Conditions) == 0 {
		v.add(FindingSecurityWarning, "FULL_ACCESS", "The statement allows every action on every resource, which is full administrator access.",
			"Grant only the actions and resources needed (least privilege).", anchor, apath)
	}
	// iam:PassRole lets a principal hand a role to a service; granting it
	// on every role is a privilege escalation path.
	passRole := func() (explicit, wildcard bool) {
		if s.notAction {
			for _, a := range s.NotAction {
				if globMatch(compilePattern(strings.ToLower(a), false, true).segs, "iam:passrole", false) {
					return false, false
				}
			}
			return false, true
		}
		for _, a := range s.Action {
			l := strings.ToLower(a)
			if l == "iam:passrole" {
				explicit = true
			} else if globMatch(compilePattern(l, false, true).segs, "iam:passrole", false) {
				wildcard = true
			}
		}
		return explicit, wildcard
	}
	explicit, wildcard := passRole()
	if !explicit && !wildcard || st.hasKey("iam:passedtoservice") {
		return
	}
	var code, msg string
	switch {
	case s.notRes && s.notAction:
		code, msg = "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE", "Using NotAction with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead."
	case s.notRes && explicit:
		code, msg = "PASS_ROLE_WITH_NOT_RESOURCE", "Using the iam:PassRole action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead."
	case s.notRes:
		code, msg = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", "Using an action with a wildcard (*) and NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead."
	case !starRes:
		return
	case s.notAction:
		code, msg = "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", "Using a resource with wildcards (*) and NotAction can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement."
	case explicit:
		code, msg = "PASS_ROLE_WITH_STAR_IN_RESOURCE", "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement."
	default:
		code, msg = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE", "Using wildcards (*) in the action and the resource can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement."
	}
	v.add(FindingSecurityWarning, code, msg, "Name the roles that may be passed, or add an iam:PassedToService condition.", anchor, apath)
}

// redundantStatements reports statements that another statement with the
// same effect, principal and conditions already covers.
func (v *validator) redundantStatements() {
	sts := v.pol.Statements
	for i, a := range sts {
		for j, b := range sts {
			if i == j || !sameFrame(a, b) || !covers(b.Action, a.Action, true) || !covers(b.Resource, a.Resource, false) {
				continue
			}
			if covers(a.Action, b.Action, true) && covers(a.Resource, b.Resource, false) && j > i {
				continue // identical: report only the later one
			}
			n := v.ps.stmtNodes[i]
			var anchor *node
			for _, e := range n {
				if anchor == nil || e.start < anchor.start {
					anchor = e
				}
			}
			if anchor != nil {
				anchor = &node{start: a.Span.Start.Offset, end: a.Span.End.Offset}
			}
			v.add(FindingSuggestion, "REDUNDANT_STATEMENT", "The statements are redundant because they provide identical permissions. Update the policy to remove the redundant statement.",
				fmt.Sprintf("Remove statement %d; statement %d already grants what it grants.", i, j), anchor, v.ps.stmtPaths[i])
			break
		}
	}
}

// sameFrame reports whether two statements differ at most in Action and
// Resource.
func sameFrame(a, b *Statement) bool {
	if a.Effect != b.Effect || a.notAction || b.notAction || a.notRes || b.notRes || a.hasRes != b.hasRes {
		return false
	}
	if principalKey(a.Principal) != principalKey(b.Principal) || principalKey(a.NotPrincipal) != principalKey(b.NotPrincipal) {
		return false
	}
	if len(a.Conditions) != len(b.Conditions) {
		return false
	}
	for i := range a.Conditions {
		x, y := a.Conditions[i], b.Conditions[i]
		if !strings.EqualFold(x.Operator, y.Operator) || x.key != y.key || !slices.Equal(x.Values, y.Values) {
			return false
		}
	}
	return true
}

func principalKey(p *PrincipalElement) string {
	if p == nil {
		return ""
	}
	if p.Wildcard {
		return "*"
	}
	keys := make([]string, 0, len(p.Values))
	for k, vals := range p.Values {
		vs := slices.Clone(vals)
		slices.Sort(vs)
		keys = append(keys, k+"="+strings.Join(vs, ","))
	}
	slices.Sort(keys)
	return strings.Join(keys, ";")
}

// covers reports whether every entry of small matches some entry of big.
func covers(big, small []string, fold bool) bool {
	for _, s := range small {
		ok := false
		for _, b := range big {
			if fold {
				s, b = strings.ToLower(s), strings.ToLower(b)
			}
			if globMatch(compilePattern(b, false, true).segs, s, false) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
