package dataprotect

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Finding is a sensitive data finding in the shape of Amazon Macie's
// (GetFindings). Vigil fills the S3 object fields from the local file, and
// detections name identifiers by their SNS/CloudWatch names
// ("CreditCardNumber") rather than Macie's upper-case IDs.
type Finding struct {
	AccountID             string                `json:"accountId"`
	Archived              bool                  `json:"archived"`
	Category              string                `json:"category"`
	ClassificationDetails ClassificationDetails `json:"classificationDetails"`
	Count                 int64                 `json:"count"`
	CreatedAt             string                `json:"createdAt"`
	Description           string                `json:"description"`
	ID                    string                `json:"id"`
	Partition             string                `json:"partition"`
	Region                string                `json:"region"`
	ResourcesAffected     ResourcesAffected     `json:"resourcesAffected"`
	Sample                bool                  `json:"sample"`
	SchemaVersion         string                `json:"schemaVersion"`
	Severity              Severity              `json:"severity"`
	Title                 string                `json:"title"`
	Type                  string                `json:"type"`
	UpdatedAt             string                `json:"updatedAt"`
}

// ClassificationDetails says how the data was found and what was found.
type ClassificationDetails struct {
	JobArn     string               `json:"jobArn"`
	JobID      string               `json:"jobId"`
	OriginType string               `json:"originType"`
	Result     ClassificationResult `json:"result"`
}

// ClassificationResult lists the detections by category and identifier.
type ClassificationResult struct {
	AdditionalOccurrences bool                  `json:"additionalOccurrences"`
	CustomDataIdentifiers CustomDataIdentifiers `json:"customDataIdentifiers"`
	MimeType              string                `json:"mimeType"`
	SensitiveData         []SensitiveDataItem   `json:"sensitiveData"`
	SizeClassified        int64                 `json:"sizeClassified"`
	Status                ClassificationStatus  `json:"status"`
}

// ClassificationStatus is COMPLETE for every file Vigil reports.
type ClassificationStatus struct {
	Code   string `json:"code"`
	Reason string `json:"reason,omitempty"`
}

// SensitiveDataItem groups the managed detections of one Macie category.
type SensitiveDataItem struct {
	Category   string             `json:"category"`
	Detections []DefaultDetection `json:"detections"`
	TotalCount int64              `json:"totalCount"`
}

// DefaultDetection is one managed identifier's detections.
type DefaultDetection struct {
	Count       int64       `json:"count"`
	Occurrences Occurrences `json:"occurrences"`
	Type        string      `json:"type"`
}

// CustomDataIdentifiers holds the custom identifiers' detections.
type CustomDataIdentifiers struct {
	Detections []CustomDetection `json:"detections"`
	TotalCount int64             `json:"totalCount"`
}

// CustomDetection is one custom identifier's detections.
type CustomDetection struct {
	Arn         string      `json:"arn"`
	Count       int64       `json:"count"`
	Name        string      `json:"name"`
	Occurrences Occurrences `json:"occurrences"`
}

// Occurrences locates detections: line ranges in text, records in JSON.
type Occurrences struct {
	LineRanges []Range  `json:"lineRanges,omitempty"`
	Records    []Record `json:"records,omitempty"`
}

// Range is a 1-based line range and the column where the data starts.
type Range struct {
	Start       int64 `json:"start"`
	End         int64 `json:"end"`
	StartColumn int64 `json:"startColumn"`
}

// Record locates a detection in a JSON document or JSON Lines record.
type Record struct {
	JSONPath    string `json:"jsonPath"`
	RecordIndex int64  `json:"recordIndex"`
}

// ResourcesAffected names the analysed object.
type ResourcesAffected struct {
	S3Object S3Object `json:"s3Object"`
}

// S3Object describes the object; for a local file, Key is the path given
// to the scan and Path its absolute path.
type S3Object struct {
	Extension    string `json:"extension"`
	Key          string `json:"key"`
	LastModified string `json:"lastModified,omitempty"`
	Path         string `json:"path"`
	Size         int64  `json:"size"`
}

// Severity is Macie's qualitative and numeric severity.
type Severity struct {
	Description string `json:"description"`
	Score       int64  `json:"score"`
}

