package dataprotect

import (
	"slices"
	"unicode/utf8"
)

// De-identification. Masking replaces every character of a match with the
// mask character, so the text keeps its length in characters; redaction
// removes the match. Inside JSON only the changed string values are
// re-encoded; a number that is masked or redacted becomes a string.

// edit is one de-identification: mask (with a character) or redact.
type edit struct {
	found
	mask byte // 0: redact
}

// Mask returns a copy of text with every match replaced, character for
// character, by ch. The matches must come from a text search of text.
func Mask(text []byte, matches []Match, ch byte) []byte {
	return applyText(text, editsFor(matches, ch))
}

// Redact returns a copy of text with every match removed. The matches must
// come from a text search of text.
func Redact(text []byte, matches []Match) []byte {
	return applyText(text, editsFor(matches, 0))
}

func editsFor(ms []Match, ch byte) []edit {
	es := make([]edit, len(ms))
	for i, m := range ms {
		es[i] = edit{found: found{Match: m}, mask: ch}
	}
	return es
}

// span is a merged stretch of edits: redaction wins over masking, and the
// first mask character wins among masks.
type span struct {
	start, end int
	mask       byte
}

func mergeSpans(es []span) []span {
	slices.SortFunc(es, func(a, b span) int { return a.start - b.start })
	var out []span
	for _, e := range es {
		if e.end <= e.start {
			continue
		}
		if n := len(out); n > 0 && e.start < out[n-1].end {
			last := &out[n-1]
			last.end = max(last.end, e.end)
			if e.mask == 0 {
				last.mask = 0
			}
			continue
		}
		out = append(out, e)
	}
	return out
}

// applySpans writes b with the spans applied to dst.
func applySpans(dst, b []byte, spans []span) []byte {
	prev := 0
	for _, s := range spans {
		s.start, s.end = max(s.start, prev), min(s.end, len(b))
		if s.start >= s.end {
			continue
		}
		dst = append(dst, b[prev:s.start]...)
		if s.mask != 0 {
			for p := s.start; p < s.end; {
				_, w := utf8.DecodeRune(b[p:s.end])
				dst = append(dst, s.mask)
				p += w
			}
		}
		prev = s.end
	}
	return append(dst, b[prev:]...)
}

func applyText(text []byte, es []edit) []byte {
	spans := make([]span, 0, len(es))
	for _, e := range es {
		spans = append(spans, span{e.Start, e.End, e.mask})
	}
	return applySpans(make([]byte, 0, len(text)), text, mergeSpans(spans))
}

// applyJSON re-encodes the values that edits touch and copies the rest of
// data unchanged.
func applyJSON(data []byte, es []edit) []byte {
	slices.SortFunc(es, func(a, b edit) int { return a.tok[0] - b.tok[0] })
	out := make([]byte, 0, len(data))
	prev := 0
	var dec []byte
	w := &jsonWalker{}
	for i := 0; i < len(es); {
		tok := es[i].tok
		j := i
		var spans []span
		for ; j < len(es) && es[j].tok == tok; j++ {
			spans = append(spans, span{es[j].val[0], es[j].val[1], es[j].mask})
		}
		if tok[0] < prev { // overlapping tokens cannot happen; be safe
			i = j
			continue
		}
		out = append(out, data[prev:tok[0]]...)
		if es[i].number {
			dec = append(dec[:0], data[tok[0]:tok[1]]...)
		} else {
			dec, _ = w.decodeString(data[tok[0]+1:tok[1]-1], nil)
			dec = slices.Clone(dec)
		}
		val := applySpans(nil, dec, mergeSpans(spans))
		out = appendJSONString(out, val)
		prev = tok[1]
		i = j
	}
	return append(out, data[prev:]...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal, escaping only what
// JSON requires.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// Deidentify finds the scanner's identifiers in data (as JSON when data is
// a JSON document, as text otherwise) and masks them with ch, or redacts
// them when ch is 0. It returns the new data and the matches.
func (s *Scanner) Deidentify(data []byte, ch byte) ([]byte, []Match) {
	fs, isJSON := s.findAny(data)
	es := make([]edit, len(fs))
	ms := make([]Match, len(fs))
	for i, f := range fs {
		es[i] = edit{found: f, mask: ch}
		ms[i] = f.Match
	}
	if len(es) == 0 {
		return slices.Clone(data), ms
	}
	if isJSON {
		return applyJSON(data, es), ms
	}
	return applyText(data, es), ms
}

// findAny searches data as JSON when it is a JSON document, else as text.
func (s *Scanner) findAny(data []byte) ([]found, bool) {
	if looksJSON(data) {
		if fs, err := s.findJSON(data); err == nil {
			return fs, true
		}
	}
	ms := s.FindText(data)
	fs := make([]found, len(ms))
	for i, m := range ms {
		fs[i] = found{Match: m}
	}
	return fs, false
}
