package events

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// BenchmarkPutEvents measures accepting a batch of ten events on a bus
// with 100 rules, one of which matches each event and has one target.
func BenchmarkPutEvents(b *testing.B) {
	h := newHarness(b)
	for i := range 100 {
		h.must("PutRule", map[string]any{"Name": fmt.Sprintf("r%d", i),
			"EventPattern": fmt.Sprintf(`{"source":["app.%d"],"detail":{"severity":[{"numeric":[">=",5]}]}}`, i)})
		h.must("PutTargets", map[string]any{"Rule": fmt.Sprintf("r%d", i), "Targets": []any{map[string]any{"Id": "t", "Arn": topicARN("t")}}})
	}
	entries := make([]map[string]any, 10)
	for i := range entries {
		entries[i] = entry(fmt.Sprintf("app.%d", i*7), "Finding", `{"severity":7,"resource":{"id":"i-1234","tags":["a","b"]}}`)
	}
	input := map[string]any{"Entries": entries}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.call("PutEvents", input); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkInputTransformer(b *testing.B) {
	it := &InputTransformer{InputPathsMap: ec2Paths,
		InputTemplate: `{"instance": <instance>, "state": "<state>", "tags": <tags>, "rule": <aws.events.rule-name>}`}
	dv := deliveryVars{RuleName: "r", Ingested: time.Now()}
	event := json.RawMessage(ec2Event)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := renderTransformer(it, event, dv); err != nil {
			b.Fatal(err)
		}
	}
}
