package asl

import (
	"fmt"
	"regexp"
	"strings"
)

type (
	jlit       struct{ v any }
	jvar       struct{ name string }
	jname      struct{ name string }
	jwild      struct{}
	jpath      struct{ l, r jnode }
	jfilter    struct{ x, pred jnode }
	jkeepArray struct{ x jnode }
	jcall      struct {
		fn   jnode
		args []jnode
	}
	jcond struct{ c, t, e jnode }
	jbind struct {
		name string
		x    jnode
	}
	jblock  struct{ seq []jnode }
	jarray  struct{ items []jnode }
	jobject struct{ keys, vals []jnode }
	jneg    struct{ x jnode }
	jbin    struct {
		op   string
		l, r jnode
	}
	jlambdaNode struct {
		params []string
		body   jnode
	}
)

// jseq marks an array built by path navigation (a JSONata sequence),
// as opposed to an array value from the data.
type jseq []any

func (n *jlit) eval(any, *jscope) (any, error) { return n.v, nil }

func (n *jvar) eval(ctx any, sc *jscope) (any, error) {
	if n.name == "" {
		return ctx, nil
	}
	if v, ok := sc.lookup(n.name); ok {
		return v, nil
	}
	if b, ok := jbuiltins[n.name]; ok {
		return b, nil
	}
	return undefined, nil
}

func (n *jname) eval(ctx any, sc *jscope) (any, error) {
	switch t := ctx.(type) {
	case map[string]any:
		if v, ok := t[n.name]; ok {
			return v, nil
		}
	case []any, jseq:
		var out jseq
		for _, x := range asItems(t) {
			v, _ := n.eval(x, sc)
			out = appendSeq(out, v)
		}
		return collapse(out), nil
	}
	return undefined, nil
}

func (n *jwild) eval(ctx any, sc *jscope) (any, error) {
	var out jseq
	for _, x := range asItems(ctx) {
		if m, ok := x.(map[string]any); ok {
			for _, k := range sortedKeys(m) {
				out = appendSeq(out, m[k])
			}
		}
	}
	return collapse(out), nil
}

func (n *jpath) eval(ctx any, sc *jscope) (any, error) {
	lv, err := n.l.eval(ctx, sc)
	if err != nil || lv == undefined {
		return lv, err
	}
	items := asItems(lv)
	var out jseq
	for _, it := range items {
		rv, err := n.r.eval(it, sc)
		if err != nil {
			return nil, err
		}
		if rv == undefined {
			continue
		}
		if len(items) == 1 {
			if _, isSeq := rv.(jseq); !isSeq {
				return rv, nil
			}
		}
		out = appendSeq(out, rv)
	}
	return collapse(out), nil
}

func (n *jfilter) eval(ctx any, sc *jscope) (any, error) {
	xv, err := n.x.eval(ctx, sc)
	if err != nil || xv == undefined {
		return xv, err
	}
	items := asItems(xv)
	var out jseq
	for i, it := range items {
		pv, err := n.pred.eval(it, sc)
		if err != nil {
			return nil, err
		}
		if f, ok := toFloat(pv); ok {
			idx := int(f)
			if idx < 0 {
				idx += len(items)
			}
			if idx == i {
				out = append(out, it)
			}
			continue
		}
		if truthy(pv) {
			out = append(out, it)
		}
	}
	return collapse(out), nil
}

func (n *jkeepArray) eval(ctx any, sc *jscope) (any, error) {
	v, err := n.x.eval(ctx, sc)
	if err != nil || v == undefined {
		return v, err
	}
	return []any(asItems(v)), nil
}

func (n *jcall) eval(ctx any, sc *jscope) (any, error) {
	fv, err := n.fn.eval(ctx, sc)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		if args[i], err = a.eval(ctx, sc); err != nil {
			return nil, err
		}
	}
	if b, ok := fv.(*jbuiltin); ok && b.name == "eval" && len(args) == 1 {
		args = append(args, ctx) // $eval's context defaults to the context item
	}
	return callJ(fv, args, sc)
}

func callJ(fv any, args []any, sc *jscope) (any, error) {
	if sc.depth > 500 {
		return nil, fmt.Errorf("stack overflow in function calls")
	}
	switch f := fv.(type) {
	case *jbuiltin:
		return f.fn(args, sc)
	case *jlambda:
		inner := &jscope{vars: map[string]any{}, parent: f.scope, env: sc.env, depth: sc.depth + 1}
		for i, p := range f.params {
			if i < len(args) {
				inner.vars[p] = args[i]
			} else {
				inner.vars[p] = undefined
			}
		}
		return f.body.eval(nil, inner)
	}
	return nil, fmt.Errorf("attempted to invoke a non-function")
}

func (n *jlambdaNode) eval(_ any, sc *jscope) (any, error) {
	return &jlambda{params: n.params, body: n.body, scope: sc}, nil
}

func (n *jcond) eval(ctx any, sc *jscope) (any, error) {
	c, err := n.c.eval(ctx, sc)
	if err != nil {
		return nil, err
	}
	if truthy(c) {
		return n.t.eval(ctx, sc)
	}
	if n.e == nil {
		return undefined, nil
	}
	return n.e.eval(ctx, sc)
}

func (n *jbind) eval(ctx any, sc *jscope) (any, error) {
	v, err := n.x.eval(ctx, sc)
	if err != nil {
		return nil, err
	}
	if sc.vars == nil {
		sc.vars = map[string]any{}
	}
	sc.vars[n.name] = v
	return v, nil
}

