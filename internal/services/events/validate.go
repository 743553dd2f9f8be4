package events

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// Constraints from the botocore model, anchored because AWS matches the
// whole value.
var (
	reRuleName   = regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`)
	reBusName    = regexp.MustCompile(`^[/\.\-_A-Za-z0-9]+$`)
	reBusNameArn = regexp.MustCompile(`^(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+$`)
	reTargetID   = regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`)
	rePathKey    = regexp.MustCompile(`^[A-Za-z0-9\_\-]+$`)
)

const (
	patRuleName   = `[\.\-_A-Za-z0-9]+`
	patBusName    = `[/\.\-_A-Za-z0-9]+`
	patBusNameArn = `(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+`
	patTargetID   = `[\.\-_A-Za-z0-9]+`
	patPathKey    = `[A-Za-z0-9\_\-]+`
)

// checker collects constraint violations and reports them the way AWS's
// JSON services do: "N validation errors detected: ...; ...".
type checker struct{ errs []string }

func (c *checker) addf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func quoteValue(v string) string {
	if len(v) > 256 {
		v = v[:256] + "..."
	}
	return "'" + v + "'"
}

// required reports a missing member; it returns whether v is present.
func (c *checker) required(field string, v *string) bool {
	if v == nil {
		c.addf("Value null at '%s' failed to satisfy constraint: Member must not be null", field)
		return false
	}
	return true
}

// str checks an optional string member's length and pattern.
func (c *checker) str(field string, v *string, minLen, maxLen int, re *regexp.Regexp, reText string) {
	if v == nil {
		return
	}
	n := utf8.RuneCountInString(*v)
	switch {
	case minLen > 0 && n < minLen:
		c.addf("Value %s at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", quoteValue(*v), field, minLen)
		return
	case maxLen > 0 && n > maxLen:
		c.addf("Value %s at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", quoteValue(*v), field, maxLen)
		return
	}
	if re != nil && !re.MatchString(*v) {
		c.addf("Value %s at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", quoteValue(*v), field, reText)
	}
}

// enum checks an optional member against its allowed values.
func (c *checker) enum(field string, v *string, allowed ...string) {
	if v == nil {
		return
	}
	for _, a := range allowed {
		if *v == a {
			return
		}
	}
	c.addf("Value %s at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", quoteValue(*v), field, strings.Join(allowed, ", "))
}

// intRange checks an optional integer member.
func (c *checker) intRange(field string, v *awsproto.Int, lo, hi int64) {
	if v == nil || !v.Set {
		return
	}
	switch {
	case v.Value < lo:
		c.addf("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v.Value, field, lo)
	case v.Value > hi:
		c.addf("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v.Value, field, hi)
	}
}

// listLen checks the number of members of a list.
func (c *checker) listLen(field string, n, lo, hi int, present bool) {
	switch {
	case !present:
		c.addf("Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	case n < lo:
		c.addf("Value '[]' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", field, lo)
	case hi > 0 && n > hi:
		c.addf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, hi)
	}
}

func (c *checker) err() error {
	switch len(c.errs) {
	case 0:
		return nil
	case 1:
		return awsproto.Validation("1 validation error detected: %s", c.errs[0])
	}
	return awsproto.Validation("%d validation errors detected: %s", len(c.errs), strings.Join(c.errs, "; "))
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
