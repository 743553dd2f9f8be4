package pattern

import (
	"strings"
	"unicode/utf8"
)

// EventBridge ignores case by letting each character of the operand stand
// for its lower-case or its upper-case form (Java's Locale.ROOT mappings);
// the two can differ in length, so matching tracks several offsets.

// foldChar is the two spellings one operand character accepts.
type foldChar struct{ lower, upper string }

func foldChars(s string) []foldChar {
	out := make([]foldChar, 0, len(s))
	for _, r := range s {
		if r == utf8.RuneError {
			out = append(out, foldChar{string(r), string(r)})
			continue
		}
		c := string(r)
		out = append(out, foldChar{strings.ToLower(c), strings.ToUpper(c)})
	}
	return out
}

// foldPrefixEnds returns every offset in s at which a case-insensitive
// match of chars, starting at offset 0, can end.
func foldPrefixEnds(chars []foldChar, s string) []int {
	offs := []int{0}
	for _, fc := range chars {
		var next []int
		for _, o := range offs {
			rest := s[o:]
			if strings.HasPrefix(rest, fc.lower) {
				next = addOffset(next, o+len(fc.lower))
			}
			if fc.upper != fc.lower && strings.HasPrefix(rest, fc.upper) {
				next = addOffset(next, o+len(fc.upper))
			}
		}
		if len(next) == 0 {
			return nil
		}
		offs = next
	}
	return offs
}

// foldSuffixMatch reports whether s ends with chars, ignoring case.
func foldSuffixMatch(chars []foldChar, s string) bool {
	ends := []int{len(s)}
	for i := len(chars) - 1; i >= 0; i-- {
		fc := chars[i]
		var next []int
		for _, e := range ends {
			head := s[:e]
			if strings.HasSuffix(head, fc.lower) {
				next = addOffset(next, e-len(fc.lower))
			}
			if fc.upper != fc.lower && strings.HasSuffix(head, fc.upper) {
				next = addOffset(next, e-len(fc.upper))
			}
		}
		if len(next) == 0 {
			return false
		}
		ends = next
	}
	return true
}

func foldEquals(chars []foldChar, s string) bool {
	for _, o := range foldPrefixEnds(chars, s) {
		if o == len(s) {
			return true
		}
	}
	return false
}

func foldPrefix(chars []foldChar, s string) bool {
	return len(foldPrefixEnds(chars, s)) > 0
}

func addOffset(offs []int, o int) []int {
	for _, x := range offs {
		if x == o {
			return offs
		}
	}
	return append(offs, o)
}
