package events

import (
	"sync"

	"github.com/vigilsec/vigil/pattern"
)

// matchers holds one compiled matcher per event bus, keyed by rule name.
// The store is the truth: a matcher is a fast pre-filter whose hits are
// re-checked against the stored rules in the transaction that enqueues
// deliveries. Changes are applied after they commit, under Service.ruleMu.
type matchers struct {
	mu    sync.RWMutex
	bybus map[string]*pattern.Matcher
}

func newMatchers() *matchers { return &matchers{bybus: map[string]*pattern.Matcher{}} }

func (m *matchers) get(bus string) *pattern.Matcher {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.bybus[bus]
}

// set makes the rule match events with pattern p.
func (m *matchers) set(bus, rule, p string) error {
	m.mu.Lock()
	pm := m.bybus[bus]
	if pm == nil {
		pm = pattern.NewMatcher()
		m.bybus[bus] = pm
	}
	m.mu.Unlock()
	return pm.Add(rule, []byte(p)) // replaces the rule's earlier pattern

}

// remove stops the rule from matching.
func (m *matchers) remove(bus, rule string) {
	if pm := m.get(bus); pm != nil {
		pm.Delete(rule)
	}
}

// dropBus forgets a deleted bus.
func (m *matchers) dropBus(bus string) {
	m.mu.Lock()
	delete(m.bybus, bus)
	m.mu.Unlock()
}

// match returns the names of the bus's rules whose patterns match event.
func (m *matchers) match(bus string, event []byte) ([]string, error) {
	pm := m.get(bus)
	if pm == nil {
		return nil, nil
	}
	return pm.Match(event)
}

// apply brings the matcher in line with a rule as it now stands.
func (m *matchers) apply(r ruleRow) error {
	if !r.enabled() {
		m.remove(r.Bus, r.Name)
		return nil
	}
	return m.set(r.Bus, r.Name, r.Pattern)
}
