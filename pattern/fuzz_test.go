package pattern

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// FuzzMatch feeds arbitrary patterns and events to every entry point. None
// may panic, and for a valid pattern and event the automaton must agree
// with the straightforward reference evaluator.
func FuzzMatch(f *testing.F) {
	if data, err := os.ReadFile(conformancePath); err == nil {
		var corpus struct{ Cases []conformanceCase }
		if json.Unmarshal(data, &corpus) == nil {
			for _, c := range corpus.Cases {
				f.Add([]byte(c.Pattern), []byte(c.Event))
			}
		}
	}
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for i := 0; i < 50; i++ {
		f.Add([]byte(g.patternObject(0)), []byte(g.eventObject(0)))
	}
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		start := time.Now()
		defer func() {
			// Hostile input must not make matching crawl.
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("slow input (%v): pattern %q event %q", d, pattern, event)
			}
		}()
		verr := Validate(pattern)
		ok, err := Matches(pattern, event)
		if (verr == nil) != (err == nil || !isPatternError(err)) {
			t.Fatalf("Validate = %v but Matches = %v", verr, err)
		}
		m := NewMatcher()
		if aerr := m.Add("p", pattern); (aerr == nil) != (verr == nil) {
			t.Fatalf("Validate = %v but Add = %v", verr, aerr)
		}
		m.Add("q", []byte(`{"a": [{"exists": true}]}`))
		ids, merr := m.Match(event)
		if verr != nil {
			return
		}
		if (merr == nil) != (err == nil) {
			t.Fatalf("Matches error %v, Match error %v", err, merr)
		}
		if merr != nil {
			return
		}
		got := len(ids) > 0 && ids[0] == "p"
		if got != ok {
			t.Fatalf("pattern %s event %s: automaton %v, evaluator %v", pattern, event, got, ok)
		}
		c, _ := compilePattern(pattern)
		leaves, _ := flattenEvent(event)
		if smallSearch(c, leaves) && refEvalPattern(c, leaves) != ok {
			t.Fatalf("pattern %s event %s: evaluator %v, reference disagrees", pattern, event, ok)
		}
		_, _ = CompileFilterPolicy(pattern, ScopeMessageBody)
	})
}

func isPatternError(err error) bool {
	var pe *Error
	return errors.As(err, &pe) || errors.Is(err, ErrPatternTooLong)
}

// FuzzFilterPolicy checks that SNS filter policies never panic and that
// attribute matching agrees with body matching on equivalent input.
func FuzzFilterPolicy(f *testing.F) {
	f.Add([]byte(`{"store": ["example_corp"], "price_usd": [{"numeric": [">=", 100]}]}`), "example_corp", "150")
	f.Add([]byte(`{"interests": [{"anything-but": ["rugby"]}], "x": [{"exists": false}]}`), "tennis", "1")
	f.Fuzz(func(t *testing.T, policy []byte, s, num string) {
		p, err := CompileFilterPolicy(policy, ScopeMessageAttributes)
		if err != nil {
			return
		}
		attrs := map[string]MessageAttribute{
			"store":     {DataType: "String", StringValue: s},
			"price_usd": {DataType: "Number", StringValue: num},
			"interests": {DataType: "String.Array", StringValue: s},
		}
		p.MatchAttributes(attrs)
		p.MatchBody([]byte(s))
	})
}

// smallSearch reports whether the backtracking reference can evaluate c
// quickly: it tries every combination of values, one per field.
func smallSearch(c *compiled, leaves []leaf) bool {
	count := map[string]int{}
	for _, l := range leaves {
		count[l.path]++
	}
	for _, r := range c.rules {
		space := 1
		for _, f := range r.fields {
			space *= max(1, count[f.path])
			if space > 100000 {
				return false
			}
		}
	}
	return true
}
