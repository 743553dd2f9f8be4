package pattern

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// wildcard is a parsed wildcard operand: literal segments separated by '*'.
// "a*b" is {"a", "b"}; "*" is {"", ""}; a pattern without stars has one segment.
type wildcard struct {
	segs []string
}

// parseWildcard parses a wildcard operand. EventBridge reports error
// positions as byte offsets into the operand wrapped in double quotes, so
// offsets here are one more than in the operand itself.
func parseWildcard(s string) (wildcard, error) {
	var w wildcard
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return w, fail("Consecutive wildcard characters at pos " + strconv.Itoa(i+1))
			}
			w.segs = append(w.segs, cur.String())
			cur.Reset()
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\') {
				cur.WriteByte(s[i+1])
				i++
				continue
			}
			return w, fail("Invalid escape character at pos " + strconv.Itoa(i+1))
		default:
			cur.WriteByte(c)
		}
	}
	w.segs = append(w.segs, cur.String())
	return w, nil
}

// match reports whether s matches the whole wildcard.
func (w wildcard) match(s string) bool {
	segs := w.segs
	if len(segs) == 1 {
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	// Leftmost placement of each middle segment is optimal: it leaves the
	// most room for the rest.
	mid := s[len(first) : len(s)-len(last)]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(mid, seg)
		if i < 0 {
			return false
		}
		mid = mid[i+len(seg):]
	}
	return true
}

// wildcardComplexityLimit is the most NFA states that wildcard operands on
// one field may keep alive at once on some input before EventBridge refuses
// the rule as too complex.
const wildcardComplexityLimit = 10

const tooComplex = "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"

// wildcardComplexity returns the largest number of automaton states that
// the given wildcard operands can occupy simultaneously, over all inputs,
// giving up (and returning limit) once it reaches limit or has explored
// many state sets.
func wildcardComplexity(ws []wildcard, limit int) int {
	// Lay the operands out as one array of positions. A position holds a
	// literal byte or a star (which loops on any byte); the position after
	// an operand's last is its end, which holds nothing.
	const end, star = -2, -1
	var tok []int
	for _, w := range ws {
		for i, seg := range w.segs {
			if i > 0 {
				tok = append(tok, star)
			}
			for j := 0; j < len(seg); j++ {
				tok = append(tok, int(seg[j]))
			}
		}
		tok = append(tok, end)
	}
	// add puts p and the positions reachable from it by skipping stars.
	add := func(set []int32, p int) []int32 {
		for {
			set = append(set, int32(p))
			if tok[p] != star {
				return set
			}
			p++
		}
	}
	norm := func(set []int32) []int32 {
		sort.Slice(set, func(i, j int) bool { return set[i] < set[j] })
		out := set[:0]
		for i, p := range set {
			if i == 0 || p != set[i-1] {
				out = append(out, p)
			}
		}
		return out
	}
	key := func(set []int32) string {
		b := make([]byte, 0, 4*len(set))
		for _, p := range set {
			b = append(b, byte(p), byte(p>>8), byte(p>>16), byte(p>>24))
		}
		return string(b)
	}
	var start []int32
	for p := 0; p < len(tok); p++ {
		if p == 0 || tok[p-1] == end {
			start = add(start, p)
		}
	}
	start = norm(start)
	seen := map[string]bool{key(start): true}
	queue := [][]int32{start}
	best := 0
	for len(queue) > 0 {
		if len(seen) > 1000 {
			return limit
		}
		cur := queue[0]
		queue = queue[1:]
		live := 0
		for _, p := range cur {
			if tok[p] != end {
				live++
			}
		}
		best = max(best, live)
		if best >= limit {
			return limit
		}
		// Only bytes some position in the set names lead anywhere new;
		// -3 stands for all the others.
		letters := []int{-3}
		for _, p := range cur {
			if t := tok[p]; t >= 0 && !slices.Contains(letters, t) {
				letters = append(letters, t)
			}
		}
		for _, b := range letters {
			var next []int32
			for _, p := range cur {
				switch t := tok[p]; {
				case t == star:
					next = add(next, int(p))
				case t == b:
					next = add(next, int(p)+1)
				}
			}
			if len(next) == 0 {
				continue
			}
			next = norm(next)
			if k := key(next); !seen[k] {
				seen[k] = true
				queue = append(queue, next)
			}
		}
	}
	return best
}
