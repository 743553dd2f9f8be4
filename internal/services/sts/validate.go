package sts

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// Input validation in AWS's words: each broken constraint is one "Value
// 'v' at 'field' failed to satisfy constraint: ..." and they are reported
// together as a ValidationError.

type strRule struct {
	min, max int
	re       *regexp.Regexp
	pattern  string // as the botocore model writes it
}

func rule(min, max int, pattern, goPattern string) strRule {
	r := strRule{min: min, max: max, pattern: pattern}
	if goPattern != "" {
		r.re = regexp.MustCompile(`^(?:` + goPattern + `)$`)
	}
	return r
}

var (
	arnRule         = rule(20, 2048, "", "")
	sessionNameRule = rule(2, 64, `[\w+=,.@-]*`, `[\w+=,.@-]*`)
	policyRule      = rule(1, 2048, `[\u0009\u000A\u000D\u0020-\u00FF]+`, `[\x09\x0A\x0D\x20-\x{FF}]+`)
	externalIDRule  = rule(2, 1224, `[\w+=,.@:\/-]*`, `[\w+=,.@:/-]*`)
	sourceIDRule    = rule(2, 64, `[\w+=,.@-]*`, `[\w+=,.@-]*`)
	tagKeyRule      = rule(1, 128, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
	tagValueRule    = rule(0, 256, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
)

const (
	maxSessionTags  = 50
	maxPolicyArns   = 10
	minDuration     = 900
	maxDuration     = 43200
	chainedMax      = 3600
	defaultDuration = 3600
)

type violations []string

func (v *violations) add(value, field, constraint string) {
	*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

func (v *violations) str(field string, s *string, r strRule) {
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	if n < r.min {
		v.add(*s, field, fmt.Sprintf("Member must have length greater than or equal to %d", r.min))
	}
	if r.max > 0 && n > r.max {
		v.add(*s, field, fmt.Sprintf("Member must have length less than or equal to %d", r.max))
	}
	if r.re != nil && n >= r.min && !r.re.MatchString(*s) {
		v.add(*s, field, "Member must satisfy regular expression pattern: "+r.pattern)
	}
}

func (v *violations) must(field string, s *string, r strRule) {
	if s == nil {
		*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
		return
	}
	v.str(field, s, r)
}

func (v *violations) count(field string, n, max int, rendered string) {
	if n > max {
		v.add(rendered, field, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

func (v violations) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return awsproto.QueryValidation("1 validation error detected: %s", v[0])
	}
	return awsproto.QueryValidation("%d validation errors detected: %s", len(v), strings.Join(v, "; "))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// validate checks AssumeRole's input against the model.
func (in *assumeRoleInput) validate() error {
	var v violations
	v.must("roleArn", in.RoleArn, arnRule)
	v.must("roleSessionName", in.RoleSessionName, sessionNameRule)
	v.str("policy", in.Policy, policyRule)
	v.str("externalId", in.ExternalId, externalIDRule)
	v.str("sourceIdentity", in.SourceIdentity, sourceIDRule)
	if d := in.DurationSeconds; d.Set && (d.Value < minDuration || d.Value > maxDuration) {
		bound := fmt.Sprintf("Member must have value greater than or equal to %d", minDuration)
		if d.Value > maxDuration {
			bound = fmt.Sprintf("Member must have value less than or equal to %d", maxDuration)
		}
		v.add(fmt.Sprint(d.Value), "durationSeconds", bound)
	}
	v.count("policyArns", len(in.PolicyArns), maxPolicyArns, fmt.Sprintf("%d policy ARNs", len(in.PolicyArns)))
	for i, p := range in.PolicyArns {
		v.must(fmt.Sprintf("policyArns.%d.member.arn", i+1), p.ARN, arnRule)
	}
	v.count("tags", len(in.Tags), maxSessionTags, fmt.Sprintf("%d tags", len(in.Tags)))
	for i, t := range in.Tags {
		field := fmt.Sprintf("tags.%d.member.", i+1)
		v.must(field+"key", t.Key, tagKeyRule)
		v.must(field+"value", t.Value, tagValueRule)
	}
	v.count("transitiveTagKeys", len(in.TransitiveTagKeys), maxSessionTags, "["+strings.Join(in.TransitiveTagKeys, ", ")+"]")
	for i := range in.TransitiveTagKeys {
		v.str(fmt.Sprintf("transitiveTagKeys.%d.member", i+1), &in.TransitiveTagKeys[i], tagKeyRule)
	}
	if err := v.err(); err != nil {
		return err
	}
	return in.checkTags()
}

// checkTags applies the rules on session tags that the model cannot
// express: keys are unique in any case, and transitive keys are among them.
func (in *assumeRoleInput) checkTags() error {
	seen := map[string]bool{}
	for _, t := range in.Tags {
		k := strings.ToLower(*t.Key)
		if seen[k] {
			return awsproto.QueryValidation("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	for _, k := range in.TransitiveTagKeys {
		if !seen[strings.ToLower(k)] {
			return awsproto.QueryValidation("Transitive tag key %s is not one of the session tags passed.", k)
		}
	}
	return nil
}
