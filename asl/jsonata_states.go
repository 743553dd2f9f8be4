package asl

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// jtmpl is a JSONata-mode field value: JSON in which strings of the form
// "{% expr %}" are expressions.
type jtmpl struct {
	lit  any
	expr *jsonataExpr
	obj  map[string]*jtmpl
	arr  []*jtmpl
	kind int // 0 literal, 1 expression, 2 object, 3 array
}

func compileJTmpl(v any, depth int) (*jtmpl, error) {
	if depth > 200 {
		return nil, fmt.Errorf("value nested too deeply")
	}
	switch t := v.(type) {
	case string:
		s := t
		if strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") && len(s) >= 4 {
			e, err := compileJSONata(strings.TrimSpace(s[2 : len(s)-2]))
			if err != nil {
				return nil, err
			}
			return &jtmpl{expr: e, kind: 1}, nil
		}
	case map[string]any:
		jt := &jtmpl{obj: map[string]*jtmpl{}, kind: 2}
		for k, x := range t {
			sub, err := compileJTmpl(x, depth+1)
			if err != nil {
				return nil, err
			}
			jt.obj[k] = sub
		}
		return jt, nil
	case []any:
		jt := &jtmpl{kind: 3}
		for _, x := range t {
			sub, err := compileJTmpl(x, depth+1)
			if err != nil {
				return nil, err
			}
			jt.arr = append(jt.arr, sub)
		}
		return jt, nil
	}
	return &jtmpl{lit: v}, nil
}

// jerr is a JSONata evaluation failure with the field it happened in.
type jerr struct {
	location, msg string
}

