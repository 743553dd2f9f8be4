package pattern

import (
	"sort"
	"unicode/utf8"
)

// FilterPolicyScope says what an SNS filter policy applies to.
type FilterPolicyScope string

// The two SNS filter-policy scopes.
const (
	ScopeMessageAttributes FilterPolicyScope = "MessageAttributes"
	ScopeMessageBody       FilterPolicyScope = "MessageBody"
)

// SNS limits on filter policies.
const (
	MaxFilterPolicyKeys         = 5
	MaxFilterPolicyCombinations = 150
	MaxFilterPolicyLength       = 256 * 1024
)

// FilterPolicy is a compiled SNS subscription filter policy.
type FilterPolicy struct {
	scope FilterPolicyScope
	c     *compiled // nil: the empty policy, which accepts everything
}

// MessageAttribute is an SNS message attribute as published.
type MessageAttribute struct {
	DataType    string // String, String.Array, Number, Binary (optionally with a ".custom" suffix)
	StringValue string
}

// ValidateFilterPolicy checks a filter policy for the default
// MessageAttributes scope. Rejections are *Error values whose Message is
// SNS's InvalidParameter text.
func ValidateFilterPolicy(policy []byte) error {
	_, err := CompileFilterPolicy(policy, ScopeMessageAttributes)
	return err
}

func policyError(reason string) error {
	return &Error{Message: "Invalid parameter: " + reason, Reason: reason}
}

// CompileFilterPolicy validates a filter policy for scope and compiles it.
// Reason in a returned *Error is the text SNS puts after "Invalid
// parameter: " (SetSubscriptionAttributes) or "Invalid parameter:
// Attributes Reason: " (Subscribe).
func CompileFilterPolicy(policy []byte, scope FilterPolicyScope) (*FilterPolicy, error) {
	if scope != ScopeMessageAttributes && scope != ScopeMessageBody {
		return nil, policyError("FilterPolicyScope: Invalid value [" + string(scope) + "]. Please use either MessageBody or MessageAttributes")
	}
	if utf8.RuneCount(policy) > MaxFilterPolicyLength {
		return nil, policyError("FilterPolicy: Filter policy is too long")
	}
	root, err := parseJSON(policy)
	if err != nil {
		return nil, policyError("FilterPolicy: failed to parse JSON. " + err.Error())
	}
	if root.kind != kindObject {
		return nil, policyError("FilterPolicy: Filter is not an object")
	}
	if len(root.keys) == 0 {
		return &FilterPolicy{scope: scope}, nil
	}
	if len(root.keys) > MaxFilterPolicyKeys {
		return nil, policyError("FilterPolicy: Filter policy can not have more than 5 keys")
	}
	if scope == ScopeMessageAttributes && nested(root) {
		return nil, policyError("Filter policy scope MessageAttributes does not support nested filter policy")
	}
	c, err := compileRoot(root, sns)
	if err != nil {
		if r, ok := err.(reasonError); ok {
			return nil, policyError("FilterPolicy: " + string(r))
		}
		return nil, err
	}
	if combinations(root, 1, 1) > MaxFilterPolicyCombinations {
		return nil, policyError("FilterPolicy: Filter policy is too complex")
	}
	return &FilterPolicy{scope: scope, c: c}, nil
}

// nested reports whether a policy has an object-valued key outside $or.
func nested(obj *node) bool {
	for i, k := range obj.keys {
		v := obj.vals[i]
		if k == "$or" && v.kind == kindArray {
			for _, alt := range v.elems {
				if alt.kind == kindObject && nested(alt) {
					return true
				}
			}
			continue
		}
		if v.kind == kindObject {
			return true
		}
	}
	return false
}

// combinations computes SNS's complexity measure: the product, over value
// arrays, of the array's length times its key's nesting depth, with $or
// alternatives adding up.
func combinations(obj *node, depth, acc int) int {
	const ceiling = 1 << 30
	for i, k := range obj.keys {
		v := obj.vals[i]
		switch {
		case k == "$or" && v.kind == kindArray:
			total := 0
			for _, alt := range v.elems {
				if alt.kind == kindObject {
					total += combinations(alt, depth, acc)
				}
			}
			acc = total
		case v.kind == kindObject:
			acc = combinations(v, depth+1, acc)
		case v.kind == kindArray:
			acc *= len(v.elems) * depth
		}
		if acc > ceiling {
			acc = ceiling
		}
	}
	return acc
}

// Scope returns the scope the policy was compiled for.
func (p *FilterPolicy) Scope() FilterPolicyScope { return p.scope }

// MatchBody reports whether a message body matches a MessageBody-scope
// policy. A body that is not a JSON object matches only the empty policy.
func (p *FilterPolicy) MatchBody(body []byte) bool {
	if p.c == nil {
		return true
	}
	leaves, err := flattenEvent(body)
	if err != nil {
		return false
	}
	return evalPattern(p.c, leaves)
}

// MatchAttributes reports whether message attributes match a
// MessageAttributes-scope policy. String attributes are strings, Number
// attributes numbers, and String.Array attributes arrays of their JSON
// elements; Binary attributes take no part.
func (p *FilterPolicy) MatchAttributes(attrs map[string]MessageAttribute) bool {
	if p.c == nil {
		return true
	}
	return evalPattern(p.c, attributeLeaves(attrs))
}

// attributeLeaves turns message attributes into the scalar values the
// policy is evaluated against.
func attributeLeaves(attrs map[string]MessageAttribute) []leaf {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []leaf
	for i, name := range names {
		a := attrs[name]
		switch baseType(a.DataType) {
		case "String":
			out = append(out, leaf{path: name, kind: kindString, text: a.StringValue})
		case "Number":
			if s := (&scanner{data: []byte(a.StringValue)}); s.peek() != 0 {
				if lit, err := s.readNumber(); err == nil && s.expectEnd() == nil {
					l := leaf{path: name, kind: kindNumber, text: lit}
					l.num, l.numOK = comparable(lit)
					out = append(out, l)
					continue
				}
			}
			out = append(out, leaf{path: name, kind: kindString, text: a.StringValue})
		case "String.Array", "Number.Array":
			arr, err := parseJSON([]byte(a.StringValue))
			if err != nil || arr.kind != kindArray {
				continue
			}
			for j, e := range arr.elems {
				if e.kind == kindObject || e.kind == kindArray {
					continue
				}
				l := leaf{path: name, kind: e.kind, text: e.text, trail: []arrayStep{{int32(i), int32(j)}}}
				if e.kind == kindNumber {
					l.num, l.numOK = comparable(e.text)
				}
				out = append(out, l)
			}
		}
	}
	return out
}

// baseType strips a custom suffix such as "Number.float" to its SNS type.
func baseType(t string) string {
	switch {
	case t == "String.Array" || t == "Number.Array":
		return t
	case len(t) >= 6 && t[:6] == "String":
		return "String"
	case len(t) >= 6 && t[:6] == "Number":
		return "Number"
	}
	return t
}
