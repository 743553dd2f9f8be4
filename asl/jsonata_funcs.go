package asl

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// jbuiltins are the JSONata functions; several files register theirs.
var jbuiltins = map[string]*jbuiltin{}

func init() {
	fns := map[string]func([]any, *jscope) (any, error){
		"count": func(a []any, _ *jscope) (any, error) {
			if len(a) == 0 || a[0] == undefined {
				return intNumber(0), nil
			}
			return intNumber(int64(len(asItems(a[0])))), nil
		},
		"sum": numAgg(func(xs []float64) float64 {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s
		}),
		"max": numAgg(func(xs []float64) float64 {
			m := math.Inf(-1)
			for _, x := range xs {
				m = math.Max(m, x)
			}
			return m
		}),
		"min": numAgg(func(xs []float64) float64 {
			m := math.Inf(1)
			for _, x := range xs {
				m = math.Min(m, x)
			}
			return m
		}),
		"average": numAgg(func(xs []float64) float64 {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s / float64(len(xs))
		}),
		"string": func(a []any, _ *jscope) (any, error) {
			if len(a) == 0 || a[0] == undefined {
				return undefined, nil
			}
			return jstringify(a[0]), nil
		},
		"number": func(a []any, _ *jscope) (any, error) {
			v := arg(a, 0)
			switch t := v.(type) {
			case string:
				n, err := decodeJSON([]byte(strings.TrimSpace(t)))
				if f, ok := toFloat(n); err == nil && ok {
					return floatNumber(f), nil
				}
				return nil, fmt.Errorf("unable to cast value to a number: %q", t)
			case bool:
				if t {
					return intNumber(1), nil
				}
				return intNumber(0), nil
			case undefinedT:
				return undefined, nil
			}
			if _, ok := toFloat(v); ok {
				return v, nil
			}
			return nil, fmt.Errorf("unable to cast value to a number")
		},
		"boolean": func(a []any, _ *jscope) (any, error) { return truthy(arg(a, 0)), nil },
		"not": func(a []any, _ *jscope) (any, error) {
			if arg(a, 0) == undefined {
				return undefined, nil
			}
			return !truthy(arg(a, 0)), nil
		},
		"exists": func(a []any, _ *jscope) (any, error) { return arg(a, 0) != undefined, nil },
		"length": func(a []any, _ *jscope) (any, error) {
			s, ok := arg(a, 0).(string)
			if !ok {
				return nil, fmt.Errorf("$length argument must be a string")
			}
			return intNumber(int64(utf8.RuneCountInString(s))), nil
		},
		"uppercase": strFn(strings.ToUpper),
		"lowercase": strFn(strings.ToLower),
		"trim":      strFn(func(s string) string { return strings.Join(strings.Fields(s), " ") }),
		"substring": jsubstring,
		"contains": func(a []any, _ *jscope) (any, error) {
			s, ok := arg(a, 0).(string)
			if !ok {
				return undefined, nil
			}
			switch p := arg(a, 1).(type) {
			case string:
				return strings.Contains(s, p), nil
			case *regexp.Regexp:
				return p.MatchString(s), nil
			}
			return nil, fmt.Errorf("$contains pattern must be a string or a regular expression")
		},
		"split": func(a []any, _ *jscope) (any, error) {
			s, ok := arg(a, 0).(string)
			if !ok {
				return undefined, nil
			}
			var parts []string
			switch p := arg(a, 1).(type) {
			case string:
				parts = strings.Split(s, p)
			case *regexp.Regexp:
				parts = p.Split(s, -1)
			default:
				return nil, fmt.Errorf("$split separator must be a string or a regular expression")
			}
			out := []any{}
			for _, x := range parts {
				out = append(out, x)
			}
			return out, nil
		},
		"join": func(a []any, _ *jscope) (any, error) {
			sep, _ := arg(a, 1).(string)
			var parts []string
			for _, x := range asItems(arg(a, 0)) {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("$join array must contain strings")
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, sep), nil
		},
		"keys": func(a []any, _ *jscope) (any, error) {
			out := []any{}
			for _, x := range asItems(arg(a, 0)) {
				if m, ok := x.(map[string]any); ok {
					for _, k := range sortedKeys(m) {
						out = append(out, k)
					}
				}
			}
			return collapse(jseq(out)), nil
		},
		"lookup": func(a []any, _ *jscope) (any, error) {
			k, _ := arg(a, 1).(string)
			return (&jname{name: k}).eval(arg(a, 0), nil)
		},
		"merge": func(a []any, _ *jscope) (any, error) {
			out := map[string]any{}
			for _, x := range asItems(arg(a, 0)) {
				m, ok := x.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("$merge argument must be an array of objects")
				}
				for k, v := range m {
					out[k] = v
				}
			}
			return out, nil
		},
		"append": func(a []any, _ *jscope) (any, error) {
			x, y := arg(a, 0), arg(a, 1)
			if x == undefined {
				return y, nil
			}
			if y == undefined {
				return x, nil
			}
			return append(append([]any{}, asItems(x)...), asItems(y)...), nil
		},
		"reverse": func(a []any, _ *jscope) (any, error) {
			items := asItems(arg(a, 0))
			out := make([]any, len(items))
			for i, x := range items {
				out[len(items)-1-i] = x
			}
			return out, nil
		},
		"distinct": func(a []any, _ *jscope) (any, error) {
			out := []any{}
		next:
			for _, x := range asItems(arg(a, 0)) {
				for _, y := range out {
					if jsonEqual(x, y) {
						continue next
					}
				}
				out = append(out, x)
			}
			return out, nil
		},
		"sort":  jsort,
		"abs":   mathFn(math.Abs),
		"floor": mathFn(math.Floor),
		"ceil":  mathFn(math.Ceil),
		"sqrt":  mathFn(math.Sqrt),
		"round": mathFn(math.RoundToEven),
		"power": func(a []any, _ *jscope) (any, error) {
			x, ok1 := toFloat(arg(a, 0))
			y, ok2 := toFloat(arg(a, 1))
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("$power arguments must be numbers")
			}
			return jnumber(math.Pow(x, y))
		},
		"type": func(a []any, _ *jscope) (any, error) {
			switch v := plain(arg(a, 0)); v.(type) {
			case undefinedT:
				return undefined, nil
			case *jlambda, *jbuiltin:
				return "function", nil
			default:
				return typeName(v), nil
			}
		},
		"map": func(a []any, sc *jscope) (any, error) {
			out := []any{}
			for i, x := range asItems(arg(a, 0)) {
				v, err := callJ(arg(a, 1), []any{x, intNumber(int64(i))}, sc)
				if err != nil {
					return nil, err
				}
				if v != undefined {
					out = append(out, v)
				}
			}
			return out, nil
		},
		"filter": func(a []any, sc *jscope) (any, error) {
			out := []any{}
			for i, x := range asItems(arg(a, 0)) {
				v, err := callJ(arg(a, 1), []any{x, intNumber(int64(i))}, sc)
				if err != nil {
					return nil, err
				}
				if truthy(v) {
					out = append(out, x)
				}
			}
			return out, nil
		},
		// Step Functions additions, mirroring the intrinsic functions.
		"partition": sfnFn("States.ArrayPartition"),
		"range":     sfnFn("States.ArrayRange"),
		"hash":      sfnFn("States.Hash"),
		"uuid":      sfnFn("States.UUID"),
		"random": func(a []any, sc *jscope) (any, error) {
			n := sc.env.random(nil, 1<<53)
			return floatNumber(float64(n) / (1 << 53)), nil
		},
		"parse": func(a []any, _ *jscope) (any, error) {
			s, ok := arg(a, 0).(string)
			if !ok {
				return nil, fmt.Errorf("$parse argument must be a string")
			}
			return decodeJSON([]byte(s))
		},
	}
	for name, fn := range fns {
		jbuiltins[name] = &jbuiltin{name: name, fn: fn}
	}
}