func (j *jtmpl) eval(sc *jscope, loc string) (any, *jerr) {
	switch j.kind {
	case 1:
		v, err := j.expr.root.eval(nil, sc)
		if err != nil {
			return nil, &jerr{loc, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation: %v", j.expr.src, loc, err)}
		}
		if v == undefined {
			return nil, &jerr{loc, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", j.expr.src, loc)}
		}
		v = plain(v)
		if !validResult(v) {
			return nil, &jerr{loc, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", j.expr.src, loc)}
		}
		return v, nil
	case 2:
		out := make(map[string]any, len(j.obj))
		for _, k := range sortedJKeys(j.obj) {
			v, e := j.obj[k].eval(sc, loc+"/"+k)
			if e != nil {
				return nil, e
			}
			out[k] = v
		}
		return out, nil
	case 3:
		out := make([]any, 0, len(j.arr))
		for _, x := range j.arr {
			v, e := x.eval(sc, loc)
			if e != nil {
				return nil, e
			}
			out = append(out, v)
		}
		return out, nil
	}
	return deepCopy(j.lit), nil
}

func sortedJKeys(m map[string]*jtmpl) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}

// jsonataFields parses the JSONata-mode fields of a state.
func (p *parser) jsonataFields(st *State, o map[string]any, loc string) {
	st.JSONata = true
	for _, f := range []string{"InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "ItemsPath",
		"TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
		"MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "Iterator"} {
		if _, ok := o[f]; ok {
			p.schema(loc, "The field '%s' is not supported when QueryLanguage is JSONata", f)
		}
	}
	st.J = map[string]*jtmpl{}
	for _, f := range []string{"Arguments", "Output", "Assign", "Items", "ItemSelector", "MaxConcurrency",
		"ToleratedFailureCount", "ToleratedFailurePercentage", "Seconds", "Timestamp", "Error", "Cause",
		"TimeoutSeconds", "HeartbeatSeconds"} {
		v, ok := o[f]
		if !ok {
			continue
		}
		jt, err := compileJTmpl(v, 0)
		if err != nil {
			p.schema(loc+"/"+f, "The JSONata expression is invalid: %v", err)
			continue
		}
		st.J[f] = jt
	}
	if st.Type == "Wait" {
		if jt := st.J["Timestamp"]; jt != nil && jt.kind == 0 {
			s, _ := jt.lit.(string)
			if _, err := parseTimestamp(s); err != nil {
				p.schema(loc+"/Timestamp", "String does not match RFC3339 timestamp")
			}
		}
		if (st.J["Seconds"] == nil) == (st.J["Timestamp"] == nil) {
			p.schema(loc, "A Wait state must contain exactly one of Seconds or Timestamp")
		}
	}
	if st.Type == "Task" {
		if res, ok := o["Resource"].(string); ok {
			st.Resource = res
		} else {
			p.schema(loc, "Missing required field: Resource")
		}
		if c, present := o["Credentials"]; present {
			co, isObj := c.(map[string]any)
			if !isObj || co["RoleArn"] == nil {
				p.schema(loc+"/Credentials", "The field 'RoleArn' is required but was missing")
			}
		}
	}
}

// jsonataState reports whether a state definition uses JSONata.
func (p *parser) jsonataState(o map[string]any) bool {
	if ql, ok := o["QueryLanguage"].(string); ok {
		return ql == "JSONata"
	}
	return p.m.QueryLanguage == "JSONata"
}

// jscopeFor builds the evaluation scope of a JSONata field.
func (x *exec) jscopeFor(t *Thread, st *State, input any, extra map[string]any) *jscope {
	e := x.env(t, input, st)
	states := map[string]any{"input": input, "context": e.context()}
	for k, v := range extra {
		states[k] = v
	}
	return &jscope{
		vars: map[string]any{"states": states},
		global: func(n string) (any, bool) {
			return x.lookupVar(t, n)
		},
		env: e,
	}
}

// evalFail records an EvaluationFailed event and returns the failure.
func (x *exec) evalFail(t *Thread, st *State, je *jerr) outcome {
	f := &failure{Error: ErrQueryEvaluationError, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", st.Name, t.EnteredID, je.msg)}
	prev := t.EnteredPrev
	if st.Type == "Wait" {
		prev = t.EnteredID
	}
	id := x.emit(prev, "EvaluationFailed", func(e *HistoryEvent) {
		e.EvaluationFailedEventDetails = &EvaluationFailedDetails{Error: f.Error, Cause: f.Cause, Location: je.location, State: st.Name}
	})
	t.Last = id
	if st.Type == "Map" || st.Type == "Parallel" {
		// Fan states mark giving up with their own Failed event.
		id = x.emit(id, st.Type+"StateFailed", nil)
		t.Last = id
	}
	return outcome{fail: f, failAt: id}
}

// jfield evaluates field f of st, or returns def when absent.
func (x *exec) jfield(st *State, sc *jscope, f string, def any) (any, *jerr) {
	jt := st.J[f]
	if jt == nil {
		return def, nil
	}
	return jt.eval(sc, f)
}

// jbody runs a JSONata-mode state.
func (x *exec) jbody(t *Thread, st *State) outcome {
	in := valueOf(t.Input)
	sc := x.jscopeFor(t, st, in, nil)
	switch st.Type {
	case "Pass", "Succeed":
		return x.jfinish(t, st, sc, in)
	case "Fail":
		f := &failure{Error: st.Error, Cause: st.Cause}
		for _, d := range []struct {
			name string
			dst  *string
		}{{"Error", &f.Error}, {"Cause", &f.Cause}} {
			v, je := x.jfield(st, sc, d.name, nil)
			if je != nil {
				return x.evalFail(t, st, je)
			}
			if v != nil {
				s, ok := v.(string)
				if !ok {
					s = encodeString(v)
				}
				*d.dst = s
			}
		}
		return outcome{fail: f, failAt: t.Last}
	case "Choice":
		for _, r := range st.Choices {
			if r.condition == nil {
				continue
			}
			v, je := r.condition.eval(sc, "Condition")
			if je != nil {
				return x.evalFail(t, st, je)
			}
			b, ok := v.(bool)
			if !ok {
				return x.evalFail(t, st, &jerr{"Condition", fmt.Sprintf("The Condition field must evaluate to a boolean value, but was: %s", encodeString(v))})
			}
			if b {
				o := x.jfinishWith(t, st, sc, in, r.jOutput, r.jAssign)
				o.next = r.Next
				return o
			}
		}
		if st.Default == "" {
			return outcome{fail: &failure{Error: ErrNoChoiceMatched, Cause: fmt.Sprintf("No Matches! at state %s", st.Name)}, failAt: t.Last}
		}
		o := x.jfinish(t, st, sc, in)
		o.next = st.Default
		return o
	case "Wait":
		return x.jwait(t, st, sc, in)
	case "Task":
		token := ""
		if classify(st.Resource).token {
			token = x.taskToken()
			ctx := sc.vars["states"].(map[string]any)["context"].(map[string]any)
			ctx["Task"] = map[string]any{"Token": token}
		}
		args, je := x.jfield(st, sc, "Arguments", in)
		if je != nil {
			return x.evalFail(t, st, je)
		}
		x.note(func(i *Inspection) { i.AfterArguments = rawOf(args) })
		return x.scheduleTask(t, st, args, sc, token)
	case "Parallel", "Map":
		return x.jfan(t, st, sc, in)
	}
	return outcome{fail: runtimeErr("unsupported state type %q", st.Type), failAt: t.Last}
}

// jfinish applies Output (default: the state input or $states.result)
// and Assign.
func (x *exec) jfinish(t *Thread, st *State, sc *jscope, def any) outcome {
	return x.jfinishWith(t, st, sc, def, st.J["Output"], st.J["Assign"])
}

func (x *exec) jfinishWith(t *Thread, st *State, sc *jscope, def any, out, assign *jtmpl) outcome {
	var vars map[string]any
	if assign != nil {
		v, je := assign.eval(sc, "Assign")
		if je != nil {
			return x.evalFail(t, st, je)
		}
		vars, _ = v.(map[string]any)
		if vars == nil {
			vars = map[string]any{}
		}
	}
	result := def
	if out != nil {
		v, je := out.eval(sc, "Output")
		if je != nil {
			return x.evalFail(t, st, je)
		}
		result = v
	}
	return outcome{output: result, assign: vars}
}

func (x *exec) jwait(t *Thread, st *State, sc *jscope, in any) outcome {
	if t.Phase == "waited" {
		return x.jfinish(t, st, sc, in)
	}
	var until time.Time
	if jt := st.J["Seconds"]; jt != nil {
		v, je := jt.eval(sc, "Seconds")
		if je != nil {
			return x.evalFail(t, st, je)
		}
		n, ok := toInt(v)
		if !ok || n < 0 || n > 99999999 {
			return x.evalFail(t, st, &jerr{"Seconds", fmt.Sprintf("The Seconds field must be a non-negative integer, but was: %s", encodeString(v))})
		}
		until = x.now.Add(time.Duration(n) * time.Second)
	} else {
		v, je := st.J["Timestamp"].eval(sc, "Timestamp")
		if je != nil {
			return x.evalFail(t, st, je)
		}
		s, _ := v.(string)
		ts, err := parseTimestamp(s)
		if err != nil {
			return x.evalFail(t, st, &jerr{"Timestamp", "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: " + shownValue(v)})
		}
		until = ts
	}
	if !until.After(x.now) {
		return x.jfinish(t, st, sc, in)
	}
	t.Phase = "waiting"
	t.Action = x.addAction(Action{Kind: KindTimer, Until: until, State: st.Name}, t.ID)
	return outcome{blocked: true}
}

// jresult finishes a Task/Parallel/Map in JSONata mode.
func (x *exec) jresult(t *Thread, st *State, result any) outcome {
	sc := x.jscopeFor(t, st, valueOf(t.Input), map[string]any{"result": result})
	return x.jfinish(t, st, sc, result)
}

func (x *exec) jfan(t *Thread, st *State, sc *jscope, in any) outcome {
	fan := &Fanout{}
	if st.Type == "Parallel" {
		args, je := x.jfield(st, sc, "Arguments", in)
		if je != nil {
			return x.evalFail(t, st, je)
		}
		for range st.Branches {
			fan.Items = append(fan.Items, rawOf(args))
		}
		t.Last = x.emit(t.Last, "ParallelStateStarted", nil)
		fan.Results = make([]json.RawMessage, len(fan.Items))
		t.Fan, t.Phase = fan, "fan"
		return x.fanProgress(t, st)
	}
	items, je := x.jfield(st, sc, "Items", in)
	if je != nil {
		return x.evalFail(t, st, je)
	}
	arr, ok := items.([]any)
	if !ok {
		if jt := st.J["Items"]; jt != nil && jt.kind == 1 {
			return x.evalFail(t, st, &jerr{"Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", jt.expr.src, typeName(items), encodeString(items))})
		}
		return x.evalFail(t, st, &jerr{"", "Map state input must be an array but was: " + encodeString(items)})
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"MaxConcurrency", &fan.Max}, {"ToleratedFailureCount", &fan.TolCount}} {
		v, je := x.jfield(st, sc, f.name, nil)
		if je != nil {
			return x.evalFail(t, st, je)
		}
		if v != nil {
			n, ok := toInt(v)
			if !ok || n < 0 {
				return x.evalFail(t, st, &jerr{f.name, fmt.Sprintf("The %s field must be a non-negative integer, but was: %s", f.name, encodeString(v))})
			}
			*f.dst = int(n)
			fan.HasTol = fan.HasTol || f.name != "MaxConcurrency"
		}
	}
	if v, je := x.jfield(st, sc, "ToleratedFailurePercentage", nil); je != nil {
		return x.evalFail(t, st, je)
	} else if v != nil {
		pct, ok := toFloat(v)
		if !ok || pct < 0 || pct > 100 {
			return x.evalFail(t, st, &jerr{"ToleratedFailurePercentage", "ToleratedFailurePercentage must be between 0 and 100."})
		}
		fan.TolPct, fan.HasTol = pct, true
	}
	for i, item := range arr {
		in := item
		if jt := st.J["ItemSelector"]; jt != nil {
			isc := x.jscopeFor(t, st, valueOf(t.Input), nil)
			ctx := isc.vars["states"].(map[string]any)["context"].(map[string]any)
			ctx["Map"] = map[string]any{"Item": map[string]any{"Index": intNumber(int64(i)), "Value": item}}
			v, je := jt.eval(isc, "ItemSelector")
			if je != nil {
				return x.evalFail(t, st, je)
			}
			in = v
		}
		fan.Items = append(fan.Items, rawOf(in))
	}
	if st.Batcher != nil {
		l, je := st.Batcher.jlimits(sc)
		if je != nil {
			return x.evalFail(t, st, je)
		}
		var f *failure
		if fan.Items, f = l.batch(fan.Items); f != nil {
			return x.evalFail(t, st, &jerr{"", f.Cause})
		}
	}
	n := len(fan.Items)
	t.Last = x.emit(t.Last, "MapStateStarted", func(e *HistoryEvent) {
		e.MapStateStartedEventDetails = &MapStateStartedDetails{Length: n}
	})
	if st.Distributed {
		fan.MapRun = x.mapRunArn(st)
		t.Last = x.emit(t.Last, "MapRunStarted", func(e *HistoryEvent) {
			e.MapRunStartedEventDetails = &MapRunStartedDetails{MapRunArn: fan.MapRun}
		})
		fan.LastEvent = t.Last
	}
	fan.Results = make([]json.RawMessage, len(fan.Items))
	t.Fan, t.Phase = fan, "fan"
	return x.fanProgress(t, st)
}
