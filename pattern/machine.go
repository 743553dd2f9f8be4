package pattern

import (
	"sort"
	"strconv"
	"strings"
)

// The machine merges every rule of every pattern into one automaton, the
// way Quamina and event-ruler do. A rule is a sequence of fields in
// path-id order; the machine is a trie over (path, condition set) steps,
// so rules that begin with the same conditions share states. Matching
// walks the trie along the event's values, and each step's value index
// answers "which next states does this value reach" with a few hash
// lookups, whatever the number of rules.

// pathInfo describes a dotted path some rule mentions, or a proper prefix
// of one. Event fields whose path has no pathInfo are skipped unread.
type pathInfo struct {
	id     int32 // leaf path id, or -1 if only a prefix
	prefix bool  // some longer path extends this one
}

// state is a point in the automaton: the rules reaching it have matched
// all their fields up to and including inPath.
type state struct {
	id      int32
	inPath  int32             // path id of the step into this state; -1 at the root
	steps   []*step           // outgoing steps, one per path
	matches []int32           // indexes of patterns a rule of which ends here
	next    map[string]*state // by condition-set key, for sharing while building
}

// step is the set of ways out of a state on one path.
type step struct {
	path   int32
	values valueIndex
	absent []*state // taken when the event has no value at the path
}

// machine is the merged automaton of a Matcher.
type machine struct {
	paths     map[string]*pathInfo
	pathNames []string
	root      *state
	states    []*state
	values    map[string]int32 // exact string operands, interned
}

func newMachine() *machine {
	m := &machine{paths: map[string]*pathInfo{}, values: map[string]int32{}}
	m.root = m.newState(-1)
	return m
}

func (m *machine) newState(inPath int32) *state {
	s := &state{id: int32(len(m.states)), inPath: inPath}
	m.states = append(m.states, s)
	return s
}

// pathID returns the id of a leaf path, registering it and its prefixes.
func (m *machine) pathID(path string) int32 {
	if pi := m.paths[path]; pi != nil && pi.id >= 0 {
		return pi.id
	}
	id := int32(len(m.pathNames))
	m.pathNames = append(m.pathNames, path)
	if pi := m.paths[path]; pi != nil {
		pi.id = id
	} else {
		m.paths[path] = &pathInfo{id: id}
	}
	// Register every dot-prefix so the flattener descends into it. A key
	// may itself contain dots, so every dot position counts.
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		p := path[:i]
		if pi := m.paths[p]; pi != nil {
			pi.prefix = true
		} else {
			m.paths[p] = &pathInfo{id: -1, prefix: true}
		}
	}
	return id
}

// addPattern merges the rules of one compiled pattern, identified by
// index, and returns the path ids of each rule's fields.
func (m *machine) addPattern(index int32, c *compiled) [][]int32 {
	pids := make([][]int32, len(c.rules))
	for i := range c.rules {
		pids[i] = m.addRule(index, &c.rules[i])
	}
	return pids
}

type idField struct {
	id int32
	f  *field
}

func (m *machine) addRule(index int32, r *rule) []int32 {
	fields := make([]idField, len(r.fields))
	pids := make([]int32, len(r.fields))
	for i := range r.fields {
		pids[i] = m.pathID(r.fields[i].path)
		fields[i] = idField{pids[i], &r.fields[i]}
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].id < fields[j].id })
	s := m.root
	for _, f := range fields {
		s = m.addStep(s, f.id, f.f.conds)
	}
	for _, x := range s.matches {
		if x == index {
			return pids
		}
	}
	s.matches = append(s.matches, index)
	return pids
}

// addStep returns the state reached from s by satisfying conds at path,
// creating it if no rule took that way before.
func (m *machine) addStep(s *state, path int32, conds []cond) *state {
	key := strconv.Itoa(int(path)) + "\x00" + condSetKey(conds)
	if n := s.next[key]; n != nil {
		return n
	}
	var st *step
	for _, x := range s.steps {
		if x.path == path {
			st = x
		}
	}
	if st == nil {
		st = &step{path: path}
		s.steps = append(s.steps, st)
		sort.Slice(s.steps, func(i, j int) bool { return s.steps[i].path < s.steps[j].path })
	}
	n := m.newState(path)
	for i := range conds {
		if conds[i].op == opAbsent {
			st.absent = append(st.absent, n)
			continue
		}
		st.values.add(&conds[i], n, m)
	}
	if s.next == nil {
		s.next = map[string]*state{}
	}
	s.next[key] = n
	return n
}

// condSetKey is a canonical text for a field's conditions, so that equal
// condition sets share a state whatever their order.
func condSetKey(conds []cond) string {
	keys := make([]string, len(conds))
	for i := range conds {
		keys[i] = condKey(&conds[i])
	}
	sort.Strings(keys)
	return strings.Join(keys, "\x01")
}

func condKey(c *cond) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(c.op)))
	b.WriteByte(':')
	b.WriteString(strconv.Quote(c.str))
	for _, s := range c.strs {
		b.WriteByte(',')
		b.WriteString(strconv.Quote(s))
	}
	for _, f := range c.nums {
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	}
	if c.op == opNumeric {
		b.WriteString(strconv.FormatFloat(c.rng.lo, 'g', -1, 64))
		b.WriteString(strconv.FormatBool(c.rng.loOpen))
		b.WriteString(strconv.FormatFloat(c.rng.hi, 'g', -1, 64))
		b.WriteString(strconv.FormatBool(c.rng.hiOpen))
	}
	return b.String()
}