func (n *jblock) eval(ctx any, sc *jscope) (any, error) {
	inner := &jscope{vars: map[string]any{}, parent: sc, env: sc.env, depth: sc.depth}
	var v any = undefined
	var err error
	for _, x := range n.seq {
		if v, err = x.eval(ctx, inner); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (n *jarray) eval(ctx any, sc *jscope) (any, error) {
	out := []any{}
	for _, it := range n.items {
		v, err := it.eval(ctx, sc)
		if err != nil {
			return nil, err
		}
		switch t := v.(type) {
		case undefinedT:
		case jseq:
			out = append(out, t...)
		default:
			out = append(out, v)
		}
	}
	return out, nil
}

func (n *jobject) eval(ctx any, sc *jscope) (any, error) {
	out := map[string]any{}
	for i := range n.keys {
		k, err := n.keys[i].eval(ctx, sc)
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("key in object structure must evaluate to a string; got: %s", jstringify(k))
		}
		v, err := n.vals[i].eval(ctx, sc)
		if err != nil {
			return nil, err
		}
		if v != undefined {
			out[ks] = plain(v)
		}
	}
	return out, nil
}

func (n *jneg) eval(ctx any, sc *jscope) (any, error) {
	v, err := n.x.eval(ctx, sc)
	if err != nil || v == undefined {
		return v, err
	}
	f, ok := toFloat(v)
	if !ok {
		return nil, fmt.Errorf("cannot negate a non-numeric value")
	}
	return floatNumber(-f), nil
}

func (n *jbin) eval(ctx any, sc *jscope) (any, error) {
	l, err := n.l.eval(ctx, sc)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "and":
		if !truthy(l) {
			return false, nil
		}
		r, err := n.r.eval(ctx, sc)
		return truthy(r), err
	case "or":
		if truthy(l) {
			return true, nil
		}
		r, err := n.r.eval(ctx, sc)
		return truthy(r), err
	}
	r, err := n.r.eval(ctx, sc)
	if err != nil {
		return nil, err
	}
	l, r = plain(l), plain(r)
	switch n.op {
	case "&":
		return jstringify(l) + jstringify(r), nil
	case "=", "!=":
		if l == undefined || r == undefined {
			return false, nil
		}
		return jsonEqual(l, r) == (n.op == "="), nil
	case "in":
		if l == undefined || r == undefined {
			return false, nil
		}
		for _, x := range asItems(r) {
			if jsonEqual(l, x) {
				return true, nil
			}
		}
		return false, nil
	case "<", "<=", ">", ">=":
		if l == undefined || r == undefined {
			return undefined, nil
		}
		c, ok := compareOrdered(l, r)
		if !ok {
			return nil, fmt.Errorf("the expressions either side of operator %q must evaluate to numeric or string values", n.op)
		}
		switch n.op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	}
	if l == undefined || r == undefined {
		return undefined, nil
	}
	if n.op == ".." {
		return jrange(l, r)
	}
	a, ok1 := toFloat(l)
	b, ok2 := toFloat(r)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("the operands of the %q operator must evaluate to numbers", n.op)
	}
	var v float64
	switch n.op {
	case "+":
		v = a + b
	case "-":
		v = a - b
	case "*":
		v = a * b
	case "/":
		v = a / b
	case "%":
		v = a - b*float64(int64(a/b))
	}
	return jnumber(v)
}

func jnumber(f float64) (any, error) {
	if f != f || f > 1.7e308 || f < -1.7e308 {
		return nil, fmt.Errorf("number out of range: %v", f)
	}
	return floatNumber(f), nil
}

// asItems views v as a sequence of items.
func asItems(v any) []any {
	switch t := v.(type) {
	case jseq:
		return t
	case []any:
		return t
	case undefinedT:
		return nil
	}
	return []any{v}
}

func appendSeq(out jseq, v any) jseq {
	switch t := v.(type) {
	case undefinedT:
		return out
	case jseq:
		return append(out, t...)
	case []any:
		return append(out, t...)
	}
	return append(out, v)
}

func collapse(s jseq) any {
	switch len(s) {
	case 0:
		return undefined
	case 1:
		return s[0]
	}
	return s
}

// plain turns sequences back into ordinary arrays.
func plain(v any) any {
	if s, ok := v.(jseq); ok {
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = plain(x)
		}
		return out
	}
	return v
}

func truthy(v any) bool {
	switch t := plain(v).(type) {
	case undefinedT, nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case []any:
		for _, x := range t {
			if truthy(x) {
				return true
			}
		}
		return false
	case map[string]any:
		return len(t) > 0
	case *jlambda, *jbuiltin, *regexp.Regexp:
		return false
	}
	f, _ := toFloat(v)
	return f != 0
}

// jstringify is $string: strings as they are, others as JSON.
func jstringify(v any) string {
	switch t := plain(v).(type) {
	case string:
		return t
	case undefinedT:
		return ""
	case *jlambda, *jbuiltin, *regexp.Regexp:
		return ""
	default:
		return strings.TrimSpace(encodeString(t))
	}
}

// validResult checks that v is JSON-representable.
func validResult(v any) bool {
	switch t := v.(type) {
	case *jlambda, *jbuiltin, *regexp.Regexp, undefinedT:
		return false
	case []any:
		for _, x := range t {
			if !validResult(x) {
				return false
			}
		}
	case map[string]any:
		for _, x := range t {
			if !validResult(x) {
				return false
			}
		}
	}
	return true
}
