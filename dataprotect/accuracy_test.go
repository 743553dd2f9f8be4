package dataprotect

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/dataprotect/internal/corpusgen"
)

// score is one identifier's confusion counts over the corpus.
type score struct{ tp, fp, fn int }

func (s score) precision() float64 { return ratio(s.tp, s.tp+s.fp) }
func (s score) recall() float64    { return ratio(s.tp, s.tp+s.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// evaluate scans every file with all managed identifiers and scores the
// detections against the ground truth: a detection is a true positive when
// it overlaps a planted value labelled with its identifier, each planted
// value counting once per identifier.
func evaluate(t testing.TB, c *corpusgen.Corpus) (map[string]*score, []string) {
	s := allScanner(t)
	byFile := map[string][]corpusgen.Label{}
	for _, l := range c.Truth {
		byFile[l.File] = append(byFile[l.File], l)
	}
	scores := map[string]*score{}
	get := func(id string) *score {
		if scores[id] == nil {
			scores[id] = &score{}
		}
		return scores[id]
	}
	var fpSamples []string
	for _, f := range c.Files {
		labels := byFile[f.Name]
		used := map[[2]int]bool{} // label index, identifier hash
		for _, m := range s.findFile(f.Name, f.Data) {
			name := m.Identifier.Name
			hit := -1
			for i, l := range labels {
				if m.Start < l.End && l.Start < m.End && contains(l.Identifiers, name) && !used[[2]int{i, idKey(name)}] {
					hit = i
					break
				}
			}
			if hit < 0 {
				get(name).fp++
				if len(fpSamples) < 40 {
					fpSamples = append(fpSamples, fmt.Sprintf("%s %q in %s", name, f.Data[m.Start:m.End], f.Name))
				}
				continue
			}
			used[[2]int{hit, idKey(name)}] = true
			get(name).tp++
		}
		for i, l := range labels {
			for _, id := range l.Identifiers {
				if !used[[2]int{i, idKey(id)}] {
					get(id).fn++
				}
			}
		}
	}
	return scores, fpSamples
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var idKeys sync.Map

func idKey(name string) int {
	v, _ := idKeys.LoadOrStore(name, len(name)*1000+int(name[0])*31+int(name[len(name)-1]))
	return v.(int)
}

func scoreTable(scores map[string]*score) string {
	names := make([]string, 0, len(scores))
	for n := range scores {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "| identifier | planted | TP | FP | FN | precision | recall |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range names {
		s := scores[n]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %.3f | %.3f |\n", n, s.tp+s.fn, s.tp, s.fp, s.fn, s.precision(), s.recall())
	}
	return b.String()
}

// TestCorpusAccuracy measures precision and recall per identifier on a
// generated corpus and holds them above floors. With -v it prints the
// table that BENCHMARKS.md reports (VIGIL_CORPUS_MB sets the size).
func TestCorpusAccuracy(t *testing.T) {
	mb := 4
	if v := os.Getenv("VIGIL_CORPUS_MB"); v != "" {
		fmt.Sscan(v, &mb)
	}
	c := corpusgen.Generate(1, mb<<20, true) // dense: more planted values per byte
	scores, fps := evaluate(t, c)
	t.Logf("corpus: %d files, %d bytes, %d planted values\n%s", len(c.Files), c.Size(), len(c.Truth), scoreTable(scores))
	for _, s := range fps {
		t.Logf("false positive: %s", s)
	}
	floors := map[string][2]float64{ // precision, recall
		"AwsAccessKeyId": {0.99, 0.99}, "AwsSecretKey": {0.99, 0.99}, "CreditCardNumber": {0.99, 0.99},
		"Ssn-US": {0.99, 0.99}, "EmailAddress": {0.99, 0.99}, "IpAddress": {0.99, 0.99},
		"OpenSshPrivateKey": {0.99, 0.99}, "PkcsPrivateKey": {0.99, 0.99}, "BankAccountNumber-GB": {0.99, 0.99},
		"BankAccountNumber-DE": {0.99, 0.99}, "BankAccountNumber-ES": {0.99, 0.99}, "BankAccountNumber-FR": {0.99, 0.99},
		"BankAccountNumber-IT": {0.99, 0.99}, "BankAccountNumber-US": {0.99, 0.99},
		"PhoneNumber-US": {0.95, 0.95}, "Name": {0.95, 0.75}, "Address": {0.95, 0.7},
	}
	for id, f := range floors {
		s := scores[id]
		if s == nil {
			t.Errorf("%s: no planted values", id)
			continue
		}
		if s.precision() < f[0] || s.recall() < f[1] {
			t.Errorf("%s: precision %.3f recall %.3f, want at least %.2f and %.2f", id, s.precision(), s.recall(), f[0], f[1])
		}
	}
}
