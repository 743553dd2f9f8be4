// Package pattern implements the Amazon EventBridge event-pattern language
// (content filtering) and the Amazon SNS filter-policy language built on
// it, with AWS's semantics and AWS's validation messages.
//
// Validate checks a pattern; Matches tests one event against one pattern,
// as TestEventPattern does. A Matcher holds many patterns merged into one
// automaton keyed by field path, so matching an event costs about one pass
// over the event's fields that some pattern mentions, not one pass per
// pattern. CompileFilterPolicy compiles an SNS subscription filter policy
// for either scope.
//
// Semantics follow aws/event-ruler, the engine behind EventBridge, where
// the documentation is silent: numbers compare as IEEE-754 doubles and a
// number is comparable only if its decimal text is exactly a double's
// shortest form; values chosen to satisfy one rule must come from the same
// element of any array that encloses them; a string that is an IP address
// matches that address however an event spells it; exists:true matches
// null but not an object.
//
// The package imports nothing outside the standard library.
package pattern
