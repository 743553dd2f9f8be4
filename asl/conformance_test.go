package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// The conformance corpus lives in shared/ beside the repository. It was
// recorded against AWS Step Functions (see its "notes").
func corpusPath() string {
	if p := os.Getenv("VIGIL_SHARED"); p != "" {
		return filepath.Join(p, "conformance", "stepfunctions-executions.json")
	}
	return filepath.Join("..", "..", "shared", "conformance", "stepfunctions-executions.json")
}

type confCase struct {
	Name                 string          `json:"name"`
	Definition           json.RawMessage `json:"definition"`
	DefinitionText       *string         `json:"definitionText"`
	Input                json.RawMessage `json:"input"`
	InputText            *string         `json:"inputText"`
	Feature              string          `json:"feature"`
	StateMachineType     string          `json:"stateMachineType"`
	ExecIndex            int             `json:"execIndex"`
	HistoryNormalisation string          `json:"historyNormalisation"`
	Transforms           json.RawMessage `json:"transforms"`
	Expect               struct {
		Status      string          `json:"status"`
		Output      json.RawMessage `json:"output"`
		Error       *string         `json:"error"`
		Cause       json.RawMessage `json:"cause"`
		History     json.RawMessage `json:"history"`
		CreateError *struct {
			Code, Message string
		} `json:"createError"`
	} `json:"expect"`
}

type confFile struct {
	IsoRegex string     `json:"isoRegex"`
	Cases    []confCase `json:"cases"`
}

// conformanceFloor is the number of cases known to pass; the test fails
// if a change makes fewer pass.
const conformanceFloor = 666

func TestConformance(t *testing.T) {
	b, err := os.ReadFile(corpusPath())
	if err != nil {
		t.Skipf("conformance corpus not available: %v", err)
	}
	var cf confFile
	if err := json.Unmarshal(b, &cf); err != nil {
		t.Fatalf("corpus: %v", err)
	}
	iso := regexp.MustCompile(cf.IsoRegex)
	type tally struct{ pass, fail, skip int }
	byFeature := map[string]*tally{}
	var report strings.Builder
	total := tally{}
	for _, c := range cf.Cases {
		tl := byFeature[c.Feature]
		if tl == nil {
			tl = &tally{}
			byFeature[c.Feature] = tl
		}
		reason, skip := runConfCase(c, iso)
		switch {
		case skip:
			tl.skip++
			total.skip++
		case reason == "":
			tl.pass++
			total.pass++
		default:
			tl.fail++
			total.fail++
			fmt.Fprintf(&report, "FAIL %s\n    %s\n", c.Name, reason)
		}
	}
	feats := make([]string, 0, len(byFeature))
	for f := range byFeature {
		feats = append(feats, f)
	}
	sort.Strings(feats)
	for _, f := range feats {
		tl := byFeature[f]
		t.Logf("%-20s pass %3d  fail %3d  skip %3d", f, tl.pass, tl.fail, tl.skip)
	}
	t.Logf("%-20s pass %3d  fail %3d  skip %3d", "TOTAL", total.pass, total.fail, total.skip)
	if out := os.Getenv("ASL_CONFORMANCE_REPORT"); out != "" {
		os.WriteFile(out, []byte(report.String()), 0o644)
	}
	if total.pass < conformanceFloor {
		t.Errorf("conformance regressed: %d cases pass, floor is %d", total.pass, conformanceFloor)
	}
}

