package pattern

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// gen produces random patterns and events over a small vocabulary, so that
// random pairs often match, for differential tests of Matcher against the
// reference evaluator.
type gen struct{ r *rand.Rand }

var (
	genKeys    = []string{"a", "b", "c", "d.e", "source"}
	genStrings = []string{"", "x", "X", "ab", "aB", "abc", "abcd", "10.0.0.1", "10.0.1.7", "::1", "a*b", "a.b.c", "é", "É", "init", "init-x"}
	genNumbers = []string{"0", "1", "-1", "1.5", "100", "1e2", "100.0", "5000000000", "0.1", "12345678901234567890", "-0"}
)

func (g gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g gen) quote(s string) string { return fmt.Sprintf("%q", s) }

func (g gen) scalar() string {
	switch g.r.IntN(6) {
	case 0, 1, 2:
		return g.quote(g.pick(genStrings))
	case 3, 4:
		return g.pick(genNumbers)
	default:
		return g.pick([]string{"true", "false", "null"})
	}
}

func (g gen) operand() string {
	switch g.r.IntN(22) {
	case 0:
		return fmt.Sprintf(`{"prefix": %s}`, g.quote(g.pick(genStrings)))
	case 1:
		return fmt.Sprintf(`{"suffix": %s}`, g.quote(g.pick(genStrings)))
	case 2:
		return fmt.Sprintf(`{"equals-ignore-case": %s}`, g.quote(g.pick(genStrings)))
	case 3:
		return fmt.Sprintf(`{"prefix": {"equals-ignore-case": %s}}`, g.quote(g.pick(genStrings)))
	case 4:
		return fmt.Sprintf(`{"suffix": {"equals-ignore-case": %s}}`, g.quote(g.pick(genStrings)))
	case 5:
		return fmt.Sprintf(`{"wildcard": %s}`, g.quote(g.pick([]string{"*", "a*", "*b", "a*c*", "*b*", "x", "10.*"})))
	case 6:
		return fmt.Sprintf(`{"anything-but": %s}`, g.quote(g.pick(genStrings)))
	case 7:
		return fmt.Sprintf(`{"anything-but": [%s, %s]}`, g.pick(genNumbers[:7]), g.pick(genNumbers[:7]))
	case 8:
		return fmt.Sprintf(`{"anything-but": {"prefix": %s}}`, g.quote(g.pick([]string{"a", "ab", "init"})))
	case 9:
		return fmt.Sprintf(`{"anything-but": {"suffix": %s}}`, g.quote(g.pick([]string{"b", "x", "c"})))
	case 10:
		return fmt.Sprintf(`{"anything-but": {"equals-ignore-case": [%s]}}`, g.quote(g.pick(genStrings)))
	case 11:
		return fmt.Sprintf(`{"anything-but": {"wildcard": %s}}`, g.quote(g.pick([]string{"a*", "*b*"})))
	case 12:
		return fmt.Sprintf(`{"numeric": [%q, %s]}`, g.pick([]string{"<", "<=", "=", ">", ">="}), g.pick(genNumbers[:7]))
	case 13:
		return fmt.Sprintf(`{"numeric": [">", %s, "<=", 1000]}`, g.pick(genNumbers[:7]))
	case 14:
		return fmt.Sprintf(`{"exists": %v}`, g.r.IntN(2) == 0)
	case 15:
		return fmt.Sprintf(`{"cidr": %s}`, g.quote(g.pick([]string{"10.0.0.0/24", "10.0.0.0/8", "::0/8"})))
	case 16:
		return fmt.Sprintf(`{"anything-but": %s}`, g.pick(genNumbers[:7]))
	default:
		return g.scalar()
	}
}

func (g gen) values() string {
	n := 1 + g.r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.operand()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (g gen) patternObject(depth int) string {
	n := 1 + g.r.IntN(3)
	var parts []string
	for i := 0; i < n; i++ {
		k := g.pick(genKeys)
		switch {
		case depth < 2 && g.r.IntN(5) == 0:
			parts = append(parts, fmt.Sprintf("%q: %s", k, g.patternObject(depth+1)))
		case depth < 2 && g.r.IntN(8) == 0:
			parts = append(parts, fmt.Sprintf(`"$or": [%s, %s]`, g.patternObject(depth+1), g.patternObject(depth+1)))
		default:
			parts = append(parts, fmt.Sprintf("%q: %s", k, g.values()))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (g gen) eventValue(depth int) string {
	switch {
	case depth < 3 && g.r.IntN(5) == 0:
		return g.eventObject(depth + 1)
	case depth < 3 && g.r.IntN(5) == 0:
		n := g.r.IntN(3)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = g.eventValue(depth + 1)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		return g.scalar()
	}
}

func (g gen) eventObject(depth int) string {
	n := g.r.IntN(5)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%q: %s", g.pick(genKeys), g.eventValue(depth))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
