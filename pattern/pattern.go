package pattern

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxPatternLength is the longest event pattern, in characters, that the
// EventBridge API accepts (the EventPattern shape's limit; the default
// account quota is 2048 and can be raised to this).
const MaxPatternLength = 4096

// ErrPatternTooLong reports a pattern over MaxPatternLength. AWS rejects
// such input at the API layer (ValidationException), not as an invalid
// pattern, so it is not an *Error.
var ErrPatternTooLong = errors.New("event pattern is longer than 4096 characters")

// Validate checks an EventBridge event pattern. A pattern AWS would refuse
// yields an *Error whose Message is AWS's InvalidEventPatternException text.
func Validate(pattern []byte) error {
	_, err := compile(pattern)
	return err
}

func compile(pattern []byte) (*compiled, error) {
	if utf8.RuneCount(pattern) > MaxPatternLength {
		return nil, ErrPatternTooLong
	}
	c, err := compilePattern(pattern)
	if err != nil {
		return nil, wrapPattern(err)
	}
	return c, nil
}

// Matches reports whether one event matches one pattern, as
// TestEventPattern does. A bad pattern yields an *Error; an event that is
// not a JSON object yields another error.
func Matches(pattern, event []byte) (bool, error) {
	c, err := compile(pattern)
	if err != nil {
		return false, err
	}
	leaves, err := flattenEvent(event)
	if err != nil {
		return false, fmt.Errorf("event: %w", err)
	}
	return evalPattern(c, leaves), nil
}
