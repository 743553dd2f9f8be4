package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"strings"
)

// An intrinsic is a compiled intrinsic function call such as
// States.Format('{} items', $.count).
type intrinsic struct {
	name string
	args []intrinsicArg
}

type intrinsicArg struct {
	lit   any
	isLit bool
	path  *path
	call  *intrinsic
}

var intrinsicArity = map[string][2]int{ // min, max (-1 = unbounded)
	"States.Format":         {1, -1},
	"States.StringToJson":   {1, 1},
	"States.JsonToString":   {1, 1},
	"States.Array":          {0, -1},
	"States.ArrayPartition": {2, 2},
	"States.ArrayContains":  {2, 2},
	"States.ArrayRange":     {3, 3},
	"States.ArrayGetItem":   {2, 2},
	"States.ArrayLength":    {1, 1},
	"States.ArrayUnique":    {1, 1},
	"States.Base64Encode":   {1, 1},
	"States.Base64Decode":   {1, 1},
	"States.Hash":           {2, 2},
	"States.JsonMerge":      {3, 3},
	"States.MathRandom":     {2, 3},
	"States.MathAdd":        {2, 2},
	"States.StringSplit":    {2, 2},
	"States.UUID":           {0, 0},
}

// isIntrinsicText reports whether s looks like an intrinsic call.
func isIntrinsicText(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "States.") }

// parseIntrinsic compiles an intrinsic function call.
func parseIntrinsic(src string) (*intrinsic, error) {
	ip := &intrinsicParser{s: strings.TrimSpace(src)}
	call, err := ip.call(0)
	if err != nil {
		return nil, err
	}
	ip.space()
	if ip.i != len(ip.s) {
		return nil, fmt.Errorf("unexpected text after intrinsic function: %q", ip.s[ip.i:])
	}
	return call, nil
}

type intrinsicParser struct {
	s string
	i int
}

func (ip *intrinsicParser) space() {
	for ip.i < len(ip.s) && (ip.s[ip.i] == ' ' || ip.s[ip.i] == '\t' || ip.s[ip.i] == '\n') {
		ip.i++
	}
}

func (ip *intrinsicParser) call(depth int) (*intrinsic, error) {
	if depth > 50 {
		return nil, fmt.Errorf("intrinsic functions nested too deeply")
	}
	j := strings.IndexByte(ip.s[ip.i:], '(')
	if j < 0 {
		return nil, fmt.Errorf("missing '(' in intrinsic function")
	}
	name := strings.TrimSpace(ip.s[ip.i : ip.i+j])
	arity, ok := intrinsicArity[name]
	if !ok {
		return nil, fmt.Errorf("unknown intrinsic function %q", name)
	}
	ip.i += j + 1
	c := &intrinsic{name: name}
	ip.space()
	if ip.i < len(ip.s) && ip.s[ip.i] == ')' {
		ip.i++
	} else {
		for {
			a, err := ip.arg(depth)
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			ip.space()
			if ip.i >= len(ip.s) {
				return nil, fmt.Errorf("missing ')' in %s", name)
			}
			if ip.s[ip.i] == ')' {
				ip.i++
				break
			}
			if ip.s[ip.i] != ',' {
				return nil, fmt.Errorf("expected ',' or ')' in %s", name)
			}
			ip.i++
		}
	}
	if len(c.args) < arity[0] || arity[1] >= 0 && len(c.args) > arity[1] {
		return nil, fmt.Errorf("wrong number of arguments for %s", name)
	}
	return c, nil
}

