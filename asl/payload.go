package asl

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// A failure is a runtime error raised inside a state: an error name and
// cause as they appear in history and Catch matching.
type failure struct {
	Error, Cause string
}

// runtimeErr is a States.Runtime failure; such failures are not caught by
// States.ALL and always end the execution.
func runtimeErr(format string, a ...any) *failure {
	return &failure{Error: ErrRuntime, Cause: fmt.Sprintf(format, a...)}
}

// env is what JSONPath, intrinsic functions and templates evaluate in.
type env struct {
	input any
	ctx   any // the $$ context object, or nil until ctxf builds it
	ctxf  func() any
	vars  func(string) (any, bool) // variable lookup
	rnd   func(seed *int64, n int64) int64
	uuidf func() string
	now   time.Time // the clock of the interpreter call ($now, $millis)
}

func (e *env) random(seed *int64, n int64) int64 {
	if e.rnd == nil {
		return 0
	}
	return e.rnd(seed, n)
}

func (e *env) uuid() string {
	if e.uuidf == nil {
		return "00000000-0000-4000-8000-000000000000"
	}
	return e.uuidf()
}

// context returns the $$ object, building it on first use.
func (e *env) context() any {
	if e.ctx == nil && e.ctxf != nil {
		e.ctx = e.ctxf()
	}
	return e.ctx
}

// lookup evaluates a path against the input, context or a variable.
func (e *env) lookup(p *path) (any, bool) {
	switch p.root {
	case rootContext:
		return p.eval(e.context())
	case rootVar:
		if e.vars == nil {
			return nil, false
		}
		v, ok := e.vars(p.name)
		if !ok {
			return nil, false
		}
		return p.eval(v)
	}
	return p.eval(e.input)
}

// resolve is lookup that fails the way a `.$` field does.
func (e *env) resolve(p *path) (any, error) {
	v, ok := e.lookup(p)
	if !ok {
		return nil, &pathError{p: p, in: e}
	}
	return v, nil
}

// pathError reports a path that selected nothing; the state fills in the
// field name.
type pathError struct {
	p  *path
	in *env
}

func (pe *pathError) Error() string { return "path not found: " + pe.p.src }

func (pe *pathError) source() any {
	switch pe.p.root {
	case rootContext:
		return pe.in.context()
	case rootVar:
		if pe.in.vars != nil {
			v, _ := pe.in.vars(pe.p.name)
			return v
		}
		return nil
	}
	return pe.in.input
}

// A template is a compiled Parameters / ResultSelector / ItemSelector /
// Assign payload: JSON with `.$` keys holding paths or intrinsic calls.
type template struct {
	lit    any                  // literal value (no dynamic parts)
	fields map[string]*template // object members, key without ".$"
	dyn    map[string]dynExpr   // "key.$" members
	items  []*template          // array elements
	kind   int                  // 0 literal, 1 object, 2 array
}

type dynExpr struct {
	src  string
	path *path
	call *intrinsic
}

func compileExpr(src string) (dynExpr, error) {
	if isIntrinsicText(src) {
		c, err := parseIntrinsic(src)
		if err != nil {
			return dynExpr{}, err
		}
		return dynExpr{src: src, call: c}, nil
	}
	p, err := parsePath(src)
	if err != nil {
		return dynExpr{}, err
	}
	return dynExpr{src: src, path: p}, nil
}

// compileTemplate compiles v; errors name the offending key.
func compileTemplate(v any, depth int) (*template, error) {
	if depth > 200 {
		return nil, fmt.Errorf("payload nested too deeply")
	}
	switch t := v.(type) {
	case map[string]any:
		tp := &template{kind: 1, fields: map[string]*template{}, dyn: map[string]dynExpr{}}
		for k, x := range t {
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				s, isStr := x.(string)
				if !isStr {
					return nil, &fieldError{field: k, msg: "must be a string"}
				}
				e, err := compileExpr(s)
				if err != nil {
					return nil, &fieldError{field: k, msg: "must be a valid JSONPath or a valid intrinsic function call", err: err}
				}
				tp.dyn[name] = e
				continue
			}
			sub, err := compileTemplate(x, depth+1)
			if err != nil {
				return nil, err
			}
			tp.fields[k] = sub
		}
		return tp, nil
	case []any:
		tp := &template{kind: 2}
		for _, x := range t {
			sub, err := compileTemplate(x, depth+1)
			if err != nil {
				return nil, err
			}
			tp.items = append(tp.items, sub)
		}
		return tp, nil
	}
	return &template{lit: v}, nil
}

type fieldError struct {
	field, msg string
	err        error
}

func (f *fieldError) Error() string {
	if f.err != nil {
		return fmt.Sprintf("field %q %s: %v", f.field, f.msg, f.err)
	}
	return fmt.Sprintf("field %q %s", f.field, f.msg)
}

// eval builds the payload; failures are States.Runtime (or the intrinsic
// function's) errors with AWS's wording.
func (t *template) eval(e *env) (any, *failure) {
	switch t.kind {
	case 1:
		out := make(map[string]any, len(t.fields)+len(t.dyn))
		for k, sub := range t.fields {
			v, f := sub.eval(e)
			if f != nil {
				return nil, f
			}
			out[k] = v
		}
		for _, k := range sortedDyn(t.dyn) {
			v, f := t.dyn[k].eval(e, k+".$")
			if f != nil {
				return nil, f
			}
			out[k] = v
		}
		return out, nil
	case 2:
		out := make([]any, 0, len(t.items))
		for _, sub := range t.items {
			v, f := sub.eval(e)
			if f != nil {
				return nil, f
			}
			out = append(out, v)
		}
		return out, nil
	}
	return deepCopy(t.lit), nil
}

func sortedDyn(m map[string]dynExpr) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}

// eval evaluates one `.$` value; field names the key for messages.
func (d dynExpr) eval(e *env, field string) (any, *failure) {
	if d.call != nil {
		v, err := d.call.eval(e)
		if err != nil {
			var pe *pathError
			if errors.As(err, &pe) {
				return nil, notFound(pe, field)
			}
			return nil, &failure{Error: ErrIntrinsicFailure, Cause: fmt.Sprintf("The evaluation of the intrinsic function '%s' specified for the field '%s' failed: %v", d.src, field, err)}
		}
		return v, nil
	}
	v, err := e.resolve(d.path)
	if err != nil {
		return nil, notFound(err.(*pathError), field)
	}
	return deepCopy(v), nil
}

func notFound(pe *pathError, field string) *failure {
	return runtimeErr("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", pe.p.src, field, encodeString(pe.source()))
}
