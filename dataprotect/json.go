package dataprotect

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON documents are searched value by value, as Macie searches
// record-based data: each string (and number) value is searched on its
// own, decoded, and a keyword counts when it is in the value itself or in
// the name of any key on the path to it. Keys themselves are not reported.
// A match therefore never spans two values, and de-identification rewrites
// only the values it changes, which keeps the document valid.

// found is a match with the extra coordinates de-identification needs.
type found struct {
	Match
	json   bool
	tok    [2]int // raw token span, quotes included
	val    [2]int // span within the decoded value
	number bool
}

var errNotJSON = errors.New("dataprotect: not a JSON document")

// maxJSONDepth bounds nesting; deeper documents are searched as text.
const maxJSONDepth = 512

// FindJSON returns the matches in a JSON document, ordered by position. It
// fails when data is not valid JSON.
func (s *Scanner) FindJSON(data []byte) ([]Match, error) {
	return s.appendJSON(nil, data, 0)
}

// appendJSON appends the matches of a JSON document to dst, offsets moved
// by base.
func (s *Scanner) appendJSON(dst []Match, data []byte, base int) ([]Match, error) {
	n := len(dst)
	err := s.walkJSON(data, func(f *found) {
		m := f.Match
		m.Start, m.End = m.Start+base, m.End+base
		dst = append(dst, m)
	})
	if err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// Find searches data as JSON when it is a JSON object or array, and as
// text otherwise.
func (s *Scanner) Find(data []byte) []Match {
	if looksJSON(data) {
		if m, err := s.FindJSON(data); err == nil {
			return m
		}
	}
	return s.FindText(data)
}

// looksJSON reports whether data starts (after white space) like a JSON
// object or array.
func looksJSON(data []byte) bool {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

type jsonFrame struct {
	array bool
	index int
	key   []byte // current key (objects): a slice of the document, or a decoded copy
}

type jsonWalker struct {
	s        *Scanner
	t        *task
	data     []byte
	pos      int
	stack    []jsonFrame
	ctx      []bitset // keyword context per depth
	emit     func(*found)
	decode   []byte
	offmap   []int
	pathBuf  []byte
	lastPath string
}

func (s *Scanner) findJSON(data []byte) ([]found, error) {
	var out []found
	err := s.walkJSON(data, func(f *found) { out = append(out, *f) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// walkJSON searches a JSON document and calls emit for each match, in
// document order. The walker and its buffers live in the pooled task.
func (s *Scanner) walkJSON(data []byte, emit func(*found)) error {
	t := s.getTask()
	defer s.putTask(t)
	w := &t.walker
	*w = jsonWalker{s: s, t: t, data: data, emit: emit,
		stack: w.stack[:0], decode: w.decode[:0], offmap: w.offmap[:0], pathBuf: w.pathBuf[:0], lastPath: w.lastPath}
	w.skipWS()
	if err := w.value(0, bitset{}); err != nil {
		return err
	}
	w.skipWS()
	if w.pos != len(data) {
		return errNotJSON
	}
	return nil
}

func (w *jsonWalker) skipWS() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ' ', '\t', '\r', '\n':
			w.pos++
		default:
			return
		}
	}
}

func (w *jsonWalker) value(depth int, ctx bitset) error {
	if depth > maxJSONDepth || w.pos >= len(w.data) {
		return errNotJSON
	}
	switch c := w.data[w.pos]; {
	case c == '{':
		return w.object(depth, ctx)
	case c == '[':
		return w.array(depth, ctx)
	case c == '"':
		start := w.pos
		end, esc, err := w.stringEnd()
		if err != nil {
			return err
		}
		w.searchString(start, end, esc, ctx)
		return nil
	case c == '-' || isDigit(c):
		start := w.pos
		if err := w.number(); err != nil {
			return err
		}
		w.searchNumber(start, w.pos, ctx)
		return nil
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(w.data[w.pos:], []byte(lit)) {
				w.pos += len(lit)
				return nil
			}
		}
		return errNotJSON
	}
}

func (w *jsonWalker) object(depth int, ctx bitset) error {
	w.pos++ // {
	w.stack = append(w.stack, jsonFrame{})
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	w.skipWS()
	if w.pos < len(w.data) && w.data[w.pos] == '}' {
		w.pos++
		return nil
	}
	for {
		w.skipWS()
		if w.pos >= len(w.data) || w.data[w.pos] != '"' {
			return errNotJSON
		}
		ks := w.pos
		ke, esc, err := w.stringEnd()
		if err != nil {
			return err
		}
		key := w.data[ks+1 : ke-1]
		if esc {
			dec, _ := w.decodeString(key, nil)
			key = append([]byte(nil), dec...)
		}
		w.stack[len(w.stack)-1].key = key
		keyCtx := ctx
		keyCtx.or(w.t.keyIDs(key))
		w.skipWS()
		if w.pos >= len(w.data) || w.data[w.pos] != ':' {
			return errNotJSON
		}
		w.pos++
		w.skipWS()
		if err := w.value(depth+1, keyCtx); err != nil {
			return err
		}
		w.skipWS()
		if w.pos >= len(w.data) {
			return errNotJSON
		}
		switch w.data[w.pos] {
		case ',':
			w.pos++
		case '}':
			w.pos++
			return nil
		default:
			return errNotJSON
		}
	}
}

func (w *jsonWalker) array(depth int, ctx bitset) error {
	w.pos++ // [
	w.stack = append(w.stack, jsonFrame{array: true})
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	w.skipWS()
	if w.pos < len(w.data) && w.data[w.pos] == ']' {
		w.pos++
		return nil
	}
	for i := 0; ; i++ {
		w.stack[len(w.stack)-1].index = i
		w.skipWS()
		if err := w.value(depth+1, ctx); err != nil {
			return err
		}
		w.skipWS()
		if w.pos >= len(w.data) {
			return errNotJSON
		}
		switch w.data[w.pos] {
		case ',':
			w.pos++
		case ']':
			w.pos++
			return nil
		default:
			return errNotJSON
		}
	}
}

// stringEnd scans the string token at w.pos and returns the offset after
// its closing quote and whether it contains escapes. Raw control
// characters, which strict JSON forbids in strings, are tolerated.
func (w *jsonWalker) stringEnd() (int, bool, error) {
	d := w.data
	p := w.pos + 1
	q := bytes.IndexByte(d[p:], '"')
	if q < 0 {
		return 0, false, errNotJSON
	}
	if bytes.IndexByte(d[p:p+q], '\\') < 0 { // the common case: no escapes
		w.pos = p + q + 1
		return w.pos, false, nil
	}
	for ; p < len(d); p++ {
		switch d[p] {
		case '"':
			w.pos = p + 1
			return p + 1, true, nil
		case '\\':
			if p+1 >= len(d) {
				return 0, false, errNotJSON
			}
			switch d[p+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p++
			case 'u':
				if p+5 >= len(d) {
					return 0, false, errNotJSON
				}
				for _, h := range d[p+2 : p+6] {
					if !isHex(h) {
						return 0, false, errNotJSON
					}
				}
				p += 5
			default:
				return 0, false, errNotJSON
			}
		}
	}
	return 0, false, errNotJSON
}

func (w *jsonWalker) number() error {
	d, p := w.data, w.pos
	if p < len(d) && d[p] == '-' {
		p++
	}
	switch {
	case p < len(d) && d[p] == '0':
		p++
	case p < len(d) && d[p] >= '1' && d[p] <= '9':
		for p < len(d) && isDigit(d[p]) {
			p++
		}
	default:
		return errNotJSON
	}
	if p < len(d) && d[p] == '.' {
		p++
		if p >= len(d) || !isDigit(d[p]) {
			return errNotJSON
		}
		for p < len(d) && isDigit(d[p]) {
			p++
		}
	}
	if p < len(d) && (d[p] == 'e' || d[p] == 'E') {
		p++
		if p < len(d) && (d[p] == '+' || d[p] == '-') {
			p++
		}
		if p >= len(d) || !isDigit(d[p]) {
			return errNotJSON
		}
		for p < len(d) && isDigit(d[p]) {
			p++
		}
	}
	w.pos = p
	return nil
}

// decodeString decodes the content of a string token (between the quotes)
// into the walker's buffer. When offs is non-nil it also records, for each
// decoded byte and one past the end, the raw offset it came from.
func (w *jsonWalker) decodeString(raw []byte, offs *[]int) ([]byte, []int) {
	out := w.decode[:0]
	var om []int
	if offs != nil {
		om = (*offs)[:0]
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			if offs != nil {
				om = append(om, i)
			}
			i++
			continue
		}
		start := i
		var r rune
		switch raw[i+1] {
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			v, _ := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
			r = rune(v)
			i += 4
			if utf16.IsSurrogate(r) && i+8 <= len(raw) && raw[i+2] == '\\' && raw[i+3] == 'u' {
				v2, _ := strconv.ParseUint(string(raw[i+4:i+8]), 16, 16)
				if r2 := utf16.DecodeRune(r, rune(v2)); r2 != utf8.RuneError {
					r = r2
					i += 6
				}
			}
		default:
			r = rune(raw[i+1])
		}
		i += 2
		n := len(out)
		out = utf8.AppendRune(out, r)
		if offs != nil {
			for k := n; k < len(out); k++ {
				om = append(om, start)
			}
		}
	}
	if offs != nil {
		om = append(om, len(raw))
		*offs = om
	}
	w.decode = out
	return out, om
}

