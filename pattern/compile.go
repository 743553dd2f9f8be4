package pattern

import (
	"sort"
	"strings"
)

// op is the kind of one condition on a field's value.
type op uint8

const (
	opString      op = iota // exact string
	opNumber                // exact number (numerically, else by its literal)
	opLiteral               // true, false or null
	opIP                    // a single IP address, written as an exact string
	opPrefix                // starts with
	opPrefixFold            // starts with, ignoring case
	opSuffix                // ends with
	opSuffixFold            // ends with, ignoring case
	opEqualsFold            // equals, ignoring case
	opWildcard              // wildcard match
	opNumeric               // numeric range
	opCIDR                  // IP address within a CIDR block
	opExists                // exists: true
	opAbsent                // exists: false
	opNotStrings            // anything-but a set of strings
	opNotNumbers            // anything-but a set of numbers
	opNotPrefix             // anything-but prefixes
	opNotSuffix             // anything-but suffixes
	opNotFold               // anything-but strings, ignoring case
	opNotWildcard           // anything-but wildcards
)

// cond is one element of a field's list of acceptable values. A field
// matches when any of its conds does.
type cond struct {
	op    op
	str   string   // operand of single-string ops; literal text for opNumber and opLiteral
	strs  []string // operands of anything-but string sets
	num   float64  // opNumber, when numOK
	numOK bool
	nums  []float64    // opNotNumbers
	rng   numRange     // opNumeric
	ip    ipRange      // opIP, opCIDR
	wild  []wildcard   // opWildcard (one), opNotWildcard (several)
	fold  [][]foldChar // case-insensitive operands, one per string operand
}

// numRange is an interval of doubles; open ends exclude their bound.
type numRange struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func (r numRange) contains(f float64) bool {
	if f < r.lo || f == r.lo && r.loOpen {
		return false
	}
	return !(f > r.hi || f == r.hi && r.hiOpen)
}

// field is one field path of a rule with its acceptable values.
type field struct {
	path  string
	conds []cond
}

// rule is one alternative of a pattern after $or is expanded: every field
// must match.
type rule struct {
	fields []field // sorted by path
}

// compiled is a validated pattern.
type compiled struct {
	rules []rule
}

// maxRules bounds $or expansion, which multiplies alternatives.
const maxRules = 1000

// ruleSet is a rule under construction. Later values for the same path
// replace earlier ones, as EventBridge does with duplicate keys.
type ruleSet struct {
	order []string
	vals  map[string][]cond
}

func (r *ruleSet) clone() *ruleSet {
	c := &ruleSet{order: append([]string(nil), r.order...), vals: make(map[string][]cond, len(r.vals))}
	for k, v := range r.vals {
		c.vals[k] = v
	}
	return c
}

func (r *ruleSet) put(path string, conds []cond) {
	if _, ok := r.vals[path]; !ok {
		r.order = append(r.order, path)
	}
	r.vals[path] = conds
}

// reservedInOr lists names that may not be fields inside $or, since they
// are (or are reserved to become) operators.
var reservedInOr = map[string]bool{
	"exactly": true, "equals-ignore-case": true, "prefix": true, "suffix": true,
	"anything-but": true, "exists": true, "wildcard": true, "numeric": true, "cidr": true,
	"=": true, "<": true, "<=": true, ">": true, ">=": true, "regex": true,
	"not-wildcard": true, "not-equals-ignore-case": true,
	"date-after": true, "date-on-or-after": true, "date-before": true,
	"date-on-or-before": true, "in-date-range": true,
	"ip-address-in-range": true, "ip-address-not-in-range": true,
}

// dialect selects the language: EventBridge patterns or the SNS subset.
type dialect uint8

const (
	eventBridge dialect = iota
	sns
)

// compilePattern validates an EventBridge pattern and compiles it. Errors
// are reasonErrors carrying AWS's reason text.
func compilePattern(src []byte) (*compiled, error) {
	root, err := parseJSON(src)
	if err != nil {
		return nil, fail(err.Error())
	}
	if root.kind != kindObject {
		return nil, fail("Filter is not an object")
	}
	return compileRoot(root, eventBridge)
}

