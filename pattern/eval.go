package pattern

import (
	"errors"
	"strings"
)

// leaf is one scalar value of an event, found at a dotted path.
type leaf struct {
	path  string
	kind  kind
	text  string // string contents, number literal, or true/false/null
	num   float64
	numOK bool        // num holds the comparable value of a number
	trail []arrayStep // the array elements enclosing the value, outermost first

	pid              int32 // path id, in the machine's flattening
	vid              int32 // interned id of a string value; -1 none, -2 not yet looked up
	trailLo, trailHi int32 // trail's place in the scratch store while flattening
}

// arrayStep says a value lies in element index of the array numbered id.
type arrayStep struct{ id, index int32 }

// consistent reports whether two values could come from the same element of
// every array that encloses both, which EventBridge requires of the values
// that together satisfy one rule.
func consistent(a, b []arrayStep) bool {
	for _, x := range a {
		for _, y := range b {
			if x.id == y.id && x.index != y.index {
				return false
			}
		}
	}
	return true
}

var errNotObject = errors.New("event is not a JSON object")

// flattenEvent parses an event and lists all its scalar values.
func flattenEvent(event []byte) ([]leaf, error) {
	root, err := parseJSON(event)
	if err != nil {
		return nil, err
	}
	if root.kind != kindObject {
		return nil, errNotObject
	}
	var out []leaf
	arrays := int32(0)
	var walk func(n *node, path string, nested bool, trail []arrayStep)
	walk = func(n *node, path string, nested bool, trail []arrayStep) {
		switch n.kind {
		case kindObject:
			for i, k := range n.keys {
				walk(n.vals[i], childPath(path, nested, k), true, trail)
			}
		case kindArray:
			id := arrays
			arrays++
			for i, e := range n.elems {
				t := append(append([]arrayStep(nil), trail...), arrayStep{id, int32(i)})
				walk(e, path, nested, t)
			}
		default:
			l := leaf{path: path, kind: n.kind, text: n.text, trail: trail}
			if n.kind == kindNumber {
				l.num, l.numOK = comparable(n.text)
			}
			out = append(out, l)
		}
	}
	walk(root, "", false, nil)
	return out, nil
}

// matchValue reports whether one scalar satisfies one condition. opAbsent
// never matches a value; fields handle it.
func matchValue(c *cond, l *leaf) bool {
	isStr := l.kind == kindString
	switch c.op {
	case opString:
		return isStr && l.text == c.str
	case opIP, opCIDR:
		if !isStr {
			return false
		}
		ip := parseIP(l.text)
		return ip != nil && c.ip.contains(ip)
	case opNumber:
		if l.kind != kindNumber {
			return false
		}
		if l.numOK {
			return c.numOK && l.num == c.num
		}
		return l.text == c.str
	case opLiteral:
		return (l.kind == kindTrue || l.kind == kindFalse || l.kind == kindNull) && l.text == c.str
	case opPrefix:
		return isStr && strings.HasPrefix(l.text, c.str)
	case opSuffix:
		return isStr && strings.HasSuffix(l.text, c.str)
	case opPrefixFold:
		return isStr && foldPrefix(c.fold[0], l.text)
	case opSuffixFold:
		return isStr && foldSuffixMatch(c.fold[0], l.text)
	case opEqualsFold:
		return isStr && foldEquals(c.fold[0], l.text)
	case opWildcard:
		return isStr && c.wild[0].match(l.text)
	case opNumeric:
		return l.kind == kindNumber && l.numOK && c.rng.contains(l.num)
	case opExists:
		return true
	case opAbsent:
		return false
	case opNotStrings:
		if !isStr {
			return true
		}
		for _, s := range c.strs {
			if l.text == s {
				return false
			}
		}
		return true
	case opNotNumbers:
		if l.kind != kindNumber || !l.numOK {
			return true
		}
		for _, f := range c.nums {
			if l.num == f {
				return false
			}
		}
		return true
	case opNotPrefix, opNotSuffix:
		if !isStr {
			return true
		}
		for _, s := range c.strs {
			if c.op == opNotPrefix && strings.HasPrefix(l.text, s) || c.op == opNotSuffix && strings.HasSuffix(l.text, s) {
				return false
			}
		}
		return true
	case opNotFold:
		if !isStr {
			return true
		}
		for _, f := range c.fold {
			if foldEquals(f, l.text) {
				return false
			}
		}
		return true
	case opNotWildcard:
		if !isStr {
			return true
		}
		for _, w := range c.wild {
			if w.match(l.text) {
				return false
			}
		}
		return true
	}
	return false
}

