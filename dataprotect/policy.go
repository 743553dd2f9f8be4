package dataprotect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// PolicyVersion is the only data protection policy language version.
const PolicyVersion = "2021-06-01"

// MaxPolicySize bounds a policy document, in bytes. AWS does not document a
// separate limit for data protection policies; Vigil uses SNS's 30 KiB
// topic-policy limit.
const MaxPolicySize = 30720

// PolicyDocument is an SNS data protection policy as written by its author.
type PolicyDocument struct {
	Name          string         `json:"Name"`
	Description   string         `json:"Description,omitempty"`
	Version       string         `json:"Version"`
	Statement     []Statement    `json:"Statement"`
	Configuration *Configuration `json:"Configuration,omitempty"`
}

// Configuration holds a policy's custom data identifiers.
type Configuration struct {
	CustomDataIdentifier []CustomDataIdentifier `json:"CustomDataIdentifier"`
}

// CustomDataIdentifier defines a custom data identifier by regular
// expression; statements refer to it by Name.
type CustomDataIdentifier struct {
	Name  string `json:"Name"`
	Regex string `json:"Regex"`
}

// Statement applies one operation to the data a set of identifiers finds,
// for messages in one direction from or to a set of principals.
type Statement struct {
	Sid            string     `json:"Sid,omitempty"`
	DataDirection  Direction  `json:"DataDirection"`
	Principal      StringList `json:"Principal"`
	DataIdentifier StringList `json:"DataIdentifier"`
	Operation      Operation  `json:"Operation"`
}

// Direction is Inbound (Publish) or Outbound (delivery to a subscription).
type Direction string

// The data directions.
const (
	Inbound  Direction = "Inbound"
	Outbound Direction = "Outbound"
)

// Operation holds exactly one of Audit, Deny and Deidentify.
type Operation struct {
	Audit      *Audit      `json:"Audit,omitempty"`
	Deny       *Empty      `json:"Deny,omitempty"`
	Deidentify *Deidentify `json:"Deidentify,omitempty"`
}

// Empty is a JSON object with no members ("Deny": {}, "RedactConfig": {}).
type Empty struct{}

// Audit samples messages and reports what the statement's identifiers find.
type Audit struct {
	SampleRate            SampleRate   `json:"SampleRate"`
	FindingsDestination   *Destination `json:"FindingsDestination,omitempty"`
	NoFindingsDestination *Destination `json:"NoFindingsDestination,omitempty"`
}

// SampleRate is a percentage from 0 to 99, written as a number or a string.
type SampleRate int

// UnmarshalJSON accepts 99 and "99".
func (r *SampleRate) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("SampleRate %s is not an integer", string(b))
	}
	*r = SampleRate(n)
	return nil
}

// MarshalJSON writes the rate as a string, as AWS's examples do.
func (r SampleRate) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(strconv.Itoa(int(r)))), nil
}

// Destination lists where audit findings go. Vigil's SNS service maps these
// to its own log groups, delivery streams and bucket folders.
type Destination struct {
	CloudWatchLogs *struct {
		LogGroup string `json:"LogGroup"`
	} `json:"CloudWatchLogs,omitempty"`
	Firehose *struct {
		DeliveryStream string `json:"DeliveryStream"`
	} `json:"Firehose,omitempty"`
	S3 *struct {
		Bucket string `json:"Bucket"`
	} `json:"S3,omitempty"`
}

// Deidentify masks or redacts: exactly one of MaskConfig and RedactConfig.
type Deidentify struct {
	MaskConfig   *MaskConfig `json:"MaskConfig,omitempty"`
	RedactConfig *Empty      `json:"RedactConfig,omitempty"`
}

// MaskConfig masks each character of the data with MaskWithCharacter.
type MaskConfig struct {
	MaskWithCharacter string `json:"MaskWithCharacter"`
}

// StringList is a JSON array of strings that may also be written as one
// string.
type StringList []string