func compileRoot(root *node, d dialect) (*compiled, error) {
	sets, err := compileObject(nil, "", false, root, false, d)
	if err != nil {
		return nil, err
	}
	c := &compiled{rules: make([]rule, 0, len(sets))}
	for _, s := range sets {
		r := rule{fields: make([]field, 0, len(s.order))}
		for _, p := range s.order {
			r.fields = append(r.fields, field{path: p, conds: s.vals[p]})
		}
		sort.Slice(r.fields, func(i, j int) bool { return r.fields[i].path < r.fields[j].path })
		c.rules = append(c.rules, r)
	}
	if err := checkComplexity(c); err != nil {
		return nil, err
	}
	return c, nil
}

// joinPath names a field of an object at path prefix. EventBridge drops
// the separator after an empty prefix, so {"": {"a": ...}} names "a" while
// the event field it seems to describe is ".a".
func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// childPath is the path of an object nested at path prefix; nested says
// whether prefix is itself a field (as opposed to the root).
func childPath(prefix string, nested bool, name string) string {
	if !nested {
		return name
	}
	return prefix + "." + name
}

// compileObject adds the members of obj, found at path prefix, to sets and
// returns the resulting alternatives.
func compileObject(sets []*ruleSet, prefix string, nested bool, obj *node, inOr bool, d dialect) ([]*ruleSet, error) {
	for i, name := range obj.keys {
		val := obj.vals[i]
		if name == "$or" {
			var err error
			if sets, err = compileOr(sets, prefix, nested, val, d); err != nil {
				return nil, err
			}
			continue
		}
		if inOr && reservedInOr[name] {
			return nil, fail(name + " is Ruler reserved fieldName which cannot be used inside $or.")
		}
		switch val.kind {
		case kindObject:
			var err error
			if sets, err = compileObject(sets, childPath(prefix, nested, name), true, val, inOr, d); err != nil {
				return nil, err
			}
		case kindArray:
			conds, err := compileValues(val, d)
			if err != nil {
				return nil, err
			}
			if len(sets) == 0 {
				sets = []*ruleSet{{vals: map[string][]cond{}}}
			}
			for _, s := range sets {
				s.put(joinPath(prefix, name), conds)
			}
		default:
			return nil, fail(`"` + name + `" must be an object or an array`)
		}
	}
	if len(obj.keys) == 0 {
		return nil, fail("Empty objects are not allowed")
	}
	return sets, nil
}

func compileOr(sets []*ruleSet, prefix string, nested bool, val *node, d dialect) ([]*ruleSet, error) {
	if val.kind != kindArray {
		return nil, fail("It must be an Array followed with $or.")
	}
	var out []*ruleSet
	for _, alt := range val.elems {
		if alt.kind != kindObject {
			return nil, fail("Only JSON object is allowed in array of $or relationship.")
		}
		branch := make([]*ruleSet, 0, len(sets))
		for _, s := range sets {
			branch = append(branch, s.clone())
		}
		if len(branch) == 0 {
			branch = append(branch, &ruleSet{vals: map[string][]cond{}})
		}
		branch, err := compileObject(branch, prefix, nested, alt, true, d)
		if err != nil {
			return nil, err
		}
		out = append(out, branch...)
		if len(out) > maxRules {
			return nil, fail("Rule is too complex - try using fewer $or alternatives")
		}
	}
	if len(val.elems) < 2 {
		return nil, fail("There must have at least 2 Objects in $or relationship.")
	}
	return out, nil
}