// searchString searches one string value (token [start, end)).
func (w *jsonWalker) searchString(start, end int, esc bool, ctx bitset) {
	raw := w.data[start+1 : end-1]
	t := w.t
	t.raw = t.raw[:0]
	if !esc {
		t.scan(raw, 0, ctx)
		w.collect(start, end, nil, false)
		return
	}
	dec, om := w.decodeString(raw, &w.offmap)
	t.scan(dec, 0, ctx)
	w.collect(start, end, om, false)
}

func (w *jsonWalker) searchNumber(start, end int, ctx bitset) {
	t := w.t
	t.raw = t.raw[:0]
	t.scan(w.data[start:end], 0, ctx)
	w.collect(start, end, nil, true)
}

// collect turns the task's raw matches for one value into found entries.
func (w *jsonWalker) collect(start, end int, om []int, number bool) {
	if len(w.t.raw) == 0 {
		return
	}
	path := w.path()
	content := start + 1
	if number {
		content = start
	}
	for _, r := range w.t.sortedRaw() {
		s, e := int(r.start), int(r.end)
		f := found{Match: Match{Identifier: w.s.ids[r.id], Path: path}, json: true, tok: [2]int{start, end}, val: [2]int{s, e}, number: number}
		if om != nil {
			f.Start, f.End = content+om[s], content+om[e]
		} else {
			f.Start, f.End = content+s, content+e
		}
		w.emit(&f)
	}
}