func (ip *intrinsicParser) arg(depth int) (intrinsicArg, error) {
	ip.space()
	if ip.i >= len(ip.s) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	switch c := ip.s[ip.i]; {
	case c == '\'':
		s, err := ip.str()
		return intrinsicArg{lit: s, isLit: true}, err
	case c == '$':
		start := ip.i
		depthB := 0
		var quote byte
		for ip.i < len(ip.s) {
			d := ip.s[ip.i]
			if quote != 0 {
				if d == '\\' {
					ip.i++
				} else if d == quote {
					quote = 0
				}
			} else if d == '\'' || d == '"' {
				quote = d
			} else if d == '[' || d == '(' {
				depthB++
			} else if d == ']' || d == ')' && depthB > 0 {
				depthB--
			} else if depthB == 0 && (d == ',' || d == ')') {
				break
			}
			ip.i++
		}
		ip.i = min(ip.i, len(ip.s))
		text := strings.TrimSpace(ip.s[start:ip.i])
		p, err := parsePath(text)
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{path: p}, nil
	case strings.HasPrefix(ip.s[ip.i:], "States."):
		call, err := ip.call(depth + 1)
		return intrinsicArg{call: call}, err
	}
	j := ip.i
	for j < len(ip.s) && ip.s[j] != ',' && ip.s[j] != ')' {
		j++
	}
	text := strings.TrimSpace(ip.s[ip.i:j])
	v, err := decodeJSON([]byte(text))
	if err != nil {
		return intrinsicArg{}, fmt.Errorf("invalid argument %q", text)
	}
	switch v.(type) {
	case json.Number, bool, nil:
	default:
		return intrinsicArg{}, fmt.Errorf("invalid argument %q", text)
	}
	ip.i = j
	return intrinsicArg{lit: v, isLit: true}, nil
}

// str reads a single-quoted string literal; backslash escapes the next
// character, and \n, \t, \r become control characters.
func (ip *intrinsicParser) str() (string, error) {
	ip.i++
	var b strings.Builder
	for ip.i < len(ip.s) {
		c := ip.s[ip.i]
		switch {
		case c == '\\' && ip.i+1 < len(ip.s):
			n := ip.s[ip.i+1]
			switch n {
			case '{', '}':
				// Kept escaped so States.Format can tell them from
				// placeholders; unescapeBraces removes the marks.
				b.WriteByte('\\')
				b.WriteByte(n)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(n)
			}
			ip.i += 2
		case c == '\'':
			ip.i++
			return b.String(), nil
		default:
			b.WriteByte(c)
			ip.i++
		}
	}
	return "", fmt.Errorf("unterminated string literal")
}

// eval runs the call in env.
func (c *intrinsic) eval(e *env) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch {
		case a.isLit:
			args[i] = a.lit
			if s, ok := a.lit.(string); ok && c.name != "States.Format" {
				args[i] = unescapeBraces(s)
			}
		case a.call != nil:
			v, err := a.call.eval(e)
			if err != nil {
				return nil, err
			}
			args[i] = v
		default:
			v, err := e.resolve(a.path)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
	}
	v, err := callIntrinsic(c.name, args, e)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	return v, nil
}

func callIntrinsic(name string, a []any, e *env) (any, error) {
	switch name {
	case "States.Format":
		return fnFormat(a)
	case "States.StringToJson":
		s, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("argument must be a string")
		}
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		return decodeJSON([]byte(s))
	case "States.JsonToString":
		return encodeString(a[0]), nil
	case "States.Array":
		return append([]any{}, a...), nil
	case "States.ArrayPartition":
		return fnPartition(a)
	case "States.ArrayContains":
		arr, ok := a[0].([]any)
		if !ok {
			return nil, fmt.Errorf("first argument must be an array")
		}
		for _, x := range arr {
			if jsonEqual(x, a[1]) {
				return true, nil
			}
		}
		return false, nil
	case "States.ArrayRange":
		return fnRange(a)
	case "States.ArrayGetItem":
		arr, ok := a[0].([]any)
		i, ok2 := toInt(a[1])
		if !ok || !ok2 {
			return nil, fmt.Errorf("arguments must be an array and an integer")
		}
		if i < 0 || i >= int64(len(arr)) {
			return nil, fmt.Errorf("index %d out of bounds for array of length %d", i, len(arr))
		}
		return arr[i], nil
	case "States.ArrayLength":
		arr, ok := a[0].([]any)
		if !ok {
			return nil, fmt.Errorf("argument must be an array")
		}
		return intNumber(int64(len(arr))), nil
	case "States.ArrayUnique":
		arr, ok := a[0].([]any)
		if !ok {
			return nil, fmt.Errorf("argument must be an array")
		}
		out := []any{}
	next:
		for _, x := range arr {
			for _, y := range out {
				if jsonEqual(x, y) {
					continue next
				}
			}
			out = append(out, x)
		}
		return out, nil
	case "States.Base64Encode":
		s, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("argument must be a string")
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "States.Base64Decode":
		s, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("argument must be a string")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("invalid base64 input")
		}
		return string(b), nil
	case "States.Hash":
		return fnHash(a)
	case "States.JsonMerge":
		return fnMerge(a)
	case "States.MathRandom":
		return fnRandom(a, e)
	case "States.MathAdd":
		x, ok1 := toFloat(a[0])
		y, ok2 := toFloat(a[1])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("arguments must be numbers")
		}
		// AWS rounds each operand half up before adding.
		return intNumber(int64(math.Floor(x+0.5)) + int64(math.Floor(y+0.5))), nil
	case "States.StringSplit":
		s, ok1 := a[0].(string)
		d, ok2 := a[1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("arguments must be strings")
		}
		out := []any{}
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(d, r) }) {
			out = append(out, part)
		}
		return out, nil
	case "States.UUID":
		return e.uuid(), nil
	}
	return nil, fmt.Errorf("unsupported intrinsic function")
}