// compileValues compiles a field's array of acceptable values.
func compileValues(arr *node, d dialect) ([]cond, error) {
	conds := make([]cond, 0, len(arr.elems))
	for _, v := range arr.elems {
		switch v.kind {
		case kindObject:
			c, err := compileExpression(v, d)
			if err != nil {
				return nil, err
			}
			switch c.op {
			case opPrefixFold, opSuffixFold, opEqualsFold:
				c.fold = [][]foldChar{foldChars(c.str)}
			case opNotFold:
				for _, s := range c.strs {
					c.fold = append(c.fold, foldChars(s))
				}
			}
			conds = append(conds, c)
		case kindString:
			// A string that is an IP address matches that address however
			// the event spells it.
			if ip := parseIP(v.text); ip != nil {
				conds = append(conds, cond{op: opIP, str: v.text, ip: ipRange{lo: ip, hi: ip}})
			} else {
				conds = append(conds, cond{op: opString, str: v.text})
			}
		case kindNumber:
			f, ok := comparable(v.text)
			conds = append(conds, cond{op: opNumber, str: v.text, num: f, numOK: ok})
		case kindTrue, kindFalse, kindNull:
			conds = append(conds, cond{op: opLiteral, str: v.text})
		default:
			return nil, fail("Match value must be String, number, true, false, or null")
		}
	}
	if len(conds) == 0 {
		return nil, fail("Empty arrays are not allowed")
	}
	return conds, nil
}

// onlyKey fails unless obj has exactly one member.
func onlyKey(obj *node, reason string) error {
	if len(obj.keys) > 1 {
		return fail(reason)
	}
	return nil
}

const (
	oneKey       = "Only one key allowed in match expression"
	tooManyElems = "Too many elements in numeric expression"
)

// compileExpression compiles an operator object such as {"prefix": "a"}.
func compileExpression(obj *node, d dialect) (cond, error) {
	if len(obj.keys) == 0 {
		return cond{}, fail("Match expression name not found")
	}
	name, val := obj.keys[0], obj.vals[0]
	if d == sns {
		switch name {
		case "exactly", "wildcard":
			return cond{}, fail("Unrecognized match type " + name)
		case "prefix", "suffix":
			if val.kind == kindObject {
				return cond{}, fail(name + " match pattern must be a string")
			}
		case "anything-but":
			if val.kind == kindObject && len(val.keys) > 0 && val.keys[0] != "prefix" {
				return cond{}, fail("Unsupported anything-but pattern: " + val.keys[0])
			}
		}
	}
	var c cond
	var err error
	switch name {
	case "exactly":
		if val.kind != kindString {
			return c, fail("exact match pattern must be a string")
		}
		c = cond{op: opString, str: val.text}
	case "prefix", "suffix":
		c, err = compilePrefixSuffix(name, obj, val)
		if err != nil || val.kind == kindObject {
			return c, err
		}
	case "numeric":
		if val.kind != kindArray {
			return c, fail("Value of numeric must be an array.")
		}
		if c, err = compileNumeric(val.elems); err != nil {
			return c, err
		}
		return c, onlyKey(obj, tooManyElems)
	case "anything-but":
		return compileAnythingBut(obj, val)
	case "exists":
		switch val.kind {
		case kindTrue:
			c = cond{op: opExists}
		case kindFalse:
			c = cond{op: opAbsent}
		default:
			return c, fail("exists match pattern must be either true or false.")
		}
	case "cidr":
		if val.kind != kindString {
			return c, fail("prefix match pattern must be a string")
		}
		r, err := parseCIDR(val.text)
		if err != nil {
			return c, err
		}
		c = cond{op: opCIDR, str: val.text, ip: r}
	case "equals-ignore-case":
		if val.kind != kindString {
			return c, fail("equals-ignore-case match pattern must be a string")
		}
		c = cond{op: opEqualsFold, str: val.text}
	case "wildcard":
		if val.kind != kindString {
			return c, fail("wildcard match pattern must be a string")
		}
		w, err := parseWildcard(val.text)
		if err != nil {
			return c, err
		}
		c = cond{op: opWildcard, str: val.text, wild: []wildcard{w}}
	default:
		return c, fail("Unrecognized match type " + name)
	}
	return c, onlyKey(obj, oneKey)
}

func compilePrefixSuffix(name string, obj, val *node) (cond, error) {
	plain, fold, title := opPrefix, opPrefixFold, "Prefix"
	if name == "suffix" {
		plain, fold, title = opSuffix, opSuffixFold, "Suffix"
	}
	if val.kind == kindObject {
		if len(val.keys) == 0 {
			return cond{}, fail(title + " expression name not found")
		}
		if val.keys[0] != "equals-ignore-case" {
			return cond{}, fail("Unsupported " + name + " pattern: " + val.keys[0])
		}
		if val.vals[0].kind != kindString {
			return cond{}, fail("equals-ignore-case match pattern must be a string")
		}
		if err := onlyKey(val, oneKey); err != nil {
			return cond{}, err
		}
		if err := onlyKey(obj, oneKey); err != nil {
			return cond{}, err
		}
		return cond{op: fold, str: val.vals[0].text}, nil
	}
	if val.kind != kindString {
		return cond{}, fail(name + " match pattern must be a string")
	}
	return cond{op: plain, str: val.text}, nil
}

