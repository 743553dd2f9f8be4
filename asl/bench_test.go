package asl

import (
	"encoding/json"
	"testing"
)

// BenchmarkTransitions drives a 3-Task machine with a fake executor,
// round-tripping the Run through JSON between transitions as the service
// does. It reports state transitions per second.
func BenchmarkTransitions(b *testing.B) {
	def := `{"StartAt":"Delete","States":{
	  "Delete":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:deleteAccessKey","Parameters":{"AccessKeyId.$":"$.detail['check-item-detail']['Access Key ID']"},"ResultPath":"$.deleted","Next":"Lookup"},
	  "Lookup":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:cloudtrail:lookupEvents","Parameters":{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue.$":"$.detail['check-item-detail']['User Name']"}]},"ResultSelector":{"n.$":"States.ArrayLength($.Events)"},"ResultPath":"$.events","Next":"Notify"},
	  "Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:aws:sns:us-east-1:000000000000:t","Message.$":"States.Format('{} events', $.events.n)"},"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		b.Fatal(err)
	}
	input := json.RawMessage(keyInput)
	out := json.RawMessage(`{"Events":[{"EventName":"ListUsers"},{"EventName":"GetUser"}]}`)
	b.ReportAllocs()
	transitions := 0
	for b.Loop() {
		run, _, acts, err := Start(m, testCtx(), input, t0)
		if err != nil {
			b.Fatal(err)
		}
		for len(acts) > 0 {
			raw, _ := json.Marshal(run)
			run = &Run{}
			if err := json.Unmarshal(raw, run); err != nil {
				b.Fatal(err)
			}
			_, acts, err = run.Complete(m, acts[0].ID, Result{Output: out}, t0)
			if err != nil {
				b.Fatal(err)
			}
			transitions++
		}
		if run.Status() != StatusSucceeded {
			b.Fatalf("status %s", run.Status())
		}
	}
	b.ReportMetric(float64(transitions)/b.Elapsed().Seconds(), "transitions/s")
}
