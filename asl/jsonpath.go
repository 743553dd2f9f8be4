package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// A path is a compiled JSONPath expression in the dialect Step Functions
// accepts (Jayway's): dot and bracket children, quoted keys, indexes,
// slices, unions, wildcards, deep scan, filters and a trailing length().
type path struct {
	src   string
	root  rootKind
	name  string // variable name for rootVar
	steps []pathStep
	fn    string // trailing function such as "length"
}

type rootKind int

const (
	rootInput   rootKind = iota // $
	rootContext                 // $$
	rootVar                     // $name
)

type stepKind int

const (
	stepChild    stepKind = iota // one or more names
	stepIndex                    // one or more indexes
	stepWildcard                 // * over objects and arrays
	stepSlice
	stepFilter
)

type pathStep struct {
	kind    stepKind
	deep    bool // preceded by ".."
	names   []string
	indexes []int
	slice   [3]*int
	filter  filterExpr
}

// definite reports whether the path selects at most one node.
func (p *path) definite() bool {
	for _, s := range p.steps {
		if s.deep || s.kind == stepWildcard || s.kind == stepSlice || s.kind == stepFilter {
			return false
		}
		if len(s.names) > 1 || len(s.indexes) > 1 {
			return false
		}
	}
	return true
}

// normalized renders the path the way Jayway reports it in errors,
// e.g. $['detail']['items'][0].
func (p *path) normalized() string {
	var b strings.Builder
	switch p.root {
	case rootContext:
		b.WriteString("$$")
	case rootVar:
		b.WriteString("$" + p.name)
	default:
		b.WriteString("$")
	}
	for _, s := range p.steps {
		if s.deep {
			b.WriteString("..")
		}
		switch s.kind {
		case stepChild:
			q := make([]string, len(s.names))
			for i, n := range s.names {
				q[i] = quoteSingle(n)
			}
			b.WriteString("[" + strings.Join(q, ",") + "]")
		case stepIndex:
			q := make([]string, len(s.indexes))
			for i, n := range s.indexes {
				q[i] = strconv.Itoa(n)
			}
			b.WriteString("[" + strings.Join(q, ",") + "]")
		case stepWildcard:
			b.WriteString("[*]")
		case stepSlice:
			b.WriteString("[")
			for i, x := range s.slice[:2] {
				if i > 0 {
					b.WriteString(":")
				}
				if x != nil {
					b.WriteString(strconv.Itoa(*x))
				}
			}
			b.WriteString("]")
		case stepFilter:
			b.WriteString("[?]")
		}
	}
	if p.fn != "" {
		b.WriteString("." + p.fn + "()")
	}
	return b.String()
}

// parsePath compiles a JSONPath. Variables ($name) are accepted only when
// allowVars is set.
func parsePath(src string) (*path, error) {
	p := &path{src: src}
	s := strings.TrimSpace(src)
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("path must start with '$'")
	}
	i := 1
	switch {
	case strings.HasPrefix(s, "$$"):
		p.root = rootContext
		i = 2
	case len(s) > 1 && isIdentStart(s[1]):
		j := 1
		for j < len(s) && isIdentChar(s[j]) {
			j++
		}
		p.root = rootVar
		p.name = s[1:j]
		i = j
	}
	pp := &pathParser{s: s, i: i}
	steps, fn, err := pp.steps()
	if err != nil {
		return nil, err
	}
	p.steps, p.fn = steps, fn
	return p, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

type pathParser struct {
	s string
	i int
}

func (pp *pathParser) errf(format string, a ...any) error {
	return fmt.Errorf("invalid JSONPath %q at offset %d: %s", pp.s, pp.i, fmt.Sprintf(format, a...))
}

var pathFuncs = map[string]bool{"length": true, "min": true, "max": true, "avg": true, "sum": true, "size": true, "keys": true}

