package asl

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// This file holds a JSONata subset: the expressions Step Functions users
// write in {% %} fields. It covers literals, paths with predicates and
// indexes, arithmetic, string concatenation, comparisons, boolean
// operators, conditionals, blocks with := bindings, lambdas, regular
// expressions and the common function library plus Step Functions'
// additions ($partition, $range, $hash, $random, $uuid, $parse).

// undefined is JSONata's "no value".
type undefinedT struct{}

var undefined = undefinedT{}

type jnode interface {
	eval(ctx any, sc *jscope) (any, error)
}

type jscope struct {
	vars   map[string]any
	parent *jscope
	global func(string) (any, bool)
	env    *env
	depth  int
}

func (s *jscope) lookup(name string) (any, bool) {
	for c := s; c != nil; c = c.parent {
		if v, ok := c.vars[name]; ok {
			return v, true
		}
		if c.parent == nil && c.global != nil {
			return c.global(name)
		}
	}
	return nil, false
}

type jlambda struct {
	params []string
	body   jnode
	scope  *jscope
}

type jbuiltin struct {
	name string
	fn   func(args []any, sc *jscope) (any, error)
}

// jsonataExpr is a compiled {% %} expression.
type jsonataExpr struct {
	src  string
	root jnode
}

func compileJSONata(src string) (*jsonataExpr, error) {
	toks, err := jlex(src)
	if err != nil {
		return nil, err
	}
	p := &jparser{toks: toks}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != "eof" {
		return nil, fmt.Errorf("unexpected %q", p.peek().text)
	}
	return &jsonataExpr{src: src, root: n}, nil
}

// --- lexer ---

type jtok struct {
	kind string // num str name var op regex eof
	text string
	num  json.Number
	re   *regexp.Regexp
}

func jlex(s string) ([]jtok, error) {
	var out []jtok
	i := 0
	operandNext := true
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			i += end + 4
			continue
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' || s[j] == 'e' || s[j] == 'E' ||
				(s[j] == '+' || s[j] == '-') && j > i && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, jtok{kind: "num", text: s[i:j], num: json.Number(s[i:j])})
			i = j
			operandNext = false
			continue
		case c == '"' || c == '\'':
			str, n, err := jstring(s[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, jtok{kind: "str", text: str})
			i += n
			operandNext = false
			continue
		case c == '`':
			end := strings.IndexByte(s[i+1:], '`')
			if end < 0 {
				return nil, fmt.Errorf("unterminated name")
			}
			out = append(out, jtok{kind: "name", text: s[i+1 : i+1+end]})
			i += end + 2
			operandNext = false
			continue
		case c == '/' && operandNext:
			j := i + 1
			for j < len(s) && s[j] != '/' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated regular expression")
			}
			body := s[i+1 : j]
			j++
			flags := ""
			for j < len(s) && (s[j] == 'i' || s[j] == 'm') {
				flags += string(s[j])
				j++
			}
			if flags != "" {
				body = "(?" + flags + ")" + body
			}
			re, err := regexp.Compile(body)
			if err != nil {
				return nil, fmt.Errorf("invalid regular expression: %w", err)
			}
			out = append(out, jtok{kind: "regex", text: s[i:j], re: re})
			i = j
			operandNext = false
			continue
		case c == '$' || isIdentStart(c):
			j := i + 1
			for j < len(s) && (isIdentChar(s[j]) || s[j] == '$' && j == i+1) {
				j++
			}
			word := s[i:j]
			kind := "name"
			if c == '$' {
				kind = "var"
			} else if word == "and" || word == "or" || word == "in" {
				kind = "op"
			}
			out = append(out, jtok{kind: kind, text: word})
			i = j
			operandNext = kind == "op"
			continue
		}
		for _, op := range []string{":=", "!=", "<=", ">=", "..", "~>", "?:", "??"} {
			if strings.HasPrefix(s[i:], op) {
				out = append(out, jtok{kind: "op", text: op})
				i += len(op)
				goto next
			}
		}
		if strings.IndexByte("()[]{}.,;:?+-*/%&=<>^!|#@", c) < 0 {
			return nil, fmt.Errorf("unexpected character %q", c)
		}
		out = append(out, jtok{kind: "op", text: string(c)})
		i++
	next:
		last := out[len(out)-1].text
		operandNext = last != ")" && last != "]" && last != "}"
	}
	return append(out, jtok{kind: "eof"}), nil
}

func jstring(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == q {
			return b.String(), i + 1, nil
		}
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'u':
				if i+4 < len(s) {
					if r, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
						b.WriteRune(rune(r))
						i += 4
						continue
					}
				}
				b.WriteByte('u')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return "", 0, fmt.Errorf("unterminated string")
}

// --- parser ---

type jparser struct {
	toks  []jtok
	i     int
	depth int
}

