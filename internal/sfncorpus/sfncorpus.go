// Package sfncorpus reads the Step Functions conformance corpus (executions
// recorded on AWS, shared/conformance/stepfunctions-executions.json) and
// compares an engine's results with a recording after normalising them as
// the recorder did (the corpus "notes"). Tests of package asl and of the
// states service over the wire share it; it imports nothing of Vigil.
package sfncorpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Corpus is the corpus file.
type Corpus struct {
	IsoRegex string `json:"isoRegex"`
	Cases    []Case `json:"cases"`
	// Iso is IsoRegex compiled.
	Iso *regexp.Regexp `json:"-"`
}

// Case is one recorded execution (or one refused definition).
type Case struct {
	Name                 string          `json:"name"`
	Definition           json.RawMessage `json:"definition"`
	DefinitionText       *string         `json:"definitionText"`
	InputText            *string         `json:"inputText"`
	StateMachineType     string          `json:"stateMachineType"`
	Feature              string          `json:"feature"`
	ExecIndex            int             `json:"execIndex"`
	HistoryNormalisation string          `json:"historyNormalisation"`
	Transforms           []Transform     `json:"transforms"`
	Expect               Expect          `json:"expect"`
}

// Transform is one of a case's own normalisations (corpus notes, item 5).
type Transform struct {
	Kind, Jsonpath, Replacement string
}

