package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// A DefinitionError rejects a state machine definition. Message is the
// text AWS returns with InvalidDefinition.
type DefinitionError struct {
	Message string
}

func (e *DefinitionError) Error() string { return e.Message }

// A Machine is a parsed, validated state machine definition.
type Machine struct {
	Comment        string
	StartAt        string
	TimeoutSeconds int
	QueryLanguage  string
	States         map[string]*State

	root   *scope
	scopes map[string]*scope // by id: "" for the top level
}

// scope is one States/StartAt block: the top level, a Parallel branch or
// a Map's processor.
type scope struct {
	id      string
	loc     string // location in the definition, "" for the top level
	startAt string
	states  map[string]*State
}

// A State is one parsed state. Only the fields that apply to its Type are
// set.
type State struct {
	Name, Type string
	Next       string
	End        bool

	InputPath, OutputPath *optPath
	Parameters            *template
	ResultSelector        *template
	ResultPath            *optPath
	Result                any
	HasResult             bool
	Assign                *template

	Resource                             string
	TimeoutSeconds, HeartbeatSeconds     int
	TimeoutSecondsPath, HeartbeatSecPath *path
	Retry                                []Retrier
	Catch                                []Catcher

	Choices []*choiceRule
	Default string

	Error, Cause         string
	ErrorPath, CausePath *dynExpr

	Seconds       *int64
	Timestamp     *time.Time
	SecondsPath   *path
	TimestampPath *path

	Branches []*scope

	Processor                  *scope
	ItemsPath                  *optPath
	ItemSelector               *template
	MaxConcurrency             int
	MaxConcurrencyPath         *path
	ToleratedFailureCount      int
	ToleratedFailureCountPath  *path
	ToleratedFailurePercentage float64
	ToleratedPercentagePath    *path
	HasTolerance               bool
	Distributed                bool
	Batcher                    *itemBatcher
	Label                      string

	// JSONata marks a state whose QueryLanguage is JSONata; J holds its
	// fields (Arguments, Output, Assign, Items, Seconds, ...).
	JSONata bool
	J       map[string]*jtmpl
}

// optPath is an InputPath/OutputPath/ResultPath/ItemsPath value: null
// (discard) or a path.
type optPath struct {
	null bool
	p    *path
}

// A Retrier is one element of Retry.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds int
	MaxAttempts     int
	BackoffRate     float64
	MaxDelaySeconds int
	JitterStrategy  string
}

// A Catcher is one element of Catch.
type Catcher struct {
	ErrorEquals []string
	Next        string
	ResultPath  *optPath
	Assign      *template
	jOutput     *jtmpl
	jAssign     *jtmpl
}

// Parse parses and validates an Amazon States Language definition. All
// problems found are reported together in one *DefinitionError.
func Parse(definition []byte) (*Machine, error) {
	v, err := decodeJSON(definition)
	if err != nil {
		return nil, &DefinitionError{Message: fmt.Sprintf("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: %s'", jsonErrText(err))}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, defErr([]string{"SCHEMA_VALIDATION_FAILED: Expected value of type: Object at /"})
	}
	p := &parser{m: &Machine{scopes: map[string]*scope{}}}
	p.top(obj)
	if len(p.errs) == 0 {
		for _, ps := range p.pending {
			p.transitions(ps.sc, ps.loc)
		}
	}
	if len(p.errs) > 0 {
		return nil, defErr(p.errs)
	}
	return p.m, nil
}

func jsonErrText(err error) string {
	return strings.ReplaceAll(err.Error(), "'", "\"")
}

func defErr(errs []string) *DefinitionError {
	return &DefinitionError{Message: "Invalid State Machine Definition: '" + strings.Join(errs, ", ") + "'"}
}

type parser struct {
	jsonata bool // parsing a JSONata state
	single  bool // one state on its own (TestState): targets need not exist
	m       *Machine
	errs    []string
	pending []pendingScope // transition checks, run once the schema is valid
}

type pendingScope struct {
	sc  *scope
	loc string
}

func (p *parser) schema(loc, format string, a ...any) {
	p.errs = append(p.errs, "SCHEMA_VALIDATION_FAILED: "+fmt.Sprintf(format, a...)+" at "+loc)
}

