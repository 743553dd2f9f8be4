package dataprotect

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"
	"sync"
)

// The Name identifier. AWS finds full names with a machine-learning model;
// Vigil does not pretend to. It reports a full name when a word from a
// dictionary of about 8,700 given names (data/given_names.txt, public
// domain, English-language names, and Vigil's data/given_names_intl.txt) is capitalised like a name and is
// followed by a surname-shaped word: capitalised, not a common capitalised
// word from data/not_surnames.txt, optionally after a middle initial or
// name and lower-case particles (van, de, ...). So "Jeremy Stieglitz" and
// "Mary-Jane O'Neil" are names, "Will Return" and "May Day" are not, and a
// first name outside the dictionary, a surname alone or a name written
// without capitals is missed. Given names that are mostly ordinary words
// (data/not_given_names.txt: "See", "Grant", "Asia", ...) are not used, and
// all-caps names count only with words of four letters or more ("JOHN
// SMITH", not "SAM CLI"). BENCHMARKS.md gives the measured precision and
// recall.

//go:embed data/given_names.txt
var givenNamesData []byte

//go:embed data/given_names_intl.txt
var givenNamesIntlData []byte

//go:embed data/not_surnames.txt
var notSurnamesData []byte

//go:embed data/not_given_names.txt
var notGivenData []byte

type nameDict struct {
	given       map[string]struct{} // lower case
	notSurnames map[string]struct{} // lower case
	bloom       bloom               // over given, checked before the map
}

var givenNames = sync.OnceValue(func() *nameDict {
	given := wordSet(givenNamesData)
	for w := range wordSet(givenNamesIntlData) {
		given[w] = struct{}{}
	}
	for w := range wordSet(notGivenData) {
		delete(given, w)
	}
	d := &nameDict{given: given, notSurnames: wordSet(notSurnamesData)}
	for w := range given {
		d.bloom.add(wordHash([]byte(w)))
	}
	return d
})

func wordSet(data []byte) map[string]struct{} {
	m := map[string]struct{}{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		m[strings.ToLower(line)] = struct{}{}
	}
	return m
}

// lookup reports whether the word (ASCII letters) is in the set, folding case
// without allocating.
func lookup(m map[string]struct{}, w []byte) bool {
	var buf [32]byte
	if len(w) > len(buf) {
		return false
	}
	for i, c := range w {
		buf[i] = lower(c)
	}
	_, ok := m[string(buf[:len(w)])]
	return ok
}

var nameParticles = []string{"van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "la", "le", "dos", "das", "ter", "ten", "bin", "al"}

// capWord returns the end of a capitalised name-like word at i ("Smith",
// "O'Neil", "McDonald", "Smith-Jones", "SMITH" when allCaps), or -1.
func capWord(text []byte, i int, allCaps bool) int {
	if i >= len(text) || kinds[text[i]]&kUpper == 0 {
		return -1
	}
	j := i + 1
	for j < len(text) {
		c := text[j]
		switch {
		case allCaps && kinds[c]&kUpper != 0, !allCaps && kinds[c]&kLower != 0:
			j++
		case !allCaps && kinds[c]&kUpper != 0 && j-i == 2 && (text[i] == 'M' && text[i+1] == 'c'):
			j++ // McDonald
		case (c == '\'' || c == '-') && j+1 < len(text) && kinds[text[j+1]]&kUpper != 0:
			j += 2 // O'Neil, Smith-Jones
		default:
			return wordEnd(text, i, j)
		}
	}
	return wordEnd(text, i, j)
}

// wordEnd accepts the word [i, j) when it is at least two letters and the
// next byte does not continue it with another letter or digit.
func wordEnd(text []byte, i, j int) int {
	if j-i < 2 || j < len(text) && (isAlnum(text[j]) || text[j] >= 0x80) {
		return -1
	}
	return j
}

// name examines a capitalised word at i.
func (t *task) name(i int) {
	text := t.text
	if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '@' || text[i-1] == '.' || text[i-1] == '/' || text[i-1] == '_' || text[i-1] == '-') {
		return
	}
	allCaps := i+1 < len(text) && kinds[text[i+1]]&kUpper != 0
	e1 := capWord(text, i, allCaps)
	if e1 < 0 {
		return
	}
	first := e1 // a hyphenated first name ("Mary-Jane") is looked up by its first part
	if k := bytes.IndexByte(text[i:e1], '-'); k > 0 {
		first = i + k
	}
	if e1-i > 20 || allCaps && e1-i < 4 || !lookup(t.s.names.given, text[i:first]) {
		return // short all-caps words are acronyms far more often than names
	}
	p := e1
	if p >= len(text) || text[p] != ' ' {
		return
	}
	p++
	// Optional middle initial ("J. ") or middle given name.
	if p+2 < len(text) && kinds[text[p]]&kUpper != 0 && text[p+1] == '.' && text[p+2] == ' ' {
		p += 3
	} else if e := capWord(text, p, allCaps); e > 0 && e+1 < len(text) && text[e] == ' ' && lookup(t.s.names.given, text[p:e]) && capWord(text, e+1, allCaps) > 0 {
		p = e + 1
	}
	// Optional lower-case particles ("van der ").
	for k := 0; k < 2; k++ {
		q := p
		for q < len(text) && kinds[text[q]]&kLower != 0 {
			q++
		}
		if q == p || q >= len(text) || text[q] != ' ' || !isParticle(text[p:q]) {
			break
		}
		p = q + 1
	}
	e2 := capWord(text, p, allCaps)
	if e2 < 0 || allCaps && e2-p < 4 || lookup(t.s.names.notSurnames, text[p:e2]) {
		return
	}
	t.nameDone = e2
	t.emitAll(tgName, i, e2)
}

func isParticle(w []byte) bool {
	for _, p := range nameParticles {
		if string(w) == p {
			return true
		}
	}
	return false
}
