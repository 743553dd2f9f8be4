package dataprotect

import (
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf8"
)

// trie is a byte trie over case-folded keyword spellings. The scanner walks
// it only from word starts (a keyword must not begin inside a word), so it
// needs no failure links: a walk is a handful of steps that ends at the first
// byte with no edge. The root row is dense for speed; deeper nodes keep their
// few edges in a flat slice.
type trie struct {
	class  [256]uint8 // byte → edge class; 0 means no keyword uses the byte
	nclass int
	root   []int32 // class → child of the root (0: none)
	nodes  []trieNode
	edges  []trieEdge
	terms  []trieTerm
}

type trieNode struct {
	first, n int32 // edges[first : first+n]
	term     int32 // index into terms, or -1
}

type trieEdge struct {
	class uint8
	child int32
}

// trieTerm is what ends at a node: the identifiers the keyword unlocks and
// the trigger it fires.
type trieTerm struct {
	ids     bitset
	trig    trigger
	endWord bool // the keyword ends in a letter, so the next byte must not continue the word
}

// trigger names a detector that a literal word starts rather than a
// keyword unlocking a window.
type trigger uint8

const (
	trigNone trigger = iota
	trigStreet
)

// sepClass is the class shared by space, underscore and hyphen: AWS matches
// a keyword's space with any of the three.
const sepClass = 1

type trieBuilder struct {
	t           *trie
	firstWords  bloom    // hashes of each spelling's leading run of letters
	firstShapes shapeSet // and their shapes
	kids        []map[uint8]int32
	terms       map[int32]int32
}

func newTrieBuilder() *trieBuilder {
	b := &trieBuilder{t: &trie{nclass: 2}, terms: map[int32]int32{}}
	b.t.class[' '], b.t.class['_'], b.t.class['-'] = sepClass, sepClass, sepClass
	b.t.nodes = append(b.t.nodes, trieNode{term: -1})
	b.kids = append(b.kids, map[uint8]int32{})
	return b
}

func (b *trieBuilder) classOf(c byte) uint8 {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	if k := b.t.class[c]; k != 0 {
		return k
	}
	k := uint8(b.t.nclass)
	b.t.nclass++
	b.t.class[c] = k
	if c >= 'a' && c <= 'z' {
		b.t.class[c-('a'-'A')] = k
	}
	return k
}

// add inserts one spelling (already lower-cased) and merges its payload.
func (b *trieBuilder) add(word string, ids bitset, trig trigger) {
	n := int32(0)
	for i := 0; i < len(word); i++ {
		k := b.classOf(word[i])
		child, ok := b.kids[n][k]
		if !ok {
			child = int32(len(b.t.nodes))
			b.t.nodes = append(b.t.nodes, trieNode{term: -1})
			b.kids = append(b.kids, map[uint8]int32{})
			b.kids[n][k] = child
		}
		n = child
	}
	ti, ok := b.terms[n]
	if !ok {
		ti = int32(len(b.t.terms))
		b.terms[n] = ti
		r, _ := utf8.DecodeLastRuneInString(word)
		b.t.terms = append(b.t.terms, trieTerm{endWord: unicode.IsLetter(r) || unicode.IsDigit(r)})
		b.t.nodes[n].term = ti
	}
	term := &b.t.terms[ti]
	term.ids.or(ids)
	if trig != trigNone {
		term.trig = trig
	}
}

// addKeyword adds a keyword in every spelling AWS matches: case-insensitive
// (also for non-ASCII letters), and with its spaces, underscores or hyphens
// present or dropped.
func (b *trieBuilder) addKeyword(kw string, ids bitset, trig trigger) {
	kw = strings.ToLower(strings.TrimSpace(kw))
	seen := map[string]bool{}
	for _, v := range caseVariants(kw) {
		for _, s := range []string{v, dropSeparators(v)} {
			if s != "" && !seen[s] {
				seen[s] = true
				b.add(s, ids, trig)
				lead := leadingLetters(s)
				b.firstWords.add(wordHash(lead))
				b.firstShapes.add(lead, 0, len(lead))
			}
		}
	}
}

