package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/vigilsec/vigil/dataprotect"
)

const scanUsage = `usage: vigil scan [flags] PATH...

Scans files and directories for sensitive data with the managed data
identifiers (and any --custom ones) and reports Macie-shaped findings.
Exit status: 0 nothing found, 1 sensitive data found, 2 error.

flags:
`

// scanCommand implements "vigil scan PATH...".
func scanCommand(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, scanUsage); fs.PrintDefaults() }
	asJSON := fs.Bool("json", false, `print one JSON document, {"findings": [...]}, instead of a table`)
	only := fs.String("identifiers", "", "comma-separated managed identifier names or ARNs to use (default: all)")
	noProgress := fs.Bool("no-progress", false, "never draw the progress bar (drawn on stderr only when it is a terminal)")
	maxOcc := fs.Int("max-occurrences", 15, "occurrences listed per identifier and file")
	workers := fs.Int("workers", 0, "files scanned in parallel (default: one per CPU)")
	account := fs.String("account-id", envOr("VIGIL_ACCOUNT_ID", "000000000000"), "account id in findings (env VIGIL_ACCOUNT_ID)")
	region := fs.String("region", envOr("VIGIL_REGION", "us-east-1"), "region in findings (env VIGIL_REGION)")
	var custom multi
	fs.Var(&custom, "custom", "custom data identifier NAME=REGEX; repeatable")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return 2, err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2, errors.New("scan: no PATH given")
	}
	ids, err := scanIdentifiers(*only, custom)
	if err != nil {
		return 2, err
	}
	opts := dataprotect.ScanOptions{Identifiers: ids, MaxOccurrences: *maxOcc, Workers: *workers, AccountID: *account, Region: *region}
	var bar *progressBar
	if wantProgress(stdout, stderr, *noProgress, *asJSON) {
		bar = newProgressBar(stderr, time.Now)
		opts.Progress = bar.update
	}
	rep, err := dataprotect.Scan(ctx, opts, fs.Args()...)
	bar.clear()
	if err != nil {
		return 2, err
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(stderr, "vigil: scan: skipped %s: %s\n", s.Path, s.Reason)
	}
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteTable(stdout)
	}
	if err != nil {
		return 2, err
	}
	if len(rep.Findings) > 0 {
		return 1, nil
	}
	return 0, nil
}

// scanIdentifiers resolves --identifiers and --custom; nil means all
// managed identifiers.
func scanIdentifiers(only string, custom []string) ([]*dataprotect.Identifier, error) {
	var ids []*dataprotect.Identifier
	if only != "" {
		for _, name := range strings.Split(only, ",") {
			name = strings.TrimSpace(name)
			id, ok := dataprotect.LookupManaged(name)
			if !ok {
				return nil, fmt.Errorf("--identifiers: %q is not a managed data identifier", name)
			}
			ids = append(ids, id)
		}
	}
	if len(custom) == 0 {
		return ids, nil
	}
	if ids == nil {
		ids = dataprotect.ManagedIdentifiers()
	}
	for _, c := range custom {
		name, re, ok := strings.Cut(c, "=")
		if !ok {
			return nil, fmt.Errorf("--custom %q: want NAME=REGEX", c)
		}
		id, err := dataprotect.NewCustomIdentifier(name, re)
		if err != nil {
			return nil, fmt.Errorf("--custom: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// isTerminal reports whether w is a terminal (not a pipe, a file or
// /dev/null).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// wantProgress decides whether to draw the progress bar: only on a
// terminal, never when turned off, and not while --json output goes to a
// pipe or file (a script is running the scan).
func wantProgress(stdout, stderr io.Writer, noProgress, asJSON bool) bool {
	if noProgress || os.Getenv("TERM") == "dumb" || !isTerminal(stderr) {
		return false
	}
	return !asJSON || isTerminal(stdout)
}

// progressBar draws one status line on a terminal: a bar of bytes scanned
// out of the bytes of the files found, files done, throughput and the
// time left. It redraws at most once per interval and pads each line over
// the previous one, so it needs nothing from the terminal but '\r'.
type progressBar struct {
	w        io.Writer
	now      func() time.Time
	start    time.Time
	last     time.Time // last draw
	interval time.Duration
	width    int // of the bar itself
	drawn    int // length of the line on screen
}

func newProgressBar(w io.Writer, now func() time.Time) *progressBar {
	return &progressBar{w: w, now: now, start: now(), interval: 100 * time.Millisecond, width: 16}
}

// update is the scan's Progress callback.
func (b *progressBar) update(p dataprotect.ScanProgress) {
	now := b.now()
	if b.drawn > 0 && now.Sub(b.last) < b.interval {
		return
	}
	b.last = now
	line := b.render(p, now.Sub(b.start))
	pad := max(0, b.drawn-len(line))
	fmt.Fprintf(b.w, "\r%s%s", line, strings.Repeat(" ", pad))
	b.drawn = len(line)
}

// render formats one status line for progress p after elapsed.
func (b *progressBar) render(p dataprotect.ScanProgress, elapsed time.Duration) string {
	frac := 1.0
	if p.TotalBytes > 0 {
		frac = min(1, float64(p.Bytes)/float64(p.TotalBytes))
	}
	filled := int(frac * float64(b.width))
	rate := 0.0 // MB/s
	if secs := elapsed.Seconds(); secs > 0 {
		rate = float64(p.Bytes) / 1e6 / secs
	}
	eta := "--:--"
	if rate > 0 && p.Bytes > 0 {
		left := time.Duration(float64(p.TotalBytes-p.Bytes) / 1e6 / rate * float64(time.Second))
		eta = clock(left)
	}
	// At most about 77 columns, so that it never wraps on a terminal of 80.
	return fmt.Sprintf("[%s%s] %3.0f%% %s/%s %d/%d files %.1f MB/s ETA %s",
		strings.Repeat("#", filled), strings.Repeat(".", b.width-filled), frac*100,
		sizeMB(p.Bytes), sizeMB(p.TotalBytes), p.Files, p.TotalFiles, rate, eta)
}

// clear erases the line, if one was drawn, and leaves the cursor at its
// start.
func (b *progressBar) clear() {
	if b != nil && b.drawn > 0 {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", b.drawn))
		b.drawn = 0
	}
}

// sizeMB formats a byte count in at most six characters.
func sizeMB(n int64) string {
	switch {
	case n < 10e6:
		return fmt.Sprintf("%.1fMB", float64(n)/1e6)
	case n < 10e9:
		return fmt.Sprintf("%.0fMB", float64(n)/1e6)
	case n < 1e12:
		return fmt.Sprintf("%.0fGB", float64(n)/1e9)
	}
	return fmt.Sprintf("%.0fTB", float64(n)/1e12)
}

// clock formats a duration as m:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