// path renders the JSONPath of the current value.
func (w *jsonWalker) path() string {
	b := append(w.pathBuf[:0], '$')
	for _, f := range w.stack {
		if f.array {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(f.index), 10)
			b = append(b, ']')
			continue
		}
		if simpleKey(f.key) {
			b = append(b, '.')
			b = append(b, f.key...)
			continue
		}
		b = append(b, "['"...)
		for _, c := range f.key {
			if c == '\\' || c == '\'' {
				b = append(b, '\\')
			}
			b = append(b, c)
		}
		b = append(b, "']"...)
	}
	w.pathBuf = b
	// Records repeat their shape, so the path is often the previous one:
	// reuse its string rather than allocate another.
	if string(b) != w.lastPath {
		w.lastPath = string(b)
	}
	return w.lastPath
}

func simpleKey(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(isLetter(c) || c == '_' || c == '-' || i > 0 && isDigit(c)) {
			return false
		}
	}
	return true
}

// keyIDs is keywordIDs with a per-task direct-mapped cache: key names
// repeat from record to record.
func (t *task) keyIDs(key []byte) bitset {
	h := wordHash(key) ^ uint64(len(key))<<32
	if len(key) > 8 {
		h ^= wordHash(key[len(key)-8:]) * 31
	}
	e := &t.keyCache[h%uint64(len(t.keyCache))]
	if e.set && e.key == string(key) {
		return e.ids
	}
	ids := t.keywordIDs(key)
	if len(key) <= 64 {
		*e = keyEntry{key: string(key), ids: ids, set: true}
	}
	return ids
}

type keyEntry struct {
	key string
	ids bitset
	set bool
}

// keywordIDs returns the keyword-gated identifiers whose keywords occur in
// a key name.
func (t *task) keywordIDs(key []byte) bitset {
	var ids bitset
	tr := t.s.kw
	prevLetter, prevLower := false, false
	for i := 0; i < len(key); i++ {
		k := kinds[key[i]]
		if k&kLetter != 0 && (!prevLetter || k&kUpper != 0 && prevLower) {
			node := int32(0)
			for j := i; j < len(key); j++ {
				if node = tr.step(node, key[j]); node == 0 {
					break
				}
				if ti := tr.nodes[node].term; ti >= 0 {
					term := &tr.terms[ti]
					if !term.endWord || j+1 == len(key) || !continuesWord(key[j], key[j+1]) {
						ids.or(term.ids)
					}
				}
			}
		}
		prevLetter, prevLower = k&kLetter != 0, k&kLower != 0
	}
	return ids.and(t.s.gated)
}
