package dataprotect

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// ScanOptions configures a discovery scan.
type ScanOptions struct {
	// Identifiers to use; nil means every managed identifier, Vigil's
	// extensions included. Custom identifiers may be mixed in.
	Identifiers []*Identifier

	// MaxOccurrences caps the occurrences listed per identifier and file
	// (counts stay exact); 0 means 15.
	MaxOccurrences int

	// Workers scanning files in parallel; 0 means GOMAXPROCS.
	Workers int

	// Progress, when set, is called after each file and, inside a large
	// text file, after each chunk of it (from any goroutine, one call at a
	// time).
	Progress func(ScanProgress)

	// Finding metadata. AccountID defaults to "000000000000", Region to
	// "local", Now to time.Now.
	AccountID, Region string
	Now               func() time.Time
}

// ScanProgress reports how far a scan has got.
type ScanProgress struct {
	Files, TotalFiles int
	Bytes, TotalBytes int64
	Path              string // the file being scanned or just finished
}

// Report is the outcome of a scan: one finding per file with sensitive data.
type Report struct {
	Findings []Finding `json:"findings"`

	FilesScanned int           `json:"-"`
	BytesScanned int64         `json:"-"`
	Skipped      []SkippedFile `json:"-"`
	JobID        string        `json:"-"`
}

// SkippedFile is a file the scan did not analyse, and why.
type SkippedFile struct {
	Path   string
	Reason string
}

// chunkSize and chunkOverlap bound memory: text is searched in chunks that
// overlap, so a match near a boundary is seen whole in one of them. (They
// are variables so tests can make them small.)
var (
	chunkSize    = 8 << 20
	chunkOverlap = 64 << 10
)

// maxJSONFile is the largest file searched as one JSON document; larger
// ones are searched as text.
const maxJSONFile = 64 << 20

type scanJob struct {
	path, display string
	info          fs.FileInfo
}