// ruleHolds decides one rule given, for each of its fields, the event's
// values at the field's path. Each field needs a value satisfying one of
// its conditions (or, with exists:false, no value at all), and the chosen
// values must be array-consistent: of the elements of any one array, at
// most one may supply values.
func ruleHolds(r *rule, vals [][]*leaf) bool {
	if len(r.fields) > 64 {
		return ruleHoldsSlow(r, vals)
	}
	// First pass: every field must be satisfiable at all. Fields that can
	// use a value outside any array are settled, since such a value is
	// consistent with every other choice.
	arrayOnly := 0
	for i := range r.fields {
		f := &r.fields[i]
		if len(vals[i]) == 0 {
			if !hasAbsent(f) {
				return false
			}
			continue
		}
		found, free := false, false
		for _, l := range vals[i] {
			if fieldAccepts(f, l) {
				found = true
				if len(l.trail) == 0 {
					free = true
					break
				}
			}
		}
		if !found {
			return false
		}
		if !free {
			arrayOnly++
		}
	}
	if arrayOnly <= 1 {
		return true
	}
	// Second pass: choose consistently among the fields confined to arrays.
	var need uint64
	var cands []*leaf
	var bits []uint64
	var groups [][]*leaf
	space := 1
	for i := range r.fields {
		f := &r.fields[i]
		var group []*leaf
		free := false
		for _, l := range vals[i] {
			if fieldAccepts(f, l) {
				if len(l.trail) == 0 {
					free = true
					break
				}
				group = append(group, l)
			}
		}
		if free || len(group) == 0 {
			continue
		}
		need |= 1 << uint(i)
		for _, l := range group {
			cands = append(cands, l)
			bits = append(bits, 1<<uint(i))
		}
		groups = append(groups, group)
		space = min(space*len(group), 1<<20)
	}
	if space <= 4096 {
		return chooseConsistent(groups, nil)
	}
	return consistentCover(cands, bits, need)
}

// chooseConsistent tries every choice of one value per group.
func chooseConsistent(groups [][]*leaf, chosen []*leaf) bool {
	if len(groups) == 0 {
		return true
	}
	for _, l := range groups[0] {
		ok := true
		for _, c := range chosen {
			if !consistent(c.trail, l.trail) {
				ok = false
				break
			}
		}
		if ok && chooseConsistent(groups[1:], append(chosen, l)) {
			return true
		}
	}
	return false
}

func hasAbsent(f *field) bool {
	for i := range f.conds {
		if f.conds[i].op == opAbsent {
			return true
		}
	}
	return false
}

func fieldAccepts(f *field, l *leaf) bool {
	for i := range f.conds {
		if matchValue(&f.conds[i], l) {
			return true
		}
	}
	return false
}

// consistentCover reports whether values can be chosen, one per bit of
// need, that are array-consistent. It works bottom-up over the tree of
// array elements the values lie in: a set of fields achievable inside an
// element combines freely with sets achievable beside it, but the elements
// of one array are alternatives. Since dropping a choice never breaks
// consistency, only maximal sets are kept.
func consistentCover(cands []*leaf, bits []uint64, need uint64) bool {
	type key struct {
		parent int32
		step   arrayStep
	}
	type tnode struct {
		direct   uint64
		array    int32 // id of the array this element belongs to
		children []int32
	}
	nodes := []tnode{{array: -1}}
	index := map[key]int32{}
	for i, l := range cands {
		at := int32(0)
		for _, st := range l.trail {
			k := key{at, st}
			n, ok := index[k]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, tnode{array: st.id})
				nodes[at].children = append(nodes[at].children, n)
				index[k] = n
			}
			at = n
		}
		nodes[at].direct |= bits[i]
	}
	fams := make([][]uint64, len(nodes))
	// Children are created after their parents, so reverse order is bottom-up.
	for n := len(nodes) - 1; n >= 0; n-- {
		fam := []uint64{nodes[n].direct}
		// Group children by array; each group offers one element's sets.
		ch := nodes[n].children
		done := make([]bool, len(ch))
		for i := range ch {
			if done[i] {
				continue
			}
			var group []uint64
			for j := i; j < len(ch); j++ {
				if nodes[ch[j]].array == nodes[ch[i]].array {
					done[j] = true
					group = maximal(append(group, fams[ch[j]]...))
				}
			}
			var next []uint64
			for _, a := range fam {
				for _, b := range group {
					next = append(next, a|b)
				}
			}
			fam = maximal(next)
		}
		fams[n] = fam
	}
	for _, m := range fams[0] {
		if m&need == need {
			return true
		}
	}
	return false
}

// maximal drops masks contained in others, and duplicates.
func maximal(ms []uint64) []uint64 {
	out := ms[:0:0]
	for i, a := range ms {
		keep := true
		for j, b := range ms {
			if i != j && a|b == b && (a != b || j < i) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, a)
		}
	}
	return out
}

// ruleHoldsSlow is ruleHolds by backtracking, for rules too wide for masks.
func ruleHoldsSlow(r *rule, vals [][]*leaf) bool {
	chosen := make([]*leaf, 0, len(r.fields))
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(r.fields) {
			return true
		}
		f := &r.fields[i]
		if len(vals[i]) == 0 {
			return hasAbsent(f) && try(i+1)
		}
		for _, l := range vals[i] {
			ok := fieldAccepts(f, l)
			for _, prev := range chosen {
				ok = ok && consistent(prev.trail, l.trail)
			}
			if !ok {
				continue
			}
			chosen = append(chosen, l)
			if try(i + 1) {
				return true
			}
			chosen = chosen[:len(chosen)-1]
		}
		return false
	}
	return try(0)
}

// evalPattern reports whether a compiled pattern matches a flattened event.
func evalPattern(c *compiled, leaves []leaf) bool {
	byPath := make(map[string][]*leaf, len(leaves))
	for i := range leaves {
		l := &leaves[i]
		byPath[l.path] = append(byPath[l.path], l)
	}
	for i := range c.rules {
		r := &c.rules[i]
		vals := make([][]*leaf, len(r.fields))
		for j := range r.fields {
			vals[j] = byPath[r.fields[j].path]
		}
		if ruleHolds(r, vals) {
			return true
		}
	}
	return false
}