func arg(a []any, i int) any {
	if i < len(a) {
		return plain(a[i])
	}
	return undefined
}

func sfnFn(name string) func([]any, *jscope) (any, error) {
	return func(a []any, sc *jscope) (any, error) {
		args := make([]any, len(a))
		for i := range a {
			args[i] = plain(a[i])
		}
		ar := intrinsicArity[name]
		if len(args) < ar[0] || ar[1] >= 0 && len(args) > ar[1] {
			return nil, fmt.Errorf("wrong number of arguments")
		}
		return callIntrinsic(name, args, sc.env)
	}
}

func numAgg(f func([]float64) float64) func([]any, *jscope) (any, error) {
	return func(a []any, _ *jscope) (any, error) {
		items := asItems(arg(a, 0))
		if arg(a, 0) == undefined {
			return undefined, nil
		}
		xs := make([]float64, 0, len(items))
		for _, x := range items {
			v, ok := toFloat(x)
			if !ok {
				return nil, fmt.Errorf("the argument must be an array of numbers")
			}
			xs = append(xs, v)
		}
		if len(xs) == 0 {
			return intNumber(0), nil
		}
		return jnumber(f(xs))
	}
}

func strFn(f func(string) string) func([]any, *jscope) (any, error) {
	return func(a []any, _ *jscope) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return undefined, nil
		}
		return f(s), nil
	}
}

func mathFn(f func(float64) float64) func([]any, *jscope) (any, error) {
	return func(a []any, _ *jscope) (any, error) {
		x, ok := toFloat(arg(a, 0))
		if !ok {
			return undefined, nil
		}
		return jnumber(f(x))
	}
}

func jsubstring(a []any, _ *jscope) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return undefined, nil
	}
	r := []rune(s)
	start, _ := toFloat(arg(a, 1))
	st := int(start)
	if st < 0 {
		st = max(0, len(r)+st)
	}
	st = min(st, len(r))
	end := len(r)
	if l, ok := toFloat(arg(a, 2)); ok {
		end = min(len(r), st+max(0, int(l)))
	}
	return string(r[st:end]), nil
}

func jsort(a []any, sc *jscope) (any, error) {
	items := append([]any{}, asItems(arg(a, 0))...)
	var err error
	less := func(x, y any) bool {
		if fn := arg(a, 1); fn != undefined {
			v, e := callJ(fn, []any{x, y}, sc)
			if e != nil {
				err = e
			}
			return !truthy(v)
		}
		c, ok := compareOrdered(x, y)
		if !ok {
			err = fmt.Errorf("$sort needs an array of numbers or strings")
		}
		return c < 0
	}
	sort.SliceStable(items, func(i, j int) bool { return less(items[i], items[j]) })
	return items, err
}
