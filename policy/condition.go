package policy

import (
	"encoding/base64"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition is one condition key test of a statement's Condition block: an
// operator, a key and the values listed for it.
type Condition struct {
	Operator string   // as written, such as "ForAnyValue:StringLikeIfExists"
	Key      string   // as written
	Values   []string // as written; JSON numbers and booleans as their text
	Span     Span     // the key and its values

	op       opInfo
	set      setQualifier
	ifExists bool
	key      string // lower case
	vals     []condValue
}

type family uint8

const (
	famString family = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

type cmpKind uint8

const (
	cmpEq cmpKind = iota
	cmpFold
	cmpLike
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

type opInfo struct {
	name    string // canonical name
	fam     family
	cmp     cmpKind
	negated bool
}

var operators = func() map[string]opInfo {
	list := []opInfo{
		{"StringEquals", famString, cmpEq, false},
		{"StringNotEquals", famString, cmpEq, true},
		{"StringEqualsIgnoreCase", famString, cmpFold, false},
		{"StringNotEqualsIgnoreCase", famString, cmpFold, true},
		{"StringLike", famString, cmpLike, false},
		{"StringNotLike", famString, cmpLike, true},
		{"NumericEquals", famNumeric, cmpEq, false},
		{"NumericNotEquals", famNumeric, cmpEq, true},
		{"NumericLessThan", famNumeric, cmpLT, false},
		{"NumericLessThanEquals", famNumeric, cmpLE, false},
		{"NumericGreaterThan", famNumeric, cmpGT, false},
		{"NumericGreaterThanEquals", famNumeric, cmpGE, false},
		{"DateEquals", famDate, cmpEq, false},
		{"DateNotEquals", famDate, cmpEq, true},
		{"DateLessThan", famDate, cmpLT, false},
		{"DateLessThanEquals", famDate, cmpLE, false},
		{"DateGreaterThan", famDate, cmpGT, false},
		{"DateGreaterThanEquals", famDate, cmpGE, false},
		{"Bool", famBool, cmpEq, false},
		{"BinaryEquals", famBinary, cmpEq, false},
		{"IpAddress", famIP, cmpEq, false},
		{"NotIpAddress", famIP, cmpEq, true},
		{"ArnEquals", famARN, cmpLike, false},
		{"ArnLike", famARN, cmpLike, false},
		{"ArnNotEquals", famARN, cmpLike, true},
		{"ArnNotLike", famARN, cmpLike, true},
		{"Null", famNull, cmpEq, false},
	}
	m := make(map[string]opInfo, len(list))
	for _, o := range list {
		m[strings.ToLower(o.name)] = o
	}
	return m
}()

type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAll
	setForAny
)

// parseOperator splits an operator such as "ForAllValues:StringLikeIfExists".
// Operator names are matched without regard to case.
func parseOperator(s string) (op opInfo, set setQualifier, ifExists bool, msg string) {
	rest := s
	if q, base, ok := strings.Cut(s, ":"); ok {
		switch strings.ToLower(q) {
		case "forallvalues":
			set = setForAll
		case "foranyvalue":
			set = setForAny
		default:
			return op, set, false, "unknown set operator " + strconv.Quote(q)
		}
		rest = base
	}
	lower := strings.ToLower(rest)
	if strings.HasSuffix(lower, "ifexists") {
		ifExists = true
		lower = strings.TrimSuffix(lower, "ifexists")
	}
	op, ok := operators[lower]
	if !ok {
		return op, set, ifExists, "unknown condition operator " + strconv.Quote(s)
	}
	if op.fam == famNull && ifExists {
		return op, set, ifExists, "the Null operator cannot take the IfExists suffix"
	}
	return op, set, ifExists, ""
}

// condValue is a policy value compiled for its operator family.
type condValue struct {
	pat    *pattern // string, ARN and Bool families (the ones that take variables)
	num    *big.Rat
	t      time.Time
	bin    []byte
	prefix netip.Prefix
	null   int8 // Null: 1 for "true", 0 for "false", -1 otherwise
	ok     bool // the value is valid for the operator; invalid values match nothing
}

func compileCondValue(op opInfo, v string, vars bool) condValue {
	switch op.fam {
	case famString:
		return condValue{pat: compilePattern(v, vars, op.cmp == cmpLike), ok: true}
	case famARN:
		return condValue{pat: compilePattern(v, vars, true), ok: true}
	case famBool:
		return condValue{pat: compilePattern(v, vars, false), ok: true}
	case famNumeric:
		n, ok := parseNumber(v)
		return condValue{num: n, ok: ok}
	case famDate:
		t, ok := parseDate(v)
		return condValue{t: t, ok: ok}
	case famBinary:
		b, err := base64.StdEncoding.DecodeString(v)
		return condValue{bin: b, ok: err == nil}
	case famIP:
		p, ok := parseCIDR(v)
		return condValue{prefix: p, ok: ok}
	default: // Null
		switch strings.ToLower(v) {
		case "true":
			return condValue{null: 1, ok: true}
		case "false":
			return condValue{null: 0, ok: true}
		}
		return condValue{null: -1}
	}
}

// eval evaluates the condition. Keys absent from ctx (and variables without
// values) are appended to missing when it is not nil.
func (c *Condition) eval(ctx Context, missing *[]string) bool {
	vals, present := ctx[c.key]
	if !present && missing != nil {
		*missing = append(*missing, c.Key)
	}
	if c.op.fam == famNull {
		switch c.set {
		case setForAll:
			return true
		case setForAny:
			return false
		}
		absent := len(vals) == 0
		for i := range c.vals {
			if v := c.vals[i]; v.ok && (v.null == 1) == absent {
				return true
			}
		}
		return false
	}
	if len(vals) == 0 {
		// A missing key, or an empty set: "null" in AWS's words.
		switch c.set {
		case setForAll:
			return true
		case setForAny:
			return c.ifExists
		}
		return c.ifExists || c.op.negated
	}
	switch c.set {
	case setForAll:
		for _, v := range vals {
			if !c.test(v, ctx, missing) {
				return false
			}
		}
		return true
	case setForAny:
		for _, v := range vals {
			if c.test(v, ctx, missing) {
				return true
			}
		}
		return false
	}
	if len(vals) > 1 {
		// A multivalued key without ForAllValues or ForAnyValue matches
		// nothing, whatever the operator.
		return false
	}
	return c.test(vals[0], ctx, missing)
}

// test applies the operator to one request value: OR across the policy
// values, NOR for negated operators. A policy value whose variable has no
// value matches nothing, and AWS says that such an attempt to match makes
// the statement invalid, so it also makes a negated operator false: a
// missing value never makes a statement apply.
func (c *Condition) test(v string, ctx Context, missing *[]string) bool {
	for i := range c.vals {
		pv := &c.vals[i]
		if c.op.negated && pv.pat != nil && !pv.pat.resolvable(ctx) {
			noteUnresolved(pv.pat, ctx, missing)
			return false
		}
		if c.match(pv, v, ctx, missing) {
			return !c.op.negated
		}
	}
	return c.op.negated
}

func (c *Condition) match(pv *condValue, v string, ctx Context, missing *[]string) bool {
	if !pv.ok {
		return false
	}
	switch c.op.fam {
	case famString:
		segs, ok := pv.pat.resolve(ctx)
		if !ok {
			noteUnresolved(pv.pat, ctx, missing)
			return false
		}
		switch c.op.cmp {
		case cmpLike:
			return globMatch(segs, v, false)
		case cmpFold:
			return strings.EqualFold(joinSegs(segs), v)
		default:
			return segsEqual(segs, v)
		}
	case famARN:
		if !arnMatch(pv.pat, v, ctx) {
			noteUnresolved(pv.pat, ctx, missing)
			return false
		}
		return true
	case famBool:
		segs, ok := pv.pat.resolve(ctx)
		if !ok {
			noteUnresolved(pv.pat, ctx, missing)
			return false
		}
		want, ok1 := parseBool(joinSegs(segs))
		got, ok2 := parseBool(v)
		return ok1 && ok2 && want == got
	case famNumeric:
		n, ok := parseNumber(v)
		return ok && compare(n.Cmp(pv.num), c.op.cmp)
	case famDate:
		t, ok := parseDate(v)
		return ok && compare(t.Compare(pv.t), c.op.cmp)
	case famBinary:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			b = []byte(v)
		}
		return string(b) == string(pv.bin)
	case famIP:
		a, err := netip.ParseAddr(v)
		return err == nil && pv.prefix.Contains(a.Unmap())
	}
	return false
}

func noteUnresolved(p *pattern, ctx Context, missing *[]string) {
	if missing == nil || !p.hasVars {
		return
	}
	for _, s := range p.segs {
		if s.kind == segVar && !s.hasDef {
			if _, ok := ctx.single(s.text); !ok {
				*missing = append(*missing, s.text)
			}
		}
	}
}

// compare turns a three-way comparison of request value to policy value into
// the operator's answer.
func compare(c int, k cmpKind) bool {
	switch k {
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	case cmpGE:
		return c >= 0
	default:
		return c == 0
	}
}

func joinSegs(segs []segment) string {
	if len(segs) == 1 {
		return segs[0].text
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.text)
	}
	return b.String()
}

// segsEqual compares literal segments with v without joining them.
func segsEqual(segs []segment, v string) bool {
	for _, s := range segs {
		if !strings.HasPrefix(v, s.text) {
			return false
		}
		v = v[len(s.text):]
	}
	return v == ""
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseNumber reads an integer or decimal exactly, so that comparisons of
// large integers do not lose precision.
func parseNumber(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 100 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return nil, false
		}
	}
	if strings.ContainsAny(s, "eE") {
		// Exponents are legal JSON numbers but could ask for huge values.
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, false
		}
		r := new(big.Rat)
		if r.SetFloat64(f) == nil {
			return nil, false
		}
		return r, true
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// dateLayouts are the W3C profile of ISO 8601 that AWS accepts, plus a few
// common variants.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseDate reads an ISO 8601 date or time, or epoch seconds.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	if isDigits(s) && len(s) != 4 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.Contains(s, ".") {
		if f < 0 || f > 1<<40 {
			return time.Time{}, false
		}
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	// AWS is not particular about case: "2020-01-01t00:00:00z".
	if u := strings.ToUpper(s); u != s {
		return parseDate(u)
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseCIDR reads an address range; a bare address means /32 or /128.
func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