func (p *jparser) peek() jtok { return p.toks[p.i] }
func (p *jparser) next() jtok { t := p.toks[p.i]; p.i = min(p.i+1, len(p.toks)-1); return t }
func (p *jparser) isOp(s string) bool {
	t := p.peek()
	return t.kind == "op" && t.text == s
}
func (p *jparser) want(s string) error {
	if !p.isOp(s) {
		return fmt.Errorf("expected %q but found %q", s, p.peek().text)
	}
	p.next()
	return nil
}

var jprec = map[string]int{
	":=": 10, "?": 20, "..": 20, "or": 25, "and": 30, "=": 40, "!=": 40, "<": 40, "<=": 40, ">": 40, ">=": 40, "in": 40, "~>": 40,
	"&": 50, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60, ".": 75, "[": 80, "(": 80,
}

func (p *jparser) expr(minPrec int) (jnode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 200 {
		return nil, fmt.Errorf("expression nested too deeply")
	}
	left, err := p.prefix()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != "op" {
			return left, nil
		}
		prec, ok := jprec[t.text]
		if !ok || prec <= minPrec && t.text != ":=" || t.text == ":=" && minPrec > 10 {
			return left, nil
		}
		p.next()
		switch t.text {
		case ".":
			right, err := p.expr(75)
			if err != nil {
				return nil, err
			}
			left = &jpath{l: left, r: right}
		case "[":
			if p.isOp("]") {
				p.next()
				left = &jkeepArray{x: left}
				continue
			}
			idx, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if err := p.want("]"); err != nil {
				return nil, err
			}
			left = &jfilter{x: left, pred: idx}
		case "(":
			args, err := p.list(")")
			if err != nil {
				return nil, err
			}
			left = &jcall{fn: left, args: args}
		case "?":
			then, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			var els jnode
			if p.isOp(":") {
				p.next()
				if els, err = p.expr(19); err != nil {
					return nil, err
				}
			}
			left = &jcond{c: left, t: then, e: els}
		case "~>":
			right, err := p.expr(prec)
			if err != nil {
				return nil, err
			}
			left = &jchain{l: left, r: right}
		case ":=":
			v, ok := left.(*jvar)
			if !ok {
				return nil, fmt.Errorf("left side of := must be a variable")
			}
			val, err := p.expr(9)
			if err != nil {
				return nil, err
			}
			left = &jbind{name: v.name, x: val}
		default:
			right, err := p.expr(prec)
			if err != nil {
				return nil, err
			}
			left = &jbin{op: t.text, l: left, r: right}
		}
	}
}

func (p *jparser) list(end string) ([]jnode, error) {
	var out []jnode
	if p.isOp(end) {
		p.next()
		return out, nil
	}
	for {
		n, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if p.isOp(",") {
			p.next()
			continue
		}
		return out, p.want(end)
	}
}

func (p *jparser) prefix() (jnode, error) {
	t := p.next()
	switch t.kind {
	case "num":
		return &jlit{v: t.num}, nil
	case "str":
		return &jlit{v: t.text}, nil
	case "regex":
		return &jlit{v: t.re}, nil
	case "var":
		return &jvar{name: t.text[1:]}, nil
	case "name":
		switch t.text {
		case "true":
			return &jlit{v: true}, nil
		case "false":
			return &jlit{v: false}, nil
		case "null":
			return &jlit{v: nil}, nil
		case "function":
			return p.lambda()
		}
		return &jname{name: t.text}, nil
	case "op":
		switch t.text {
		case "-":
			x, err := p.expr(70)
			return &jneg{x: x}, err
		case "(":
			var seq []jnode
			for !p.isOp(")") {
				n, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				seq = append(seq, n)
				if p.isOp(";") {
					p.next()
				} else if !p.isOp(")") {
					return nil, fmt.Errorf("expected ';' or ')'")
				}
			}
			p.next()
			return &jblock{seq: seq}, nil
		case "[":
			items, err := p.list("]")
			return &jarray{items: items}, err
		case "{":
			var keys, vals []jnode
			if p.isOp("}") {
				p.next()
				return &jobject{}, nil
			}
			for {
				k, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				if err := p.want(":"); err != nil {
					return nil, err
				}
				v, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				keys, vals = append(keys, k), append(vals, v)
				if p.isOp(",") {
					p.next()
					continue
				}
				return &jobject{keys: keys, vals: vals}, p.want("}")
			}
		case "*":
			return &jwild{}, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

func (p *jparser) lambda() (jnode, error) {
	if err := p.want("("); err != nil {
		return nil, err
	}
	var params []string
	for !p.isOp(")") {
		t := p.next()
		if t.kind != "var" {
			return nil, fmt.Errorf("lambda parameters must be variables")
		}
		params = append(params, t.text[1:])
		if p.isOp(",") {
			p.next()
		}
	}
	p.next()
	if err := p.want("{"); err != nil {
		return nil, err
	}
	body, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	return &jlambdaNode{params: params, body: body}, p.want("}")
}
