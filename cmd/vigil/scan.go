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
	noProgress := fs.Bool("no-progress", false, "never draw the progress bar")
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
	if f, ok := stderr.(*os.File); ok && !*noProgress && isTerminal(f) {
		bar = &progressBar{w: stderr, start: time.Now()}
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

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws one status line on a terminal, at most ten times a
// second.
type progressBar struct {
	w     io.Writer
	start time.Time
	last  time.Time
	drawn bool
}

func (b *progressBar) update(p dataprotect.ScanProgress) {
	now := time.Now()
	if now.Sub(b.last) < 100*time.Millisecond && p.Files < p.TotalFiles {
		return
	}
	b.last = now
	frac := 1.0
	if p.TotalBytes > 0 {
		frac = float64(p.Bytes) / float64(p.TotalBytes)
	}
	const width = 30
	filled := int(frac * width)
	rate := float64(p.Bytes) / (1 << 20) / max(now.Sub(b.start).Seconds(), 1e-3)
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%%  %d/%d files  %.1f MiB/s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), frac*100, p.Files, p.TotalFiles, rate)
	b.drawn = true
}

func (b *progressBar) clear() {
	if b != nil && b.drawn {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", 78))
	}
}