func (pp *pathParser) steps() ([]pathStep, string, error) {
	var steps []pathStep
	for pp.i < len(pp.s) {
		c := pp.s[pp.i]
		switch {
		case c == '.':
			deep := strings.HasPrefix(pp.s[pp.i:], "..")
			if deep {
				pp.i += 2
			} else {
				pp.i++
			}
			if pp.i >= len(pp.s) {
				return nil, "", pp.errf("path ends with '.'")
			}
			if pp.s[pp.i] == '[' {
				if !deep {
					return nil, "", pp.errf("unexpected '['")
				}
				st, err := pp.bracket()
				if err != nil {
					return nil, "", err
				}
				st.deep = true
				steps = append(steps, st)
				continue
			}
			if pp.s[pp.i] == '*' {
				pp.i++
				steps = append(steps, pathStep{kind: stepWildcard, deep: deep})
				continue
			}
			j := pp.i
			for j < len(pp.s) && pp.s[j] != '.' && pp.s[j] != '[' {
				j++
			}
			name := pp.s[pp.i:j]
			if strings.TrimSpace(name) == "" || strings.ContainsAny(name, "]'\"") && !strings.HasSuffix(name, "()") {
				return nil, "", pp.errf("invalid property name %q", name)
			}
			pp.i = j
			if fn, ok := strings.CutSuffix(name, "()"); ok && !deep && pp.i == len(pp.s) && pathFuncs[fn] {
				return steps, fn, nil
			}
			steps = append(steps, pathStep{kind: stepChild, deep: deep, names: []string{name}})
		case c == '[':
			st, err := pp.bracket()
			if err != nil {
				return nil, "", err
			}
			steps = append(steps, st)
		default:
			return nil, "", pp.errf("unexpected character %q", c)
		}
	}
	return steps, "", nil
}

// bracket parses [...] starting at '['.
func (pp *pathParser) bracket() (pathStep, error) {
	pp.i++ // '['
	pp.skipSpace()
	if pp.i >= len(pp.s) {
		return pathStep{}, pp.errf("unterminated '['")
	}
	switch c := pp.s[pp.i]; {
	case c == '*':
		pp.i++
		return pathStep{kind: stepWildcard}, pp.close()
	case c == '?':
		pp.i++
		pp.skipSpace()
		if pp.i >= len(pp.s) || pp.s[pp.i] != '(' {
			return pathStep{}, pp.errf("filter must be '?(...)'")
		}
		end := matchParen(pp.s, pp.i)
		if end < 0 {
			return pathStep{}, pp.errf("unterminated filter")
		}
		f, err := parseFilter(pp.s[pp.i+1 : end])
		if err != nil {
			return pathStep{}, fmt.Errorf("invalid JSONPath %q: %w", pp.s, err)
		}
		pp.i = end + 1
		return pathStep{kind: stepFilter, filter: f}, pp.close()
	case c == '\'' || c == '"':
		var names []string
		for {
			pp.skipSpace()
			name, err := pp.quoted()
			if err != nil {
				return pathStep{}, err
			}
			names = append(names, name)
			pp.skipSpace()
			if pp.i < len(pp.s) && pp.s[pp.i] == ',' {
				pp.i++
				continue
			}
			return pathStep{kind: stepChild, names: names}, pp.close()
		}
	default:
		return pp.indexes()
	}
}

func (pp *pathParser) indexes() (pathStep, error) {
	j := strings.IndexByte(pp.s[pp.i:], ']')
	if j < 0 {
		return pathStep{}, pp.errf("unterminated '['")
	}
	body := strings.TrimSpace(pp.s[pp.i : pp.i+j])
	pp.i += j + 1
	if strings.Contains(body, ":") {
		parts := strings.Split(body, ":")
		if len(parts) > 3 {
			return pathStep{}, pp.errf("bad slice %q", body)
		}
		var st pathStep
		st.kind = stepSlice
		for k, part := range parts {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil {
				return pathStep{}, pp.errf("bad slice %q", body)
			}
			st.slice[k] = &n
		}
		return st, nil
	}
	var idx []int
	for _, part := range strings.Split(body, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return pathStep{}, pp.errf("bad index %q", body)
		}
		idx = append(idx, n)
	}
	return pathStep{kind: stepIndex, indexes: idx}, nil
}