func (p *parser) top(obj map[string]any) {
	for _, k := range sortedKeys(obj) {
		switch k {
		case "StartAt", "States", "Comment", "TimeoutSeconds", "Version", "QueryLanguage":
		default:
			p.schema("/", "These fields are required: [States, StartAt]. Field %q is not supported", k)
		}
	}
	p.m.Comment, _ = obj["Comment"].(string)
	if ql, ok := obj["QueryLanguage"]; ok {
		s, _ := ql.(string)
		if s != "JSONPath" && s != "JSONata" {
			p.schema("/QueryLanguage", "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]")
		}
		p.m.QueryLanguage = s
	}
	if p.m.QueryLanguage == "" {
		p.m.QueryLanguage = "JSONPath"
	}
	if t, ok := obj["TimeoutSeconds"]; ok {
		n, ok := toInt(t)
		if !ok || n <= 0 || n > math.MaxInt32 {
			p.schema("/TimeoutSeconds", "The value for the field 'TimeoutSeconds' must be a positive integer")
		}
		p.m.TimeoutSeconds = int(n)
	}
	sc := p.scope(obj, "", "")
	if sc != nil {
		p.m.root = sc
		p.m.StartAt = sc.startAt
		p.m.States = sc.states
	}
}

// scope parses a StartAt/States block found at loc ("" for the root).
func (p *parser) scope(obj map[string]any, loc, id string) *scope {
	slash := loc
	if slash == "" {
		slash = "/"
	}
	start, hasStart := obj["StartAt"].(string)
	if _, present := obj["StartAt"]; !present {
		p.schema(slash, "Missing required field: StartAt")
	} else if !hasStart {
		p.schema(loc+"/StartAt", "Expected value of type: String")
	}
	statesV, present := obj["States"]
	if !present {
		p.schema(slash, "Missing required field: States")
		return nil
	}
	states, ok := statesV.(map[string]any)
	if !ok {
		p.schema(loc+"/States", "Expected value of type: Object")
		return nil
	}
	sc := &scope{id: id, loc: loc, startAt: start, states: map[string]*State{}}
	p.m.scopes[id] = sc
	for _, name := range sortedKeys(states) {
		sloc := loc + "/States/" + name
		so, ok := states[name].(map[string]any)
		if !ok {
			p.schema(sloc, "Expected value of type: Object")
			continue
		}
		if len(name) == 0 || len(name) > 80 {
			p.schema(sloc, "State names must be between 1 and 80 characters")
		}
		if st := p.state(name, so, sloc, id); st != nil {
			sc.states[name] = st
		}
	}
	if p.single {
		return sc
	}
	if hasStart {
		if _, ok := states[start]; !ok {
			p.errs = append(p.errs, fmt.Sprintf("MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at %s/StartAt", start, loc))
		}
	}
	p.pending = append(p.pending, pendingScope{sc, loc})
	return sc
}

// transitions checks that targets exist and every state is reachable.
func (p *parser) transitions(sc *scope, loc string) {
	next := func(st *State) []string {
		var ts []string
		if st.Next != "" {
			ts = append(ts, st.Next)
		}
		if st.Default != "" {
			ts = append(ts, st.Default)
		}
		for _, c := range st.Choices {
			ts = append(ts, c.Next)
		}
		for _, c := range st.Catch {
			ts = append(ts, c.Next)
		}
		return ts
	}
	for _, name := range sortedStates(sc.states) {
		st := sc.states[name]
		check := func(target, where string) {
			if _, ok := sc.states[target]; !ok && target != "" {
				p.errs = append(p.errs, fmt.Sprintf("MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at %s/States/%s/%s", target, loc, name, where))
			}
		}
		check(st.Next, "Next")
		check(st.Default, "Default")
		for i, c := range st.Choices {
			check(c.Next, fmt.Sprintf("Choices[%d]/Next", i))
		}
		for i, c := range st.Catch {
			check(c.Next, fmt.Sprintf("Catch[%d]/Next", i))
		}
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		st, ok := sc.states[n]
		if !ok || seen[n] {
			return
		}
		seen[n] = true
		for _, t := range next(st) {
			walk(t)
		}
	}
	walk(sc.startAt)
	terminal := false
	for n := range seen {
		switch st := sc.states[n]; {
		case st.End, st.Type == "Succeed", st.Type == "Fail":
			terminal = true
		}
	}
	if len(seen) > 0 && !terminal {
		p.errs = append(p.errs, "MISSING_END_STATE: Workflow has no terminal state")
		return
	}
	for _, name := range sortedStates(sc.states) {
		if !seen[name] {
			p.errs = append(p.errs, fmt.Sprintf("MISSING_TRANSITION_TARGET: State %q is not reachable. at %s/States/%s", name, loc, name))
		}
	}
}