// Expect is what AWS recorded.
type Expect struct {
	Status      string          `json:"status"`
	Output      json.RawMessage `json:"output"`
	Error       *string         `json:"error"`
	Cause       json.RawMessage `json:"cause"`
	History     json.RawMessage `json:"history"`
	CreateError *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"createError"`
}

// DefinitionString is the definition as it was sent to AWS.
func (c *Case) DefinitionString() string {
	if c.DefinitionText != nil {
		return *c.DefinitionText
	}
	return string(c.Definition)
}

// Input is the execution's input as it was sent to AWS.
func (c *Case) Input() string {
	if c.InputText != nil {
		return *c.InputText
	}
	return "{}"
}

// Path is where the corpus is: $VIGIL_SHARED/conformance, else
// shared/conformance beside the repository (from a package directory).
func Path() string {
	if p := os.Getenv("VIGIL_SHARED"); p != "" {
		return filepath.Join(p, "conformance", "stepfunctions-executions.json")
	}
	return filepath.Join("..", "..", "shared", "conformance", "stepfunctions-executions.json")
}

// Load reads the corpus at path.
func Load(path string) (*Corpus, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Corpus
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("corpus %s: %w", path, err)
	}
	if c.Iso, err = regexp.Compile(c.IsoRegex); err != nil {
		return nil, fmt.Errorf("corpus %s: isoRegex: %w", path, err)
	}
	return &c, nil
}

// Normaliser applies the recorder's normalisations (corpus notes 1-5) to
// an engine's results and compares them with a case's recording.
type Normaliser struct {
	Iso  *regexp.Regexp
	Case *Case
	// Subst holds old, new pairs of text replaced in every string, in
	// order (the account id, region, names, ...: notes item 2).
	Subst []string
}

// Text normalises one string: substitutions, then ISO dates.
func (n *Normaliser) Text(s string) string {
	for i := 0; i+1 < len(n.Subst); i += 2 {
		s = strings.ReplaceAll(s, n.Subst[i], n.Subst[i+1])
	}
	return n.Iso.ReplaceAllString(s, "date")
}

// Value normalises a decoded value found under key; depth counts the
// JSON texts already opened (the recorder opened one level).
func (n *Normaliser) Value(v any, key string, depth int) any {
	for _, tr := range n.Case.Transforms {
		if tr.Kind == "jsonpath" {
			segs := strings.FieldsFunc(tr.Jsonpath, func(r rune) bool { return r == '.' || r == '$' })
			if len(segs) > 0 && segs[len(segs)-1] == key {
				return tr.Replacement
			}
		}
	}
	if s, ok := v.(string); ok {
		s = n.Text(s)
		v = s
		parseAny := key == "output" && depth == 0 && n.parseOutput()
		if depth == 0 && (strings.HasPrefix(s, "{") || parseAny) {
			if p, err := Decode(s); err == nil {
				if _, isObj := p.(map[string]any); isObj || parseAny {
					return n.Value(p, key, depth+1)
				}
			}
		}
	}
	if strings.Contains(strings.ToLower(key), "timestamp") {
		if s, ok := v.(string); !ok || (s != "date" && !n.Iso.MatchString(s)) {
			return "timestamp"
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = n.Value(c, k, depth)
		}
	case []any:
		for i, c := range x {
			x[i] = n.Value(c, key, depth)
		}
	}
	return v
}

func (n *Normaliser) parseOutput() bool {
	for _, tr := range n.Case.Transforms {
		if tr.Kind == "parse-output" {
			return true
		}
	}
	return false
}

// Outcome is how an execution ended, as DescribeExecution tells it.
type Outcome struct {
	Status, Output, Error, Cause string
}

// CompareOutcome returns why got differs from the recording, or "".
func (n *Normaliser) CompareOutcome(got Outcome) string {
	want := n.Case.Expect
	if want.Status != "" && got.Status != want.Status {
		return fmt.Sprintf("status %s (%s: %s), want %s", got.Status, got.Error, got.Cause, want.Status)
	}
	if len(want.Output) > 0 {
		var w any
		DecodeInto(want.Output, &w)
		g, err := Decode(n.Text(got.Output))
		if err != nil {
			return fmt.Sprintf("output %q is not JSON", got.Output)
		}
		if !Match(w, n.Value(g, "", 1)) {
			return fmt.Sprintf("output\n     got  %s\n     want %s", got.Output, want.Output)
		}
	}
	if want.Error != nil && got.Error != *want.Error {
		return fmt.Sprintf("error %q, want %q", got.Error, *want.Error)
	}
	if len(want.Cause) > 0 {
		var w any
		DecodeInto(want.Cause, &w)
		if !Match(w, n.Text(got.Cause)) {
			return fmt.Sprintf("cause\n     got  %s\n     want %s", got.Cause, want.Cause)
		}
	}
	return ""
}

// CompareHistory returns why events (decoded GetExecutionHistory events,
// numbers as json.Number) differ from the recorded history, or "".
func (n *Normaliser) CompareHistory(events []any) string {
	var want []any
	DecodeInto(n.Case.Expect.History, &want)
	got := make([]any, len(events))
	for i, e := range events {
		got[i] = n.Value(e, "", 0)
	}
	if n.Case.HistoryNormalisation == "parallel-unordered" {
		got = ParallelUnordered(got)
	}
	if len(got) != len(want) {
		return fmt.Sprintf("history has %d events, want %d\n     got  %s\n     want %s", len(got), len(want), Brief(got), Brief(want))
	}
	for i := range want {
		if !Match(want[i], got[i]) {
			gb, _ := json.Marshal(got[i])
			wb, _ := json.Marshal(want[i])
			return fmt.Sprintf("history event %d\n     got  %s\n     want %s", i, gb, wb)
		}
	}
	return ""
}

// Brief renders events as "id<previousEventId:type" items.
func Brief(evs []any) string {
	var parts []string
	for _, e := range evs {
		m, _ := e.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v<%v:%v", m["id"], m["previousEventId"], m["type"]))
	}
	return strings.Join(parts, " ")
}

// Decode decodes one JSON text, numbers as json.Number.
func Decode(s string) (any, error) {
	var v any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

// DecodeInto decodes b into v, numbers as json.Number; bad JSON leaves v.
func DecodeInto(b []byte, v any) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	d.Decode(v)
}

var placeholder = regexp.MustCompile(`<[^<>]+>`)

// Match compares a recorded value with an engine's: JSON texts by value,
// numbers numerically, and <...> placeholders as wildcards for non-empty
// text.
func Match(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		if s, ok := got.(string); ok {
			got, _ = Decode(s)
		}
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !Match(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		if s, ok := got.(string); ok {
			got, _ = Decode(s)
		}
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !Match(w[i], g[i]) {
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
		wv, werr := Decode(w)
		gv, gerr := Decode(g)
		if werr == nil && gerr == nil {
			if _, isStr := wv.(string); !isStr {
				return Match(wv, gv)
			}
		}
		return wildcard(w, g)
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return false
		}
		wf, e1 := w.Float64()
		gf, e2 := g.Float64()
		return w == g || e1 == nil && e2 == nil && wf == gf
	}
	return want == got
}

func wildcard(w, g string) bool {
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

// ParallelUnordered ports the recorder's rewrite of the events inside
// Parallel states (corpus notes, item 6), losses included.
func ParallelUnordered(e []any) []any {
	collecting := false
	var sub []any
	start := 0
	for i := 0; i < len(e); i++ {
		m, _ := e[i].(map[string]any)
		typ, _ := m["type"].(string)
		switch {
		case typ == "ParallelStateSucceeded" || typ == "ParallelStateFailed" || typ == "ParallelStateAborted" || typ == "ParallelStateExited":
			sort.SliceStable(sub, func(a, b int) bool { return PyJSON(sub[a]) < PyJSON(sub[b]) })
			rest := append([]any{}, e[i:]...)
			e = append(append(e[:start], sub...), rest...)
			i = start + len(sub)
			collecting = false
		case typ == "ParallelStateStarted":
			collecting, sub, start = true, nil, i+1
		case collecting:
			m["id"] = []any{json.Number("0")}
			m["previousEventId"] = json.Number("0")
			sub = append(sub, m)
		}
	}
	return e
}

// PyJSON renders a value like Python's json.dumps(sort_keys=True).
func PyJSON(v any) string {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = PyJSON(k) + ": " + PyJSON(t[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = PyJSON(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		b, _ := json.Marshal(t)
		return string(b)
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
