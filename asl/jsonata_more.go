package asl

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// More of the JSONata language: the chain operator (~>), ranges (..)
// and the string, higher-order and date/time functions.

// jchain is "x ~> f(args)", which calls f(x, args), or "x ~> $f".
type jchain struct{ l, r jnode }

func (n *jchain) eval(ctx any, sc *jscope) (any, error) {
	lv, err := n.l.eval(ctx, sc)
	if err != nil {
		return nil, err
	}
	if call, ok := n.r.(*jcall); ok {
		fv, err := call.fn.eval(ctx, sc)
		if err != nil {
			return nil, err
		}
		args := []any{lv}
		for _, a := range call.args {
			v, err := a.eval(ctx, sc)
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		return callJ(fv, args, sc)
	}
	fv, err := n.r.eval(ctx, sc)
	if err != nil {
		return nil, err
	}
	return callJ(fv, []any{lv}, sc)
}

// maxRange bounds the sequences [a..b] may build.
const maxRange = 1_000_000

func jrange(l, r any) (any, error) {
	a, ok1 := toInt(l)
	b, ok2 := toInt(r)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("the operands of the range operator (..) must evaluate to integers")
	}
	if b < a {
		return undefined, nil
	}
	if b-a >= maxRange {
		return nil, fmt.Errorf("the size of the sequence allocated by the range operator (..) must not exceed %d", maxRange)
	}
	out := make(jseq, 0, b-a+1)
	for i := a; i <= b; i++ {
		out = append(out, intNumber(i))
	}
	return out, nil
}

func init() {
	fns := map[string]func([]any, *jscope) (any, error){
		"match":              jmatch,
		"replace":            jreplace,
		"substringBefore":    jsubstringAround(true),
		"substringAfter":     jsubstringAround(false),
		"pad":                jpad,
		"base64encode":       strFn(func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }),
		"base64decode":       jbase64decode,
		"encodeUrlComponent": strFn(url.QueryEscape),
		"encodeUrl":          strFn(func(s string) string { return (&url.URL{Path: s}).EscapedPath() }),
		"decodeUrlComponent": jdecodeURL(url.QueryUnescape),
		"decodeUrl":          jdecodeURL(url.PathUnescape),
		"each":               jeach,
		"reduce":             jreduce,
		"zip":                jzip,
		"sift":               jsift,
		"single":             jsingle,
		"spread":             jspread,
		"error": func(a []any, _ *jscope) (any, error) {
			msg, _ := arg(a, 0).(string)
			if msg == "" {
				msg = "$error() function evaluated"
			}
			return nil, fmt.Errorf("%s", msg)
		},
		"assert": func(a []any, _ *jscope) (any, error) {
			b, ok := arg(a, 0).(bool)
			if !ok {
				return nil, fmt.Errorf("the first argument of $assert must be a boolean")
			}
			if !b {
				msg, _ := arg(a, 1).(string)
				if msg == "" {
					msg = "$assert() statement failed"
				}
				return nil, fmt.Errorf("%s", msg)
			}
			return undefined, nil
		},
		"formatBase": func(a []any, _ *jscope) (any, error) {
			x, ok := toFloat(arg(a, 0))
			if !ok {
				return undefined, nil
			}
			radix := int64(10)
			if r, ok := toInt(arg(a, 1)); ok {
				radix = r
			}
			if radix < 2 || radix > 36 {
				return nil, fmt.Errorf("the radix of $formatBase must be between 2 and 36")
			}
			return strconv.FormatInt(int64(math.RoundToEven(x)), int(radix)), nil
		},
	}
	for name, fn := range fns {
		jbuiltins[name] = &jbuiltin{name: name, fn: fn}
	}
}

// jpattern accepts a string (matched literally) or a regular expression.
func jpattern(v any, fn string) (*regexp.Regexp, error) {
	switch p := v.(type) {
	case *regexp.Regexp:
		return p, nil
	case string:
		if p == "" {
			return nil, fmt.Errorf("the second argument of %s cannot be an empty string", fn)
		}
		return regexp.MustCompile(regexp.QuoteMeta(p)), nil
	}
	return nil, fmt.Errorf("the second argument of %s must be a string or a regular expression", fn)
}

