package policy

import (
	"encoding/json"
	"strconv"
	"strings"
)

// FindingType is the severity of a validation finding, with IAM Access
// Analyzer's names.
type FindingType string

const (
	FindingError           FindingType = "ERROR"
	FindingSecurityWarning FindingType = "SECURITY_WARNING"
	FindingWarning         FindingType = "WARNING"
	FindingSuggestion      FindingType = "SUGGESTION"
)

// Finding is one result of Validate, shaped like IAM Access Analyzer's
// ValidatePolicyFinding so that it can be returned by that API as is.
type Finding struct {
	Type          FindingType `json:"findingType"`
	IssueCode     string      `json:"issueCode"`
	Details       string      `json:"findingDetails"`
	LearnMoreLink string      `json:"learnMoreLink"`
	Locations     []Location  `json:"locations"`
	// Fix says how to correct the policy. Access Analyzer has no such
	// field; the CLI prints it.
	Fix string `json:"fix,omitempty"`
}

// Location is where a finding applies.
type Location struct {
	Path []PathElement `json:"path"`
	Span Span          `json:"span"`
}

// PathKind says what a PathElement refers to.
type PathKind uint8

const (
	// PathValue is the value of the named element of an object.
	PathValue PathKind = iota
	// PathIndex is an element of an array.
	PathIndex
	// PathKey is the key of an object member itself, such as a condition
	// key.
	PathKey
	// PathSubstring is part of a string value.
	PathSubstring
)

// PathElement is one step of a Location's path, as in Access Analyzer:
// {"value":"Statement"}, {"index":0}, {"key":"aws:SourceIp"} or
// {"substring":{"start":4,"length":3}}.
type PathElement struct {
	Kind   PathKind
	Value  string // PathValue and PathKey
	Index  int    // PathIndex
	Start  int    // PathSubstring
	Length int    // PathSubstring
}

func pv(s string) PathElement { return PathElement{Kind: PathValue, Value: s} }
func pi(i int) PathElement    { return PathElement{Kind: PathIndex, Index: i} }
func pk(s string) PathElement { return PathElement{Kind: PathKey, Value: s} }

// MarshalJSON writes the Access Analyzer union form.
func (e PathElement) MarshalJSON() ([]byte, error) {
	switch e.Kind {
	case PathIndex:
		return json.Marshal(map[string]int{"index": e.Index})
	case PathKey:
		return json.Marshal(map[string]string{"key": e.Value})
	case PathSubstring:
		return json.Marshal(map[string]map[string]int{"substring": {"start": e.Start, "length": e.Length}})
	default:
		return json.Marshal(map[string]string{"value": e.Value})
	}
}

// pathString renders a path like Statement[0].Condition.StringEquals.
func pathString(path []PathElement) string {
	var b strings.Builder
	for _, e := range path {
		switch e.Kind {
		case PathIndex:
			b.WriteString("[" + strconv.Itoa(e.Index) + "]")
		case PathSubstring:
			b.WriteString("[" + strconv.Itoa(e.Start) + ":" + strconv.Itoa(e.Start+e.Length) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e.Value)
		}
	}
	return b.String()
}

// String renders a finding on one line for people: severity, position,
// message and fix.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(string(f.Type))
	if len(f.Locations) > 0 {
		s := f.Locations[0].Span.Start
		b.WriteString(" " + strconv.Itoa(s.Line) + ":" + strconv.Itoa(s.Column+1))
	}
	b.WriteString(" " + f.IssueCode + ": " + f.Details)
	if f.Fix != "" {
		b.WriteString(" Fix: " + f.Fix)
	}
	return b.String()
}

const learnMoreBase = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-"

// learnMoreLink derives the Access Analyzer reference anchor of an issue
// code: PASS_ROLE_WITH_STAR_IN_RESOURCE, SECURITY_WARNING ->
// ...-security-warning-pass-role-with-star-in-resource.
func learnMoreLink(t FindingType, code string) string {
	if link, ok := specialLinks[code]; ok {
		return link
	}
	sev := map[FindingType]string{
		FindingError:           "error",
		FindingSecurityWarning: "security-warning",
		FindingWarning:         "general-warning",
		FindingSuggestion:      "suggestion",
	}[t]
	return learnMoreBase + sev + "-" + strings.ReplaceAll(strings.ToLower(code), "_", "-")
}

// Checks modelled on the IAM console's policy summaries, which Access
// Analyzer has no issue code for, link to the troubleshooting guide.
const troubleshootBase = "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_policies.html#"

var specialLinks = map[string]string{
	"ACTION_WITHOUT_APPLICABLE_RESOURCE":  troubleshootBase + "mismatch_action-no-resource",
	"RESOURCE_WITHOUT_APPLICABLE_ACTION":  troubleshootBase + "mismatch_resource-no-action",
	"CONDITION_WITHOUT_APPLICABLE_ACTION": troubleshootBase + "mismatch_condition-no-match",
	"FULL_ACCESS":                         "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
	// IAM rejects such dates; Access Analyzer files the check as a warning.
	"TYPE_MISMATCH_DATE": learnMoreBase + "general-warning-type-mismatch-date",
}