// UnmarshalJSON accepts "x" and ["x", "y"].
func (l *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("expected a string or an array of strings")
	}
	*l = many
	return nil
}

// PolicyError is a data protection policy that AWS would reject; its message
// names the offending element. Services report it as InvalidParameter.
type PolicyError struct {
	Message string
}

func (e *PolicyError) Error() string { return e.Message }

func policyErr(format string, args ...any) error {
	return &PolicyError{Message: fmt.Sprintf(format, args...)}
}

// ParseOptions adjusts parsing.
type ParseOptions struct {
	// AllowExtensions accepts Vigil's extension identifiers (such as
	// AwsAccessKeyId), which AWS would reject.
	AllowExtensions bool
	// Rand returns a number in [0, n); nil uses math/rand/v2. Audit
	// sampling uses it.
	Rand func(n int) int
}

// Policy is a parsed, validated and compiled data protection policy. It is
// safe for concurrent use.
type Policy struct {
	Document   PolicyDocument
	statements []*compiled
	rand       func(int) int
}

type compiled struct {
	index   int
	st      *Statement
	label   string // Sid, or Statement[i]
	scanner *Scanner
	mask    byte // Deidentify with MaskConfig
}

// ParsePolicy parses, validates and compiles a data protection policy. A
// document AWS would reject yields a *PolicyError.
func ParsePolicy(doc []byte, opts ParseOptions) (*Policy, error) {
	if len(doc) > MaxPolicySize {
		return nil, policyErr("DataProtectionPolicy is %d bytes; the maximum is %d", len(doc), MaxPolicySize)
	}
	pd, err := decodePolicy(doc)
	if err != nil {
		// AWS's own examples write regular expressions as "EID-\d{9}-US"
		// with a bare backslash, which strict JSON rejects; keep such
		// backslashes literally and try once more.
		if fixed, changed := escapeStrayBackslashes(doc); changed {
			if pd2, err2 := decodePolicy(fixed); err2 == nil {
				pd, err = pd2, nil
			}
		}
	}
	if err != nil {
		return nil, err
	}
	p := &Policy{Document: pd, rand: opts.Rand}
	if p.rand == nil {
		p.rand = rand.IntN
	}
	if err := p.compile(opts); err != nil {
		return nil, err
	}
	return p, nil
}