// tokenText is how Jackson shows a token in error messages; end stands
// for the closing bracket of the enclosing array.
func tokenText(elems []*node, i int) string {
	if i >= len(elems) {
		return "]"
	}
	switch n := elems[i]; n.kind {
	case kindObject:
		return "{"
	case kindArray:
		return "["
	default:
		return n.text
	}
}

func isNumber(elems []*node, i int) bool {
	return i < len(elems) && elems[i].kind == kindNumber
}

// compileNumeric compiles the array of a numeric condition, checking it in
// the order EventBridge does so that the first problem is the one reported.
func compileNumeric(e []*node) (cond, error) {
	if len(e) == 0 || e[0].kind != kindString {
		return cond{}, fail("Invalid member in numeric match: " + tokenText(e, 0))
	}
	operator := e[0].text
	valueOf := func(op string) string {
		if op == "=" {
			op = "equals"
		}
		return "Value of " + op + " must be numeric"
	}
	full := numRange{lo: -maxFloat, hi: maxFloat}
	switch operator {
	case "=":
		if !isNumber(e, 1) {
			return cond{}, fail(valueOf(operator))
		}
		if len(e) > 2 {
			return cond{}, fail(tooManyElems)
		}
		f, err := comparableOrFail(e[1].text)
		if err != nil {
			return cond{}, err
		}
		return cond{op: opNumeric, rng: numRange{lo: f, hi: f}}, nil
	case ">", ">=":
		if !isNumber(e, 1) {
			return cond{}, fail(valueOf(operator))
		}
		r := full
		r.loOpen = operator == ">"
		if len(e) == 2 {
			f, err := comparableOrFail(e[1].text)
			r.lo = f
			return cond{op: opNumeric, rng: r}, err
		}
		if e[2].kind != kindString {
			return cond{}, fail("Bad value in numeric range: " + tokenText(e, 2))
		}
		top := e[2].text
		if top != "<" && top != "<=" {
			return cond{}, fail("Bad numeric range operator: " + top)
		}
		if !isNumber(e, 3) {
			return cond{}, fail(valueOf(top))
		}
		if len(e) > 4 {
			return cond{}, fail("Too many terms in numeric range expression")
		}
		var err error
		if r.lo, err = comparableOrFail(e[1].text); err != nil {
			return cond{}, err
		}
		if r.hi, err = comparableOrFail(e[3].text); err != nil {
			return cond{}, err
		}
		r.hiOpen = top == "<"
		if r.lo >= r.hi {
			return cond{}, fail("Bottom must be less than top")
		}
		return cond{op: opNumeric, rng: r}, nil
	case "<", "<=":
		if !isNumber(e, 1) {
			return cond{}, fail(valueOf(operator))
		}
		if len(e) > 2 {
			return cond{}, fail(tooManyElems)
		}
		f, err := comparableOrFail(e[1].text)
		r := full
		r.hi, r.hiOpen = f, operator == "<"
		return cond{op: opNumeric, rng: r}, err
	default:
		return cond{}, fail("Unrecognized numeric range operator: " + operator)
	}
}

const maxFloat = 1.7976931348623157e308

func comparableOrFail(lit string) (float64, error) {
	f, ok := comparable(lit)
	if !ok {
		return 0, fail("Cannot compare number : " + lit)
	}
	return f, nil
}

const abValue = "Value of anything-but must be an array or single string/number value."

