package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/asl"
)

func TestPercentile(t *testing.T) {
	ms := time.Millisecond
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * ms // reversed: percentile must sort
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", []time.Duration{7 * ms}, 99, 7 * ms},
		{"p50 of 100", hundred, 50, 50 * ms},
		{"p99 of 100", hundred, 99, 99 * ms},
		{"p100 of 100", hundred, 100, 100 * ms},
		{"p50 of 3", []time.Duration{3 * ms, 1 * ms, 2 * ms}, 50, 2 * ms},
		{"p99 of 3", []time.Duration{3 * ms, 1 * ms, 2 * ms}, 99, 3 * ms},
	}
	for _, tt := range tests {
		if got := percentile(tt.ds, tt.p); got != tt.want {
			t.Errorf("%s: percentile(%v) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
	if hundred[0] != 100*ms {
		t.Error("percentile reordered its input")
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{5}, 5},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.xs); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
}

func TestTableMedians(t *testing.T) {
	run := func(n int, wall time.Duration) result {
		return result{shape: "task", sync: "full", run: n, executions: 100, wall: wall,
			server: []time.Duration{wall}, client: []time.Duration{wall}, startCall: []time.Duration{wall / 10}}
	}
	// 100 executions in 1s, 2s and 4s: 100, 50 and 25 per second.
	rs := []result{run(1, time.Second), run(2, 2*time.Second), run(3, 4*time.Second)}
	var b bytes.Buffer
	writeTable(&b, rs, true)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("table has %d lines, want 6:\n%s", len(lines), b.String())
	}
	want := "| task | full | **median** | 300 | 0 | 50 | 150 | 2000.0 | 2000.0 | 2000.0 | 2000.0 | 200.0 | 0 | ? | 0.0 |"
	if lines[5] != want {
		t.Errorf("median row\n got %s\nwant %s", lines[5], want)
	}
	if !strings.HasPrefix(lines[2], "| task | full | 1 | 100 | 0 | 100 | 300 |") {
		t.Errorf("first run row: %s", lines[2])
	}
}

func TestDefinitionsParse(t *testing.T) {
	for shape, def := range definitions {
		if !json.Valid([]byte(def)) {
			t.Fatalf("%s: definition is not JSON: %s", shape, def)
		}
		if _, err := asl.Parse([]byte(def)); err != nil {
			t.Errorf("%s: %v", shape, err)
		}
	}
}

func TestIsMeasured(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"run-0", true},
		{"run-1999", true},
		{"warmup-3", false},
		{"run", false},
		{"runner-1", false},
	}
	for _, tt := range tests {
		if got := isMeasured(tt.name, "run"); got != tt.want {
			t.Errorf("isMeasured(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
