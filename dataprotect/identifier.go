package dataprotect

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"
)

// Category is the class of sensitive data an identifier detects, as AWS
// groups its managed data identifiers.
type Category string

// The categories of managed data identifiers, plus Custom for identifiers a
// policy defines.
const (
	Credentials Category = "Credentials"
	Device      Category = "Device"
	Financial   Category = "Financial"
	Health      Category = "Health"
	Personal    Category = "Personal"
	Custom      Category = "Custom"
)

// ARNPrefix begins the ARN of every managed data identifier.
const ARNPrefix = "arn:aws:dataprotection::aws:data-identifier/"

// KeywordDistance is how far, in bytes, AWS lets a required keyword end
// before the data it qualifies (30 characters, inclusive).
const KeywordDistance = 30

// Identifier is one data identifier: a managed one (AWS's name and ARN) or a
// custom one defined by a policy. Identifiers are immutable and safe to
// share.
type Identifier struct {
	Name     string   // "CreditCardNumber", "Ssn-US", or a custom name
	ARN      string   // managed identifiers only
	Category Category // Custom for custom identifiers
	Country  string   // ISO 3166-1 alpha-2, "EU", or "" when not regional
	Keywords []string // nil when detection needs no keyword
	Regex    string   // custom identifiers only: the policy's expression

	// Extension marks identifiers Vigil adds beyond AWS's list (such as
	// AwsAccessKeyId). Scans use them; AWS-compatible policies reject them.
	Extension bool

	det     finder         // keyword-gated finder, nil if none
	trigs   triggerMask    // the literal triggers the identifier listens to
	re      *regexp.Regexp // custom identifiers
	phoneCC []string       // phone identifiers: the countries they cover
}

// triggerMask says which byte- or word-level triggers an identifier needs.
type triggerMask uint16

const (
	tgEmail triggerMask = 1 << iota
	tgIPv4
	tgIPv6
	tgPlus   // "+" starting an international phone number
	tgArmor  // "-----BEGIN "
	tgPutty  // "PuTTY-User-Key-File-"
	tgAKID   // AKIA/ASIA/ABIA/ACCA word start
	tgPostal // upper-case letter and digit at a word start
	tgName   // capitalised word start
	tgStreet // street-type word
)

var managed = sync.OnceValue(buildManaged)

// ManagedIdentifiers returns every managed data identifier, sorted by name,
// including Vigil's extensions.
func ManagedIdentifiers() []*Identifier {
	all := managed()
	out := make([]*Identifier, len(all.list))
	copy(out, all.list)
	return out
}

// LookupManaged finds a managed identifier by its ARN (any AWS partition) or
// by its bare name.
func LookupManaged(nameOrARN string) (*Identifier, bool) {
	name := nameOrARN
	if strings.HasPrefix(name, "arn:") {
		var ok bool
		name, ok = managedARNName(name)
		if !ok {
			return nil, false
		}
	}
	id, ok := managed().byName[name]
	return id, ok
}

// managedARNName returns the identifier name in a managed identifier ARN.
func managedARNName(arn string) (string, bool) {
	for _, p := range []string{"arn:aws:", "arn:aws-cn:", "arn:aws-us-gov:"} {
		if rest, ok := strings.CutPrefix(arn, p); ok {
			name, ok := strings.CutPrefix(rest, "dataprotection::aws:data-identifier/")
			if !ok {
				name, ok = strings.CutPrefix(rest, "dataprotection::vigil:data-identifier/")
			}
			return name, ok && name != ""
		}
	}
	return "", false
}

type managedSet struct {
	list   []*Identifier
	byName map[string]*Identifier
}

func buildManaged() managedSet {
	set := managedSet{byName: map[string]*Identifier{}}
	for _, id := range managedSpecs() {
		if id.ARN == "" {
			id.ARN = ARNPrefix + id.Name
		}
		if _, dup := set.byName[id.Name]; dup {
			continue // TestManagedTable reports duplicates
		}
		set.byName[id.Name] = id
		set.list = append(set.list, id)
	}
	sort.Slice(set.list, func(i, j int) bool { return set.list[i].Name < set.list[j].Name })
	return set
}

// Custom identifier limits, as AWS documents them.
const (
	MaxCustomIdentifiers = 10
	MaxCustomNameLen     = 128
	MaxCustomRegexLen    = 200
)

// NewCustomIdentifier validates a custom data identifier the way SNS does
// (name and expression length and character set, not a managed name) and
// compiles its expression. Matching is linear in the input: the expression
// runs on Go's RE2 engine, and constructs that engine lacks are rejected
// here with an error saying so.
func NewCustomIdentifier(name, regex string) (*Identifier, error) {
	if err := validCustomName(name); err != nil {
		return nil, err
	}
	if regex == "" {
		return nil, fmt.Errorf("custom data identifier %s: Regex must not be empty", name)
	}
	if n := len([]rune(regex)); n > MaxCustomRegexLen {
		return nil, fmt.Errorf("custom data identifier %s: Regex is %d characters long; the maximum is %d", name, n, MaxCustomRegexLen)
	}
	for _, r := range regex {
		if !customRegexChar(r) {
			return nil, fmt.Errorf("custom data identifier %s: Regex contains %q, which is not an allowed character (letters, digits, space, _ # = @ / ; , - and the regex characters ^ $ ? [ ] { } | \\ * + .)", name, r)
		}
	}
	if _, err := syntax.Parse(regex, syntax.Perl); err != nil {
		return nil, fmt.Errorf("custom data identifier %s: Regex %q is not supported: %s (expressions run in linear time, so backreferences, lookaround and possessive or atomic constructs are unavailable)", name, regex, syntaxReason(err))
	}
	re, err := regexp.Compile(regex)
	if err != nil {
		return nil, fmt.Errorf("custom data identifier %s: %w", name, err)
	}
	return &Identifier{Name: name, Category: Custom, Regex: regex, re: re}, nil
}

func validCustomName(name string) error {
	if name == "" {
		return fmt.Errorf("custom data identifier Name must not be empty")
	}
	if len(name) > MaxCustomNameLen {
		return fmt.Errorf("custom data identifier Name %q is %d characters long; the maximum is %d", name, len(name), MaxCustomNameLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '_' && c != '-' {
			return fmt.Errorf("custom data identifier Name %q may contain only letters, digits, '_' and '-'", name)
		}
	}
	if isManagedName(name) {
		return fmt.Errorf("custom data identifier Name %q is the name of a managed data identifier", name)
	}
	return nil
}

// isManagedName reports whether name (compared case-insensitively) names a
// managed identifier, with or without its country suffix.
func isManagedName(name string) bool {
	for _, id := range managed().list {
		base, _, _ := strings.Cut(id.Name, "-")
		if strings.EqualFold(name, id.Name) || strings.EqualFold(name, base) {
			return true
		}
	}
	return false
}

func customRegexChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("_#=@/;,- ^$?[]{}|\\*+.", r)
}

func syntaxReason(err error) string {
	if se, ok := err.(*syntax.Error); ok {
		return fmt.Sprintf("%s %q", se.Code, se.Expr)
	}
	return err.Error()
}