// caseVariants returns the spellings that differ only in the case of
// non-ASCII letters; ASCII case is folded by the byte classes.
func caseVariants(kw string) []string {
	ascii := true
	for i := 0; i < len(kw); i++ {
		if kw[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return []string{kw}
	}
	title := []rune(kw)
	for i := range title {
		if i == 0 || title[i-1] == ' ' {
			title[i] = unicode.ToUpper(title[i])
		}
	}
	return []string{kw, strings.ToUpper(kw), string(title)}
}

func dropSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '_' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// build freezes the builder into the walkable form.
func (b *trieBuilder) build() *trie {
	t := b.t
	t.root = make([]int32, t.nclass)
	for k, child := range b.kids[0] {
		t.root[k] = child
	}
	for n := range t.nodes {
		t.nodes[n].first = int32(len(t.edges))
		for k, child := range b.kids[n] {
			t.edges = append(t.edges, trieEdge{class: k, child: child})
		}
		t.nodes[n].n = int32(len(t.edges)) - t.nodes[n].first
	}
	return t
}

// step follows the edge for byte c from node n, returning 0 when there is
// none (the root is never a child).
func (t *trie) step(n int32, c byte) int32 {
	k := t.class[c]
	if k == 0 {
		return 0
	}
	if n == 0 {
		return t.root[k]
	}
	nd := &t.nodes[n]
	for _, e := range t.edges[nd.first : nd.first+nd.n] {
		if e.class == k {
			return e.child
		}
	}
	return 0
}

// bitset holds up to 128 identifier indexes; a policy never needs more
// (about 100 managed identifiers plus at most 10 custom ones).
type bitset [2]uint64

const maxIdentifiers = 128

func (s *bitset) set(i int)          { s[i>>6] |= 1 << (uint(i) & 63) }
func (s bitset) has(i int) bool      { return s[i>>6]&(1<<(uint(i)&63)) != 0 }
func (s *bitset) or(o bitset)        { s[0] |= o[0]; s[1] |= o[1] }
func (s bitset) and(o bitset) bitset { return bitset{s[0] & o[0], s[1] & o[1]} }
func (s bitset) empty() bool         { return s[0]|s[1] == 0 }

// leadingLetters returns the run of letters (as the scanner's main loop
// counts them) that starts s.
func leadingLetters(s string) []byte {
	i := 0
	for i < len(s) && kinds[s[i]]&kLetter != 0 {
		i++
	}
	return []byte(s[:i])
}

// wordHash hashes a word for the prefilters: its first eight bytes with
// the case bit set (which lower-cases ASCII letters; a word holds only
// letters) and its length, mixed by one multiplication. Words that share
// eight bytes and a length collide; the trie walk or dictionary lookup
// after the filter settles them.
func wordHash(w []byte) uint64 { return hashAt(w, 0, len(w)) }

// hashAt is wordHash of text[s:e], reading eight bytes at once when text
// has them.
func hashAt(text []byte, s, e int) uint64 {
	n := e - s
	var x uint64
	if s+8 <= len(text) {
		x = binary.LittleEndian.Uint64(text[s:])
		if n < 8 {
			x &= 1<<(8*n) - 1
		}
	} else {
		for k := min(n, 8) - 1; k >= 0; k-- {
			x = x<<8 | uint64(text[s+k])
		}
	}
	x |= 0x2020202020202020 >> (64 - 8*min(n, 8))
	x ^= uint64(n) * 0x9e3779b97f4a7c15
	x *= 0xff51afd7ed558ccd
	return x ^ x>>29
}

// bloom is a 65,536-bit, two-probe Bloom filter over word hashes: a cheap
// "certainly not" before the trie walk or the dictionary lookup.
type bloom [1 << 16 / 64]uint64

func (b *bloom) add(h uint64) {
	for _, x := range [2]uint64{h & 0xffff, h >> 48} {
		b[x>>6] |= 1 << (x & 63)
	}
}

func (b *bloom) has(h uint64) bool {
	x, y := h&0xffff, h>>48
	return b[x>>6]&(1<<(x&63)) != 0 && b[y>>6]&(1<<(y&63)) != 0
}

// shapeSet is a coarser and cheaper word filter than the Bloom filter: it
// holds, for each pair of first two letters (ASCII letters folded, any
// other letter byte as one class), the set of word lengths (31 or more
// counting as 31). Most words fail it with one table load and no hashing.
type shapeSet [27 * 27]uint32

// letterIndex maps a letter byte to its shapeSet class: ASCII letters
// folded to 0–25, any other byte 26.
var letterIndex = func() (t [256]uint8) {
	for c := range t {
		t[c] = 26
		if l := byte(c) | 0x20; l >= 'a' && l <= 'z' {
			t[c] = l - 'a'
		}
	}
	return t
}()

func shapeOf(text []byte, s, e int) (int, uint32) {
	second := uint8(26)
	if e-s > 1 {
		second = letterIndex[text[s+1]]
	}
	return int(letterIndex[text[s]])*27 + int(second), 1 << min(e-s, 31)
}

func (b *shapeSet) add(text []byte, s, e int) {
	if e > s {
		i, bit := shapeOf(text, s, e)
		b[i] |= bit
	}
}

func (b *shapeSet) has(text []byte, s, e int) bool {
	i, bit := shapeOf(text, s, e)
	return b[i]&bit != 0
}
