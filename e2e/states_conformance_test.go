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
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vigilsec/vigil/internal/sfncorpus"
)

// The conformance corpus holds executions recorded on AWS Step Functions
// (see its "notes" for how the recorder normalised them). This test runs
// each case through the real server over the wire and compares status,
// output, error, cause and history with the recording.

// sfnUnsupported says why a case is outside what Vigil claims to run, or "".
// Language features the interpreter lacks are found at run time instead:
// CreateStateMachine rejects them with a message saying so.
func sfnUnsupported(c *sfncorpus.Case) string {
	def := c.DefinitionString()
	switch {
	case c.Expect.CreateError != nil:
		return ""
	case strings.Contains(def, `"Resource"`):
		return "service integrations Vigil lacks"
	}
	return ""
}

// sfnInterpreterGaps are cases the asl package's own conformance test
// also fails (asl's confGaps). They are logged, not failed, so that this
// test guards what the service adds; a gap that starts passing is logged
// too, to be dropped from the list.
//
// All four contradict ten other recordings of the same shape, so no rule
// passes both: for a DISTRIBUTED Map, MapStateExited.previousEventId is
// the MapRunSucceeded event's id in the ten cases recorded from 2024-02-08
// to 2024-06-19 (test_map_state_config_distributed_*,
// test_map_state_tolerated_failure_*, test_map_state_legacy_config_distributed_parameters,
// ..._reentrant: "6 MapStateSucceeded<5, 7 MapStateExited<5") and the
// MapRunStarted event's id in these four, recorded from 2024-11-18 to
// 2025-01-09 ("8 MapStateSucceeded<7, 9 MapStateExited<6"). The events,
// their order and all other links are the same; the Map states differ in
// nothing that could explain it (MaxConcurrency 1, Pass or Succeed
// iterations, with and without a state before the Map). AWS changed the
// link between those dates, and LocalStack marks exactly this field
// ($..events[8].previousEventId) unverified for these four. The
// interpreter keeps the older link, which ten cases pin.
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
	corpus, err := sfncorpus.Load(sfncorpus.Path())
	if os.IsNotExist(err) {
		t.Skipf("conformance corpus not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	v := startVigil(t)
	creds, err := v.Cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := &sfnRawClient{url: v.URL, creds: creds}

	type result struct {
		c      *sfncorpus.Case
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
				c := &corpus.Cases[i]
				r := result{c: c, skip: sfnUnsupported(c)}
				if r.skip == "" {
					r.reason, r.skip = sfnRunCase(client, c, i, corpus.Iso)
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
func sfnRunCase(c *sfnRawClient, cs *sfncorpus.Case, idx int, iso *regexp.Regexp) (reason, skip string) {
	ctx := context.Background()
	def := cs.DefinitionString()
	machine := fmt.Sprintf("conformance-%04d", idx)
	created, werr, err := c.call(ctx, "CreateStateMachine", map[string]any{"name": machine, "definition": def, "roleArn": sfnRole, "type": cs.StateMachineType})
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
	input := cs.Input()
	if cs.StateMachineType == "EXPRESS" {
		return sfnRunSync(c, cs, created["stateMachineArn"], machine, input, iso), ""
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
	n := &sfncorpus.Normaliser{
		Iso: iso, Case: cs,
		Subst: []string{
			sfnRole, "snf_role_arn",
			"000000000000", "111111111111",
			"us-east-1", "<region>",
			"arn:aws:", "arn:<partition>:",
			machine, "<ArnPart_0idx>",
			execARN[strings.LastIndexByte(execARN, ':')+1:], fmt.Sprintf("<ExecArnPart_%didx>", cs.ExecIndex),
		},
	}
	if why := n.CompareOutcome(sfnOutcome(desc)); why != "" {
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
	return n.CompareHistory(events), ""
}

// sfnRunSync runs an EXPRESS case the way the recorder did, with
// StartSyncExecution, and compares its outcome.
func sfnRunSync(c *sfnRawClient, cs *sfncorpus.Case, machineARN any, machine, input string, iso *regexp.Regexp) string {
	out, werr, err := c.call(context.Background(), "StartSyncExecution", map[string]any{"stateMachineArn": machineARN, "input": input})
	if err != nil || werr != nil {
		return fmt.Sprintf("start sync: %v %v", err, werr)
	}
	execARN, _ := out["executionArn"].(string)
	parts := strings.Split(execARN, ":")
	if len(parts) != 9 || parts[5] != "express" {
		return "unexpected express execution ARN " + execARN
	}
	n := &sfncorpus.Normaliser{
		Iso: iso, Case: cs,
		Subst: []string{
			sfnRole, "sfn_role_arn",
			"000000000000", "111111111111",
			"us-east-1", "<region>",
			"arn:aws:", "arn:<partition>:",
			machine, "<ArnPart_0idx>",
			parts[8], "<SyncExecArn_Part2_0idx>",
			parts[7], "<SyncExecArn_Part1_0idx>",
		},
	}
	return n.CompareOutcome(sfnOutcome(out))
}

// sfnOutcome reads DescribeExecution's or StartSyncExecution's answer.
func sfnOutcome(desc map[string]any) sfncorpus.Outcome {
	var o sfncorpus.Outcome
	o.Status, _ = desc["status"].(string)
	o.Output, _ = desc["output"].(string)
	o.Error, _ = desc["error"].(string)
	o.Cause, _ = desc["cause"].(string)
	return o
}
