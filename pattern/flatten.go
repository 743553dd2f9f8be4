package pattern

import (
	"sort"
	"unsafe"
)

// scratch is the per-call working memory of Match, pooled so that
// matching an event allocates nothing in the common case.
type scratch struct {
	gen      uint32
	leaves   []leaf
	trails   []arrayStep // backing store for leaves' trails
	trail    []arrayStep // trail of the value being read
	arrays   int32
	path     []byte
	lower    []byte
	visited  []uint32 // per state: gen when walked without array context
	pathGen  []uint32 // per path: gen when the path has values
	pathLo   []int32  // per path: first leaf index
	pathHi   []int32  // per path: one past the last leaf index
	pathArr  []uint32 // per path: gen when some value at the path is in an array
	vals     [][]*leaf
	valBuf   []*leaf
	seen     []uint32 // per pattern: gen when matched
	matched  []int32
	next     []*state
	unescape []byte
	values   map[string]int32 // the machine's interned exact operands
}

// reset prepares s for an event against a machine of the given size.
func (s *scratch) reset(states, paths, patterns int) {
	s.gen++
	if s.gen == 0 { // wrapped: stale stamps could collide
		clear(s.visited)
		clear(s.pathGen)
		clear(s.pathArr)
		clear(s.seen)
		s.gen = 1
	}
	s.visited = grow(s.visited, states)
	s.pathGen = grow(s.pathGen, paths)
	s.pathLo = grow(s.pathLo, paths)
	s.pathHi = grow(s.pathHi, paths)
	s.pathArr = grow(s.pathArr, paths)
	s.seen = grow(s.seen, patterns)
	s.leaves = s.leaves[:0]
	s.trails = s.trails[:0]
	s.trail = s.trail[:0]
	s.arrays = 0
	s.path = s.path[:0]
	s.matched = s.matched[:0]
	s.next = s.next[:0]
}

func grow[T any](s []T, n int) []T {
	if len(s) >= n {
		return s
	}
	return append(s, make([]T, n-len(s))...)
}

// view returns b as a string without copying. The strings made this way
// point into the caller's event and never outlive the Match call.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// flatten reads the event's values at paths the machine knows, skipping
// everything else, and indexes them by path.
func (m *machine) flatten(event []byte, sc *scratch) error {
	s := &scanner{data: event}
	if s.peek() != '{' {
		if s.peek() == 0 {
			return errEOF
		}
		return errNotObject
	}
	if err := m.readObject(s, sc, false); err != nil {
		return err
	}
	if err := s.expectEnd(); err != nil {
		return err
	}
	// Fix up trails (their backing store may have moved) and sort by path.
	leaves := sc.leaves
	if len(leaves) > 1 {
		sort.Stable(byPath(leaves))
	}
	for i := range leaves {
		l := &leaves[i]
		p := l.pid
		if l.trailHi > l.trailLo {
			l.trail = sc.trails[l.trailLo:l.trailHi]
			sc.pathArr[p] = sc.gen
		}
		if sc.pathGen[p] != sc.gen {
			sc.pathGen[p] = sc.gen
			sc.pathLo[p] = int32(i)
		}
		sc.pathHi[p] = int32(i + 1)
	}
	return nil
}

type byPath []leaf

func (b byPath) Len() int           { return len(b) }
func (b byPath) Less(i, j int) bool { return b[i].pid < b[j].pid }
func (b byPath) Swap(i, j int)      { b[i], b[j] = b[j], b[i] }

// readObject reads an object's members; nested says whether the object is
// a field's value (and so its members' paths take a separator).
func (m *machine) readObject(s *scanner, sc *scratch, nested bool) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '{'
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.errorf("expected a field name")
		}
		raw, escaped, err := s.scanString()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.errorf("expected ':'")
		}
		s.pos++
		base := len(sc.path)
		if nested {
			sc.path = append(sc.path, '.')
		}
		if escaped {
			key, err := unescape(raw)
			if err != nil {
				return err
			}
			sc.path = append(sc.path, key...)
		} else {
			sc.path = append(sc.path, raw...)
		}
		if pi := m.paths[string(sc.path)]; pi != nil {
			err = m.readValue(s, sc, pi)
		} else {
			err = s.skipValue()
		}
		if err != nil {
			return err
		}
		sc.path = sc.path[:base]
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return nil
		default:
			return s.errorf("expected ',' or '}'")
		}
	}
}

func (m *machine) readValue(s *scanner, sc *scratch, pi *pathInfo) error {
	switch c := s.peek(); c {
	case '{':
		if !pi.prefix {
			return s.skipValue()
		}
		return m.readObject(s, sc, true)
	case '[':
		return m.readArray(s, sc, pi)
	case '"':
		raw, escaped, err := s.scanString()
		if err != nil || pi.id < 0 {
			return err
		}
		text := view(raw)
		if escaped {
			if text, err = unescape(raw); err != nil {
				return err
			}
		}
		sc.addLeaf(pi.id, kindString, text)
		return nil
	case 't', 'f', 'n':
		k, text, err := s.readLiteral()
		if err != nil || pi.id < 0 {
			return err
		}
		sc.addLeaf(pi.id, k, text)
		return nil
	case 0:
		return errEOF
	default:
		start := s.pos
		if _, err := s.scanNumber(); err != nil || pi.id < 0 {
			return err
		}
		l := sc.addLeaf(pi.id, kindNumber, view(s.data[start:s.pos]))
		l.num, l.numOK = comparableFast(l.text)
		return nil
	}
}

func (m *machine) readArray(s *scanner, sc *scratch, pi *pathInfo) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '['
	id := sc.arrays
	sc.arrays++
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for i := int32(0); ; i++ {
		sc.trail = append(sc.trail, arrayStep{id, i})
		if err := m.readValue(s, sc, pi); err != nil {
			return err
		}
		sc.trail = sc.trail[:len(sc.trail)-1]
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.errorf("expected ',' or ']'")
		}
	}
}

func (sc *scratch) addLeaf(pid int32, k kind, text string) *leaf {
	lo := int32(len(sc.trails))
	sc.trails = append(sc.trails, sc.trail...)
	sc.leaves = append(sc.leaves, leaf{pid: pid, kind: k, text: text, trailLo: lo, trailHi: int32(len(sc.trails)), vid: -2})
	return &sc.leaves[len(sc.leaves)-1]
}
