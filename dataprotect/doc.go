// Package dataprotect finds, masks and redacts sensitive data the way AWS
// message data protection (SNS) and Macie describe it, for Vigil's SNS
// topics and its "vigil scan" command.
//
// It has AWS's managed data identifiers, under their names and ARNs
// (arn:aws:dataprotection::aws:data-identifier/CreditCardNumber, .../Ssn-US,
// ...; see ManagedIdentifiers), with the keywords AWS documents and the
// shapes and check digits of each number's public specification, plus
// custom identifiers defined by regular expression (NewCustomIdentifier),
// which run on Go's RE2 engine and so take time linear in their input.
// Name and Address, which AWS finds with machine learning, are found here
// from dictionaries and address shapes; their limits are documented in
// names.go and address.go and measured in BENCHMARKS.md.
//
// A Scanner searches text or JSON (value by value, with keywords counted
// in the value or in the keys on its path, and a JSONPath for each
// match); Deidentify masks or redacts what it finds and keeps JSON valid.
// ParsePolicy validates and compiles an SNS data protection policy, and
// Policy.Evaluate decides, for one message and principal, what to audit,
// whether to deny it and what to deliver. Scan searches files and
// directories and reports Macie-shaped findings.
//
// The package imports nothing else of Vigil.
package dataprotect