func fnFormat(a []any) (any, error) {
	tmpl, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("first argument must be a string")
	}
	var b strings.Builder
	n := 1
	for i := 0; i < len(tmpl); i++ {
		if tmpl[i] == '\\' && i+1 < len(tmpl) && (tmpl[i+1] == '{' || tmpl[i+1] == '}') {
			b.WriteByte(tmpl[i+1])
			i++
			continue
		}
		if tmpl[i] == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}' {
			if n >= len(a) {
				return nil, fmt.Errorf("not enough arguments for the template")
			}
			b.WriteString(formatArg(a[n]))
			n++
			i++
			continue
		}
		b.WriteByte(tmpl[i])
	}
	if n != len(a) {
		return nil, fmt.Errorf("too many arguments for the template")
	}
	return b.String(), nil
}

// formatArg renders a value the way AWS's (Java) Format does: strings
// bare, objects as {k=v, ...} and arrays as [a, b].
func formatArg(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return "null"
	case map[string]any:
		parts := make([]string, 0, len(t))
		for _, k := range sortedKeys(t) {
			parts = append(parts, k+"="+formatArg(t[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = formatArg(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return encodeString(v)
}

func fnPartition(a []any) (any, error) {
	arr, ok := a[0].([]any)
	size, ok2 := toInt(a[1])
	if !ok || !ok2 || size <= 0 {
		return nil, fmt.Errorf("arguments must be an array and a positive integer")
	}
	out := []any{}
	for i := 0; i < len(arr); i += int(size) {
		end := min(len(arr), i+int(size))
		out = append(out, append([]any{}, arr[i:end]...))
	}
	return out, nil
}

func fnRange(a []any) (any, error) {
	start, ok1 := toInt(a[0])
	end, ok2 := toInt(a[1])
	step, ok3 := toInt(a[2])
	if !ok1 || !ok2 || !ok3 || step == 0 {
		return nil, fmt.Errorf("arguments must be integers and the step non-zero")
	}
	out := []any{}
	for i := start; step > 0 && i <= end || step < 0 && i >= end; i += step {
		if len(out) == 1000 {
			return nil, fmt.Errorf("the result is limited to 1000 items")
		}
		out = append(out, intNumber(i))
	}
	return out, nil
}

func fnHash(a []any) (any, error) {
	s, ok1 := a[0].(string)
	alg, ok2 := a[1].(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("arguments must be strings")
	}
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("unsupported hash algorithm %q", alg)
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnMerge(a []any) (any, error) {
	x, ok1 := a[0].(map[string]any)
	y, ok2 := a[1].(map[string]any)
	deep, ok3 := a[2].(bool)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("arguments must be two objects and a boolean")
	}
	if deep {
		return nil, fmt.Errorf("deep merging is not supported; the third argument must be false")
	}
	out := make(map[string]any, len(x)+len(y))
	for k, v := range x {
		out[k] = v
	}
	for k, v := range y {
		out[k] = v
	}
	return out, nil
}

func fnRandom(a []any, e *env) (any, error) {
	lo, ok1 := toInt(a[0])
	hi, ok2 := toInt(a[1])
	if !ok1 || !ok2 || hi <= lo {
		return nil, fmt.Errorf("arguments must be integers with start < end")
	}
	var seed *int64
	if len(a) == 3 {
		s, ok := toInt(a[2])
		if !ok {
			return nil, fmt.Errorf("seed must be an integer")
		}
		seed = &s
	}
	return intNumber(lo + e.random(seed, hi-lo)), nil
}

func unescapeBraces(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	return strings.NewReplacer("\\{", "{", "\\}", "}").Replace(s)
}