func (pp *pathParser) quoted() (string, error) {
	if pp.i >= len(pp.s) || pp.s[pp.i] != '\'' && pp.s[pp.i] != '"' {
		return "", pp.errf("expected quoted name")
	}
	q := pp.s[pp.i]
	pp.i++
	var b strings.Builder
	for pp.i < len(pp.s) {
		c := pp.s[pp.i]
		if c == '\\' && pp.i+1 < len(pp.s) && pp.s[pp.i+1] == q {
			// Only the quote itself is escaped; other backslashes
			// are part of the key, as in Jayway.
			b.WriteByte(q)
			pp.i += 2
			continue
		}
		if c == q {
			pp.i++
			return b.String(), nil
		}
		b.WriteByte(c)
		pp.i++
	}
	return "", pp.errf("unterminated quoted name")
}

func (pp *pathParser) close() error {
	pp.skipSpace()
	if pp.i >= len(pp.s) || pp.s[pp.i] != ']' {
		return pp.errf("expected ']'")
	}
	pp.i++
	return nil
}

func (pp *pathParser) skipSpace() {
	for pp.i < len(pp.s) && pp.s[pp.i] == ' ' {
		pp.i++
	}
}

// matchParen returns the index of the ')' matching the '(' at open,
// skipping quoted text, or -1.
func matchParen(s string, open int) int {
	depth := 0
	var quote byte
	for i := open; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// eval applies the path to root. For a definite path it returns the one
// value and whether it exists; for an indefinite path it returns the
// array of matches (possibly empty) and true.
func (p *path) eval(root any) (any, bool) {
	nodes := []any{root}
	for _, s := range p.steps {
		nodes = applyStep(s, nodes, root)
		if len(nodes) == 0 && p.definite() {
			return nil, false
		}
	}
	var out any
	if p.definite() {
		if len(nodes) == 0 {
			return nil, false
		}
		out = nodes[0]
	} else {
		if nodes == nil {
			nodes = []any{}
		}
		out = nodes
	}
	if p.fn != "" {
		return applyPathFunc(p.fn, out)
	}
	return out, true
}

func applyStep(s pathStep, nodes []any, root any) []any {
	if s.deep {
		var all []any
		for _, n := range nodes {
			all = collectDeep(n, all)
		}
		nodes = all
	}
	var out []any
	for _, n := range nodes {
		switch s.kind {
		case stepChild:
			m, ok := n.(map[string]any)
			if !ok {
				continue
			}
			for _, name := range s.names {
				if v, ok := m[name]; ok {
					out = append(out, v)
				}
			}
		case stepIndex:
			a, ok := n.([]any)
			if !ok {
				continue
			}
			for _, i := range s.indexes {
				if i < 0 {
					i += len(a)
				}
				if i >= 0 && i < len(a) {
					out = append(out, a[i])
				}
			}
		case stepWildcard:
			out = append(out, children(n)...)
		case stepSlice:
			a, ok := n.([]any)
			if !ok {
				continue
			}
			out = append(out, sliceOf(a, s.slice)...)
		case stepFilter:
			for _, c := range children(n) {
				if s.filter.test(c, root) {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// children lists the members of an object (in key order) or array.
func children(n any) []any {
	switch t := n.(type) {
	case map[string]any:
		out := make([]any, 0, len(t))
		for _, k := range sortedKeys(t) {
			out = append(out, t[k])
		}
		return out
	case []any:
		return t
	}
	return nil
}

// collectDeep appends n and all its descendants, parents first.
func collectDeep(n any, acc []any) []any {
	acc = append(acc, n)
	for _, c := range children(n) {
		acc = collectDeep(c, acc)
	}
	return acc
}

func sliceOf(a []any, sl [3]*int) []any {
	n := len(a)
	step := 1
	if sl[2] != nil {
		step = *sl[2]
	}
	if step <= 0 {
		return nil
	}
	start, end := 0, n
	if sl[0] != nil {
		start = *sl[0]
	}
	if sl[1] != nil {
		end = *sl[1]
	}
	if start < 0 {
		start = max(0, start+n)
	}
	if end < 0 {
		end = max(0, end+n)
	}
	end = min(end, n)
	var out []any
	for i := start; i < end; i += step {
		out = append(out, a[i])
	}
	return out
}

func applyPathFunc(fn string, v any) (any, bool) {
	switch fn {
	case "length", "size":
		switch t := v.(type) {
		case []any:
			return intNumber(int64(len(t))), true
		case map[string]any:
			return intNumber(int64(len(t))), true
		case string:
			return intNumber(int64(len([]rune(t)))), true
		}
		return nil, false
	case "keys":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		out := []any{}
		for _, k := range sortedKeys(m) {
			out = append(out, k)
		}
		return out, true
	}
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		return nil, false
	}
	var sum float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range a {
		f, ok := toFloat(x)
		if !ok {
			return nil, false
		}
		sum += f
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	switch fn {
	case "min":
		return floatNumber(lo), true
	case "max":
		return floatNumber(hi), true
	case "sum":
		return floatNumber(sum), true
	case "avg":
		return json.Number(strconv.FormatFloat(sum/float64(len(a)), 'f', -1, 64)), true
	}
	return nil, false
}

// A filterExpr is the body of [?(...)].
type filterExpr interface {
	test(node, root any) bool
}

type filterAnd struct{ l, r filterExpr }
type filterOr struct{ l, r filterExpr }
type filterNot struct{ x filterExpr }
type filterCmp struct {
	l, r operand
	op   string // "" means existence/truthiness of l
}

func (f filterAnd) test(n, r any) bool { return f.l.test(n, r) && f.r.test(n, r) }
func (f filterOr) test(n, r any) bool  { return f.l.test(n, r) || f.r.test(n, r) }
func (f filterNot) test(n, r any) bool { return !f.x.test(n, r) }

type operand struct {
	path  *path // relative (@) when rel
	rel   bool
	lit   any
	isLit bool
	re    *regexp.Regexp
}

func (o operand) value(node, root any) (any, bool) {
	switch {
	case o.isLit:
		return o.lit, true
	case o.path != nil && o.rel:
		return o.path.eval(node)
	case o.path != nil:
		return o.path.eval(root)
	}
	return nil, false
}

func (f filterCmp) test(node, root any) bool {
	lv, lok := f.l.value(node, root)
	if f.op == "" {
		if !lok {
			return false
		}
		if b, ok := lv.(bool); ok && f.l.isLit {
			return b
		}
		return true
	}
	if f.op == "=~" {
		s, ok := lv.(string)
		return lok && ok && f.r.re != nil && f.r.re.MatchString(s)
	}
	rv, rok := f.r.value(node, root)
	if !lok || !rok {
		return f.op == "!=" && lok != rok
	}
	switch f.op {
	case "==":
		return jsonEqual(lv, rv)
	case "!=":
		return !jsonEqual(lv, rv)
	case "in", "nin":
		a, ok := rv.([]any)
		found := false
		for _, x := range a {
			if jsonEqual(lv, x) {
				found = true
			}
		}
		return ok && found == (f.op == "in")
	}
	c, ok := compareOrdered(lv, rv)
	if !ok {
		return false
	}
	switch f.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// compareOrdered compares two numbers or two strings.
func compareOrdered(a, b any) (int, bool) {
	if x, ok := toFloat(a); ok {
		y, ok := toFloat(b)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	return strings.Compare(x, y), true
}
