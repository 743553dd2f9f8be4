package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/policy"
)

const policyUsage = `usage: vigil policy validate FILE... [--kind KIND] [--json]

Checks IAM policy documents as IAM Access Analyzer's ValidatePolicy does,
printing one finding a line: FILE:LINE:COLUMN: SEVERITY CODE: message, and
how to fix it. FILE "-" reads standard input. The exit status is 1 when any
ERROR, SECURITY_WARNING or WARNING is found (SUGGESTIONs do not count).

flags:
`

// errFindings reports, through main's exit status, that a policy has
// findings that count.
var errFindings = errors.New("policy validation found problems")

// policyCommand runs "vigil policy ...".
func policyCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "validate" {
		fmt.Fprint(stderr, policyUsage)
		return errors.New("policy: want the subcommand validate")
	}
	fs := flag.NewFlagSet("policy validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, policyUsage); fs.PrintDefaults() }
	kindName := fs.String("kind", "identity", "what the documents are: identity, resource, trust, boundary, session or scp")
	asJSON := fs.Bool("json", false, "print the findings as JSON, one object for all files")
	// Flags may come before or after the files.
	var files []string
	for rest := args[1:]; ; {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	kind, ok := parseKind(*kindName)
	if !ok {
		return fmt.Errorf("policy validate: --kind %q: want identity, resource, trust, boundary, session or scp", *kindName)
	}
	if len(files) == 0 {
		fs.Usage()
		return errors.New("policy validate: no file given")
	}
	report := validationReport{Kind: kind.String()}
	report.DataVersion, report.DataUpdated = policy.DataVersion()
	failed := false
	for _, name := range files {
		doc, err := readPolicyFile(name, stdin)
		if err != nil {
			return err
		}
		findings := policy.Validate(doc, kind)
		if findings == nil {
			findings = []policy.Finding{}
		}
		for i := range findings {
			for j := range findings[i].Locations {
				if findings[i].Locations[j].Path == nil {
					findings[i].Locations[j].Path = []policy.PathElement{}
				}
			}
		}
		report.Files = append(report.Files, fileFindings{File: name, Findings: findings})
		for _, f := range findings {
			failed = failed || f.Type != policy.FindingSuggestion
			if !*asJSON {
				fmt.Fprintln(stdout, findingLine(name, f))
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	}
	if failed {
		return errFindings
	}
	return nil
}

type validationReport struct {
	Kind        string         `json:"kind"`
	DataVersion string         `json:"dataVersion"` // of the service authorization data
	DataUpdated string         `json:"dataUpdated"`
	Files       []fileFindings `json:"files"`
}

type fileFindings struct {
	File     string           `json:"file"`
	Findings []policy.Finding `json:"findings"`
}

func parseKind(s string) (policy.Kind, bool) {
	for _, k := range []policy.Kind{policy.Identity, policy.Resource, policy.Trust, policy.Boundary, policy.Session, policy.SCP} {
		if strings.EqualFold(s, k.String()) {
			return k, true
		}
	}
	return 0, false
}

func readPolicyFile(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("policy validate: %w", err)
	}
	return b, nil
}

// findingLine renders a finding the way compilers report errors, so that
// editors can jump to it: FILE:LINE:COLUMN: SEVERITY CODE: details. Fix.
func findingLine(file string, f policy.Finding) string {
	var b strings.Builder
	b.WriteString(file)
	if len(f.Locations) > 0 {
		p := f.Locations[0].Span.Start
		b.WriteString(":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column+1))
	}
	fmt.Fprintf(&b, ": %s %s: %s", f.Type, f.IssueCode, oneLine(f.Details))
	if f.Fix != "" {
		b.WriteString(" Fix: " + oneLine(f.Fix))
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
