package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/dataprotect"
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

// fakeClock is a settable clock for the progress bar.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)} }
func prog(files, total int, b, tb int64) dataprotect.ScanProgress {
	return dataprotect.ScanProgress{Files: files, TotalFiles: total, Bytes: b, TotalBytes: tb}
}

func TestProgressRender(t *testing.T) {
	b := newProgressBar(io.Discard, newFakeClock().now)
	for _, c := range []struct {
		p       dataprotect.ScanProgress
		elapsed time.Duration
		want    string
	}{
		{prog(3, 10, 50e6, 100e6), 2 * time.Second, "[########........]  50% 50MB/100MB 3/10 files 25.0 MB/s ETA 0:02"},
		{prog(0, 1, 0, 4e9), 0, "[................]   0% 0.0MB/4000MB 0/1 files 0.0 MB/s ETA --:--"},
		{prog(1, 4, 1e6, 4e9), time.Second, "[................]   0% 1.0MB/4000MB 1/4 files 1.0 MB/s ETA 1:06:39"},
		{prog(2, 2, 0, 0), time.Second, "[################] 100% 0.0MB/0.0MB 2/2 files 0.0 MB/s ETA --:--"},
		{prog(5, 5, 7e6, 5e6), time.Second, "[################] 100% 7.0MB/5.0MB 5/5 files 7.0 MB/s ETA 0:00"}, // a file grew
		{prog(12345, 99999, 25e9, 999e9), time.Hour, "[................]   3% 25GB/999GB 12345/99999 files 6.9 MB/s ETA 38:57:36"},
	} {
		if got := b.render(c.p, c.elapsed); got != c.want || len(got) > 79 {
			t.Errorf("render(%+v, %v)\n got %q (%d columns)\nwant %q", c.p, c.elapsed, got, len(got), c.want)
		}
	}
}

// TestProgressThrottle checks that the bar redraws at most once per 100 ms
// of the clock, pads a shorter line over a longer one and clears itself.
func TestProgressThrottle(t *testing.T) {
	var out bytes.Buffer
	clock := newFakeClock()
	b := newProgressBar(&out, clock.now)
	steps := []time.Duration{0, 50 * time.Millisecond, 49 * time.Millisecond, 2 * time.Millisecond, 10 * time.Millisecond, 200 * time.Millisecond}
	for i, d := range steps {
		clock.add(d)
		b.update(prog(i, 100, int64(i)*1e6, 100e6))
	}
	lines := strings.Split(out.String(), "\r")[1:]
	if len(lines) != 3 { // at 0, 101 ms and 311 ms
		t.Fatalf("%d draws, want 3: %q", len(lines), out.String())
	}
	if !strings.Contains(lines[1], " 3/100 files") || !strings.Contains(lines[2], " 5/100 files") {
		t.Errorf("draws %q, want files 3 then 5", lines)
	}
	out.Reset()
	b.drawn = 90 // a longer line than the next one is on screen
	clock.add(time.Second)
	b.update(prog(6, 100, 6e6, 100e6))
	if got := out.String(); len(got) != 1+90 || strings.TrimRight(got, " ") == got {
		t.Errorf("redraw %q is not padded to the 90 columns on screen", got)
	}
	out.Reset()
	n := b.drawn
	b.clear()
	if got, want := out.String(), "\r"+strings.Repeat(" ", n)+"\r"; n == 0 || got != want {
		t.Errorf("clear wrote %q, want %q", got, want)
	}
	out.Reset()
	b.clear()
	if out.Len() != 0 {
		t.Errorf("second clear wrote %q", out.String())
	}
}

func TestWantProgress(t *testing.T) {
	var buf bytes.Buffer
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	for _, w := range []io.Writer{&buf, devNull} {
		if wantProgress(w, w, false, false) {
			t.Errorf("progress wanted on %T, which is not a terminal", w)
		}
	}
}

// TestScanProgressOnTerminal runs "vigil scan" (this test binary, as a
// helper) inside a pseudo-terminal made by script(1): the bar is drawn on
// the terminal and cleared, and is left out with --no-progress and when
// --json output goes to a file.
func TestScanProgressOnTerminal(t *testing.T) {
	if os.Getenv("VIGIL_SCAN_HELPER") == "1" {
		code, err := scanCommand(context.Background(), strings.Fields(os.Getenv("VIGIL_SCAN_ARGS")), os.Stdout, os.Stderr)
		if err != nil {
			os.Stderr.WriteString(err.Error())
		}
		os.Exit(code)
	}
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) is not installed")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "leaky.log"), []byte("deploy by alice@example.com\n"), 0o600)
	jsonOut := filepath.Join(dir, "out.json")
	run := func(args, redirect string) string {
		t.Helper()
		cmd := exec.Command(script, "-qec", os.Args[0]+" -test.run=^TestScanProgressOnTerminal$"+redirect, os.DevNull)
		cmd.Env = append(os.Environ(), "VIGIL_SCAN_HELPER=1", "VIGIL_SCAN_ARGS="+args, "TERM=xterm")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
			t.Fatalf("script: %v\n%s", err, out)
		}
		return string(out)
	}
	out := run(dir, "")
	bar := strings.Index(out, "\r[################] 100% ")
	if bar < 0 || !strings.Contains(out[bar:], "1/1 files") {
		t.Fatalf("no progress bar on the terminal:\n%q", out)
	}
	if clear := strings.Index(out[bar+1:], "\r"+strings.Repeat(" ", 40)); clear < 0 {
		t.Errorf("the bar is not cleared:\n%q", out)
	}
	if !strings.Contains(out, "leaky.log") || !strings.Contains(out, "EmailAddress") {
		t.Errorf("findings missing:\n%q", out)
	}
	if out := run("--no-progress "+dir, ""); strings.Contains(out, "\r[") || !strings.Contains(out, "EmailAddress") {
		t.Errorf("--no-progress output:\n%q", out)
	}
	if out := run("--json "+dir, " > "+jsonOut); strings.Contains(out, "\r[") {
		t.Errorf("progress drawn while --json goes to a file:\n%q", out)
	}
	if data, err := os.ReadFile(jsonOut); err != nil || !json.Valid(data) || !bytes.Contains(data, []byte("EmailAddress")) {
		t.Errorf("--json output: %v\n%s", err, data)
	}
}