// Scan analyses files and directories (recursively) and reports sensitive
// data in the shape of Amazon Macie's sensitive data findings. A file that
// cannot be read is listed in Report.Skipped; Scan itself fails only when a
// path does not exist or ctx ends.
func Scan(ctx context.Context, opts ScanOptions, paths ...string) (*Report, error) {
	sc, err := opts.scanner()
	if err != nil {
		return nil, err
	}
	rep := &Report{JobID: newID()[:32]}
	var jobs []scanJob
	var total int64
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == root {
					return err
				}
				rep.Skipped = append(rep.Skipped, SkippedFile{p, err.Error()})
				return nil
			}
			if d.IsDir() {
				if p != root && (d.Name() == ".git" || d.Name() == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				rep.Skipped = append(rep.Skipped, SkippedFile{p, err.Error()})
				return nil
			}
			jobs = append(jobs, scanJob{path: p, display: p, info: info})
			total += info.Size()
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", root, err)
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		mu       sync.Mutex
		next     atomic.Int64
		done     int
		doneB    int64
		findings = make([]*Finding, len(jobs))
		wg       sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				j := jobs[i]
				var read int64 // bytes of j already counted in doneB
				var onChunk func(int64)
				if opts.Progress != nil {
					onChunk = func(n int64) {
						mu.Lock()
						defer mu.Unlock()
						n = min(n, j.info.Size()-read) // the file may have grown
						if n > 0 {
							read += n
							doneB += n
						}
						opts.Progress(ScanProgress{Files: done, TotalFiles: len(jobs), Bytes: doneB, TotalBytes: total, Path: j.display})
					}
				}
				f, skip := scanFile(ctx, sc, &opts, rep.JobID, j, onChunk)
				mu.Lock()
				findings[i] = f
				if skip != "" {
					rep.Skipped = append(rep.Skipped, SkippedFile{j.display, skip})
				} else {
					rep.FilesScanned++
					rep.BytesScanned += j.info.Size()
				}
				done++
				doneB += max(0, j.info.Size()-read)
				if opts.Progress != nil {
					opts.Progress(ScanProgress{Files: done, TotalFiles: len(jobs), Bytes: doneB, TotalBytes: total, Path: j.display})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, f := range findings {
		if f != nil {
			rep.Findings = append(rep.Findings, *f)
		}
	}
	sort.Slice(rep.Skipped, func(i, j int) bool { return rep.Skipped[i].Path < rep.Skipped[j].Path })
	return rep, nil
}

// ScanReader analyses one stream, named name in the report.
func ScanReader(ctx context.Context, name string, r io.Reader, opts ScanOptions) (*Report, error) {
	sc, err := opts.scanner()
	if err != nil {
		return nil, err
	}
	rep := &Report{JobID: newID()[:32]}
	acc := newAccumulator(&opts)
	kind := kindOf(name)
	var n int64
	if kind == kindText {
		n, err = scanTextStream(ctx, sc, r, acc, nil)
	} else {
		var data []byte
		data, err = io.ReadAll(io.LimitReader(r, maxJSONFile+1))
		n = int64(len(data))
		if err == nil {
			if len(data) > maxJSONFile {
				n, err = scanTextStream(ctx, sc, io.MultiReader(bytes.NewReader(data), r), acc, nil)
			} else {
				scanStructured(sc, data, kind, acc)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", name, err)
	}
	rep.FilesScanned, rep.BytesScanned = 1, n
	if f := acc.finding(rep.JobID, name, name, n, time.Time{}, kind); f != nil {
		rep.Findings = append(rep.Findings, *f)
	}
	return rep, nil
}

func (o *ScanOptions) scanner() (*Scanner, error) {
	ids := o.Identifiers
	if ids == nil {
		return allManagedScanner()
	}
	return NewScanner(ids...)
}

var allManaged = sync.OnceValues(func() (*Scanner, error) { return NewScanner(ManagedIdentifiers()...) })

func allManagedScanner() (*Scanner, error) { return allManaged() }

type fileKind int

const (
	kindText fileKind = iota
	kindJSON
	kindJSONLines
)

func kindOf(name string) fileKind {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return kindJSON
	case ".jsonl", ".ndjson":
		return kindJSONLines
	}
	return kindText
}

// scanFile returns the file's finding (nil when clean) or a reason it was
// skipped. onChunk, when set, is told the bytes of each chunk of a text
// file as it is searched.
func scanFile(ctx context.Context, sc *Scanner, opts *ScanOptions, jobID string, j scanJob, onChunk func(int64)) (*Finding, string) {
	f, err := os.Open(j.path)
	if err != nil {
		return nil, err.Error()
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(8000)
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, "binary file"
	}
	acc := newAccumulator(opts)
	kind := kindOf(j.path)
	if kind != kindText && j.info.Size() <= maxJSONFile {
		data, err := io.ReadAll(br)
		if err != nil {
			return nil, err.Error()
		}
		scanStructured(sc, data, kind, acc)
	} else {
		kind = kindText
		if _, err := scanTextStream(ctx, sc, br, acc, onChunk); err != nil {
			return nil, err.Error()
		}
	}
	abs, _ := filepath.Abs(j.path)
	return acc.finding(jobID, j.display, abs, j.info.Size(), j.info.ModTime(), kind), ""
}

// scanTextStream searches r in overlapping chunks. Chunk k reports matches
// starting before its last half-overlap; chunk k+1, which begins with the
// previous chunk's last overlap, reports the rest.
func scanTextStream(ctx context.Context, sc *Scanner, r io.Reader, acc *accumulator, onChunk func(int64)) (int64, error) {
	buf := make([]byte, 0, chunkSize+chunkOverlap)
	line, col := 1, 1 // position of buf[0]
	from := 0         // report matches starting at or after this offset in buf
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		total += int64(n)
		last := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !last {
			return total, err
		}
		limit := len(buf)
		if !last {
			limit = len(buf) - chunkOverlap/2
		}
		pos := newLinePos(buf, line, col)
		for _, m := range sc.FindText(buf) {
			if m.Start >= from && m.Start < limit {
				sl, sc2 := pos.at(m.Start)
				el, _ := pos.at(max(m.Start, m.End-1))
				acc.add(m, occurrence{line: sl, endLine: el, col: sc2})
			}
		}
		if last {
			return total, nil
		}
		if onChunk != nil {
			onChunk(int64(n))
		}
		keep := buf[len(buf)-chunkOverlap:]
		l, c := pos.at(len(buf) - chunkOverlap)
		line, col = l, c
		from = chunkOverlap / 2
		buf = append(buf[:0], keep...)
	}
}

// linePos converts offsets in a chunk into 1-based lines and columns
// (columns count characters).
type linePos struct {
	buf        []byte
	nl         []int // offsets of '\n'
	line0, col int
}

func newLinePos(buf []byte, line, col int) *linePos {
	p := &linePos{buf: buf, line0: line, col: col}
	for i := 0; ; {
		k := bytes.IndexByte(buf[i:], '\n')
		if k < 0 {
			break
		}
		p.nl = append(p.nl, i+k)
		i += k + 1
	}
	return p
}

func (p *linePos) at(off int) (line, col int) {
	k := sort.SearchInts(p.nl, off) // newlines before off
	if k == 0 {
		return p.line0, p.col + utf8.RuneCount(p.buf[:off])
	}
	return p.line0 + k, 1 + utf8.RuneCount(p.buf[p.nl[k-1]+1:off])
}

// scanStructured searches a JSON document, or JSON Lines record by record
// (a line that is not JSON is searched as text).
func scanStructured(sc *Scanner, data []byte, kind fileKind, acc *accumulator) {
	if kind == kindJSON {
		fs, err := sc.findJSON(data)
		if err == nil {
			for _, f := range fs {
				acc.add(f.Match, occurrence{path: f.Path, record: 0, json: true})
			}
			return
		}
		pos := newLinePos(data, 1, 1)
		for _, m := range sc.FindText(data) {
			l, c := pos.at(m.Start)
			el, _ := pos.at(max(m.Start, m.End-1))
			acc.add(m, occurrence{line: l, endLine: el, col: c})
		}
		return
	}
	rec := 0
	for lineNo := 1; len(data) > 0; lineNo++ {
		ln := data
		if k := bytes.IndexByte(data, '\n'); k >= 0 {
			ln, data = data[:k], data[k+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(ln)) == 0 {
			continue
		}
		if fs, err := sc.findJSON(ln); err == nil {
			for _, f := range fs {
				acc.add(f.Match, occurrence{path: f.Path, record: rec, json: true})
			}
		} else {
			for _, m := range sc.FindText(ln) {
				acc.add(m, occurrence{line: lineNo, endLine: lineNo, col: 1 + utf8.RuneCount(ln[:m.Start])})
			}
		}
		rec++
	}
}

type occurrence struct {
	line, endLine, col int
	path               string
	record             int
	json               bool
}

type idStats struct {
	id    *Identifier
	count int64
	occ   []occurrence
}

// accumulator gathers one file's detections by identifier.
type accumulator struct {
	opts *ScanOptions
	max  int
	byID map[*Identifier]*idStats
	more bool
}

func newAccumulator(o *ScanOptions) *accumulator {
	m := o.MaxOccurrences
	if m <= 0 {
		m = 15
	}
	return &accumulator{opts: o, max: m, byID: map[*Identifier]*idStats{}}
}

func (a *accumulator) add(m Match, o occurrence) {
	s := a.byID[m.Identifier]
	if s == nil {
		s = &idStats{id: m.Identifier}
		a.byID[m.Identifier] = s
	}
	s.count++
	if len(s.occ) < a.max {
		s.occ = append(s.occ, o)
	} else {
		a.more = true
	}
}

func newID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return strings.Repeat("0", 64)
	}
	return hex.EncodeToString(b[:])
}

// orderedStats returns the per-identifier stats sorted by name.
func (a *accumulator) orderedStats() []*idStats {
	out := make([]*idStats, 0, len(a.byID))
	for _, s := range a.byID {
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y *idStats) int { return strings.Compare(x.id.Name, y.id.Name) })
	return out
}

// findFile searches one in-memory file the way Scan does (JSON, JSON Lines
// by record, or text) and returns matches with offsets into data.
func (s *Scanner) findFile(name string, data []byte) []Match {
	switch kindOf(name) {
	case kindJSON:
		if ms, err := s.FindJSON(data); err == nil {
			return ms
		}
	case kindJSONLines:
		var out []Match
		for off := 0; off < len(data); {
			end := bytes.IndexByte(data[off:], '\n')
			if end < 0 {
				end = len(data)
			} else {
				end += off
			}
			var err error
			if out, err = s.appendJSON(out, data[off:end], off); err != nil {
				for _, m := range s.FindText(data[off:end]) {
					m.Start, m.End = m.Start+off, m.End+off
					out = append(out, m)
				}
			}
			off = end + 1
		}
		return out
	}
	return s.FindText(data)
}
