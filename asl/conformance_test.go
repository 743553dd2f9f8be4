package asl_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/sfncorpus"
)

// The conformance corpus lives in shared/ beside the repository. It was
// recorded against AWS Step Functions (see its "notes"); package sfncorpus
// reads it and normalises results as the recorder did.

// conformanceFloor is the number of cases known to pass; the test fails
// if a change makes fewer pass.
const conformanceFloor = 667

// confGaps are the recorded cases the interpreter cannot pass without
// failing others: for a DISTRIBUTED Map, AWS linked MapStateExited to the
// MapRunSucceeded event in the ten recordings of 2024-02..06 (e.g.
// test_map_state_config_distributed_item_selector: "7 MapStateExited<5")
// and to the MapRunStarted event in these four of 2024-11..2025-01
// ("9 MapStateExited<6"), with the same events, order and other links and
// no difference in the Map states that could explain it. AWS changed the
// rule between those dates (LocalStack marks this very field,
// $..events[8].previousEventId, unverified for these four); the
// interpreter keeps the older link, which more cases pin. The e2e test's
// sfnInterpreterGaps lists the same four.
var confGaps = map[string]bool{
	"tests/aws/services/stepfunctions/v2/assign/test_assign_reference_variables.py::TestAssignReferenceVariables::test_reference_in_map_state[MAP_STATE_REFERENCE_IN_TOLERATED_FAILURE_PATH]": true,
	"tests/aws/services/stepfunctions/v2/assign/test_assign_reference_variables.py::TestAssignReferenceVariables::test_reference_in_map_state[MAP_STATE_REFERENCE_IN_ITEM_SELECTOR]":          true,
	"tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.py::TestBaseScenarios::test_map_state_nested_config_distributed":                                                       true,
	"tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.py::TestBaseScenarios::test_map_state_config_distributed_items_path_from_previous":                                     true,
}

func TestConformance(t *testing.T) {
	corpus, err := sfncorpus.Load(sfncorpus.Path())
	if os.IsNotExist(err) {
		t.Skipf("conformance corpus not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ pass, fail, skip int }
	byFeature := map[string]*tally{}
	var report strings.Builder
	total := tally{}
	for i := range corpus.Cases {
		c := &corpus.Cases[i]
		tl := byFeature[c.Feature]
		if tl == nil {
			tl = &tally{}
			byFeature[c.Feature] = tl
		}
		reason, skip := runConfCase(c, corpus.Iso)
		if confGaps[c.Name] {
			if reason == "" {
				t.Errorf("known gap now passes, drop it from confGaps: %s", c.Name)
			}
			t.Logf("known gap: %s", c.Name)
			tl.fail++
			total.fail++
			continue
		}
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
	if failed := total.fail - len(confGaps); failed > 0 {
		t.Errorf("%d cases failed beyond the %d known gaps:\n%s", failed, len(confGaps), report.String())
	}
	if total.pass < conformanceFloor {
		t.Errorf("conformance regressed: %d cases pass, floor is %d", total.pass, conformanceFloor)
	}
}

// runConfCase runs one case; it returns why it failed ("" for a pass)
// or skip=true when the case needs something this harness cannot fake.
func runConfCase(c *sfncorpus.Case, iso *regexp.Regexp) (reason string, skip bool) {
	m, err := asl.Parse([]byte(c.DefinitionString()))
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
	ctx := asl.Context{
		ExecutionArn:     "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:" + execName,
		ExecutionName:    execName,
		StateMachineArn:  "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
		StateMachineName: "<ArnPart_0idx>",
		RoleArn:          "snf_role_arn",
		Region:           "<region>",
	}
	if c.StateMachineType == "EXPRESS" {
		// The recorder ran these with StartSyncExecution (corpus notes 2).
		ctx.ExecutionName = "<SyncExecArn_Part1_0idx>"
		ctx.ExecutionArn = "arn:<partition>:states:<region>:111111111111:express:<ArnPart_0idx>:<SyncExecArn_Part1_0idx>:<SyncExecArn_Part2_0idx>"
		ctx.RoleArn = "sfn_role_arn"
		ctx.Express = true
	}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	run, events, actions, err := asl.Start(m, ctx, json.RawMessage(c.Input()), now)
	if err != nil {
		return "start: " + err.Error(), false
	}
	for steps := 0; len(actions) > 0 && run.Status() == asl.StatusRunning && steps < 10000; steps++ {
		a := actions[0]
		actions = actions[1:]
		if a.Kind == asl.KindTask {
			return "", true
		}
		if a.Until.After(now) {
			now = a.Until
		}
		ev, more, err := run.Complete(m, a.ID, asl.Result{}, now)
		if err != nil {
			return "complete: " + err.Error(), false
		}
		events = append(events, ev...)
		actions = append(actions, more...)
		// Fire timers in time order, as the real clock would.
		sort.SliceStable(actions, func(i, j int) bool { return actions[i].Until.Before(actions[j].Until) })
	}
	return compareRun(c, iso, run, events), false
}

func compareRun(c *sfncorpus.Case, iso *regexp.Regexp, run *asl.Run, events []asl.HistoryEvent) string {
	n := &sfncorpus.Normaliser{Iso: iso, Case: c}
	errName, cause := run.Error()
	if why := n.CompareOutcome(sfncorpus.Outcome{Status: run.Status(), Output: string(run.Output()), Error: errName, Cause: cause}); why != "" {
		return why
	}
	if len(c.Expect.History) == 0 {
		return ""
	}
	b, err := json.Marshal(events)
	if err != nil {
		return "history: " + err.Error()
	}
	var got []any
	sfncorpus.DecodeInto(b, &got)
	return n.CompareHistory(got)
}
