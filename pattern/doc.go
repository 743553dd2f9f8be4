// Package pattern implements the Amazon EventBridge event-pattern language
// (content filtering) and the closely related Amazon SNS filter-policy
// language, with AWS's semantics and AWS's validation messages.
//
// A pattern is compiled once; a Matcher holds many compiled patterns merged
// into one automaton keyed by field path, so matching an event costs roughly
// one pass over the event's fields that some pattern mentions, not one pass
// per pattern.
//
// The package imports nothing outside the standard library, so every service
// that needs pattern semantics (rules, TestEventPattern, SNS subscription
// filter policies) can share it.
package pattern
