package pattern

import (
	"net/netip"
	"sort"
)

// valueIndex finds, for one event value, the next states of a step whose
// conditions the value satisfies. Exact, prefix, suffix and ASCII
// case-insensitive operands are hashed; the rest are checked one by one,
// after a prefix or suffix prefilter where a wildcard has literal ends.
type valueIndex struct {
	exact   map[int32][]*state // by interned value, see machine.values
	lits    map[string][]*state
	numEq   map[float64][]*state
	numRaw  map[string][]*state
	prefix  affixIndex[*state]
	suffix  affixIndex[*state]
	foldEq  map[string][]*state
	foldPre affixIndex[*state]
	foldSuf affixIndex[*state]
	wildPre affixIndex[condEdge]
	wildSuf affixIndex[condEdge]
	ips     []condEdge
	ranges  []condEdge // sorted by lower bound
	scan    []condEdge // checked with matchValue
	any     []*state
}

type condEdge struct {
	c    *cond
	next *state
}

// affixIndex holds operands by value and remembers their distinct lengths,
// so a value's candidates are found with one lookup per length.
type affixIndex[T any] struct {
	lens []int
	m    map[string][]T
}

func (a *affixIndex[T]) add(key string, v T) {
	if a.m == nil {
		a.m = map[string][]T{}
	}
	if _, ok := a.m[key]; !ok {
		i := sort.SearchInts(a.lens, len(key))
		if i == len(a.lens) || a.lens[i] != len(key) {
			a.lens = append(a.lens, 0)
			copy(a.lens[i+1:], a.lens[i:])
			a.lens[i] = len(key)
		}
	}
	a.m[key] = append(a.m[key], v)
}

func addTo(m *map[string][]*state, key string, n *state) {
	if *m == nil {
		*m = map[string][]*state{}
	}
	(*m)[key] = append((*m)[key], n)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func appendASCIILower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func (x *valueIndex) add(c *cond, n *state, m *machine) {
	switch c.op {
	case opString:
		id, ok := m.values[c.str]
		if !ok {
			id = int32(len(m.values))
			m.values[c.str] = id
		}
		if x.exact == nil {
			x.exact = map[int32][]*state{}
		}
		x.exact[id] = append(x.exact[id], n)
	case opLiteral:
		addTo(&x.lits, c.str, n)
	case opNumber:
		if c.numOK {
			if x.numEq == nil {
				x.numEq = map[float64][]*state{}
			}
			x.numEq[c.num] = append(x.numEq[c.num], n)
		} else {
			addTo(&x.numRaw, c.str, n)
		}
	case opPrefix:
		x.prefix.add(c.str, n)
	case opSuffix:
		x.suffix.add(c.str, n)
	case opEqualsFold, opPrefixFold, opSuffixFold:
		if !isASCII(c.str) {
			x.scan = append(x.scan, condEdge{c, n})
			return
		}
		key := asciiLower(c.str)
		switch c.op {
		case opEqualsFold:
			addTo(&x.foldEq, key, n)
		case opPrefixFold:
			x.foldPre.add(key, n)
		default:
			x.foldSuf.add(key, n)
		}
	case opWildcard:
		segs := c.wild[0].segs
		switch {
		case segs[0] != "":
			x.wildPre.add(segs[0], condEdge{c, n})
		case segs[len(segs)-1] != "":
			x.wildSuf.add(segs[len(segs)-1], condEdge{c, n})
		default:
			x.scan = append(x.scan, condEdge{c, n})
		}
	case opIP, opCIDR:
		x.ips = append(x.ips, condEdge{c, n})
	case opNumeric:
		i := sort.Search(len(x.ranges), func(i int) bool { return x.ranges[i].c.rng.lo > c.rng.lo })
		x.ranges = append(x.ranges, condEdge{})
		copy(x.ranges[i+1:], x.ranges[i:])
		x.ranges[i] = condEdge{c, n}
	case opExists:
		x.any = append(x.any, n)
	default: // anything-but
		x.scan = append(x.scan, condEdge{c, n})
	}
}

// collect appends to out the next states that value l reaches.
func (x *valueIndex) collect(l *leaf, sc *scratch, out []*state) []*state {
	out = append(out, x.any...)
	switch l.kind {
	case kindString:
		if x.exact != nil {
			// Intern the value once per event, not once per step.
			if l.vid == -2 {
				l.vid = -1
				if id, ok := sc.values[l.text]; ok {
					l.vid = id
				}
			}
			if l.vid >= 0 {
				out = append(out, x.exact[l.vid]...)
			}
		}
		out = x.collectString(l.text, sc, out)
	case kindNumber:
		if l.numOK {
			out = append(out, x.numEq[l.num]...)
			for _, e := range x.ranges {
				if e.c.rng.lo > l.num {
					break
				}
				if e.c.rng.contains(l.num) {
					out = append(out, e.next)
				}
			}
		} else {
			out = append(out, x.numRaw[l.text]...)
		}
	default:
		out = append(out, x.lits[l.text]...)
	}
	for _, e := range x.scan {
		if matchValue(e.c, l) {
			out = append(out, e.next)
		}
	}
	return out
}

func (x *valueIndex) collectString(s string, sc *scratch, out []*state) []*state {
	for _, n := range x.prefix.lens {
		if n > len(s) {
			break
		}
		out = append(out, x.prefix.m[s[:n]]...)
	}
	for _, n := range x.suffix.lens {
		if n > len(s) {
			break
		}
		out = append(out, x.suffix.m[s[len(s)-n:]]...)
	}
	if x.foldEq != nil || x.foldPre.m != nil || x.foldSuf.m != nil {
		sc.lower = appendASCIILower(sc.lower[:0], s)
		low := sc.lower
		out = append(out, x.foldEq[string(low)]...)
		for _, n := range x.foldPre.lens {
			if n > len(low) {
				break
			}
			out = append(out, x.foldPre.m[string(low[:n])]...)
		}
		for _, n := range x.foldSuf.lens {
			if n > len(low) {
				break
			}
			out = append(out, x.foldSuf.m[string(low[len(low)-n:])]...)
		}
	}
	for _, n := range x.wildPre.lens {
		if n > len(s) {
			break
		}
		for _, e := range x.wildPre.m[s[:n]] {
			if e.c.wild[0].match(s) {
				out = append(out, e.next)
			}
		}
	}
	for _, n := range x.wildSuf.lens {
		if n > len(s) {
			break
		}
		for _, e := range x.wildSuf.m[s[len(s)-n:]] {
			if e.c.wild[0].match(s) {
				out = append(out, e.next)
			}
		}
	}
	if len(x.ips) > 0 {
		var buf [16]byte
		if ip := parseIPInto(s, &buf); ip != nil {
			for _, e := range x.ips {
				if e.c.ip.contains(ip) {
					out = append(out, e.next)
				}
			}
		}
	}
	return out
}

// parseIPInto is parseIP without allocating.
func parseIPInto(s string, buf *[16]byte) []byte {
	if !looksLikeIP(s) {
		return nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		// netip refuses IPv4 parts with leading zeros; EventBridge reads
		// them as decimal.
		if ip := parseIP(s); ip != nil {
			return append(buf[:0], ip...)
		}
		return nil
	}
	if a.Is4() || a.Is4In6() {
		b := a.Unmap().As4()
		return append(buf[:0], b[:]...)
	}
	b := a.As16()
	return append(buf[:0], b[:]...)
}
