package dataprotect

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestScan(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"clean.txt":        "nothing to see here\n",
		"app.log":          "start\nuser mail jane.doe@example.com\n  SSN: 123-45-6789 and ssn 219-09-9999\n",
		"keys/env.sh":      "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n",
		"event.json":       `{"payment": {"credit_card_number": "4539894458086459"}, "user": {"email": "a@example.org"}}`,
		"events.jsonl":     "{\"ip\": \"203.0.113.9\"}\n{\"x\": 1}\n{\"ip\": \"198.51.100.7\"}\nnot json 10.0.0.1\n",
		"bin.dat":          "\x00\x01card 4539894458086459",
		".git/config":      "email a@example.com",
		"custom/notes.txt": "employee EID-123456789-US approved",
	})
	emp, err := NewCustomIdentifier("EmployeeId", `EID-\d{9}-US`)
	if err != nil {
		t.Fatal(err)
	}
	var progress []ScanProgress
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rep, err := Scan(context.Background(), ScanOptions{
		Identifiers: append(ManagedIdentifiers(), emp),
		Progress:    func(p ScanProgress) { progress = append(progress, p) },
		Now:         func() time.Time { return now },
		Workers:     2,
	}, dir)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]Finding{}
	for _, f := range rep.Findings {
		rel, _ := filepath.Rel(dir, f.ResourcesAffected.S3Object.Key)
		byKey[rel] = f
	}
	if len(byKey) != 5 {
		t.Fatalf("findings for %v, want app.log, keys/env.sh, event.json, events.jsonl, custom/notes.txt", keys(byKey))
	}
	if len(rep.Skipped) != 1 || !strings.HasSuffix(rep.Skipped[0].Path, "bin.dat") {
		t.Errorf("skipped %+v, want bin.dat", rep.Skipped)
	}
	if n := len(progress); n != 7 || progress[n-1].Files != 7 {
		t.Errorf("progress calls %d: %+v", n, progress)
	}

	app := byKey["app.log"]
	if app.Type != "SensitiveData:S3Object/Personal" || app.Severity.Description != "Medium" || app.CreatedAt != "2026-03-01T00:00:00Z" {
		t.Errorf("app.log finding: %s %+v %s", app.Type, app.Severity, app.CreatedAt)
	}
	ssn := detection(app, "Ssn-US")
	if ssn == nil || ssn.Count != 2 || len(ssn.Occurrences.LineRanges) != 2 || ssn.Occurrences.LineRanges[0] != (Range{Start: 3, End: 3, StartColumn: 8}) {
		t.Errorf("Ssn-US detection: %+v", ssn)
	}
	if k := byKey["keys/env.sh"]; k.Type != "SensitiveData:S3Object/Credentials" || k.Severity.Score != 3 {
		t.Errorf("env.sh: %s %+v", k.Type, k.Severity)
	}
	ev := byKey["event.json"]
	if ev.Type != "SensitiveData:S3Object/Multiple" || ev.ClassificationDetails.Result.MimeType != "application/json" {
		t.Errorf("event.json: %s", ev.Type)
	}
	if d := detection(ev, "CreditCardNumber"); d == nil || d.Occurrences.Records[0] != (Record{JSONPath: "$.payment.credit_card_number"}) {
		t.Errorf("card detection: %+v", d)
	}
	jl := detection(byKey["events.jsonl"], "IpAddress")
	if jl == nil || jl.Count != 3 || jl.Occurrences.Records[1].RecordIndex != 2 || jl.Occurrences.LineRanges[0].Start != 4 {
		t.Errorf("jsonl IpAddress: %+v", jl)
	}
	c := byKey["custom/notes.txt"]
	if c.Type != "SensitiveData:S3Object/CustomIdentifier" || c.ClassificationDetails.Result.CustomDataIdentifiers.TotalCount != 1 {
		t.Errorf("custom: %s %+v", c.Type, c.ClassificationDetails.Result.CustomDataIdentifiers)
	}

	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Findings) != 5 {
		t.Fatalf("JSON report: %v, %d findings", err, len(doc.Findings))
	}
	for _, field := range []string{"accountId", "classificationDetails", "resourcesAffected", "severity", "type", "schemaVersion", "id"} {
		if _, ok := doc.Findings[0][field]; !ok {
			t.Errorf("finding lacks %s", field)
		}
	}
	buf.Reset()
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); !strings.Contains(s, "Ssn-US") || !strings.Contains(s, "3:8, 3:28") || !strings.Contains(s, "5 finding(s) in 6 file(s)") {
		t.Errorf("table:\n%s", s)
	}
}

func detection(f Finding, name string) *DefaultDetection {
	for _, sd := range f.ClassificationDetails.Result.SensitiveData {
		for i := range sd.Detections {
			if sd.Detections[i].Type == name {
				return &sd.Detections[i]
			}
		}
	}
	return nil
}

func keys(m map[string]Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestScanChunks checks that text searched in overlapping chunks reports
// each match once, with the right line numbers, across chunk boundaries.
func TestScanChunks(t *testing.T) {
	oldSize, oldOverlap := chunkSize, chunkOverlap
	chunkSize, chunkOverlap = 256, 64
	defer func() { chunkSize, chunkOverlap = oldSize, oldOverlap }()
	var b strings.Builder
	for i := 0; i < 200; i++ {
		b.WriteString("filler line with nothing in it\n")
		if i%7 == 0 {
			b.WriteString("contact jane.doe@example.com now\n")
		}
	}
	rep, err := ScanReader(context.Background(), "big.txt", strings.NewReader(b.String()), ScanOptions{MaxOccurrences: 1000})
	if err != nil {
		t.Fatal(err)
	}
	d := detection(rep.Findings[0], "EmailAddress")
	if d == nil || d.Count != 29 {
		t.Fatalf("EmailAddress: %+v", d)
	}
	for i, r := range d.Occurrences.LineRanges {
		if want := int64(2 + i*8); r.Start != want || r.StartColumn != 9 {
			t.Errorf("occurrence %d at %+v, want line %d column 9", i, r, want)
		}
	}
}

// TestScanProgressInsideFile checks that a large text file reports its
// progress chunk by chunk, that the byte count only grows, and that it
// ends at the total.
func TestScanProgressInsideFile(t *testing.T) {
	oldSize, oldOverlap := chunkSize, chunkOverlap
	chunkSize, chunkOverlap = 256, 64
	defer func() { chunkSize, chunkOverlap = oldSize, oldOverlap }()
	dir := writeFiles(t, map[string]string{
		"big.log":   strings.Repeat("filler line with nothing in it\n", 100),
		"small.log": "nothing\n",
	})
	var progress []ScanProgress
	_, err := Scan(context.Background(), ScanOptions{Workers: 1, Progress: func(p ScanProgress) { progress = append(progress, p) }}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) < 5 {
		t.Fatalf("%d progress calls, want one per chunk of big.log and one per file: %+v", len(progress), progress)
	}
	var prev int64
	midFile := false
	for _, p := range progress {
		if p.Bytes < prev || p.Bytes > p.TotalBytes {
			t.Errorf("bytes went from %d to %d (total %d)", prev, p.Bytes, p.TotalBytes)
		}
		prev = p.Bytes
		midFile = midFile || p.Files == 0 && p.Bytes > 0
	}
	last := progress[len(progress)-1]
	if !midFile || last.Files != 2 || last.Bytes != last.TotalBytes || last.TotalBytes != 3108 {
		t.Errorf("progress %+v, want chunk reports inside big.log and 2 files, 3108 bytes at the end", progress)
	}
}
