package asl

import (
	"fmt"
	"strings"
	"time"
)

// A choiceRule is a Choice state rule: a boolean combination (And, Or,
// Not) or one comparison of Variable against a literal or a path.
type choiceRule struct {
	Next     string
	variable *path
	op       string // comparison operator without "Path"
	usePath  bool
	operand  any
	opPath   *path
	and, or  []*choiceRule
	not      *choiceRule
	glob     []string // StringMatches pattern split on unescaped '*'
	assign   *template

	condition        *jtmpl // JSONata Condition
	jOutput, jAssign *jtmpl
}

var compareOps = map[string]string{ // operator -> operand type
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "string",
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"BooleanEquals":   "boolean",
	"TimestampEquals": "timestamp", "TimestampLessThan": "timestamp", "TimestampGreaterThan": "timestamp",
	"TimestampLessThanEquals": "timestamp", "TimestampGreaterThanEquals": "timestamp",
	"IsNull": "boolean", "IsPresent": "boolean", "IsNumeric": "boolean", "IsString": "boolean",
	"IsBoolean": "boolean", "IsTimestamp": "boolean",
}

func (p *parser) choice(st *State, o map[string]any, loc string) {
	arr, ok := o["Choices"].([]any)
	if !ok || len(arr) == 0 {
		p.schema(loc, "Missing required field: Choices")
	}
	for i, x := range arr {
		if r := p.rule(x, fmt.Sprintf("%s/Choices[%d]", loc, i), true, 0); r != nil {
			st.Choices = append(st.Choices, r)
		}
	}
	if d, ok := o["Default"]; ok {
		st.Default, _ = d.(string)
	}
}

func (p *parser) rule(x any, loc string, top bool, depth int) *choiceRule {
	o, ok := x.(map[string]any)
	if !ok {
		p.schema(loc, "Expected value of type: Object")
		return nil
	}
	if depth > 100 {
		p.schema(loc, "Choice rule nested too deeply")
		return nil
	}
	r := &choiceRule{}
	if n, ok := o["Next"]; ok {
		if !top {
			p.schema(loc, "Field 'Next' is not supported")
		}
		r.Next, _ = n.(string)
	} else if top {
		p.schema(loc, "Missing required field: Next")
	}
	if top && p.jsonata {
		var err error
		for f, dst := range map[string]**jtmpl{"Condition": &r.condition, "Output": &r.jOutput, "Assign": &r.jAssign} {
			if v, ok := o[f]; ok {
				if *dst, err = compileJTmpl(v, 0); err != nil {
					p.schema(loc+"/"+f, "The JSONata expression is invalid: %v", err)
				}
			}
		}
		if r.condition == nil {
			p.schema(loc, "Missing required field: Condition")
		}
		return r
	}
	if top {
		r.assign = p.templateField(o, "Assign", loc)
	}
	kinds := 0
	for _, k := range sortedKeys(o) {
		v := o[k]
		switch k {
		case "Next", "Comment", "Assign":
		case "And", "Or":
			kinds++
			subs, _ := v.([]any)
			if len(subs) == 0 {
				p.schema(loc+"/"+k, "Expected a non-empty array")
			}
			for i, s := range subs {
				if sr := p.rule(s, fmt.Sprintf("%s/%s[%d]", loc, k, i), false, depth+1); sr != nil {
					if k == "And" {
						r.and = append(r.and, sr)
					} else {
						r.or = append(r.or, sr)
					}
				}
			}
		case "Not":
			kinds++
			r.not = p.rule(v, loc+"/Not", false, depth+1)
		case "Variable":
			s, _ := v.(string)
			vp, err := parsePath(s)
			if err != nil {
				p.schema(loc+"/Variable", "The value for the field 'Variable' must be a valid JSONPath")
			}
			r.variable = vp
		default:
			name, usePath := strings.CutSuffix(k, "Path")
			typ, known := compareOps[name]
			if !known || usePath && strings.HasPrefix(name, "Is") || name == "StringMatches" && usePath {
				p.schema(loc, "Field '%s' is not supported", k)
				continue
			}
			kinds++
			r.op, r.usePath = name, usePath
			if usePath {
				s, _ := v.(string)
				pp, err := parsePath(s)
				if err != nil {
					p.schema(loc+"/"+k, "The value for the field '%s' must be a valid JSONPath", k)
				}
				r.opPath = pp
				continue
			}
			if !literalOK(typ, v) {
				p.schema(loc+"/"+k, "The value for the field '%s' must be a valid %s", k, typ)
				continue
			}
			r.operand = v
			if name == "StringMatches" {
				r.glob = splitGlob(v.(string))
			}
		}
	}
	if kinds != 1 {
		p.schema(loc, "A choice rule must contain exactly one comparison operator or one of And, Or, Not")
	}
	if r.op != "" && r.variable == nil {
		p.schema(loc, "Missing required field: Variable")
	}
	return r
}

