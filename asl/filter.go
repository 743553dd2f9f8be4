package asl

import (
	"fmt"
	"regexp"
	"strings"
)

// parseFilter compiles the inside of a JSONPath filter [?(...)].
func parseFilter(src string) (filterExpr, error) {
	fp := &filterParser{s: src}
	e, err := fp.or()
	if err != nil {
		return nil, err
	}
	fp.space()
	if fp.i != len(fp.s) {
		return nil, fmt.Errorf("unexpected %q in filter", fp.s[fp.i:])
	}
	return e, nil
}

type filterParser struct {
	s     string
	i     int
	depth int
}

func (fp *filterParser) space() {
	for fp.i < len(fp.s) && (fp.s[fp.i] == ' ' || fp.s[fp.i] == '\t') {
		fp.i++
	}
}

func (fp *filterParser) eat(tok string) bool {
	fp.space()
	if strings.HasPrefix(fp.s[fp.i:], tok) {
		fp.i += len(tok)
		return true
	}
	return false
}

func (fp *filterParser) or() (filterExpr, error) {
	l, err := fp.and()
	if err != nil {
		return nil, err
	}
	for fp.eat("||") {
		r, err := fp.and()
		if err != nil {
			return nil, err
		}
		l = filterOr{l, r}
	}
	return l, nil
}

func (fp *filterParser) and() (filterExpr, error) {
	l, err := fp.unary()
	if err != nil {
		return nil, err
	}
	for fp.eat("&&") {
		r, err := fp.unary()
		if err != nil {
			return nil, err
		}
		l = filterAnd{l, r}
	}
	return l, nil
}

func (fp *filterParser) unary() (filterExpr, error) {
	fp.depth++
	defer func() { fp.depth-- }()
	if fp.depth > 100 {
		return nil, fmt.Errorf("filter nested too deeply")
	}
	if fp.eat("!") && !strings.HasPrefix(fp.s[fp.i:], "=") {
		x, err := fp.unary()
		if err != nil {
			return nil, err
		}
		return filterNot{x}, nil
	}
	if fp.eat("(") {
		x, err := fp.or()
		if err != nil {
			return nil, err
		}
		if !fp.eat(")") {
			return nil, fmt.Errorf("missing ')' in filter")
		}
		return x, nil
	}
	return fp.comparison()
}

var filterOps = []string{"==", "!=", "<=", ">=", "=~", "<", ">", " in ", " nin "}

func (fp *filterParser) comparison() (filterExpr, error) {
	l, err := fp.operand()
	if err != nil {
		return nil, err
	}
	fp.space()
	rest := " " + fp.s[fp.i:]
	for _, op := range filterOps {
		if !strings.HasPrefix(rest, op) && !strings.HasPrefix(rest[1:], op) {
			continue
		}
		if strings.HasPrefix(rest[1:], op) {
			fp.i += len(op)
		} else {
			fp.i += len(op) - 1
		}
		op = strings.TrimSpace(op)
		if op == "=~" {
			re, err := fp.regex()
			if err != nil {
				return nil, err
			}
			return filterCmp{l: l, op: op, r: operand{re: re}}, nil
		}
		r, err := fp.operand()
		if err != nil {
			return nil, err
		}
		return filterCmp{l: l, op: op, r: r}, nil
	}
	return filterCmp{l: l}, nil
}

func (fp *filterParser) regex() (*regexp.Regexp, error) {
	fp.space()
	if fp.i >= len(fp.s) || fp.s[fp.i] != '/' {
		return nil, fmt.Errorf("expected /regex/ in filter")
	}
	end := strings.LastIndexByte(fp.s[fp.i+1:], '/')
	if end < 0 {
		return nil, fmt.Errorf("unterminated regex in filter")
	}
	body := fp.s[fp.i+1 : fp.i+1+end]
	fp.i += end + 2
	flags := ""
	for fp.i < len(fp.s) && strings.IndexByte("imsx", fp.s[fp.i]) >= 0 {
		if fp.s[fp.i] != 'x' {
			flags += string(fp.s[fp.i])
		}
		fp.i++
	}
	if flags != "" {
		body = "(?" + flags + ")" + body
	}
	// Jayway matches the whole string.
	return regexp.Compile("^(?:" + body + ")$")
}

func (fp *filterParser) operand() (operand, error) {
	fp.space()
	if fp.i >= len(fp.s) {
		return operand{}, fmt.Errorf("missing operand in filter")
	}
	c := fp.s[fp.i]
	switch {
	case c == '@' || c == '$':
		j := fp.i + 1
		depth := 0
		for j < len(fp.s) {
			d := fp.s[j]
			if d == '[' {
				depth++
			} else if d == ']' {
				depth--
			} else if depth == 0 && strings.IndexByte(" =!<>&|)", d) >= 0 {
				break
			}
			j++
		}
		text := fp.s[fp.i:j]
		fp.i = j
		p, err := parsePath("$" + text[1:])
		if err != nil {
			return operand{}, err
		}
		return operand{path: p, rel: c == '@'}, nil
	case c == '\'' || c == '"':
		pp := &pathParser{s: fp.s, i: fp.i}
		s, err := pp.quoted()
		if err != nil {
			return operand{}, err
		}
		fp.i = pp.i
		return operand{lit: s, isLit: true}, nil
	case c == '[':
		end := strings.IndexByte(fp.s[fp.i:], ']')
		if end < 0 {
			return operand{}, fmt.Errorf("unterminated list in filter")
		}
		v, err := decodeJSON([]byte(strings.ReplaceAll(fp.s[fp.i:fp.i+end+1], "'", "\"")))
		if err != nil {
			return operand{}, fmt.Errorf("bad list in filter: %w", err)
		}
		fp.i += end + 1
		return operand{lit: v, isLit: true}, nil
	}
	j := fp.i
	for j < len(fp.s) && strings.IndexByte(" =!<>&|)", fp.s[j]) < 0 {
		j++
	}
	v, err := decodeJSON([]byte(fp.s[fp.i:j]))
	if err != nil {
		return operand{}, fmt.Errorf("bad literal %q in filter", fp.s[fp.i:j])
	}
	fp.i = j
	return operand{lit: v, isLit: true}, nil
}
