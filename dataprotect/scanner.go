package dataprotect

import (
	"fmt"
	"math/bits"
	"slices"
	"sync"
)

// Scanner finds the occurrences of a fixed set of identifiers. Build one per
// policy statement (or per scan) and reuse it: it is safe for concurrent
// use, and a search allocates nothing beyond its results in the common case.
//
// A search is a single pass over the bytes. Keywords and literal triggers
// are looked up only at word starts in a trie; identifiers that need a
// keyword run their shape matcher only in the 30-byte windows their
// keywords open; the rest (e-mail, IP addresses, keys, names, addresses)
// start from cheap byte triggers. Custom identifiers run their RE2
// expressions over the whole input.
type Scanner struct {
	ids    []*Identifier
	kw     *trie
	gated  bitset      // identifiers that have a keyword-gated finder
	trigs  triggerMask // union of the identifiers' triggers
	byTrig [16][]int   // trigger bit → identifier indexes
	custom []int
	phone  []int // identifiers with international phone support
	names  *nameDict
	// kwBloom holds the hashes of the words that begin a keyword spelling;
	// kwShape is a cheaper filter in front of it (see shapeSet).
	kwBloom bloom
	kwShape shapeSet

	class [256]uint8 // kinds, with kSpecial for the bytes that start a trigger
	pool  sync.Pool
}

// Match is one occurrence of sensitive data.
type Match struct {
	Identifier *Identifier
	Start, End int    // byte offsets into the searched input
	Path       string // JSON searches: the JSONPath of the value, e.g. $.payment.card
}

// NewScanner compiles a scanner for the given identifiers (at most 128).
func NewScanner(ids ...*Identifier) (*Scanner, error) {
	if len(ids) > maxIdentifiers {
		return nil, fmt.Errorf("dataprotect: %d identifiers; a scanner holds at most %d", len(ids), maxIdentifiers)
	}
	s := &Scanner{ids: slices.Clone(ids)}
	b := newTrieBuilder()
	for i, id := range s.ids {
		if id == nil {
			return nil, fmt.Errorf("dataprotect: identifier %d is nil", i)
		}
		var one bitset
		one.set(i)
		if id.det != nil {
			s.gated.set(i)
			for _, k := range id.Keywords {
				b.addKeyword(k, one, trigNone)
			}
		}
		if id.re != nil {
			s.custom = append(s.custom, i)
		}
		if len(id.phoneCC) > 0 {
			s.phone = append(s.phone, i)
		}
		s.trigs |= id.trigs
		for t := id.trigs; t != 0; t &= t - 1 {
			bit := bits.TrailingZeros16(uint16(t))
			s.byTrig[bit] = append(s.byTrig[bit], i)
		}
	}
	if s.trigs&tgStreet != 0 {
		for _, w := range streetWords {
			b.addKeyword(w, bitset{}, trigStreet)
		}
	}
	s.kw = b.build()
	s.kwBloom = b.firstWords
	s.kwShape = b.firstShapes
	if s.trigs&tgName != 0 {
		s.names = givenNames()
	}
	s.class = kinds
	for _, c := range s.specialBytes() {
		s.class[c] = kSpecial
	}
	s.pool.New = func() any { return new(task) }
	return s, nil
}

// Identifiers returns the scanner's identifiers, in the order given.
func (s *Scanner) Identifiers() []*Identifier { return slices.Clone(s.ids) }

func (s *Scanner) specialBytes() []byte {
	var out []byte
	if s.trigs&tgEmail != 0 {
		out = append(out, '@')
	}
	if s.trigs&tgIPv4 != 0 {
		out = append(out, '.')
	}
	if s.trigs&tgIPv6 != 0 {
		out = append(out, ':')
	}
	if s.trigs&tgPlus != 0 {
		out = append(out, '+')
	}
	if s.trigs&tgArmor != 0 {
		out = append(out, '-')
	}
	return out
}

// FindText returns the matches in plain text, ordered by start offset.
func (s *Scanner) FindText(text []byte) []Match {
	t := s.getTask()
	defer s.putTask(t)
	t.scan(text, 0, bitset{})
	return t.matches(nil, "")
}

// rawMatch is a match inside a task: identifier index and offsets.
type rawMatch struct {
	id         int32
	start, end int32
}

// hit is a window a keyword opened for one identifier: a match must start
// in [lo, hi].
type hit struct {
	id, lo, hi int
}

// task is the per-search state; tasks are pooled.
type task struct {
	s    *Scanner
	text []byte
	base int
	hits []hit
	// Per-identifier window being merged (runHits).
	win   [maxIdentifiers]hit
	winOn [maxIdentifiers]bool
	open  []int
	raw   []rawMatch
	norm  [64]byte

	// keyCache remembers the keyword identifiers of JSON key names, which
	// repeat from record to record.
	keyCache [512]keyEntry
	walker   jsonWalker

	// Trigger high-water marks so a token is examined once.
	emailDone, ip4Done, ip6Done, plusDone, armorDone, nameDone, addrDone int
}

func (s *Scanner) getTask() *task {
	t := s.pool.Get().(*task)
	t.s = s
	t.raw = t.raw[:0]
	return t
}