func literalOK(typ string, v any) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := toFloat(v)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "timestamp":
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, err := parseTimestamp(s)
		return err == nil
	}
	return false
}

// splitGlob splits a StringMatches pattern on unescaped '*', unescaping
// \* and \\ in the literal parts.
func splitGlob(s string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
		case s[i] == '*':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(parts, cur.String())
}

// globMatch matches s against parts joined by wildcards.
func globMatch(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// eval evaluates the rule. A missing Variable makes a comparison false
// (Is* tests aside); a missing comparison path is a States.Runtime error.
func (r *choiceRule) eval(e *env) (bool, *failure) {
	switch {
	case r.and != nil:
		for _, s := range r.and {
			ok, f := s.eval(e)
			if f != nil || !ok {
				return false, f
			}
		}
		return true, nil
	case r.or != nil:
		for _, s := range r.or {
			ok, f := s.eval(e)
			if f != nil || ok {
				return ok, f
			}
		}
		return false, nil
	case r.not != nil:
		ok, f := r.not.eval(e)
		return !ok, f
	}
	v, present := e.lookup(r.variable)
	if r.op == "IsPresent" {
		return present == r.operand.(bool), nil
	}
	if !present {
		if strings.HasPrefix(r.op, "Is") {
			return false, nil
		}
		return false, runtimeErr("Invalid path '%s': The choice state's condition path references an invalid value.", r.variable.src)
	}
	operand := r.operand
	if r.usePath {
		ov, ok := e.lookup(r.opPath)
		if !ok {
			return false, runtimeErr("Invalid path '%s': The choice state's condition path references an invalid value.", r.opPath.src)
		}
		operand = ov
	}
	return compareChoice(r.op, v, operand, r.glob), nil
}

func compareChoice(op string, v, operand any, glob []string) bool {
	switch op {
	case "IsNull":
		return (v == nil) == operand.(bool)
	case "IsNumeric":
		_, ok := toFloat(v)
		return ok == operand.(bool)
	case "IsString":
		_, ok := v.(string)
		return ok == operand.(bool)
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == operand.(bool)
	case "IsTimestamp":
		s, ok := v.(string)
		if ok {
			_, err := parseTimestamp(s)
			ok = err == nil
		}
		return ok == operand.(bool)
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	case "StringMatches":
		s, ok := v.(string)
		return ok && globMatch(glob, s)
	}
	var c int
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		c = strings.Compare(a, b)
		op = strings.TrimPrefix(op, "String")
	case strings.HasPrefix(op, "Numeric"):
		a, ok1 := toFloat(v)
		b, ok2 := toFloat(operand)
		if !ok1 || !ok2 {
			return false
		}
		c = cmpFloat(a, b)
		op = strings.TrimPrefix(op, "Numeric")
	case strings.HasPrefix(op, "Timestamp"):
		a, ok1 := timeOf(v)
		b, ok2 := timeOf(operand)
		if !ok1 || !ok2 {
			return false
		}
		c = a.Compare(b)
		op = strings.TrimPrefix(op, "Timestamp")
	}
	switch op {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func timeOf(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := parseTimestamp(s)
	return t, err == nil
}
