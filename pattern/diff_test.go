package pattern

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestDifferential checks the automaton against the reference evaluator
// on random patterns and events, many patterns per Matcher.
func TestDifferential(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	for round := 0; round < rounds; round++ {
		m := NewMatcher()
		var pats []*compiled
		var ids []string
		for len(pats) < 30 {
			p := g.patternObject(0)
			c, err := compilePattern([]byte(p))
			if err != nil {
				continue
			}
			id := strconv.Itoa(len(pats))
			if err := m.Add(id, []byte(p)); err != nil {
				t.Fatalf("Add(%s): %v", p, err)
			}
			pats = append(pats, c)
			ids = append(ids, p)
		}
		// Delete a few to exercise removal.
		for i := 0; i < 5; i++ {
			k := g.r.IntN(len(pats))
			m.Delete(strconv.Itoa(k))
			pats[k] = nil
		}
		for e := 0; e < 50; e++ {
			ev := g.eventObject(0)
			leaves, err := flattenEvent([]byte(ev))
			if err != nil {
				t.Fatalf("event %s: %v", ev, err)
			}
			var want []string
			for i, c := range pats {
				if c != nil && refEvalPattern(c, leaves) {
					want = append(want, strconv.Itoa(i))
				}
			}
			slices.Sort(want)
			for i, c := range pats {
				if c != nil && evalPattern(c, leaves) != refEvalPattern(c, leaves) {
					t.Fatalf("event %s pattern %s: evalPattern disagrees with the reference", ev, ids[i])
				}
			}
			got, err := m.Match([]byte(ev))
			if err != nil {
				t.Fatalf("Match(%s): %v", ev, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("event %s\n got  %v\n want %v\npatterns: %q", ev, got, want, ids)
			}
		}
	}
}