func (s *Scanner) putTask(t *task) {
	t.text = nil
	t.walker.data, t.walker.emit = nil, nil
	if cap(t.raw) > 1<<16 {
		t.raw = nil
	}
	s.pool.Put(t)
}

func (t *task) emit(id, start, end int) {
	t.raw = append(t.raw, rawMatch{int32(id), int32(start + t.base), int32(end + t.base)})
}

// normalize copies b without the bytes in strip into the task's buffer.
func (t *task) normalize(b []byte, strip string) []byte {
	if strip == "" || len(b) > len(t.norm) {
		return b
	}
	out := t.norm[:0]
	for _, c := range b {
		if indexByte(strip, c) < 0 {
			out = append(out, c)
		}
	}
	return out
}

// matches converts the raw matches collected so far (from rawFrom on) into
// Matches, sorted and without duplicates.
func (t *task) matches(dst []Match, path string) []Match {
	raw := t.sortedRaw()
	if dst == nil && len(raw) > 0 {
		dst = make([]Match, 0, len(raw))
	}
	for _, r := range raw {
		dst = append(dst, Match{Identifier: t.s.ids[r.id], Start: int(r.start), End: int(r.end), Path: path})
	}
	return dst
}

// sortedRaw sorts the raw matches by position and drops duplicates.
func (t *task) sortedRaw() []rawMatch {
	raw := t.raw
	slices.SortFunc(raw, func(a, b rawMatch) int {
		if a.start != b.start {
			return int(a.start - b.start)
		}
		if a.id != b.id {
			return int(a.id - b.id)
		}
		return int(a.end - b.end)
	})
	t.raw = slices.Compact(raw)
	return t.raw
}

// Byte kinds for the main loop.
const (
	kLetter = 1 << iota
	kUpper
	kLower
	kSpecial // a byte trigger (Scanner.class only)
)

var kinds = func() (k [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		k[c] = kLetter | kLower
		k[c-32] = kLetter | kUpper
	}
	for c := 0x80; c < 0x100; c++ {
		k[c] = kLetter
	}
	return k
}()

// scan searches text (which sits at offset base of the caller's input) and
// appends to t.raw. ctx lists identifiers whose keyword the caller already
// saw around the text (JSON keys on the value's path): for them the whole
// text is in range.
func (t *task) scan(text []byte, base int, ctx bitset) {
	s := t.s
	t.text, t.base = text, base
	t.hits = t.hits[:0]
	t.emailDone, t.ip4Done, t.ip6Done, t.plusDone, t.armorDone, t.nameDone, t.addrDone = 0, 0, 0, 0, 0, 0, 0
	camel := false
	n := len(text)
	cls := &s.class
	for i := 0; i < n; {
		// Most bytes outside words (digits, spaces, punctuation) need
		// nothing: skip them in a tight loop.
		for i < n && cls[text[i]] == 0 {
			i++
		}
		if i == n {
			break
		}
		c := text[i]
		k := cls[c]
		if k == kSpecial {
			if t.mayTrigger(i, c) {
				t.special(i, c)
			}
			i++
			continue
		}
		// A word: a run of letters, cut also at a lower→upper step
		// ("userSsn" is "user" and "Ssn").
		start, first := i, k
		prevLower := k&kLower != 0
		for i++; i < n; i++ {
			// The common case: a run of lower-case letters.
			for i < n && kinds[text[i]] == kLetter|kLower {
				i++
				prevLower = true
			}
			if i == n {
				break
			}
			k = kinds[text[i]]
			if k&kLetter == 0 || k&kUpper != 0 && prevLower {
				break
			}
			prevLower = false
		}
		// Most words need nothing more: a capitalised word may start a
		// name or a key ID, any other only a keyword, and then it must look
		// like a keyword's first word (shape, then Bloom filter).
		// After a digit (hex and base-32 IDs) no name, key ID, postal
		// code or PuTTY header starts, but a keyword still can.
		if first&kUpper != 0 && (start == 0 || !isDigit(text[start-1])) {
			t.word(start, i, camel)
		} else if s.kwShape.has(text, start, i) && s.kwBloom.has(hashAt(text, start, i)) {
			t.walk(start)
		}
		camel = i < n && k&kUpper != 0 && prevLower
	}
	if ids := ctx.and(s.gated); !ids.empty() {
		forEach(ids, func(id int) { t.hits = append(t.hits, hit{id, 0, n}) })
	}
	t.runHits()
	for _, id := range s.custom {
		for _, m := range s.ids[id].re.FindAllIndex(text, -1) {
			if m[1] > m[0] {
				t.emit(id, m[0], m[1])
			}
		}
	}
}

func forEach(b bitset, f func(int)) {
	for w := range b {
		for x := b[w]; x != 0; x &= x - 1 {
			f(w*64 + bits.TrailingZeros64(x))
		}
	}
}

