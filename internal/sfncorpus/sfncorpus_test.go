package sfncorpus

import (
	"encoding/json"
	"regexp"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		want, got string
		match     bool
	}{
		{`{"a":1}`, `{"a":1.0}`, true},
		{`{"a":1}`, `{"a":2}`, false},
		{`"arn:<partition>:states:<region>:1:execution:<ArnPart_0idx>:x"`, `"arn:aws:states:us-east-1:1:execution:m:x"`, true},
		{`"<uuid:1>"`, `""`, false},
		{`{"o":{"k":[1,2]}}`, `{"o":"{\"k\": [1, 2]}"}`, true},
		{`"[1, 2]"`, `"[1,2]"`, true},
		{`"text"`, `"other"`, false},
		{`[1]`, `[1,2]`, false},
	}
	for _, tc := range tests {
		var w, g any
		DecodeInto([]byte(tc.want), &w)
		DecodeInto([]byte(tc.got), &g)
		if Match(w, g) != tc.match {
			t.Errorf("Match(%s, %s) = %v", tc.want, tc.got, !tc.match)
		}
	}
}

func TestNormaliser(t *testing.T) {
	n := &Normaliser{
		Iso:   regexp.MustCompile(`\d{4}-\d{2}-\d{2}T[0-9:.]+Z`),
		Case:  &Case{Transforms: []Transform{{Kind: "jsonpath", Jsonpath: "$..StartTime", Replacement: "start-time"}}},
		Subst: []string{"000000000000", "111111111111"},
	}
	var got any
	DecodeInto([]byte(`{"timestamp":1.5,"details":{"input":"{\"StartTime\":\"x\",\"at\":\"2024-05-01T12:00:00.000Z\",\"acct\":\"000000000000\"}"}}`), &got)
	want := `{"details":{"input":{"StartTime":"start-time","acct":"111111111111","at":"date"}},"timestamp":"timestamp"}`
	if b, _ := json.Marshal(n.Value(got, "", 0)); string(b) != want {
		t.Errorf("normalised %s\nwant %s", b, want)
	}
}

func TestParallelUnordered(t *testing.T) {
	var evs []any
	DecodeInto([]byte(`[{"id":1,"type":"ParallelStateStarted"},{"id":2,"type":"B"},{"id":3,"type":"A"},
	  {"id":4,"type":"ParallelStateSucceeded"},{"id":5,"type":"ParallelStateExited"}]`), &evs)
	out := ParallelUnordered(evs)
	got := Brief(out)
	if got != "1<<nil>:ParallelStateStarted [0]<0:A [0]<0:B 5<<nil>:ParallelStateExited" {
		t.Errorf("rewritten %s", got)
	}
}
