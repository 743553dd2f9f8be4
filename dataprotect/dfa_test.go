package dataprotect

import (
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"testing"
)

// managedExprs returns the shape finders of the managed identifiers.
func managedFinders() map[string]*reFinder {
	out := map[string]*reFinder{}
	for _, id := range ManagedIdentifiers() {
		if f, ok := id.det.(*reFinder); ok {
			out[id.Name] = f
		}
	}
	return out
}

// TestDFAMatchesRegexp compares the automaton with the regexp package on
// random strings over each shape's own alphabet (plus a few other bytes),
// where matches and near misses are common.
func TestDFAMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	compiled := 0
	for name, f := range managedFinders() {
		if f.dfa == nil {
			continue
		}
		compiled++
		var alpha []byte
		for b, ok := range f.alpha {
			if ok {
				alpha = append(alpha, byte(b))
			}
		}
		alpha = append(alpha, ' ', 'x', '-', 0xc3)
		for i := 0; i < 3000; i++ {
			b := make([]byte, r.IntN(f.maxLen+3))
			for k := range b {
				b[k] = alpha[r.IntN(len(alpha))]
			}
			checkDFA(t, name, f, b)
		}
	}
	if compiled < 60 {
		t.Errorf("only %d shape expressions have an automaton", compiled)
	}
	for _, c := range idCases {
		if f := managedFinders()[c.name]; f != nil && f.dfa != nil {
			for p := range len(c.text) {
				checkDFA(t, c.name, f, []byte(c.text[p:]))
			}
		}
	}
}

func checkDFA(t *testing.T, name string, f *reFinder, b []byte) {
	t.Helper()
	want := -1
	if m := f.re.FindIndex(b); m != nil {
		want = m[1]
	}
	if got := f.dfa.find(b); got != want {
		t.Fatalf("%s on %q: automaton ends at %d, regexp at %d", name, b, got, want)
	}
}

func TestDFALeftmostFirst(t *testing.T) {
	for _, c := range []struct {
		expr, in string
		want     int
	}{
		{`a|ab`, "ab", 1}, // the first alternative wins, though shorter
		{`ab|a`, "ab", 2},
		{`a*?b?`, "aab", 0}, // lazy
		{`\d{3}(?:-\d{2})?`, "123-4", 3},
		{`x`, "y", -1},
	} {
		tree, err := syntax.Parse(c.expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		d := newDFA(tree.Simplify())
		if d == nil {
			t.Fatalf("%s: no automaton", c.expr)
		}
		if got := d.find([]byte(c.in)); got != c.want {
			t.Errorf("%s on %q: %d, want %d", c.expr, c.in, got, c.want)
		}
		if m := regexp.MustCompile(`^(?:` + c.expr + `)`).FindStringIndex(c.in); (m == nil) != (c.want < 0) || m != nil && m[1] != c.want {
			t.Errorf("%s on %q: regexp says %v", c.expr, c.in, m)
		}
	}
	for _, expr := range []string{`\bx`, `é`, `(?i)k`} { // assertions, non-ASCII, a fold outside ASCII
		tree, _ := syntax.Parse(expr, syntax.Perl)
		if newDFA(tree.Simplify()) != nil {
			t.Errorf("%s: want no automaton", expr)
		}
	}
}

func FuzzDFA(f *testing.F) {
	f.Add("IBAN DE89 3704 0044 0532 0130 00")
	f.Add("4539 8944 5808 6459")
	fs := managedFinders()
	names := make([]string, 0, len(fs))
	for n, x := range fs {
		if x.dfa != nil {
			names = append(names, n)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, n := range names {
			checkDFA(t, n, fs[n], []byte(s))
		}
	})
}
