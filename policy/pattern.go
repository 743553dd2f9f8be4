package policy

import (
	"strings"
	"unicode/utf8"
)

// A pattern is a policy string in which * matches any run of characters, ?
// matches one character, and (in version 2012-10-17 documents) ${...} is a
// policy variable. Values substituted for variables are literal text: a *
// in a user name does not become a wildcard.

type segKind uint8

const (
	segLit  segKind = iota
	segStar         // *
	segAny          // ?
	segVar          // ${name} or ${name, 'default'}
)

type segment struct {
	kind    segKind
	text    string // literal text, or the variable name in lower case
	def     string // default value of a variable
	hasDef  bool
	fromVar bool // literal produced by substitution or an escape such as ${*}
}

type pattern struct {
	raw     string
	segs    []segment
	hasVars bool
	hasWild bool
}

// compilePattern parses s. With vars false (version 2008-10-17 documents, or
// operators that take no variables) "${" is ordinary text. With wild false,
// * and ? are ordinary text too.
func compilePattern(s string, vars, wild bool) *pattern {
	p := &pattern{raw: s}
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			p.segs = append(p.segs, segment{kind: segLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wild && c == '*':
			flush()
			p.segs = append(p.segs, segment{kind: segStar})
			p.hasWild = true
			i++
		case wild && c == '?':
			flush()
			p.segs = append(p.segs, segment{kind: segAny})
			p.hasWild = true
			i++
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			v, n, ok := parseVariable(s[i:])
			if !ok {
				lit.WriteString(s[i : i+2])
				i += 2
				continue
			}
			flush()
			if v.kind == segVar {
				p.hasVars = true
			}
			p.segs = append(p.segs, v)
			i += n
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return p
}

// parseVariable parses a "${...}" at the start of s and returns the segment
// and its length. ${*}, ${?} and ${$} are escapes for literal characters.
func parseVariable(s string) (segment, int, bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return segment{}, 0, false
	}
	inner := s[2:end]
	switch inner {
	case "*", "?", "$":
		return segment{kind: segLit, text: inner, fromVar: true}, end + 1, true
	}
	name, def, hasDef := inner, "", false
	if c := strings.IndexByte(inner, ','); c >= 0 {
		name = inner[:c]
		d := strings.TrimSpace(inner[c+1:])
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return segment{}, 0, false
		}
		def, hasDef = d[1:len(d)-1], true
	}
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " \t'$") {
		return segment{}, 0, false
	}
	return segment{kind: segVar, text: strings.ToLower(name), def: def, hasDef: hasDef}, end + 1, true
}

// resolve substitutes variables from ctx. It reports false when a variable
// has no value and no default: such a pattern matches nothing.
func (p *pattern) resolve(ctx Context) ([]segment, bool) {
	if !p.hasVars {
		return p.segs, true
	}
	out := make([]segment, 0, len(p.segs))
	for _, s := range p.segs {
		if s.kind != segVar {
			out = append(out, s)
			continue
		}
		v, ok := ctx.single(s.text)
		if !ok {
			if !s.hasDef {
				return nil, false
			}
			v = s.def
		}
		if v != "" {
			out = append(out, segment{kind: segLit, text: v, fromVar: true})
		}
	}
	return out, true
}

// resolvable reports whether every variable of the pattern has a value
// (or a default) in ctx.
func (p *pattern) resolvable(ctx Context) bool {
	if !p.hasVars {
		return true
	}
	for _, s := range p.segs {
		if s.kind == segVar && !s.hasDef {
			if _, ok := ctx.single(s.text); !ok {
				return false
			}
		}
	}
	return true
}

// match reports whether s matches the pattern after substitution.
func (p *pattern) match(s string, ctx Context, fold bool) bool {
	segs, ok := p.resolve(ctx)
	if !ok {
		return false
	}
	return globMatch(segs, s, fold)
}

// globMatch matches s against segs (literals, * and ?; no variables) with
// the classic single-backtrack algorithm: linear for patterns with at most
// one *, and never worse than len(segs)*len(s). With fold, ASCII letters
// compare without case.
func globMatch(segs []segment, s string, fold bool) bool {
	si, li, i := 0, 0, 0
	starSi, starI := -1, 0
	for {
		if si < len(segs) {
			seg := &segs[si]
			switch seg.kind {
			case segStar:
				starSi, starI = si, i
				si, li = si+1, 0
				continue
			case segAny:
				if i < len(s) {
					_, n := utf8.DecodeRuneInString(s[i:])
					i += n
					si++
					continue
				}
			case segLit:
				if li >= len(seg.text) { // an empty literal matches nothing to consume
					si, li = si+1, 0
					continue
				}
				if i < len(s) && byteEq(seg.text[li], s[i], fold) {
					i++
					li++
					if li == len(seg.text) {
						si, li = si+1, 0
					}
					continue
				}
			}
		} else if i == len(s) {
			return true
		}
		if starSi < 0 || starI >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		i, si, li = starI, starSi+1, 0
	}
}

func byteEq(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}

// arnComponents splits resolved segments at the first five literal colons
// written in the policy, giving the six ARN components that ArnLike matches
// one by one. It reports false if there are fewer than six.
func arnComponents(segs []segment) ([6][]segment, bool) {
	var out [6][]segment
	k := 0
	for _, s := range segs {
		if k == 5 || s.kind != segLit || s.fromVar || !strings.Contains(s.text, ":") {
			out[k] = append(out[k], s)
			continue
		}
		text := s.text
		for k < 5 {
			c := strings.IndexByte(text, ':')
			if c < 0 {
				break
			}
			if c > 0 {
				out[k] = append(out[k], segment{kind: segLit, text: text[:c]})
			}
			k++
			text = text[c+1:]
		}
		if text != "" {
			out[k] = append(out[k], segment{kind: segLit, text: text})
		}
	}
	return out, k == 5
}

// arnMatch matches an ARN against an ARN pattern component by component, as
// ArnEquals and ArnLike do: a * never spans a colon of the first five
// components.
func arnMatch(p *pattern, value string, ctx Context) bool {
	segs, ok := p.resolve(ctx)
	if !ok {
		return false
	}
	comps, ok := arnComponents(segs)
	if !ok {
		return false
	}
	parts := strings.SplitN(value, ":", 6)
	if len(parts) != 6 {
		return false
	}
	for i := range comps {
		if !globMatch(comps[i], parts[i], false) {
			return false
		}
	}
	return true
}

// actionPattern is one entry of Action or NotAction, compiled for
// case-insensitive matching.
type actionPattern struct {
	all     bool      // "*"
	service string    // lower case, when it has no wildcard
	svc     []segment // service pattern, when it has wildcards
	name    []segment // lower-cased name pattern
}

func compileAction(a string) actionPattern {
	if a == "*" {
		return actionPattern{all: true}
	}
	lower := strings.ToLower(a)
	svc, name, _ := strings.Cut(lower, ":")
	ap := actionPattern{name: compilePattern(name, false, true).segs}
	if strings.ContainsAny(svc, "*?") {
		ap.svc = compilePattern(svc, false, true).segs
	} else {
		ap.service = svc
	}
	return ap
}

// match matches a request action already split into lower-case service and
// name.
func (ap *actionPattern) match(service, name string) bool {
	if ap.all {
		return true
	}
	if ap.svc != nil {
		if !globMatch(ap.svc, service, false) {
			return false
		}
	} else if ap.service != service {
		return false
	}
	return globMatch(ap.name, name, false)
}
