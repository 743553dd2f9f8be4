package pattern

import (
	"fmt"
	"sort"
	"sync"
)

// Matcher matches events against many patterns at once. All patterns are
// merged into one automaton, so the cost of Match grows with the number
// of the event's values that patterns mention and the number of matches,
// not with the number of patterns. It is safe for concurrent use: Match
// may run while patterns are added and deleted.
type Matcher struct {
	mu   sync.RWMutex
	m    *machine
	ids  []string // by pattern index; "" once deleted
	pats []*compiled
	pids [][][]int32 // by pattern index, rule and field: the field's path id
	byID map[string]int32
	dead int // deleted patterns still merged into m
	pool sync.Pool
}

// NewMatcher returns an empty Matcher.
func NewMatcher() *Matcher {
	return &Matcher{m: newMachine(), byID: map[string]int32{}}
}

// Add compiles pattern and stores it under id, replacing any pattern
// already stored under id. An invalid pattern leaves the Matcher unchanged.
func (m *Matcher) Add(id string, pattern []byte) error {
	c, err := compile(pattern)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(id)
	idx := int32(len(m.ids))
	m.ids = append(m.ids, id)
	m.pats = append(m.pats, c)
	m.pids = append(m.pids, m.m.addPattern(idx, c))
	m.byID[id] = idx
	return nil
}

// Delete removes the pattern stored under id, if any.
func (m *Matcher) Delete(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(id)
}

// remove forgets id. Its rules stay in the automaton, ignored, until
// enough dead weight accumulates to rebuild.
func (m *Matcher) remove(id string) {
	idx, ok := m.byID[id]
	if !ok {
		return
	}
	delete(m.byID, id)
	m.ids[idx] = ""
	m.pats[idx] = nil
	m.pids[idx] = nil
	m.dead++
	if m.dead > 32 && m.dead > len(m.byID) {
		m.rebuild()
	}
}

func (m *Matcher) rebuild() {
	ids, pats := m.ids, m.pats
	m.ids, m.pats, m.pids, m.dead = nil, nil, nil, 0
	m.m = newMachine()
	for i, c := range pats {
		if c == nil {
			continue
		}
		idx := int32(len(m.ids))
		m.ids = append(m.ids, ids[i])
		m.pats = append(m.pats, c)
		m.pids = append(m.pids, m.m.addPattern(idx, c))
		m.byID[ids[i]] = idx
	}
}

// Match returns, sorted, the ids of all patterns the event matches. The
// event must not be modified during the call.
func (m *Matcher) Match(event []byte) ([]string, error) {
	sc, _ := m.pool.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	defer m.pool.Put(sc)
	m.mu.RLock()
	defer m.mu.RUnlock()
	mc := m.m
	sc.reset(len(mc.states), len(mc.pathNames), len(m.ids))
	sc.values = mc.values
	if err := mc.flatten(event, sc); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	mc.walk(mc.root, sc)
	if len(sc.matched) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(sc.matched))
	for _, idx := range sc.matched {
		id := m.ids[idx]
		if id == "" {
			continue
		}
		// The walk ignores array consistency; recheck when it matters.
		if len(sc.trails) > 0 && m.usesArrays(idx, sc) && !m.verify(idx, sc) {
			continue
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	sort.Strings(ids)
	return ids, nil
}

// usesArrays reports whether pattern idx looks at any path whose values
// in this event lie in arrays; only then can array consistency matter.
func (m *Matcher) usesArrays(idx int32, sc *scratch) bool {
	for _, pids := range m.pids[idx] {
		for _, p := range pids {
			if sc.pathArr[p] == sc.gen {
				return true
			}
		}
	}
	return false
}

// verify evaluates pattern idx exactly against the event's values.
func (m *Matcher) verify(idx int32, sc *scratch) bool {
	c := m.pats[idx]
	for i := range c.rules {
		r := &c.rules[i]
		pids := m.pids[idx][i]
		sc.vals = sc.vals[:0]
		sc.valBuf = sc.valBuf[:0]
		for _, p := range pids {
			start := len(sc.valBuf)
			if sc.pathGen[p] == sc.gen {
				for li := sc.pathLo[p]; li < sc.pathHi[p]; li++ {
					sc.valBuf = append(sc.valBuf, &sc.leaves[li])
				}
			}
			sc.vals = append(sc.vals, sc.valBuf[start:len(sc.valBuf):len(sc.valBuf)])
		}
		if ruleHolds(r, sc.vals) {
			return true
		}
	}
	return false
}

// walk follows the event's values from state s, recording the patterns
// whose rules end in states it reaches. It ignores array consistency, so
// a state's outcome depends only on the state and each state is walked at
// most once per event; Match rechecks candidates when arrays are involved.
func (mc *machine) walk(s *state, sc *scratch) {
	if sc.visited[s.id] == sc.gen {
		return
	}
	sc.visited[s.id] = sc.gen
	for _, p := range s.matches {
		if sc.seen[p] != sc.gen {
			sc.seen[p] = sc.gen
			sc.matched = append(sc.matched, p)
		}
	}
	for _, st := range s.steps {
		if sc.pathGen[st.path] != sc.gen {
			for _, n := range st.absent {
				mc.walk(n, sc)
			}
			continue
		}
		start := len(sc.next)
		for li := sc.pathLo[st.path]; li < sc.pathHi[st.path]; li++ {
			sc.next = st.values.collect(&sc.leaves[li], sc, sc.next)
		}
		end := len(sc.next)
		for k := start; k < end; k++ {
			mc.walk(sc.next[k], sc)
		}
		sc.next = sc.next[:start]
	}
}