// word handles the capitalised word text[i:e]: it walks the keyword trie
// when the word can begin a keyword, and fires the word-start triggers.
// camel is set when the word begins at a lower→upper case step inside a
// longer token.
func (t *task) word(i, e int, camel bool) {
	s, text := t.s, t.text
	// A name is followed by a space, or continues with a hyphen, an
	// apostrophe or a capital (Smith-Jones, O'Neil, McDonald). Such a word
	// is hashed at once, for both filters; any other only when its shape
	// could begin a keyword.
	named := !camel && s.trigs&tgName != 0 && e < len(text) &&
		(text[e] == ' ' || text[e] == '-' || text[e] == '\'' || kinds[text[e]]&kUpper != 0)
	var h uint64
	if named {
		h = hashAt(text, i, e)
		if s.kwBloom.has(h) {
			t.walk(i)
		}
	} else if s.kwShape.has(text, i, e) && s.kwBloom.has(hashAt(text, i, e)) {
		t.walk(i)
	}
	if camel {
		return
	}
	if s.trigs&tgPostal != 0 && e == i+1 && e < len(text) && isDigit(text[e]) {
		t.postalCA(i)
	}
	if s.trigs&tgAKID != 0 && e-i >= 4 && text[i] == 'A' {
		t.accessKey(i)
	}
	if s.trigs&tgPutty != 0 && e-i == 2 && text[i] == 'P' { // "PuTTY" splits at its case step
		t.putty(i)
	}
	if named && i >= t.nameDone && s.names.bloom.has(h) {
		t.name(i)
	}
}

// walk follows the keyword trie from a word start and reports each
// keyword that ends on a word boundary.
func (t *task) walk(i int) {
	text, tr := t.text, t.s.kw
	for j, node := i, int32(0); j < len(text); j++ {
		if node = tr.step(node, text[j]); node == 0 {
			return
		}
		ti := tr.nodes[node].term
		if ti < 0 {
			continue
		}
		term := &tr.terms[ti]
		end := j + 1
		if term.endWord && end < len(text) && continuesWord(text[j], text[end]) {
			continue
		}
		t.keyword(i, end, term)
	}
}

// continuesWord reports whether next extends the word that ends with prev
// (a letter after a letter, except at a lower→upper camel-case step).
func continuesWord(prev, next byte) bool {
	if kinds[next]&kLetter == 0 {
		return false
	}
	return !(kinds[prev]&kLower != 0 && kinds[next]&kUpper != 0)
}

// keyword records the windows a keyword opens and fires its trigger.
func (t *task) keyword(start, end int, term *trieTerm) {
	if !term.ids.empty() {
		forEach(term.ids, func(id int) {
			t.hits = append(t.hits, hit{id, end, end + KeywordDistance})
		})
	}
	switch term.trig {
	case trigStreet:
		t.address(start, end)
	}
}

// runHits merges each identifier's windows and runs its finder once per
// merged window.
func (t *task) runHits() {
	if len(t.hits) == 0 {
		return
	}
	// Merge each identifier's windows in one pass: hits arrive in text
	// order, so a hit either extends its identifier's open window or
	// closes it and opens the next.
	open := t.open[:0]
	for _, x := range t.hits {
		w := &t.win[x.id]
		if !t.winOn[x.id] {
			t.winOn[x.id] = true
			*w = x
			open = append(open, x.id)
			continue
		}
		if x.lo <= w.hi+1 && x.hi >= w.lo-1 {
			w.lo, w.hi = min(w.lo, x.lo), max(w.hi, x.hi)
			continue
		}
		t.runWindow(*w)
		*w = x
	}
	for _, id := range open {
		t.runWindow(t.win[id])
		t.winOn[id] = false
	}
	t.open = open
}

func (t *task) runWindow(w hit) {
	hi := min(w.hi, len(t.text))
	if w.lo > hi {
		return
	}
	t.s.ids[w.id].det.find(t, w.id, w.lo, hi)
}

// mayTrigger is the cheap test, inlined into the main loop, that a byte
// trigger needs its detector: '.' and ':' between address characters, a
// second '-' for armour, and so on. Most dots, colons and hyphens in text
// (sentences, times, UUIDs, dates) fail it.
func (t *task) mayTrigger(i int, c byte) bool {
	text := t.text
	switch c {
	case '.':
		return i >= t.ip4Done && i > 0 && i+1 < len(text) && isDigit(text[i-1]) && isDigit(text[i+1])
	case ':':
		return i >= t.ip6Done && (i > 0 && (isHex(text[i-1]) || text[i-1] == ':') || i+1 < len(text) && (isHex(text[i+1]) || text[i+1] == ':'))
	case '-':
		return i >= t.armorDone && i+1 < len(text) && text[i+1] == '-'
	}
	return true
}

// special handles the byte triggers.
func (t *task) special(i int, c byte) {
	switch c {
	case '@':
		t.email(i)
	case '.':
		t.ipv4(i)
	case ':':
		t.ipv6(i)
	case '+':
		t.phoneIntl(i)
	case '-':
		t.armor(i)
	}
}

// emitAll reports one span for every identifier listening to a trigger.
func (t *task) emitAll(trig triggerMask, start, end int) {
	for _, id := range t.s.byTrig[bits.TrailingZeros16(uint16(trig))] {
		t.emit(id, start, end)
	}
}
