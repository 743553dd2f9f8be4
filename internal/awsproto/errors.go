package awsproto

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS-shaped error: a code a client can switch on, a message
// for people, and the HTTP status it travels with.
type Error struct {
	Code    string
	Message string
	Status  int
	// Receiver marks faults on Vigil's side (the awsQuery <Type>Receiver</Type>).
	Receiver bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with status, code and a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// Validation returns the ValidationException JSON services use for bad input.
func Validation(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

// QueryValidation returns the ValidationError awsQuery services use for bad input.
func QueryValidation(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

// InvalidParameter is SNS's code for a bad argument.
func InvalidParameter(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "InvalidParameter", format, args...)
}

// Internal wraps an unexpected failure. Its message is deliberately vague:
// details go to the log, not to the caller.
func Internal(err error) *Error {
	return &Error{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError, Receiver: true}
}

// AsError returns err as an *Error, converting anything else into an
// internal failure.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}
