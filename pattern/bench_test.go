package pattern

import (
	"fmt"
	"sync"
	"testing"
)

const benchEvents = 100_000

var benchData = sync.OnceValue(func() [][]byte { return GenEvents(benchEvents, 1) })

func benchMatcher(b *testing.B, rules []string) *Matcher {
	m := NewMatcher()
	for i, r := range rules {
		if err := m.Add(fmt.Sprint(i), []byte(r)); err != nil {
			b.Fatalf("rule %s: %v", r, err)
		}
	}
	return m
}

// BenchmarkMatch matches the CloudTrail workload against 10, 1 000 and
// 10 000 rules mixing every operator ("all") and against rules using only
// the operators Quamina also has ("common"). One op is one event.
func BenchmarkMatch(b *testing.B) {
	events := benchData()
	for _, set := range []string{"all", "common"} {
		for _, n := range []int{10, 1000, 10000} {
			b.Run(fmt.Sprintf("%s/rules=%d", set, n), func(b *testing.B) {
				m := benchMatcher(b, GenRules(n, set == "common", 7))
				matches := 0
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ids, err := m.Match(events[i%len(events)])
					if err != nil {
						b.Fatal(err)
					}
					matches += len(ids)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(float64(matches)/float64(b.N), "matches/event")
			})
		}
	}
}

// BenchmarkAdd measures compiling and merging rules.
func BenchmarkAdd(b *testing.B) {
	rules := GenRules(10000, false, 7)
	b.ReportAllocs()
	m := NewMatcher()
	for i := 0; i < b.N; i++ {
		if err := m.Add(fmt.Sprint(i%len(rules)), []byte(rules[i%len(rules)])); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWorkloadRulesValid keeps the benchmark honest: every generated rule
// compiles, and the automaton agrees with the evaluator on a sample.
func TestWorkloadRulesValid(t *testing.T) {
	rules := GenRules(2000, false, 7)
	m := NewMatcher()
	pats := make([]*compiled, len(rules))
	for i, r := range rules {
		c, err := compile([]byte(r))
		if err != nil {
			t.Fatalf("rule %s: %v", r, err)
		}
		pats[i] = c
		if err := m.Add(fmt.Sprint(i), []byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, ev := range GenEvents(300, 9) {
		leaves, err := flattenEvent(ev)
		if err != nil {
			t.Fatalf("event %s: %v", ev, err)
		}
		want := map[string]bool{}
		for i, c := range pats {
			if evalPattern(c, leaves) {
				want[fmt.Sprint(i)] = true
			}
		}
		got, err := m.Match(ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("event %s: got %d matches, want %d", ev, len(got), len(want))
		}
		for _, id := range got {
			if !want[id] {
				t.Fatalf("event %s: unexpected match %s", ev, id)
			}
		}
		total += len(got)
	}
	if total == 0 {
		t.Fatal("workload produces no matches")
	}
}