// runConfCase runs one case; it returns why it failed ("" for a pass)
// or skip=true when the case needs something this harness cannot fake.
func runConfCase(c confCase, iso *regexp.Regexp) (reason string, skip bool) {
	def := []byte(c.Definition)
	if c.DefinitionText != nil {
		def = []byte(*c.DefinitionText)
	}
	m, err := Parse(def)
	if err == nil {
		err = m.ValidateType(c.StateMachineType)
	}
	if ce := c.Expect.CreateError; ce != nil {
		if err == nil {
			return "expected definition error: " + ce.Message, false
		}
		if err.Error() != ce.Message {
			return fmt.Sprintf("definition error\n     got  %s\n     want %s", err, ce.Message), false
		}
		return "", false
	}
	if err != nil {
		return "parse: " + err.Error(), false
	}
	execName := fmt.Sprintf("<ExecArnPart_%didx>", c.ExecIndex)
	ctx := Context{
		ExecutionArn:     "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:" + execName,
		ExecutionName:    execName,
		StateMachineArn:  "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
		StateMachineName: "<ArnPart_0idx>",
		RoleArn:          "snf_role_arn",
		Region:           "<region>",
	}
	input := json.RawMessage("{}")
	if c.InputText != nil {
		input = json.RawMessage(*c.InputText)
	}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	run, events, actions, err := Start(m, ctx, input, now)
	if err != nil {
		return "start: " + err.Error(), false
	}
	for steps := 0; len(actions) > 0 && run.Status() == StatusRunning && steps < 10000; steps++ {
		a := actions[0]
		actions = actions[1:]
		if a.Kind == KindTask {
			return "", true
		}
		if a.Until.After(now) {
			now = a.Until
		}
		ev, more, err := run.Complete(m, a.ID, Result{}, now)
		if err != nil {
			return "complete: " + err.Error(), false
		}
		events = append(events, ev...)
		actions = append(actions, more...)
		// Fire timers in time order, as the real clock would.
		sort.SliceStable(actions, func(i, j int) bool { return actions[i].Until.Before(actions[j].Until) })
	}
	return compareRun(c, run, events, iso), false
}

func compareRun(c confCase, run *Run, events []HistoryEvent, iso *regexp.Regexp) string {
	if c.Expect.Status != "" && run.Status() != c.Expect.Status {
		e, cause := run.Error()
		return fmt.Sprintf("status %s (%s: %s), want %s", run.Status(), e, cause, c.Expect.Status)
	}
	norm := func(s string) string { return iso.ReplaceAllString(s, "date") }
	if len(c.Expect.Output) > 0 {
		var want any
		decodeInto(c.Expect.Output, &want)
		got := recorderNorm(normValue(norm(string(run.Output()))), "", iso, c.Transforms, 1)
		if !confEqual(want, got) {
			return fmt.Sprintf("output\n     got  %s\n     want %s", run.Output(), c.Expect.Output)
		}
	}
	errName, cause := run.Error()
	if c.Expect.Error != nil && *c.Expect.Error != errName {
		return fmt.Sprintf("error %q, want %q", errName, *c.Expect.Error)
	}
	if len(c.Expect.Cause) > 0 {
		var want any
		decodeInto(c.Expect.Cause, &want)
		if !confEqual(want, norm(cause)) {
			return fmt.Sprintf("cause\n     got  %s\n     want %s", cause, c.Expect.Cause)
		}
	}
	if len(c.Expect.History) == 0 {
		return ""
	}
	var want []any
	decodeInto(c.Expect.History, &want)
	b, _ := json.Marshal(events)
	var got []any
	decodeInto([]byte(norm(string(b))), &got)
	for i, e := range got {
		got[i] = recorderNorm(e, "", iso, c.Transforms, 0)
	}
	if c.HistoryNormalisation == "parallel-unordered" {
		got = parallelUnordered(got)
	}
	if len(got) != len(want) {
		return fmt.Sprintf("history has %d events, want %d\n     got  %s\n     want %s", len(got), len(want), brief(got), brief(want))
	}
	for i := range want {
		if !confEqual(want[i], got[i]) {
			gb, _ := json.Marshal(got[i])
			wb, _ := json.Marshal(want[i])
			return fmt.Sprintf("history event %d\n     got  %s\n     want %s", i, gb, wb)
		}
	}
	return ""
}

func brief(evs []any) string {
	var parts []string
	for _, e := range evs {
		m, _ := e.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v/%v:%v", m["id"], m["previousEventId"], m["type"]))
	}
	return strings.Join(parts, " ")
}

func decodeInto(b []byte, v any) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	d.Decode(v)
}

// normValue parses a JSON text the way the recorder did.
func normValue(s string) any {
	var v any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return s
	}
	return v
}

var placeholder = regexp.MustCompile(`<[^<>]+>`)

