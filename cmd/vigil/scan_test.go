package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanCommand(t *testing.T) {
	dir := t.TempDir()
	leaky := filepath.Join(dir, "leaky.log")
	clean := filepath.Join(dir, "clean.log")
	os.WriteFile(leaky, []byte("deploy by alice@example.com\naws key AKIAIOSFODNN7EXAMPLE\n"), 0o600)
	os.WriteFile(clean, []byte("nothing to see here\n"), 0o600)

	var out, errOut bytes.Buffer
	code, err := scanCommand(context.Background(), []string{clean}, &out, &errOut)
	if err != nil || code != 0 {
		t.Fatalf("clean file: code %d, err %v\n%s", code, err, errOut.String())
	}

	out.Reset()
	code, err = scanCommand(context.Background(), []string{"--json", dir}, &out, &errOut)
	if err != nil || code != 1 {
		t.Fatalf("leaky directory: code %d, err %v", code, err)
	}
	var report struct {
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("--json output is not a findings document: %v\n%s", err, out.String())
	}
	if len(report.Findings) == 0 || !strings.Contains(out.String(), "leaky.log") || strings.Contains(out.String(), "clean.log\"") {
		t.Errorf("findings do not name exactly the leaky file:\n%s", out.String())
	}

	if code, _ := scanCommand(context.Background(), []string{filepath.Join(dir, "missing")}, &out, &errOut); code != 2 {
		t.Errorf("missing path: exit %d, want 2", code)
	}
}
