package pattern

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting in patterns and events so that hostile input
// cannot exhaust the stack.
const maxDepth = 1000

// kind is the JSON type of a value.
type kind uint8

const (
	kindNone kind = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindTrue
	kindFalse
	kindNull
)

// node is a parsed JSON value that keeps what encoding/json loses and the
// pattern language cares about: member order, duplicate member names, and
// the literal text of numbers.
type node struct {
	kind  kind
	text  string // string contents, number literal, or true/false/null
	keys  []string
	vals  []*node // object members, parallel to keys
	elems []*node // array elements
}

// scanner reads JSON from a byte slice. It is strict in the way Jackson's
// defaults are: no comments, no trailing commas, no leading zeros.
type scanner struct {
	data  []byte
	pos   int
	depth int
}

var errEOF = errors.New("unexpected end-of-input")

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", s.pos, fmt.Sprintf(format, args...))
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// expectEnd reports an error if anything but space follows the value.
func (s *scanner) expectEnd() error {
	if s.peek() != 0 {
		return s.errorf("unexpected character %q after the document", s.data[s.pos])
	}
	return nil
}

// parseValue parses one value into a tree.
func (s *scanner) parseValue() (*node, error) {
	switch c := s.peek(); c {
	case '{':
		return s.parseObject()
	case '[':
		return s.parseArray()
	case '"':
		str, err := s.readString()
		if err != nil {
			return nil, err
		}
		return &node{kind: kindString, text: str}, nil
	case 't', 'f', 'n':
		k, text, err := s.readLiteral()
		if err != nil {
			return nil, err
		}
		return &node{kind: k, text: text}, nil
	case 0:
		return nil, errEOF
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			num, err := s.readNumber()
			if err != nil {
				return nil, err
			}
			return &node{kind: kindNumber, text: num}, nil
		}
		return nil, s.errorf("unexpected character %q", c)
	}
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return s.errorf("nesting deeper than %d", maxDepth)
	}
	return nil
}

func (s *scanner) parseObject() (*node, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer func() { s.depth-- }()
	s.pos++ // '{'
	n := &node{kind: kindObject}
	if s.peek() == '}' {
		s.pos++
		return n, nil
	}
	for {
		if s.peek() != '"' {
			return nil, s.errorf("expected a field name")
		}
		key, err := s.readString()
		if err != nil {
			return nil, err
		}
		if s.peek() != ':' {
			return nil, s.errorf("expected ':'")
		}
		s.pos++
		v, err := s.parseValue()
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, key)
		n.vals = append(n.vals, v)
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return n, nil
		default:
			return nil, s.errorf("expected ',' or '}'")
		}
	}
}

func (s *scanner) parseArray() (*node, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer func() { s.depth-- }()
	s.pos++ // '['
	n := &node{kind: kindArray}
	if s.peek() == ']' {
		s.pos++
		return n, nil
	}
	for {
		v, err := s.parseValue()
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return n, nil
		default:
			return nil, s.errorf("expected ',' or ']'")
		}
	}
}

func (s *scanner) readLiteral() (kind, string, error) {
	rest := s.data[s.pos:]
	for _, lit := range [...]struct {
		k    kind
		text string
	}{{kindTrue, "true"}, {kindFalse, "false"}, {kindNull, "null"}} {
		if len(rest) >= len(lit.text) && string(rest[:len(lit.text)]) == lit.text {
			s.pos += len(lit.text)
			if s.pos < len(s.data) && isIdentByte(s.data[s.pos]) {
				return 0, "", s.errorf("unrecognized token")
			}
			return lit.k, lit.text, nil
		}
	}
	return 0, "", s.errorf("unrecognized token")
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// readNumber consumes a number and returns its literal text.
func (s *scanner) readNumber() (string, error) {
	start := s.pos
	if _, err := s.scanNumber(); err != nil {
		return "", err
	}
	return string(s.data[start:s.pos]), nil
}

// scanNumber consumes a number and reports its length.
func (s *scanner) scanNumber() (int, error) {
	start := s.pos
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
		if i < len(d) && d[i] >= '0' && d[i] <= '9' {
			s.pos = i
			return 0, s.errorf("leading zeroes are not allowed")
		}
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		s.pos = i
		return 0, s.errorf("malformed number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return 0, s.errorf("malformed number: no digits after the decimal point")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return 0, s.errorf("malformed number: no digits in the exponent")
		}
	}
	if i < len(d) && isIdentByte(d[i]) {
		s.pos = i
		return 0, s.errorf("malformed number")
	}
	s.pos = i
	return i - start, nil
}

// readString consumes a string and returns its decoded contents.
func (s *scanner) readString() (string, error) {
	raw, escaped, err := s.scanString()
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(raw), nil
	}
	return unescape(raw)
}

// scanString consumes a string and returns its raw contents between the
// quotes and whether they hold escapes.
func (s *scanner) scanString() (raw []byte, escaped bool, err error) {
	d := s.data
	i := s.pos + 1
	start := i
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return d[start:i], escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				s.pos = len(d)
				return nil, false, errEOF
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(d[i+2:]); !ok {
					s.pos = i
					return nil, false, s.errorf("bad \\u escape")
				}
				i += 6
			default:
				s.pos = i
				return nil, false, s.errorf("bad escape")
			}
		case c < 0x20:
			s.pos = i
			return nil, false, s.errorf("control character in string")
		default:
			i++
		}
	}
	s.pos = len(d)
	return nil, false, errEOF
}

// skipValue consumes one value without building anything.
func (s *scanner) skipValue() error {
	switch c := s.peek(); c {
	case '{', '[':
		if err := s.enter(); err != nil {
			return err
		}
		s.pos++
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		if s.peek() == closer {
			s.pos++
			s.depth--
			return nil
		}
		for {
			if c == '{' {
				if s.peek() != '"' {
					return s.errorf("expected a field name")
				}
				if _, _, err := s.scanString(); err != nil {
					return err
				}
				if s.peek() != ':' {
					return s.errorf("expected ':'")
				}
				s.pos++
			}
			if err := s.skipValue(); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.pos++
			case closer:
				s.pos++
				s.depth--
				return nil
			default:
				return s.errorf("expected ',' or %q", closer)
			}
		}
	case '"':
		_, _, err := s.scanString()
		return err
	case 't', 'f', 'n':
		_, _, err := s.readLiteral()
		return err
	case 0:
		return errEOF
	default:
		_, err := s.scanNumber()
		return err
	}
}

// unescape decodes the escapes of a JSON string's raw contents.
func unescape(raw []byte) (string, error) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", errors.New("invalid JSON: bad escape")
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok {
				return "", errors.New("invalid JSON: bad \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := lowSurrogate(raw[i+1:]); ok {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					}
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", errors.New("invalid JSON: bad escape")
		}
	}
	return string(out), nil
}

func lowSurrogate(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	return hex4(b[2:])
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// parseJSON parses a whole document into a tree.
func parseJSON(data []byte) (*node, error) {
	s := &scanner{data: data}
	n, err := s.parseValue()
	if err != nil {
		return nil, err
	}
	if err := s.expectEnd(); err != nil {
		return nil, err
	}
	return n, nil
}