func decodePolicy(doc []byte) (PolicyDocument, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	var pd PolicyDocument
	if err := dec.Decode(&pd); err != nil {
		return pd, policyErr("DataProtectionPolicy is not a valid policy document: %s", jsonReason(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return pd, policyErr("DataProtectionPolicy is not a valid policy document: unexpected data after the policy object")
	}
	return pd, nil
}

// escapeStrayBackslashes doubles each backslash inside a JSON string that
// does not start a valid escape.
func escapeStrayBackslashes(doc []byte) ([]byte, bool) {
	var out []byte
	changed, inString := false, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			if i+1 < len(doc) && strings.IndexByte(`"\\/bfnrtu`, doc[i+1]) >= 0 {
				out = append(out, c, doc[i+1])
				i++
				continue
			}
			out = append(out, '\\')
			changed = true
		}
		out = append(out, c)
	}
	return out, changed
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%s at offset %d", se.Error(), se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be %s, not %s", te.Field, te.Type, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func (p *Policy) compile(opts ParseOptions) error {
	d := &p.Document
	if d.Name == "" {
		return policyErr("Policy Name is required")
	}
	if len(d.Name) > 128 {
		return policyErr("Policy Name can be at most 128 characters long")
	}
	for i := 0; i < len(d.Name); i++ {
		if c := d.Name[i]; !isAlnum(c) && c != '-' && c != '_' {
			return policyErr("Policy Name can only include alphanumeric characters, hyphens (-) and underscores (_)")
		}
	}
	if d.Version != PolicyVersion {
		return policyErr("Policy Version %q is not supported; the Version must be %s", d.Version, PolicyVersion)
	}
	custom, err := compileCustom(d.Configuration)
	if err != nil {
		return err
	}
	if len(d.Statement) == 0 {
		return policyErr("Policy must contain at least one Statement")
	}
	audits := 0
	for i := range d.Statement {
		c, err := compileStatement(i, &d.Statement[i], custom, opts)
		if err != nil {
			return err
		}
		if c.st.Operation.Audit != nil {
			if audits++; audits > 1 {
				return policyErr("%s: a data protection policy can have only one Audit statement", c.label)
			}
		}
		p.statements = append(p.statements, c)
	}
	return nil
}

func compileCustom(cfg *Configuration) (map[string]*Identifier, error) {
	custom := map[string]*Identifier{}
	if cfg == nil {
		return custom, nil
	}
	if n := len(cfg.CustomDataIdentifier); n > MaxCustomIdentifiers {
		return nil, policyErr("Configuration has %d custom data identifiers; the maximum is %d", n, MaxCustomIdentifiers)
	}
	for _, c := range cfg.CustomDataIdentifier {
		if _, dup := custom[c.Name]; dup {
			return nil, policyErr("custom data identifier Name %q is defined more than once", c.Name)
		}
		id, err := NewCustomIdentifier(c.Name, c.Regex)
		if err != nil {
			return nil, policyErr("%s", err.Error())
		}
		custom[c.Name] = id
	}
	return custom, nil
}

func compileStatement(i int, st *Statement, custom map[string]*Identifier, opts ParseOptions) (*compiled, error) {
	c := &compiled{index: i, st: st, label: fmt.Sprintf("Statement[%d]", i)}
	if st.Sid != "" {
		c.label = fmt.Sprintf("Statement %q", st.Sid)
	}
	if st.DataDirection != Inbound && st.DataDirection != Outbound {
		return nil, policyErr("%s: DataDirection %q is not valid; it must be Inbound or Outbound", c.label, st.DataDirection)
	}
	if len(st.Principal) == 0 {
		return nil, policyErr("%s: Principal must list at least one principal", c.label)
	}
	for _, pr := range st.Principal {
		if !validPrincipal(pr) {
			return nil, policyErr("%s: Principal %q is not valid; use \"*\", an account ID, or an IAM user or role ARN", c.label, pr)
		}
	}
	if len(st.DataIdentifier) == 0 {
		return nil, policyErr("%s: DataIdentifier must list at least one data identifier", c.label)
	}
	var ids []*Identifier
	seen := map[*Identifier]bool{}
	for _, ref := range st.DataIdentifier {
		id, err := resolveIdentifier(ref, custom, opts)
		if err != nil {
			return nil, policyErr("%s: %s", c.label, err.Error())
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if err := c.checkOperation(); err != nil {
		return nil, err
	}
	s, err := NewScanner(ids...)
	if err != nil {
		return nil, policyErr("%s: %s", c.label, err.Error())
	}
	c.scanner = s
	return c, nil
}

func (c *compiled) checkOperation() error {
	op := c.st.Operation
	n := 0
	for _, set := range []bool{op.Audit != nil, op.Deny != nil, op.Deidentify != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return policyErr("%s: Operation must contain exactly one of Audit, Deidentify and Deny", c.label)
	}
	switch {
	case op.Audit != nil:
		a := op.Audit
		if a.SampleRate < 0 || a.SampleRate > 99 {
			return policyErr("%s: SampleRate %d is not valid; it must be an integer from 0 to 99", c.label, a.SampleRate)
		}
		if a.FindingsDestination == nil && a.NoFindingsDestination == nil {
			return policyErr("%s: Audit requires a FindingsDestination or a NoFindingsDestination", c.label)
		}
		for name, d := range map[string]*Destination{"FindingsDestination": a.FindingsDestination, "NoFindingsDestination": a.NoFindingsDestination} {
			if err := checkDestination(c.label, name, d); err != nil {
				return err
			}
		}
	case op.Deidentify != nil:
		d := op.Deidentify
		if (d.MaskConfig == nil) == (d.RedactConfig == nil) {
			return policyErr("%s: Deidentify must contain exactly one of MaskConfig and RedactConfig", c.label)
		}
		if d.MaskConfig != nil {
			ch := d.MaskConfig.MaskWithCharacter
			if len(ch) != 1 || ch[0] < 0x20 || ch[0] > 0x7e {
				return policyErr("%s: MaskWithCharacter %q is not valid; it must be one printable ASCII character", c.label, ch)
			}
			c.mask = ch[0]
		}
	}
	return nil
}

func checkDestination(label, name string, d *Destination) error {
	if d == nil {
		return nil
	}
	if d.CloudWatchLogs == nil && d.Firehose == nil && d.S3 == nil {
		return policyErr("%s: %s must name CloudWatchLogs, Firehose or S3", label, name)
	}
	if l := d.CloudWatchLogs; l != nil && !strings.HasPrefix(l.LogGroup, "/aws/vendedlogs/") {
		return policyErr("%s: %s LogGroup %q must start with /aws/vendedlogs/", label, name, l.LogGroup)
	}
	if f := d.Firehose; f != nil && f.DeliveryStream == "" {
		return policyErr("%s: %s Firehose DeliveryStream is required", label, name)
	}
	if s := d.S3; s != nil && !validBucketName(s.Bucket) {
		return policyErr("%s: %s S3 Bucket %q is not a valid bucket name", label, name, s.Bucket)
	}
	return nil
}

func validBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 || !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// resolveIdentifier turns a DataIdentifier entry into an identifier: a
// managed identifier's ARN, or the name of a custom one.
func resolveIdentifier(ref string, custom map[string]*Identifier, opts ParseOptions) (*Identifier, error) {
	if strings.HasPrefix(ref, "arn:") {
		id, ok := LookupManaged(ref)
		if !ok || id.Extension && !opts.AllowExtensions || !sameARN(ref, id.ARN) {
			return nil, fmt.Errorf("%s is not a valid Data Identifier", ref)
		}
		return id, nil
	}
	if id, ok := custom[ref]; ok {
		return id, nil
	}
	if id, ok := LookupManaged(ref); ok && (!id.Extension || opts.AllowExtensions) {
		return nil, fmt.Errorf("%s is not a valid Data Identifier; refer to managed data identifiers by ARN (%s)", ref, id.ARN)
	}
	return nil, fmt.Errorf("%s is not a valid Data Identifier: it is neither a managed data identifier ARN nor a custom data identifier defined in Configuration", ref)
}

// sameARN compares ARNs ignoring the partition.
func sameARN(a, b string) bool {
	strip := func(s string) string {
		parts := strings.SplitN(s, ":", 3)
		if len(parts) < 3 {
			return s
		}
		return parts[2]
	}
	return strip(a) == strip(b)
}

// validPrincipal accepts "*", a 12-digit account ID, and IAM root, user and
// role ARNs and STS assumed-role ARNs.
func validPrincipal(p string) bool {
	if p == "*" || isAccountID(p) {
		return true
	}
	acct, res, ok := splitIAMARN(p)
	if !ok || !isAccountID(acct) {
		return false
	}
	switch {
	case strings.HasPrefix(p, "arn:aws:iam::") || strings.HasPrefix(p, "arn:aws-cn:iam::") || strings.HasPrefix(p, "arn:aws-us-gov:iam::"):
		return res == "root" || strings.HasPrefix(res, "user/") && len(res) > 5 || strings.HasPrefix(res, "role/") && len(res) > 5
	default:
		return strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") >= 2
	}
}

// splitIAMARN splits an iam or sts ARN into account and resource.
func splitIAMARN(arn string) (account, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || (parts[2] != "iam" && parts[2] != "sts") || parts[3] != "" {
		return "", "", false
	}
	return parts[4], parts[5], true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	return digits([]byte(s))
}
