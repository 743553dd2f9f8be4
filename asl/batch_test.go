package asl

import (
	"strings"
	"testing"
)

func batchMachine(batcher string, jsonata bool) string {
	ql := ""
	items := `"ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value"},`
	if jsonata {
		ql = `"QueryLanguage":"JSONata",`
		items = `"Items":"{% $states.input.items %}","ItemSelector":{"v":"{% $states.context.Map.Item.Value %}"},`
	}
	return `{` + ql + `"StartAt":"M","States":{"M":{"Type":"Map",` + items + `"ItemBatcher":` + batcher + `,
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
}

func TestItemBatcher(t *testing.T) {
	tests := []struct {
		name, batcher string
		jsonata       bool
		input, want   string
	}{
		{"by count", `{"MaxItemsPerBatch":2,"BatchInput":{"run.$":"$.run"}}`, false, `{"run":"r1","items":[1,2,3,4,5]}`,
			`[{"BatchInput":{"run":"r1"},"Items":[{"v":1},{"v":2}]},{"BatchInput":{"run":"r1"},"Items":[{"v":3},{"v":4}]},{"BatchInput":{"run":"r1"},"Items":[{"v":5}]}]`},
		{"count from path", `{"MaxItemsPerBatchPath":"$.n"}`, false, `{"n":3,"items":[1,2,3,4]}`,
			`[{"Items":[{"v":1},{"v":2},{"v":3}]},{"Items":[{"v":4}]}]`},
		// {"Items":[]} is 12 bytes; each {"v":N} adds 7, and a comma.
		{"by bytes", `{"MaxInputBytesPerBatch":27}`, false, `{"items":[1,2,3]}`,
			`[{"Items":[{"v":1},{"v":2}]},{"Items":[{"v":3}]}]`},
		{"jsonata", `{"MaxItemsPerBatch":"{% $states.input.n %}","BatchInput":{"total":"{% $count($states.input.items) %}"}}`, true, `{"n":2,"items":[1,2,3]}`,
			`[{"BatchInput":{"total":3},"Items":[{"v":1},{"v":2}]},{"BatchInput":{"total":3},"Items":[{"v":3}]}]`},
		{"no items", `{"MaxItemsPerBatch":2}`, false, `{"items":[]}`, `[]`},
	}
	for _, tc := range tests {
		run, x := runMachine(t, batchMachine(tc.batcher, tc.jsonata), tc.input, ok(`{}`))
		if run.Status() != StatusSucceeded {
			e, c := run.Error()
			t.Errorf("%s: %s %s: %s", tc.name, run.Status(), e, c)
			continue
		}
		if !jsonEqual(valueOf(run.Output()), mustJSON(t, tc.want)) {
			t.Errorf("%s: output %s, want %s", tc.name, run.Output(), tc.want)
		}
		if !strings.Contains(summary(x.events), "MapRunStarted") {
			t.Errorf("%s: history %s", tc.name, summary(x.events))
		}
	}
}

func TestItemBatcherFailures(t *testing.T) {
	run, _ := runMachine(t, batchMachine(`{"MaxInputBytesPerBatch":15}`, false), `{"items":[1]}`, ok(`{}`))
	if e, c := run.Error(); run.Status() != StatusFailed || e != ErrRuntime || !strings.Contains(c, "does not fit in a batch of at most 15 bytes") {
		t.Errorf("oversized item: %s %s: %s", run.Status(), e, c)
	}
	run, _ = runMachine(t, batchMachine(`{"MaxItemsPerBatchPath":"$.n"}`, false), `{"n":"many","items":[1]}`, ok(`{}`))
	if e, _ := run.Error(); run.Status() != StatusFailed || e != ErrRuntime {
		t.Errorf("bad path value: %s %s", run.Status(), e)
	}

	inline := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatch":2},
	  "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	for _, tc := range []struct{ def, want string }{
		{inline, "ItemBatcher is only supported when the ProcessorConfig Mode is DISTRIBUTED at /States/M/ItemBatcher"},
		{batchMachine(`{"MaxItemsPerBatch":0}`, false), "MaxItemsPerBatch' must be an integer between 1"},
		{batchMachine(`{"MaxInputBytesPerBatch":300000}`, false), "MaxInputBytesPerBatch' must be an integer between 1 and 262144"},
		{batchMachine(`{"MaxItemsPerBatch":1,"MaxItemsPerBatchPath":"$.n"}`, false), "Only one of MaxItemsPerBatch or MaxItemsPerBatchPath"},
		{batchMachine(`{"Size":1}`, false), "Field 'Size' is not supported"},
		{batchMachine(`{"MaxItemsPerBatchPath":"$.n"}`, true), "'MaxItemsPerBatchPath' is not supported when QueryLanguage is JSONata"},
		{strings.Replace(batchMachine(`{}`, false), `"ItemBatcher":{}`, `"ItemReader":{"Resource":"arn:aws:states:::s3:getObject"}`, 1),
			"ItemReader is not supported: Vigil has no Amazon S3"},
		{strings.Replace(batchMachine(`{}`, false), `"ItemBatcher":{}`, `"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject"}`, 1),
			"ResultWriter is not supported"},
	} {
		_, err := Parse([]byte(tc.def))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse: %v, want %q", err, tc.want)
		}
	}
}
