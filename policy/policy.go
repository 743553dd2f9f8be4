package policy

import (
	"fmt"
)

// Kind says what a policy document is attached as. It decides which elements
// the grammar requires or forbids and how the document takes part in a
// decision.
type Kind uint8

const (
	// Identity is a policy attached to a user, group or role (inline or
	// managed). It has no Principal element.
	Identity Kind = iota
	// Resource is a resource-based policy, such as an SNS topic policy or an
	// S3 bucket policy. It names principals.
	Resource
	// Trust is a role's trust policy (AssumeRolePolicyDocument): a
	// resource-based policy without Resource elements.
	Trust
	// Boundary is a managed policy used as a permissions boundary; it has the
	// identity grammar.
	Boundary
	// Session is a session policy passed to AssumeRole or GetFederationToken;
	// it has the identity grammar.
	Session
	// SCP is an AWS Organizations service control policy.
	SCP
)

var kindNames = [...]string{"identity", "resource", "trust", "boundary", "session", "scp"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// identityGrammar reports whether documents of kind k must not name
// principals.
func (k Kind) identityGrammar() bool { return k != Resource && k != Trust }

// iamGrammar reports whether IAM itself stores the document, which restricts
// Sid to letters and digits.
func (k Kind) iamGrammar() bool {
	return k == Identity || k == Boundary || k == Session || k == Trust
}

// Effect is a statement's Effect.
type Effect uint8

const (
	Allow Effect = iota
	Deny
)

func (e Effect) String() string {
	if e == Deny {
		return "Deny"
	}
	return "Allow"
}

// The two policy language versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Position is a place in a policy document. Line counts from 1, Column (in
// characters) from 0, and Offset (in bytes) from 0; these are IAM Access
// Analyzer's conventions. Display Column+1 to people.
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Offset int `json:"offset"`
}

// Span is a range of a document; End is exclusive.
type Span struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// Policy is a parsed, compiled policy document. It is immutable after Parse
// and safe for concurrent use.
type Policy struct {
	// ID identifies the policy in evaluation results (SourcePolicyId in the
	// simulation APIs). Parse leaves it empty; callers set it, for example to
	// a managed policy ARN or "user/alice/inline-name".
	ID string

	Kind       Kind
	Version    string // "" when the document has no Version element
	PolicyID   string // the document's optional Id element
	Statements []*Statement
	Span       Span // the whole document
}

// Statement is one statement of a policy.
type Statement struct {
	Index  int // position in the Statement list, from 0
	Sid    string
	Effect Effect

	// Exactly one of Action and NotAction is set, likewise Resource and
	// NotResource (both empty in trust policies), and at most one of
	// Principal and NotPrincipal.
	Action, NotAction       []string
	Resource, NotResource   []string
	Principal, NotPrincipal *PrincipalElement

	Conditions []*Condition
	Span       Span // the statement object

	actions   []actionPattern
	notAction bool
	resources []*pattern
	notRes    bool
	hasRes    bool
	princ     *principalSet
	notPrinc  bool
}

// PrincipalElement is the value of a Principal or NotPrincipal element.
type PrincipalElement struct {
	// Wildcard is set for the form "Principal": "*".
	Wildcard bool
	// Values maps principal types (AWS, Service, Federated, CanonicalUser) to
	// their values as written.
	Values map[string][]string
}

// Error is a policy document that IAM would reject, with AWS's
// MalformedPolicyDocument message and where the problem is.
type Error struct {
	// Message is the message AWS returns for MalformedPolicyDocument, such as
	// "Syntax errors in policy.".
	Message string
	// Detail says precisely what is wrong.
	Detail string
	// Path locates the element, such as "Statement[0].Action[1]".
	Path string
	Span Span
	// Code is the IAM Access Analyzer issue code of the problem.
	Code string

	stage int // AWS reports the earliest stage's error first
	path  []PathElement
}

func (e *Error) Error() string {
	loc := fmt.Sprintf("line %d, column %d", e.Span.Start.Line, e.Span.Start.Column+1)
	if e.Path != "" {
		loc += " (" + e.Path + ")"
	}
	if e.Detail == "" || e.Detail == e.Message {
		return fmt.Sprintf("%s: %s", loc, e.Message)
	}
	return fmt.Sprintf("%s: %s %s", loc, e.Message, e.Detail)
}

// AWS's MalformedPolicyDocument messages.
const (
	MsgSyntax             = "Syntax errors in policy."
	MsgLegacyParsing      = "The policy failed legacy parsing"
	MsgNoPrincipalAllowed = "Policy document should not specify a principal."
	MsgMissingPrincipal   = "Missing required field Principal"
	MsgMissingActions     = "Policy statement must contain actions."
	MsgMissingResources   = "Policy statement must contain resources."
	MsgUniqueSids         = "Statement IDs (SID) in a single policy must be unique."
	MsgSidAlphanumeric    = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	MsgActionVendor       = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	MsgActionColon        = "Actions/Condition can contain only one colon."
	MsgResourceVendor     = "Resource vendor must be fully qualified and cannot contain regexes."
	MsgVersion2012        = "Policy document must be version 2012-10-17 or greater."
)