func limitArg(a []any, i int, fn string) (int, error) {
	v := arg(a, i)
	if v == undefined {
		return -1, nil
	}
	n, ok := toInt(v)
	if !ok || n < 0 {
		return 0, fmt.Errorf("the limit of %s must be a non-negative integer", fn)
	}
	return int(min(n, math.MaxInt32)), nil
}

// jmatch is $match(str, pattern [, limit]): a sequence of
// {match, index, groups} objects; index counts characters.
func jmatch(a []any, _ *jscope) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return undefined, nil
	}
	re, ok := arg(a, 1).(*regexp.Regexp)
	if !ok {
		return nil, fmt.Errorf("the second argument of $match must be a regular expression")
	}
	limit, err := limitArg(a, 2, "$match")
	if err != nil {
		return nil, err
	}
	var out jseq
	for _, m := range re.FindAllStringSubmatchIndex(s, limit) {
		groups := []any{}
		for g := 2; g+1 < len(m); g += 2 {
			if m[g] < 0 {
				groups = append(groups, "")
				continue
			}
			groups = append(groups, s[m[g]:m[g+1]])
		}
		out = append(out, map[string]any{
			"match":  s[m[0]:m[1]],
			"index":  intNumber(int64(utf8.RuneCountInString(s[:m[0]]))),
			"groups": groups,
		})
	}
	return collapse(out), nil
}

// jreplace is $replace(str, pattern, replacement [, limit]). A string
// replacement may refer to capture groups as $0, $1 ...; a function
// replacement gets the match object and returns the text.
func jreplace(a []any, sc *jscope) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return undefined, nil
	}
	re, err := jpattern(arg(a, 1), "$replace")
	if err != nil {
		return nil, err
	}
	limit, err := limitArg(a, 3, "$replace")
	if err != nil {
		return nil, err
	}
	repl := arg(a, 2)
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, limit) {
		b.WriteString(s[last:m[0]])
		switch r := repl.(type) {
		case string:
			b.WriteString(expandGroups(r, s, m))
		case *jlambda, *jbuiltin:
			groups := []any{}
			for g := 2; g+1 < len(m); g += 2 {
				if m[g] >= 0 {
					groups = append(groups, s[m[g]:m[g+1]])
				} else {
					groups = append(groups, "")
				}
			}
			obj := map[string]any{"match": s[m[0]:m[1]], "index": intNumber(int64(utf8.RuneCountInString(s[:m[0]]))), "groups": groups}
			v, err := callJ(r, []any{obj}, sc)
			if err != nil {
				return nil, err
			}
			str, ok := plain(v).(string)
			if !ok {
				return nil, fmt.Errorf("the replacement function of $replace must return a string")
			}
			b.WriteString(str)
		default:
			return nil, fmt.Errorf("the third argument of $replace must be a string or a function")
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// expandGroups substitutes $N (the longest N that names a group) and $$.
func expandGroups(r, s string, m []int) string {
	var b strings.Builder
	groups := len(m)/2 - 1
	for i := 0; i < len(r); i++ {
		c := r[i]
		if c != '$' || i+1 == len(r) {
			b.WriteByte(c)
			continue
		}
		if r[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		j := i + 1
		n := -1
		for j < len(r) && r[j] >= '0' && r[j] <= '9' {
			v := n*10 + int(r[j]-'0')
			if n < 0 {
				v = int(r[j] - '0')
			}
			if v > groups && n >= 0 {
				break
			}
			n = v
			j++
		}
		if n < 0 {
			b.WriteByte(c)
			continue
		}
		if n <= groups && m[2*n] >= 0 {
			b.WriteString(s[m[2*n]:m[2*n+1]])
		}
		i = j - 1
	}
	return b.String()
}

func jsubstringAround(before bool) func([]any, *jscope) (any, error) {
	return func(a []any, _ *jscope) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return undefined, nil
		}
		chars, _ := arg(a, 1).(string)
		i := strings.Index(s, chars)
		switch {
		case i < 0:
			return s, nil
		case before:
			return s[:i], nil
		}
		return s[i+len(chars):], nil
	}
}

// jpad is $pad(str, width [, char]): positive widths pad on the right,
// negative on the left.
func jpad(a []any, _ *jscope) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return undefined, nil
	}
	w, ok := toInt(arg(a, 1))
	if !ok {
		return nil, fmt.Errorf("the width of $pad must be an integer")
	}
	ch, _ := arg(a, 2).(string)
	if ch == "" {
		ch = " "
	}
	n := int(min(max(w, -w), 1<<20)) - utf8.RuneCountInString(s)
	if n <= 0 {
		return s, nil
	}
	fill := []rune(strings.Repeat(ch, n))[:n]
	if w < 0 {
		return string(fill) + s, nil
	}
	return s + string(fill), nil
}