func sortedStates(m map[string]*State) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sortStrings(s []string) { sort.Strings(s) }

// fields each state type accepts, besides Type and Comment.
var stateFields = map[string][]string{
	"Pass":     {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "Result", "Assign", "QueryLanguage", "Output"},
	"Task":     {"Next", "End", "Resource", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign", "QueryLanguage", "Arguments", "Output"},
	"Choice":   {"Choices", "Default", "InputPath", "OutputPath", "Assign", "QueryLanguage", "Output"},
	"Wait":     {"Next", "End", "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "InputPath", "OutputPath", "Assign", "QueryLanguage", "Output"},
	"Succeed":  {"InputPath", "OutputPath", "QueryLanguage", "Output"},
	"Fail":     {"Error", "Cause", "ErrorPath", "CausePath", "QueryLanguage"},
	"Parallel": {"Next", "End", "Branches", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Assign", "QueryLanguage", "Arguments", "Output"},
	"Map": {"Next", "End", "Iterator", "ItemProcessor", "ItemsPath", "Items", "ItemSelector", "Parameters", "ItemReader", "ResultWriter", "ItemBatcher",
		"MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
		"Label", "InputPath", "OutputPath", "ResultSelector", "ResultPath", "Retry", "Catch", "Assign", "QueryLanguage", "Arguments", "Output"},
}

func (p *parser) state(name string, o map[string]any, loc, scopeID string) *State {
	st := &State{Name: name}
	typ, _ := o["Type"].(string)
	fields, known := stateFields[typ]
	if !known {
		if _, ok := o["Type"]; !ok {
			p.schema(loc, "Missing required field: Type")
		} else {
			p.schema(loc+"/Type", "The value for the field 'Type' must be one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map]")
		}
		return nil
	}
	st.Type = typ
	ok := map[string]bool{"Type": true, "Comment": true}
	for _, f := range fields {
		ok[f] = true
	}
	for _, k := range sortedKeys(o) {
		if !ok[k] {
			p.schema(loc, "Field '%s' is not supported", k)
		}
	}
	if ql, ok := o["QueryLanguage"]; ok && ql != "JSONata" && ql != "JSONPath" {
		p.schema(loc+"/QueryLanguage", "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]")
	}
	if ql, _ := o["QueryLanguage"].(string); ql == "JSONPath" && p.m.QueryLanguage == "JSONata" {
		p.schema(loc+"/QueryLanguage", "A JSONPath state cannot be used in a JSONata state machine")
	}
	p.jsonata = p.jsonataState(o)
	defer func() { p.jsonata = false }()
	p.transition(st, o, loc)
	if p.jsonata {
		p.jsonataFields(st, o, loc)
		switch typ {
		case "Choice":
			p.choice(st, o, loc)
		case "Fail":
			st.Error, _ = o["Error"].(string)
			st.Cause, _ = o["Cause"].(string)
		case "Parallel":
			p.parallel(st, o, loc, scopeID)
		case "Map":
			p.mapState(st, o, loc, scopeID)
		}
		if typ == "Task" || typ == "Parallel" || typ == "Map" {
			p.retryCatch(st, o, loc)
		}
		return st
	}
	p.io(st, o, loc)
	switch typ {
	case "Task":
		p.task(st, o, loc)
	case "Choice":
		p.choice(st, o, loc)
	case "Wait":
		p.wait(st, o, loc)
	case "Fail":
		p.fail(st, o, loc)
	case "Parallel":
		p.parallel(st, o, loc, scopeID)
	case "Map":
		p.mapState(st, o, loc, scopeID)
	case "Pass":
		if r, has := o["Result"]; has {
			st.Result, st.HasResult = r, true
		}
	}
	if typ == "Task" || typ == "Parallel" || typ == "Map" {
		p.retryCatch(st, o, loc)
	}
	return st
}

func (p *parser) transition(st *State, o map[string]any, loc string) {
	switch st.Type {
	case "Choice", "Succeed", "Fail":
		return
	}
	next, hasNext := o["Next"]
	end, hasEnd := o["End"]
	if hasNext {
		s, ok := next.(string)
		if !ok {
			p.schema(loc+"/Next", "Expected value of type: String")
		}
		st.Next = s
	}
	if hasEnd {
		b, ok := end.(bool)
		if !ok {
			p.schema(loc+"/End", "Expected value of type: Boolean")
		}
		st.End = b
	}
	switch {
	case hasNext && hasEnd:
		p.schema(loc, "Only one of Next or End can be specified")
	case !hasNext && !st.End:
		p.schema(loc, "Missing required field: Next or End")
	}
}

func (p *parser) optPath(o map[string]any, field, loc string, reference bool) *optPath {
	v, present := o[field]
	if !present {
		return nil
	}
	if v == nil {
		return &optPath{null: true}
	}
	s, ok := v.(string)
	if !ok {
		p.schema(loc+"/"+field, "Expected value of type: String")
		return nil
	}
	pp, err := parsePath(s)
	if err != nil || reference && (pp.root != rootInput || !pp.definite()) || !reference && pp.root == rootVar && false {
		p.schema(loc+"/"+field, "The value for the field '%s' must be a valid JSONPath", field)
		return nil
	}
	return &optPath{p: pp}
}

func (p *parser) templateField(o map[string]any, field, loc string) *template {
	v, present := o[field]
	if !present {
		return nil
	}
	if field != "Result" {
		if _, isObj := v.(map[string]any); !isObj && field != "Parameters" && field != "ItemSelector" {
			p.schema(loc+"/"+field, "Expected value of type: Object")
			return nil
		}
	}
	t, err := compileTemplate(v, 0)
	if err != nil {
		if fe, ok := err.(*fieldError); ok {
			p.schema(loc+"/"+field, "The value for the field '%s' %s", fe.field, fe.msg)
		} else {
			p.schema(loc+"/"+field, "%v", err)
		}
		return nil
	}
	return t
}

func (p *parser) io(st *State, o map[string]any, loc string) {
	st.InputPath = p.optPath(o, "InputPath", loc, false)
	st.OutputPath = p.optPath(o, "OutputPath", loc, false)
	st.ResultPath = p.optPath(o, "ResultPath", loc, true)
	st.Parameters = p.templateField(o, "Parameters", loc)
	st.ResultSelector = p.templateField(o, "ResultSelector", loc)
	st.Assign = p.templateField(o, "Assign", loc)
}

func (p *parser) intField(o map[string]any, field, loc string, lo, hi int64) (int, bool) {
	v, present := o[field]
	if !present {
		return 0, false
	}
	n, ok := toInt(v)
	if !ok || n < lo || n > hi {
		p.schema(loc+"/"+field, "The value for the field '%s' must be an integer between %d and %d", field, lo, hi)
		return 0, false
	}
	return int(n), true
}

func (p *parser) pathField(o map[string]any, field, loc string) *path {
	v, present := o[field]
	if !present {
		return nil
	}
	s, ok := v.(string)
	pp, err := parsePath(s)
	if !ok || err != nil {
		p.schema(loc+"/"+field, "The value for the field '%s' must be a valid JSONPath", field)
		return nil
	}
	return pp
}

func (p *parser) task(st *State, o map[string]any, loc string) {
	res, ok := o["Resource"].(string)
	if !ok {
		p.schema(loc, "Missing required field: Resource")
	} else if !strings.HasPrefix(res, "arn:") {
		p.schema(loc+"/Resource", "Value is not a valid resource ARN")
	}
	st.Resource = res
	st.TimeoutSeconds, _ = p.intField(o, "TimeoutSeconds", loc, 1, 99999999)
	st.HeartbeatSeconds, _ = p.intField(o, "HeartbeatSeconds", loc, 1, 99999999)
	st.TimeoutSecondsPath = p.pathField(o, "TimeoutSecondsPath", loc)
	st.HeartbeatSecPath = p.pathField(o, "HeartbeatSecondsPath", loc)
	if st.TimeoutSeconds > 0 && st.TimeoutSecondsPath != nil {
		p.schema(loc, "Only one of TimeoutSeconds or TimeoutSecondsPath can be specified")
	}
	if st.HeartbeatSeconds > 0 && st.TimeoutSeconds > 0 && st.HeartbeatSeconds >= st.TimeoutSeconds {
		p.schema(loc+"/HeartbeatSeconds", "The value of HeartbeatSeconds must be less than TimeoutSeconds")
	}
	if c, present := o["Credentials"]; present {
		co, isObj := c.(map[string]any)
		if !isObj || co["RoleArn"] == nil && co["RoleArn.$"] == nil {
			p.schema(loc+"/Credentials", "The field 'RoleArn' is required but was missing")
		}
	}
}

func (p *parser) wait(st *State, o map[string]any, loc string) {
	n := 0
	if v, ok := o["Seconds"]; ok {
		n++
		s, ok := toInt(v)
		if !ok || s < 0 {
			p.schema(loc+"/Seconds", "The value for the field 'Seconds' must be a non-negative integer")
		}
		st.Seconds = &s
	}
	if v, ok := o["Timestamp"]; ok {
		n++
		s, _ := v.(string)
		t, err := parseTimestamp(s)
		if err != nil {
			p.schema(loc+"/Timestamp", "String does not match RFC3339 timestamp")
		}
		st.Timestamp = &t
	}
	if _, ok := o["SecondsPath"]; ok {
		n++
		st.SecondsPath = p.pathField(o, "SecondsPath", loc)
	}
	if _, ok := o["TimestampPath"]; ok {
		n++
		st.TimestampPath = p.pathField(o, "TimestampPath", loc)
	}
	if n != 1 {
		p.schema(loc, "A Wait state must contain exactly one of Seconds, Timestamp, SecondsPath or TimestampPath")
	}
}

// parseTimestamp accepts RFC 3339 date-times as AWS does (with 'T' and
// a zone designator).
func parseTimestamp(s string) (time.Time, error) {
	if !strings.Contains(s, "T") {
		return time.Time{}, fmt.Errorf("not an RFC 3339 timestamp: %q", s)
	}
	return time.Parse(time.RFC3339Nano, s)
}

func (p *parser) fail(st *State, o map[string]any, loc string) {
	str := func(f string) (string, *dynExpr) {
		v, ok := o[f]
		if !ok {
			return "", nil
		}
		s, isStr := v.(string)
		if !isStr {
			p.schema(loc+"/"+f, "Expected value of type: String")
		}
		return s, nil
	}
	st.Error, _ = str("Error")
	st.Cause, _ = str("Cause")
	for _, f := range []string{"ErrorPath", "CausePath"} {
		v, ok := o[f]
		if !ok {
			continue
		}
		s, _ := v.(string)
		e, err := compileExpr(s)
		if err != nil {
			p.schema(loc+"/"+f, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", f)
			continue
		}
		if f == "ErrorPath" {
			st.ErrorPath = &e
		} else {
			st.CausePath = &e
		}
	}
	if st.ErrorPath != nil && o["Error"] != nil {
		p.schema(loc, "Only one of Error or ErrorPath can be specified")
	}
	if st.CausePath != nil && o["Cause"] != nil {
		p.schema(loc, "Only one of Cause or CausePath can be specified")
	}
}

func (p *parser) parallel(st *State, o map[string]any, loc, scopeID string) {
	bs, ok := o["Branches"].([]any)
	if !ok || len(bs) == 0 {
		p.schema(loc, "Missing required field: Branches")
		return
	}
	for i, b := range bs {
		bo, ok := b.(map[string]any)
		bloc := fmt.Sprintf("%s/Branches[%d]", loc, i)
		if !ok {
			p.schema(bloc, "Expected value of type: Object")
			continue
		}
		saved := p.jsonata
		sc := p.scope(bo, bloc, fmt.Sprintf("%s/%s/%d", scopeID, st.Name, i))
		p.jsonata = saved
		if sc != nil {
			st.Branches = append(st.Branches, sc)
		}
	}
}

func (p *parser) mapState(st *State, o map[string]any, loc, scopeID string) {
	field := "ItemProcessor"
	proc, ok := o["ItemProcessor"].(map[string]any)
	if !ok {
		field = "Iterator"
		proc, ok = o["Iterator"].(map[string]any)
	}
	if !ok {
		p.schema(loc, "Missing required field: ItemProcessor")
		return
	}
	if o["ItemProcessor"] != nil && o["Iterator"] != nil {
		p.schema(loc, "Only one of ItemProcessor or Iterator can be specified")
	}
	if p.jsonata {
		if o["Items"] == nil {
			st.J["Items"] = nil
		}
	} else if o["ItemSelector"] != nil && o["Parameters"] != nil {
		p.schema(loc, "Only one of ItemSelector or Parameters can be specified")
	}
	if cfg, ok := proc["ProcessorConfig"].(map[string]any); ok {
		st.Distributed = cfg["Mode"] == "DISTRIBUTED"
	}
	for _, f := range []string{"ItemReader", "ResultWriter"} {
		if o[f] != nil {
			// Both read or write Amazon S3 objects, and Vigil has no S3.
			p.schema(loc+"/"+f, "%s is not supported: Vigil has no Amazon S3 to read items from or write results to; pass the items in the state's input", f)
		}
	}
	if v, ok := o["ItemBatcher"]; ok {
		st.Batcher = p.itemBatcher(v, loc+"/ItemBatcher", st.Distributed)
	}
	inner := map[string]any{}
	for k, v := range proc {
		if k != "ProcessorConfig" {
			inner[k] = v
		}
	}
	saved := p.jsonata
	st.Processor = p.scope(inner, loc+"/"+field, scopeID+"/"+st.Name)
	p.jsonata = saved
	if p.jsonata {
		if cfg, ok := proc["ProcessorConfig"].(map[string]any); ok {
			st.Distributed = cfg["Mode"] == "DISTRIBUTED"
		}
		return
	}
	st.ItemsPath = p.optPath(o, "ItemsPath", loc, false)
	if t := p.templateField(o, "ItemSelector", loc); t != nil {
		st.ItemSelector = t
	} else if st.Parameters != nil {
		// Legacy Map: Parameters select each item; they are not the
		// state's effective input.
		st.ItemSelector, st.Parameters = st.Parameters, nil
	}
	st.MaxConcurrency, _ = p.intField(o, "MaxConcurrency", loc, 0, math.MaxInt32)
	st.MaxConcurrencyPath = p.pathField(o, "MaxConcurrencyPath", loc)
	if n, ok := p.intField(o, "ToleratedFailureCount", loc, 0, math.MaxInt32); ok {
		st.ToleratedFailureCount, st.HasTolerance = n, true
	}
	st.ToleratedFailureCountPath = p.pathField(o, "ToleratedFailureCountPath", loc)
	if v, ok := o["ToleratedFailurePercentage"]; ok {
		f, isNum := toFloat(v)
		if !isNum || f < 0 || f > 100 {
			p.schema(loc+"/ToleratedFailurePercentage", "The value for the field 'ToleratedFailurePercentage' must be a number between 0 and 100")
		}
		st.ToleratedFailurePercentage, st.HasTolerance = f, true
	}
	st.ToleratedPercentagePath = p.pathField(o, "ToleratedFailurePercentagePath", loc)
	st.Label, _ = o["Label"].(string)
}

func (p *parser) errorEquals(v any, loc string) []string {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		p.schema(loc, "Missing required field: ErrorEquals")
		return nil
	}
	var out []string
	for i, x := range arr {
		s, ok := x.(string)
		if !ok {
			p.schema(fmt.Sprintf("%s/ErrorEquals[%d]", loc, i), "Expected value of type: String")
			continue
		}
		if s == ErrAll && len(arr) > 1 {
			p.schema(loc+"/ErrorEquals", "States.ALL must appear alone in ErrorEquals")
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) retryCatch(st *State, o map[string]any, loc string) {
	if v, ok := o["Retry"]; ok {
		arr, _ := v.([]any)
		for i, x := range arr {
			rloc := fmt.Sprintf("%s/Retry[%d]", loc, i)
			ro, _ := x.(map[string]any)
			r := Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "NONE"}
			r.ErrorEquals = p.errorEquals(ro["ErrorEquals"], rloc)
			if n, ok := p.intField(ro, "IntervalSeconds", rloc, 1, 99999999); ok {
				r.IntervalSeconds = n
			}
			if n, ok := p.intField(ro, "MaxAttempts", rloc, 0, 99999999); ok {
				r.MaxAttempts = n
			}
			if n, ok := p.intField(ro, "MaxDelaySeconds", rloc, 1, 31622400); ok {
				r.MaxDelaySeconds = n
			}
			if b, ok := ro["BackoffRate"]; ok {
				f, isNum := toFloat(b)
				if !isNum || f < 1 {
					p.schema(rloc+"/BackoffRate", "The value for the field 'BackoffRate' must be a number greater than or equal to 1.0")
				}
				r.BackoffRate = f
			}
			if j, ok := ro["JitterStrategy"]; ok {
				if j != "FULL" && j != "NONE" {
					p.schema(rloc+"/JitterStrategy", "The value for the field 'JitterStrategy' must be one of [FULL, NONE]")
				}
				r.JitterStrategy, _ = j.(string)
			}
			if hasAll(r.ErrorEquals) && i != len(arr)-1 {
				p.schema(rloc, "States.ALL must be in the last retrier")
			}
			st.Retry = append(st.Retry, r)
		}
	}
	if v, ok := o["Catch"]; ok {
		arr, _ := v.([]any)
		for i, x := range arr {
			cloc := fmt.Sprintf("%s/Catch[%d]", loc, i)
			co, _ := x.(map[string]any)
			c := Catcher{ErrorEquals: p.errorEquals(co["ErrorEquals"], cloc)}
			c.Next, _ = co["Next"].(string)
			if c.Next == "" {
				p.schema(cloc, "Missing required field: Next")
			}
			if p.jsonata {
				var err error
				if v, ok := co["Output"]; ok {
					if c.jOutput, err = compileJTmpl(v, 0); err != nil {
						p.schema(cloc+"/Output", "The JSONata expression is invalid: %v", err)
					}
				}
				if v, ok := co["Assign"]; ok {
					if c.jAssign, err = compileJTmpl(v, 0); err != nil {
						p.schema(cloc+"/Assign", "The JSONata expression is invalid: %v", err)
					}
				}
			} else {
				c.ResultPath = p.optPath(co, "ResultPath", cloc, true)
				c.Assign = p.templateField(co, "Assign", cloc)
			}
			if hasAll(c.ErrorEquals) && i != len(arr)-1 {
				p.schema(cloc, "States.ALL must be in the last catcher")
			}
			st.Catch = append(st.Catch, c)
		}
	}
}

func hasAll(es []string) bool {
	for _, e := range es {
		if e == ErrAll {
			return true
		}
	}
	return false
}

// ValidateType checks the machine against the constraints of a state
// machine type ("STANDARD" or "EXPRESS"): Express machines cannot use
// .sync or .waitForTaskToken integrations or activities.
func (m *Machine) ValidateType(stateMachineType string) error {
	if stateMachineType != "EXPRESS" {
		return nil
	}
	var errs []string
	ids := make([]string, 0, len(m.scopes))
	for id := range m.scopes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		sc := m.scopes[id]
		for _, name := range sortedStates(sc.states) {
			st := sc.states[name]
			if st.Type != "Task" {
				continue
			}
			loc := sc.loc + "/States/" + name + "/Resource"
			switch rk := classify(st.Resource); {
			case strings.Contains(rk.resource, ".sync"):
				errs = append(errs, "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at "+loc)
			case strings.HasSuffix(rk.resource, ".waitForTaskToken"):
				errs = append(errs, "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at "+loc) // AWS's text has two spaces
			case rk.kind == "activity":
				errs = append(errs, "SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN at "+loc)
			}
		}
	}
	if len(errs) > 0 {
		return defErr(errs)
	}
	return nil
}

// scopeOf returns the scope with the given id.
func (m *Machine) scopeOf(id string) *scope {
	if id == "" {
		return m.root
	}
	return m.scopes[id]
}

// MarshalJSON is not provided: a Machine is rebuilt with Parse from the
// stored definition text.
var _ = json.Marshal