var severities = [...]Severity{{"Low", 1}, {"Medium", 2}, {"High", 3}}

// macieCategory maps identifier categories to Macie's sensitive data
// categories (device and health data count as personal information).
func macieCategory(c Category) string {
	switch c {
	case Credentials:
		return "CREDENTIALS"
	case Financial:
		return "FINANCIAL_INFORMATION"
	case Custom:
		return "CUSTOM_IDENTIFIER"
	}
	return "PERSONAL_INFORMATION"
}

// categorySeverity is Vigil's severity rule (0 Low, 1 Medium, 2 High):
// credentials and financial data are High at any count, personal data is
// Low for one occurrence, Medium up to 99 and High from 100, and custom
// identifiers are Medium, Macie's default for them. A finding with several
// categories takes the highest.
func categorySeverity(cat string, count int64) int {
	switch cat {
	case "CREDENTIALS", "FINANCIAL_INFORMATION":
		return 2
	case "CUSTOM_IDENTIFIER":
		return 1
	}
	switch {
	case count >= 100:
		return 2
	case count > 1:
		return 1
	}
	return 0
}

var findingTypes = map[string]string{
	"CREDENTIALS":           "SensitiveData:S3Object/Credentials",
	"FINANCIAL_INFORMATION": "SensitiveData:S3Object/Financial",
	"PERSONAL_INFORMATION":  "SensitiveData:S3Object/Personal",
	"CUSTOM_IDENTIFIER":     "SensitiveData:S3Object/CustomIdentifier",
}

var findingTitles = map[string]string{
	"SensitiveData:S3Object/Credentials":      "The file contains credentials data.",
	"SensitiveData:S3Object/Financial":        "The file contains financial information.",
	"SensitiveData:S3Object/Personal":         "The file contains personal information.",
	"SensitiveData:S3Object/CustomIdentifier": "The file contains text that matches a custom data identifier.",
	"SensitiveData:S3Object/Multiple":         "The file contains more than one category of sensitive information.",
}

// finding builds the file's finding, or nil when nothing was found.
func (a *accumulator) finding(jobID, key, abs string, size int64, mod time.Time, kind fileKind) *Finding {
	if len(a.byID) == 0 {
		return nil
	}
	now := time.Now
	if a.opts.Now != nil {
		now = a.opts.Now
	}
	acct, region := a.opts.AccountID, a.opts.Region
	if acct == "" {
		acct = "000000000000"
	}
	if region == "" {
		region = "local"
	}
	res := ClassificationResult{
		AdditionalOccurrences: a.more,
		CustomDataIdentifiers: CustomDataIdentifiers{Detections: []CustomDetection{}},
		MimeType:              mimeType(kind),
		SensitiveData:         []SensitiveDataItem{},
		SizeClassified:        size,
		Status:                ClassificationStatus{Code: "COMPLETE"},
	}
	cats := map[string]*SensitiveDataItem{}
	var total int64
	sev := 0
	catCounts := map[string]int64{}
	for _, s := range a.orderedStats() {
		occ := occurrencesOf(s.occ)
		cat := macieCategory(s.id.Category)
		catCounts[cat] += s.count
		total += s.count
		if cat == "CUSTOM_IDENTIFIER" {
			res.CustomDataIdentifiers.Detections = append(res.CustomDataIdentifiers.Detections,
				CustomDetection{Arn: "arn:vigil:dataprotection:custom-data-identifier/" + s.id.Name, Count: s.count, Name: s.id.Name, Occurrences: occ})
			res.CustomDataIdentifiers.TotalCount += s.count
			continue
		}
		item := cats[cat]
		if item == nil {
			item = &SensitiveDataItem{Category: cat}
			cats[cat] = item
		}
		item.Detections = append(item.Detections, DefaultDetection{Count: s.count, Occurrences: occ, Type: s.id.Name})
		item.TotalCount += s.count
	}
	for _, c := range []string{"CREDENTIALS", "FINANCIAL_INFORMATION", "PERSONAL_INFORMATION"} {
		if item := cats[c]; item != nil {
			res.SensitiveData = append(res.SensitiveData, *item)
		}
	}
	typ := "SensitiveData:S3Object/Multiple"
	if len(catCounts) == 1 {
		for c := range catCounts {
			typ = findingTypes[c]
		}
	}
	for c, n := range catCounts {
		sev = max(sev, categorySeverity(c, n))
	}
	ts := now().UTC().Format(time.RFC3339Nano)
	f := &Finding{
		AccountID:             acct,
		Category:              "CLASSIFICATION",
		ClassificationDetails: ClassificationDetails{JobArn: fmt.Sprintf("arn:aws:macie2:%s:%s:classification-job/%s", region, acct, jobID), JobID: jobID, OriginType: "SENSITIVE_DATA_DISCOVERY_JOB", Result: res},
		Count:                 1,
		CreatedAt:             ts,
		Description:           fmt.Sprintf("The file contains %d occurrence(s) of sensitive data of %d type(s).", total, len(a.byID)),
		ID:                    newID()[:32],
		Partition:             "aws",
		Region:                region,
		ResourcesAffected: ResourcesAffected{S3Object: S3Object{
			Extension: strings.TrimPrefix(filepath.Ext(key), "."),
			Key:       key,
			Path:      abs,
			Size:      size,
		}},
		SchemaVersion: "1.0",
		Severity:      severities[sev],
		Title:         findingTitles[typ],
		Type:          typ,
		UpdatedAt:     ts,
	}
	if !mod.IsZero() {
		f.ResourcesAffected.S3Object.LastModified = mod.UTC().Format(time.RFC3339)
	}
	return f
}

