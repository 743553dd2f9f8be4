package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The conformance corpus holds executions recorded on AWS Step Functions
// (see its "notes" for how the recorder normalised them). This test runs
// each case through the real server over the wire and compares status,
// output, error, cause and history with the recording.

type sfnCorpus struct {
	IsoRegex string          `json:"isoRegex"`
	Cases    []sfnCorpusCase `json:"cases"`
}

type sfnCorpusCase struct {
	Name                 string          `json:"name"`
	Definition           json.RawMessage `json:"definition"`
	DefinitionText       *string         `json:"definitionText"`
	InputText            *string         `json:"inputText"`
	StateMachineType     string          `json:"stateMachineType"`
	Feature              string          `json:"feature"`
	ExecIndex            int             `json:"execIndex"`
	HistoryNormalisation string          `json:"historyNormalisation"`
	Transforms           []struct {
		Kind, Jsonpath, Replacement string
	} `json:"transforms"`
	Expect struct {
		Status      string          `json:"status"`
		Output      json.RawMessage `json:"output"`
		Error       *string         `json:"error"`
		Cause       json.RawMessage `json:"cause"`
		History     json.RawMessage `json:"history"`
		CreateError *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"createError"`
	} `json:"expect"`
}

func sfnCorpusPath() string {
	if p := os.Getenv("VIGIL_SHARED"); p != "" {
		return filepath.Join(p, "conformance", "stepfunctions-executions.json")
	}
	return filepath.Join("..", "..", "shared", "conformance", "stepfunctions-executions.json")
}

// sfnUnsupported says why a case is outside what Vigil claims to run, or "".
// Language features the interpreter lacks are found at run time instead:
// CreateStateMachine rejects them with a message saying so.
func sfnUnsupported(c sfnCorpusCase) string {
	def := string(c.Definition)
	if c.DefinitionText != nil {
		def = *c.DefinitionText
	}
	switch {
	case c.StateMachineType != "STANDARD":
		return "EXPRESS state machines"
	case c.Expect.CreateError != nil:
		return ""
	case strings.Contains(def, `"Resource"`):
		return "service integrations Vigil lacks"
	}
	return ""
}

// sfnInterpreterGaps are cases the asl package's own conformance test
// also fails (reported in notes/asl-api.md). They are logged, not
// failed, so that this test guards what the service adds; a gap that
// starts passing is logged too, to be dropped from the list.
var sfnInterpreterGaps = map[string]bool{
	"tests/aws/services/stepfunctions/v2/assign/test_assign_reference_variables.py::TestAssignReferenceVariables::test_reference_in_map_state[MAP_STATE_REFERENCE_IN_TOLERATED_FAILURE_PATH]": true,
	"tests/aws/services/stepfunctions/v2/assign/test_assign_reference_variables.py::TestAssignReferenceVariables::test_reference_in_map_state[MAP_STATE_REFERENCE_IN_ITEM_SELECTOR]":          true,
	"tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.py::TestBaseScenarios::test_map_state_nested_config_distributed":                                                       true,
	"tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.py::TestBaseScenarios::test_map_state_config_distributed_items_path_from_previous":                                     true,
}

// sfnRefusal matches an InvalidDefinition that refuses a feature rather
// than a mistake: a case Vigil does not claim to run.
var sfnRefusal = regexp.MustCompile(`(?i)not (yet )?supported|does not support|not yet`)

// sfnRawClient calls Step Functions with hand-signed requests, so that
// responses are seen exactly as sent.
type sfnRawClient struct {
	url   string
	creds aws.Credentials
}

func (c *sfnRawClient) call(ctx context.Context, action string, in any) (map[string]any, *sfnWireError, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, c.creds, req, hex.EncodeToString(sum[:]), "states", "us-east-1", time.Now()); err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var we sfnWireError
		if err := json.Unmarshal(b, &we); err != nil {
			return nil, nil, fmt.Errorf("%s: status %d: %s", action, resp.StatusCode, b)
		}
		return nil, &we, nil
	}
	var out map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", action, err)
	}
	return out, nil, nil
}

type sfnWireError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func TestStatesConformance(t *testing.T) {
	b, err := os.ReadFile(sfnCorpusPath())
	if err != nil {
		t.Skipf("conformance corpus not available: %v", err)
	}
	var corpus sfnCorpus
	if err := json.Unmarshal(b, &corpus); err != nil {
		t.Fatalf("corpus: %v", err)
	}
	iso := regexp.MustCompile(corpus.IsoRegex)
	v := startVigil(t)
	creds, err := v.Cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := &sfnRawClient{url: v.URL, creds: creds}

	type result struct {
		c      sfnCorpusCase
		skip   string
		reason string
	}
	results := make([]result, len(corpus.Cases))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := corpus.Cases[i]
				r := result{c: c, skip: sfnUnsupported(c)}
				if r.skip == "" {
					r.reason, r.skip = sfnRunCase(client, c, i, iso)
				}
				results[i] = r
			}
		}()
	}
	for i := range corpus.Cases {
		work <- i
	}
	close(work)
	wg.Wait()

	type tally struct{ pass, fail, gap, skip int }
	byFeature := map[string]*tally{}
	skips := map[string]int{}
	var total tally
	var report strings.Builder
	for _, r := range results {
		if byFeature[r.c.Feature] == nil {
			byFeature[r.c.Feature] = &tally{}
		}
		if sfnInterpreterGaps[r.c.Name] && r.skip == "" {
			if r.reason == "" {
				t.Logf("known interpreter gap now passes, drop it from sfnInterpreterGaps: %s", r.c.Name)
			} else {
				byFeature[r.c.Feature].gap++
				total.gap++
				t.Logf("known interpreter gap: %s\n    %s", r.c.Name, r.reason)
				continue
			}
		}
		tl := byFeature[r.c.Feature]
		switch {
		case r.skip != "":
			tl.skip++
			total.skip++
			skips[r.skip]++
		case r.reason == "":
			tl.pass++
			total.pass++
		default:
			tl.fail++
			total.fail++
			fmt.Fprintf(&report, "FAIL %s\n    %s\n", r.c.Name, r.reason)
		}
	}
	feats := make([]string, 0, len(byFeature))
	for f := range byFeature {
		feats = append(feats, f)
	}
	sort.Strings(feats)
	for _, f := range feats {
		tl := byFeature[f]
		t.Logf("%-20s pass %3d  fail %3d  known gap %d  skip %3d", f, tl.pass, tl.fail, tl.gap, tl.skip)
	}
	t.Logf("%-20s pass %3d  fail %3d  known gap %d  skip %3d", "TOTAL", total.pass, total.fail, total.gap, total.skip)
	for why, n := range skips {
		if len(why) > 160 {
			why = why[:160] + "..."
		}
		t.Logf("skipped %3d: %s", n, why)
	}
	if out := os.Getenv("STATES_CONFORMANCE_REPORT"); out != "" {
		os.WriteFile(out, []byte(report.String()), 0o644)
	}
	if total.fail > 0 {
		rep := report.String()
		if len(rep) > 6000 {
			rep = rep[:6000] + "\n..."
		}
		t.Errorf("%d supported cases failed:\n%s", total.fail, rep)
	}
}

// sfnRunCase runs one case and returns why it failed, or "", or why it
// was skipped.
func sfnRunCase(c *sfnRawClient, cs sfnCorpusCase, idx int, iso *regexp.Regexp) (reason, skip string) {
	ctx := context.Background()
	def := string(cs.Definition)
	if cs.DefinitionText != nil {
		def = *cs.DefinitionText
	}
	machine := fmt.Sprintf("conformance-%04d", idx)
	created, werr, err := c.call(ctx, "CreateStateMachine", map[string]any{"name": machine, "definition": def, "roleArn": sfnRole})
	if err != nil {
		return err.Error(), ""
	}
	if ce := cs.Expect.CreateError; ce != nil {
		if werr == nil {
			return "created; want " + ce.Code + ": " + ce.Message, ""
		}
		if werr.Type != ce.Code || werr.Message != ce.Message {
			return fmt.Sprintf("create error\n     got  %s: %s\n     want %s: %s", werr.Type, werr.Message, ce.Code, ce.Message), ""
		}
		return "", ""
	}
	if werr != nil {
		if werr.Type == "InvalidDefinition" && sfnRefusal.MatchString(werr.Message) {
			return "", werr.Message
		}
		return fmt.Sprintf("create: %s: %s", werr.Type, werr.Message), ""
	}
	input := "{}"
	if cs.InputText != nil {
		input = *cs.InputText
	}
	started, werr, err := c.call(ctx, "StartExecution", map[string]any{"stateMachineArn": created["stateMachineArn"], "input": input})
	if err != nil || werr != nil {
		return fmt.Sprintf("start: %v %v", err, werr), ""
	}
	execARN := started["executionArn"].(string)
	var desc map[string]any
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		desc, werr, err = c.call(ctx, "DescribeExecution", map[string]any{"executionArn": execARN})
		if err != nil || werr != nil {
			return fmt.Sprintf("describe: %v %v", err, werr), ""
		}
		if desc["status"] != "RUNNING" {
			break
		}
		if time.Now().After(deadline) {
			return "still running after 90s", ""
		}
	}
	n := &sfnNormaliser{
		iso: iso, cs: cs,
		subst: []string{
			sfnRole, "snf_role_arn",
			"000000000000", "111111111111",
			"us-east-1", "<region>",
			"arn:aws:", "arn:<partition>:",
			machine, "<ArnPart_0idx>",
			execARN[strings.LastIndexByte(execARN, ':')+1:], fmt.Sprintf("<ExecArnPart_%didx>", cs.ExecIndex),
		},
	}
	if why := n.compareOutcome(desc); why != "" {
		return why, ""
	}
	if len(cs.Expect.History) == 0 {
		return "", ""
	}
	var events []any
	token := ""
	for {
		req := map[string]any{"executionArn": execARN, "maxResults": 1000}
		if token != "" {
			req["nextToken"] = token
		}
		page, werr, err := c.call(ctx, "GetExecutionHistory", req)
		if err != nil || werr != nil {
			return fmt.Sprintf("history: %v %v", err, werr), ""
		}
		events = append(events, page["events"].([]any)...)
		if token, _ = page["nextToken"].(string); token == "" {
			break
		}
	}
	return n.compareHistory(events), ""
}

// sfnNormaliser applies the recorder's normalisations (corpus notes 1-5)
// to our responses and compares them with the recording.
type sfnNormaliser struct {
	iso   *regexp.Regexp
	cs    sfnCorpusCase
	subst []string // old, new pairs, applied in order
}

func (n *sfnNormaliser) text(s string) string {
	for i := 0; i < len(n.subst); i += 2 {
		s = strings.ReplaceAll(s, n.subst[i], n.subst[i+1])
	}
	return n.iso.ReplaceAllString(s, "date")
}

// norm normalises one of our values found under key; depth counts how
// many JSON texts were already opened (the recorder opened one level).
func (n *sfnNormaliser) norm(v any, key string, depth int) any {
	for _, tr := range n.cs.Transforms {
		if tr.Kind == "jsonpath" {
			segs := strings.FieldsFunc(tr.Jsonpath, func(r rune) bool { return r == '.' || r == '$' })
			if len(segs) > 0 && segs[len(segs)-1] == key {
				return tr.Replacement
			}
		}
	}
	if s, ok := v.(string); ok {
		s = n.text(s)
		v = s
		parseAny := key == "output" && depth == 0 && n.parseOutput()
		if depth == 0 && (strings.HasPrefix(s, "{") || parseAny) {
			if p, err := sfnDecode(s); err == nil {
				if _, isObj := p.(map[string]any); isObj || parseAny {
					return n.norm(p, key, depth+1)
				}
			}
		}
	}
	if strings.Contains(strings.ToLower(key), "timestamp") {
		if s, ok := v.(string); !ok || (s != "date" && !n.iso.MatchString(s)) {
			return "timestamp"
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = n.norm(c, k, depth)
		}
	case []any:
		for i, c := range x {
			x[i] = n.norm(c, key, depth)
		}
	}
	return v
}

func (n *sfnNormaliser) parseOutput() bool {
	for _, tr := range n.cs.Transforms {
		if tr.Kind == "parse-output" {
			return true
		}
	}
	return false
}

func (n *sfnNormaliser) compareOutcome(desc map[string]any) string {
	want := n.cs.Expect
	if want.Status != "" && desc["status"] != want.Status {
		return fmt.Sprintf("status %v (%v: %v), want %s", desc["status"], desc["error"], desc["cause"], want.Status)
	}
	if len(want.Output) > 0 {
		var w any
		sfnDecodeInto(want.Output, &w)
		out, _ := desc["output"].(string)
		got, err := sfnDecode(n.text(out))
		if err != nil {
			return fmt.Sprintf("output %q is not JSON", out)
		}
		if !sfnMatch(w, n.norm(got, "", 1)) {
			return fmt.Sprintf("output\n     got  %s\n     want %s", out, want.Output)
		}
	}
	if want.Error != nil && desc["error"] != *want.Error {
		return fmt.Sprintf("error %v, want %q", desc["error"], *want.Error)
	}
	if len(want.Cause) > 0 {
		var w any
		sfnDecodeInto(want.Cause, &w)
		cause, _ := desc["cause"].(string)
		if !sfnMatch(w, n.text(cause)) {
			return fmt.Sprintf("cause\n     got  %s\n     want %s", cause, want.Cause)
		}
	}
	return ""
}

func (n *sfnNormaliser) compareHistory(events []any) string {
	var want []any
	sfnDecodeInto(n.cs.Expect.History, &want)
	got := make([]any, len(events))
	for i, e := range events {
		got[i] = n.norm(e, "", 0)
	}
	if n.cs.HistoryNormalisation == "parallel-unordered" {
		got = sfnParallelUnordered(got)
	}
	if len(got) != len(want) {
		return fmt.Sprintf("history has %d events, want %d\n     got  %s\n     want %s", len(got), len(want), sfnBrief(got), sfnBrief(want))
	}
	for i := range want {
		if !sfnMatch(want[i], got[i]) {
			gb, _ := json.Marshal(got[i])
			wb, _ := json.Marshal(want[i])
			return fmt.Sprintf("history event %d\n     got  %s\n     want %s", i, gb, wb)
		}
	}
	return ""
}

func sfnBrief(evs []any) string {
	var parts []string
	for _, e := range evs {
		m, _ := e.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v<%v:%v", m["id"], m["previousEventId"], m["type"]))
	}
	return strings.Join(parts, " ")
}

func sfnDecode(s string) (any, error) {
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

func sfnDecodeInto(b []byte, v any) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	d.Decode(v)
}

var sfnPlaceholder = regexp.MustCompile(`<[^<>]+>`)

// sfnMatch compares a recorded value with ours: JSON texts by value,
// numbers numerically, and <...> placeholders as wildcards for non-empty text.
func sfnMatch(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		if s, ok := got.(string); ok {
			got, _ = sfnDecode(s)
		}
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !sfnMatch(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		if s, ok := got.(string); ok {
			got, _ = sfnDecode(s)
		}
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sfnMatch(w[i], g[i]) {
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
		wv, werr := sfnDecode(w)
		gv, gerr := sfnDecode(g)
		if werr == nil && gerr == nil {
			if _, isStr := wv.(string); !isStr {
				return sfnMatch(wv, gv)
			}
		}
		return sfnWildcard(w, g)
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

func sfnWildcard(w, g string) bool {
	if !sfnPlaceholder.MatchString(w) {
		return false
	}
	parts := sfnPlaceholder.Split(w, -1)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	re, err := regexp.Compile("^(?s)" + strings.Join(parts, ".+") + "$")
	return err == nil && re.MatchString(g)
}

// sfnParallelUnordered ports the recorder's rewrite of the events inside
// Parallel states (corpus notes, item 6).
func sfnParallelUnordered(e []any) []any {
	collecting := false
	var sub []any
	start := 0
	for i := 0; i < len(e); i++ {
		m, _ := e[i].(map[string]any)
		typ, _ := m["type"].(string)
		switch {
		case typ == "ParallelStateSucceeded" || typ == "ParallelStateFailed" || typ == "ParallelStateAborted" || typ == "ParallelStateExited":
			sort.SliceStable(sub, func(a, b int) bool { return sfnPyJSON(sub[a]) < sfnPyJSON(sub[b]) })
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

// sfnPyJSON renders a value like Python's json.dumps(sort_keys=True).
func sfnPyJSON(v any) string {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = sfnPyJSON(k) + ": " + sfnPyJSON(t[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = sfnPyJSON(x)
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
