package dataprotect

import (
	"regexp"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// finder detects one identifier inside the windows its keywords opened: it
// reports matches of identifier id in t.text whose start lies in [lo, hi].
type finder interface {
	find(t *task, id, lo, hi int)
}

// bound says what may not touch a match on either side.
type bound uint8

const (
	bndNone  bound = iota
	bndDigit       // no digit right before or after
	bndAlnum       // no letter or digit right before or after
	bndB64         // no base64 character ([A-Za-z0-9/+=]) right before or after
)

func (b bound) ok(text []byte, s, e int) bool {
	if b != bndNone && b != bndB64 && inToken(text, s, e) {
		return false
	}
	var before, after byte
	if s > 0 {
		before = text[s-1]
	}
	if e < len(text) {
		after = text[e]
	}
	switch b {
	case bndDigit:
		return !isDigit(before) && !isDigit(after)
	case bndAlnum:
		return !isAlnum(before) && !isAlnum(after)
	case bndB64: // '=' may precede ("KEY=...") but no base64 may touch
		return (!isB64(before) || before == '=') && !isB64(after)
	}
	return true
}

func isB64(c byte) bool { return isAlnum(c) || c == '/' || c == '+' || c == '=' }

// reFinder matches a shape expression at the candidate starts in the
// window, then checks the boundary and, on the match with separators
// removed, a validator. Matching is anchored at each start whose first byte
// can begin the expression: far cheaper than an unanchored search of the
// window.
type reFinder struct {
	re     *regexp.Regexp    // anchored: ^(?:expr)
	dfa    *dfa              // the same as an automaton, when it has one
	first  [256]bool         // bytes a match can start with
	alpha  [256]bool         // bytes a match can contain
	minLen int               // shortest possible match, in bytes
	maxLen int               // longest possible match
	lead   int               // the first digit is at most lead bytes into a match; -1: no digit needed
	strip  string            // separator bytes removed before check
	bound  bound             // what may not touch the match
	check  func([]byte) bool // nil: the shape is enough
}

func (f *reFinder) find(t *task, id, lo, hi int) {
	text := t.text
	end := min(len(text), hi+f.maxLen)
	if f.lead >= 0 && !hasDigit(text[lo:min(end, hi+f.lead+1)]) {
		return
	}
	for p := lo; p <= hi && p < len(text); p++ {
		if !f.first[text[p]] || !f.bound.okBefore(text, p) {
			continue
		}
		// A match is a run of alphabet bytes at least minLen long. When
		// the run here is shorter, so is the run from any later start in
		// it: skip it without running the expression.
		j := p + 1
		for j < len(text) && j-p < f.minLen && f.alpha[text[j]] {
			j++
		}
		if j-p < f.minLen {
			p = j
			continue
		}
		n := 0
		if f.dfa != nil {
			n = f.dfa.find(text[p:min(len(text), p+f.maxLen)])
		} else if m := f.re.FindIndex(text[p:min(len(text), p+f.maxLen)]); m != nil {
			n = m[1]
		}
		if n <= 0 {
			continue
		}
		e := p + n
		if !f.bound.ok(text, p, e) {
			continue
		}
		if f.check != nil && !f.check(t.normalize(text[p:e], f.strip)) {
			continue
		}
		t.emit(id, p, e)
		p = e - 1
	}
}

// inToken reports whether [s, e) is joined by '-' or '_' to letters or
// digits on either side, as in "EID-123456789-US": then it is part of a
// larger identifier, not a number of its own.
func inToken(text []byte, s, e int) bool {
	joined := func(c byte) bool { return c == '-' || c == '_' }
	return s >= 2 && joined(text[s-1]) && isAlnum(text[s-2]) ||
		e+1 < len(text) && joined(text[e]) && isAlnum(text[e+1])
}

// okBefore checks only the byte before a candidate start.
func (b bound) okBefore(text []byte, s int) bool {
	if s == 0 {
		return true
	}
	c := text[s-1]
	switch b {
	case bndDigit:
		return !isDigit(c)
	case bndAlnum:
		return !isAlnum(c)
	case bndB64:
		return !isB64(c) || c == '='
	}
	return true
}

// firstBytes returns the bytes a match of re can start with, and whether
// re can match the empty string.
func firstBytes(re *syntax.Regexp) (set [256]bool, nullable bool) {
	addRune := func(r rune) {
		if r < utf8.RuneSelf {
			set[r] = true
			return
		}
		var buf [utf8.UTFMax]byte
		utf8.EncodeRune(buf[:], r)
		set[buf[0]] = true
	}
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return set, true
		}
		r := re.Rune[0]
		addRune(r)
		if re.Flags&syntax.FoldCase != 0 {
			addRune(unicode.SimpleFold(r))
			addRune(unicode.ToUpper(r))
			addRune(unicode.ToLower(r))
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if r >= utf8.RuneSelf { // any lead byte: cheap and safe
					for b := 0xC2; b <= 0xF4; b++ {
						set[b] = true
					}
					break
				}
				set[r] = true
			}
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		for i := range set {
			set[i] = true
		}
	case syntax.OpCapture, syntax.OpPlus:
		return firstBytes(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		set, _ = firstBytes(re.Sub[0])
		return set, true
	case syntax.OpRepeat:
		set, nullable = firstBytes(re.Sub[0])
		return set, nullable || re.Min == 0
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			s, n := firstBytes(sub)
			for i, ok := range s {
				set[i] = set[i] || ok
			}
			if !n {
				return set, false
			}
		}
		return set, true
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			s, n := firstBytes(sub)
			for i, ok := range s {
				set[i] = set[i] || ok
			}
			nullable = nullable || n
		}
	default: // empty-width assertions and empty matches
		return set, true
	}
	return set, false
}

// alphabet marks in set every byte a match of re can contain (all bytes
// from 0x80 for non-ASCII runes).
func alphabet(re *syntax.Regexp, set *[256]bool) {
	addRune := func(r rune) {
		if r >= utf8.RuneSelf {
			for b := 0x80; b < 0x100; b++ {
				set[b] = true
			}
			return
		}
		set[r] = true
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			addRune(r)
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					addRune(f)
				}
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1] && r < utf8.RuneSelf; r++ {
				set[r] = true
			}
			if re.Rune[i+1] >= utf8.RuneSelf {
				addRune(utf8.RuneSelf)
			}
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		for b := range set {
			set[b] = true
		}
	default:
		for _, sub := range re.Sub {
			alphabet(sub, set)
		}
	}
}

// minLength returns the fewest bytes a match of re can have.
func minLength(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) // at least one byte a rune
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minLength(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minLength(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n += minLength(sub)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, sub := range re.Sub {
			if m := minLength(sub); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	return 0 // star, quest, empty-width assertions, empty match
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if isDigit(c) {
			return true
		}
	}
	return false
}