func jbase64decode(a []any, _ *jscope) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return undefined, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("$base64decode: %v", err)
		}
	}
	return string(b), nil
}

func jdecodeURL(f func(string) (string, error)) func([]any, *jscope) (any, error) {
	return func(a []any, _ *jscope) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return undefined, nil
		}
		out, err := f(s)
		if err != nil {
			return nil, fmt.Errorf("malformed URL: %v", err)
		}
		return out, nil
	}
}

// jeach is $each(object, fn(value, key, object)).
func jeach(a []any, sc *jscope) (any, error) {
	m, ok := arg(a, 0).(map[string]any)
	if !ok {
		return undefined, nil
	}
	var out jseq
	for _, k := range sortedKeys(m) {
		v, err := callJ(arg(a, 1), []any{m[k], k, m}, sc)
		if err != nil {
			return nil, err
		}
		out = appendSeq(out, v)
	}
	return collapse(out), nil
}

// jreduce is $reduce(array, fn(acc, value, index, array) [, init]).
func jreduce(a []any, sc *jscope) (any, error) {
	items := asItems(arg(a, 0))
	if arg(a, 0) == undefined {
		return undefined, nil
	}
	acc, start := arg(a, 2), 0
	if acc == undefined {
		if len(items) == 0 {
			return undefined, nil
		}
		acc, start = items[0], 1
	}
	for i := start; i < len(items); i++ {
		v, err := callJ(arg(a, 1), []any{acc, items[i], intNumber(int64(i)), []any(items)}, sc)
		if err != nil {
			return nil, err
		}
		acc = v
	}
	return acc, nil
}

// jzip is $zip(array1, array2, ...).
func jzip(a []any, _ *jscope) (any, error) {
	if len(a) == 0 {
		return []any{}, nil
	}
	n := math.MaxInt
	lists := make([][]any, len(a))
	for i := range a {
		lists[i] = asItems(arg(a, i))
		n = min(n, len(lists[i]))
	}
	out := make([]any, n)
	for i := range n {
		row := make([]any, len(lists))
		for j := range lists {
			row[j] = lists[j][i]
		}
		out[i] = row
	}
	return out, nil
}

// jsift is $sift(object, fn(value, key, object)): the members fn accepts.
func jsift(a []any, sc *jscope) (any, error) {
	m, ok := arg(a, 0).(map[string]any)
	if !ok {
		return undefined, nil
	}
	out := map[string]any{}
	for _, k := range sortedKeys(m) {
		v, err := callJ(arg(a, 1), []any{m[k], k, m}, sc)
		if err != nil {
			return nil, err
		}
		if truthy(v) {
			out[k] = m[k]
		}
	}
	if len(out) == 0 {
		return undefined, nil
	}
	return out, nil
}

// jsingle is $single(array [, fn]): the one item (matching fn).
func jsingle(a []any, sc *jscope) (any, error) {
	var found any = undefined
	n := 0
	for i, x := range asItems(arg(a, 0)) {
		keep := true
		if fn := arg(a, 1); fn != undefined {
			v, err := callJ(fn, []any{x, intNumber(int64(i))}, sc)
			if err != nil {
				return nil, err
			}
			keep = truthy(v)
		}
		if keep {
			found = x
			n++
		}
	}
	switch {
	case n > 1:
		return nil, fmt.Errorf("the $single() function expected exactly 1 matching result; instead it matched more")
	case n == 0:
		return nil, fmt.Errorf("the $single() function expected exactly 1 matching result; instead it matched 0")
	}
	return found, nil
}

// jspread is $spread(object): one single-key object per member.
func jspread(a []any, _ *jscope) (any, error) {
	var out jseq
	for _, x := range asItems(arg(a, 0)) {
		m, ok := x.(map[string]any)
		if !ok {
			out = append(out, x)
			continue
		}
		for _, k := range sortedKeys(m) {
			out = append(out, map[string]any{k: m[k]})
		}
	}
	return collapse(out), nil
}