// confEqual compares an expected recorded value with ours: JSON texts
// compare by value, <...> placeholders match any non-empty text.
func confEqual(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		if s, ok := got.(string); ok {
			got = normValue(s)
		}
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok || !confEqual(v, gv) {
				return false
			}
		}
		return true
	case []any:
		if s, ok := got.(string); ok {
			got = normValue(s)
		}
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !confEqual(w[i], g[i]) {
				return false
			}
		}
		return true
	case string:
		g, ok := got.(string)
		if !ok {
			return false
		}
		if w == g {
			return true
		}
		wv, gv := normValue(w), normValue(g)
		if _, isStr := wv.(string); !isStr {
			if _, isStr := gv.(string); !isStr {
				return jsonEqual(wv, gv) || confEqual(wv, gv)
			}
		}
		return placeholderMatch(w, g)
	case json.Number:
		return jsonEqual(w, got)
	}
	return jsonEqual(want, got)
}

func placeholderMatch(w, g string) bool {
	if !placeholder.MatchString(w) {
		return false
	}
	parts := placeholder.Split(w, -1)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	re, err := regexp.Compile("^(?s)" + strings.Join(parts, ".+") + "$")
	return err == nil && re.MatchString(g)
}

// parallelUnordered ports the recorder's rewrite of events inside
// Parallel states (see the corpus notes, item 6).
func parallelUnordered(e []any) []any {
	collecting := false
	var sub []any
	start := 0
	for i := 0; i < len(e); i++ {
		m, _ := e[i].(map[string]any)
		typ, _ := m["type"].(string)
		switch {
		case typ == "ParallelStateSucceeded" || typ == "ParallelStateFailed" || typ == "ParallelStateAborted" || typ == "ParallelStateExited":
			sort.SliceStable(sub, func(a, b int) bool { return sortKey(sub[a]) < sortKey(sub[b]) })
			rest := append([]any{}, e[i:]...)
			e = append(append(e[:start], sub...), rest...)
			i = start + len(sub)
			collecting = false
		case typ == "ParallelStateStarted":
			collecting = true
			sub = nil
			start = i + 1
		case collecting:
			m["id"] = []any{json.Number("0")}
			m["previousEventId"] = json.Number("0")
			sub = append(sub, m)
		}
	}
	return e
}

// sortKey renders an event like Python's json.dumps(sort_keys=True).
func sortKey(v any) string {
	switch t := v.(type) {
	case map[string]any:
		ks := sortedKeys(t)
		parts := make([]string, len(ks))
		for i, k := range ks {
			parts[i] = pyString(k) + ": " + sortKey(t[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = sortKey(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		return pyString(t)
	case bool:
		if t {
			return "true"
		}
		return "false"
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

func pyString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// recorderNorm applies the recorder's normalisations to one of our
// values: JSON object texts parsed one level, non-ISO values under
// "timestamp" keys replaced, and the case's jsonpath transforms (by the
// last key of their path).
func recorderNorm(v any, key string, iso *regexp.Regexp, transforms json.RawMessage, startDepth int) any {
	var trs []struct {
		Kind, Jsonpath, Replacement string
	}
	json.Unmarshal(transforms, &trs)
	parseOutput := false
	for _, t := range trs {
		parseOutput = parseOutput || t.Kind == "parse-output"
	}
	var walk func(v any, key string, depth int) any
	walk = func(v any, key string, depth int) any {
		for _, t := range trs {
			if t.Kind == "jsonpath" {
				segs := strings.FieldsFunc(t.Jsonpath, func(r rune) bool { return r == '.' || r == '$' })
				if len(segs) > 0 && segs[len(segs)-1] == key {
					return t.Replacement
				}
			}
		}
		if s, ok := v.(string); ok && depth == 0 && key == "output" && parseOutput {
			if p := normValue(s); p != s {
				return p
			}
		}
		if s, ok := v.(string); ok && depth == 0 && strings.HasPrefix(s, "{") {
			if p := normValue(s); p != nil {
				if _, isObj := p.(map[string]any); isObj {
					v = p
					depth = 1
				}
			}
		}
		if strings.Contains(strings.ToLower(key), "timestamp") {
			if s, ok := v.(string); !ok || !iso.MatchString(s) && s != "date" {
				return "timestamp"
			}
		}
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				t[k] = walk(x, k, depth)
			}
		case []any:
			for i, x := range t {
				t[i] = walk(x, key, depth)
			}
		}
		return v
	}
	return walk(v, key, startDepth)
}