func mimeType(k fileKind) string {
	switch k {
	case kindJSON:
		return "application/json"
	case kindJSONLines:
		return "application/x-ndjson"
	}
	return "text/plain"
}

func occurrencesOf(os []occurrence) Occurrences {
	var o Occurrences
	for _, x := range os {
		if x.json {
			o.Records = append(o.Records, Record{JSONPath: x.path, RecordIndex: int64(x.record)})
		} else {
			o.LineRanges = append(o.LineRanges, Range{Start: int64(x.line), End: int64(x.endLine), StartColumn: int64(x.col)})
		}
	}
	return o
}

// WriteJSON writes the report as {"findings": [...]}.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Findings []Finding `json:"findings"`
	}{r.Findings}
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteTable writes a readable summary: one row per file and identifier,
// with the count and the first locations.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tTYPE\tFILE\tIDENTIFIER\tCOUNT\tLOCATIONS")
	for _, f := range r.Findings {
		typ := strings.TrimPrefix(f.Type, "SensitiveData:S3Object/")
		row := func(id string, count int64, occ Occurrences) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", f.Severity.Description, typ, f.ResourcesAffected.S3Object.Key, id, count, locations(occ))
		}
		for _, sd := range f.ClassificationDetails.Result.SensitiveData {
			for _, d := range sd.Detections {
				row(d.Type, d.Count, d.Occurrences)
			}
		}
		for _, d := range f.ClassificationDetails.Result.CustomDataIdentifiers.Detections {
			row(d.Name, d.Count, d.Occurrences)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d finding(s) in %d file(s) scanned (%s)", len(r.Findings), r.FilesScanned, humanBytes(r.BytesScanned))
	if len(r.Skipped) > 0 {
		_, err = fmt.Fprintf(w, "; %d skipped", len(r.Skipped))
	}
	fmt.Fprintln(w)
	return err
}

// locations renders up to three occurrences ("12:5, 40:1" or JSON paths).
func locations(o Occurrences) string {
	var parts []string
	for _, r := range o.LineRanges {
		parts = append(parts, fmt.Sprintf("%d:%d", r.Start, r.StartColumn))
	}
	for _, r := range o.Records {
		if r.RecordIndex > 0 {
			parts = append(parts, fmt.Sprintf("#%d %s", r.RecordIndex, r.JSONPath))
		} else {
			parts = append(parts, r.JSONPath)
		}
	}
	if len(parts) > 3 {
		parts = append(parts[:3], "…")
	}
	return strings.Join(parts, ", ")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