// compileAnythingBut compiles {"anything-but": ...} in all its forms.
func compileAnythingBut(obj, val *node) (cond, error) {
	inner := op(0)
	holder := obj // the object whose extra members are an error
	if val.kind == kindObject {
		if len(val.keys) == 0 {
			return cond{}, fail("Anything-But expression name not found")
		}
		switch val.keys[0] {
		case "equals-ignore-case":
			inner = opNotFold
		case "prefix":
			inner = opNotPrefix
		case "suffix":
			inner = opNotSuffix
		case "wildcard":
			inner = opNotWildcard
		default:
			return cond{}, fail("Unsupported anything-but pattern: " + val.keys[0])
		}
		holder = val
		val = val.vals[0]
	}
	if val.kind != kindArray && val.kind != kindString && val.kind != kindNumber {
		return cond{}, fail(abValue)
	}
	elems := []*node{val}
	if val.kind == kindArray {
		elems = val.elems
	}
	var c cond
	var err error
	if inner == 0 {
		c, err = compileNotValues(elems, val.kind == kindArray)
	} else {
		c, err = compileNotSet(inner, elems)
	}
	if err != nil {
		return c, err
	}
	if err := onlyKey(holder, tooManyElems); err != nil {
		return c, err
	}
	return c, onlyKey(obj, tooManyElems)
}

// compileNotValues compiles anything-but with plain strings or numbers.
func compileNotValues(elems []*node, list bool) (cond, error) {
	var strs []string
	var nums []float64
	for _, e := range elems {
		switch e.kind {
		case kindString:
			strs = append(strs, e.text)
		case kindNumber:
			f, err := comparableOrFail(e.text)
			if err != nil {
				return cond{}, err
			}
			nums = append(nums, f)
		default:
			return cond{}, fail("Inside anything but list, start|null|boolean is not supported.")
		}
	}
	if list && (len(strs) > 0) == (len(nums) > 0) {
		return cond{}, fail("Inside anything but list, either all values are number or string, mixed type is not supported")
	}
	if len(nums) > 0 {
		return cond{op: opNotNumbers, nums: nums}, nil
	}
	return cond{op: opNotStrings, strs: strs}, nil
}

// compileNotSet compiles anything-but with equals-ignore-case, prefix,
// suffix or wildcard.
func compileNotSet(inner op, elems []*node) (cond, error) {
	c := cond{op: inner}
	for _, e := range elems {
		if e.kind != kindString {
			switch inner {
			case opNotFold:
				return c, fail("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
			case opNotWildcard:
				return c, fail("wildcard match pattern must be a string")
			default:
				return c, fail("prefix/suffix match pattern must be a string")
			}
		}
		if (inner == opNotPrefix || inner == opNotSuffix) && e.text == "" {
			return c, fail("Null prefix/suffix not allowed")
		}
		c.strs = append(c.strs, e.text)
	}
	if inner == opNotWildcard {
		for _, s := range c.strs {
			w, err := parseWildcard(s)
			if err != nil {
				return c, err
			}
			c.wild = append(c.wild, w)
		}
	}
	return c, nil
}

// checkComplexity refuses patterns whose wildcards on one field could keep
// too many automaton states alive.
func checkComplexity(c *compiled) error {
	byPath := map[string][]wildcard{}
	for _, r := range c.rules {
		for _, f := range r.fields {
			for _, cd := range f.conds {
				if cd.op == opWildcard || cd.op == opNotWildcard {
					byPath[f.path] = append(byPath[f.path], cd.wild...)
				}
			}
		}
	}
	for _, ws := range byPath {
		// EventBridge measures operands as quoted strings.
		quoted := make([]wildcard, len(ws))
		for i, w := range ws {
			segs := append([]string(nil), w.segs...)
			segs[0] = `"` + segs[0]
			segs[len(segs)-1] += `"`
			quoted[i] = wildcard{segs: segs}
		}
		if wildcardComplexity(dedupWildcards(quoted), wildcardComplexityLimit+1) > wildcardComplexityLimit {
			return fail(tooComplex)
		}
	}
	return nil
}

func dedupWildcards(ws []wildcard) []wildcard {
	seen := map[string]bool{}
	var out []wildcard
	for _, w := range ws {
		k := strings.Join(w.segs, "\x00*")
		if !seen[k] {
			seen[k] = true
			out = append(out, w)
		}
	}
	return out
}
