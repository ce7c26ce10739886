package piping

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every *EvalError unwraps to exactly one of them, so callers
// can classify a run-time failure with errors.Is without reading messages.
var (
	// ErrMissing means a reference resolved to nothing: an absent field, a
	// null value, an index past the end of a list, an unknown sequence or
	// event, or a $Find with no match. A missing value is never silently
	// replaced by an empty string or null.
	ErrMissing = errors.New("piping: value missing")

	// ErrType means a value had the wrong type for where it was used, for
	// example $Add('abc', 1) or a {key} segment applied to a list.
	ErrType = errors.New("piping: wrong type")

	// ErrRange means a number argument was out of the accepted range, for
	// example $Pick('abc', 7) or a $DateAdd that leaves the years 1-9999.
	ErrRange = errors.New("piping: value out of range")

	// ErrSecret means $Secret could not be resolved: the Env has no Secret
	// function, or the function failed.
	ErrSecret = errors.New("piping: secret unavailable")

	// ErrExpr means a ${ ... } expression failed at run time.
	ErrExpr = errors.New("piping: expression failed")

	// ErrInternal means the evaluator panicked or produced a value that
	// cannot be represented as JSON. It indicates a bug or an exotic
	// ${ ... } result, never bad event data.
	ErrInternal = errors.New("piping: internal error")

	// ErrCompile is what every *CompileError unwraps to.
	ErrCompile = errors.New("piping: invalid template")
)

// CompileError is a problem found while compiling one template string. Path
// names the string inside the template (for example "input.email.to" or
// "input.items[2]") and Column is the 1-based position, in characters, inside
// that string where the problem starts.
type CompileError struct {
	Path   string
	Column int
	Msg    string
}

// Error formats the error as "path: column N: message".
func (e *CompileError) Error() string {
	s := "column " + strconv.Itoa(e.Column) + ": " + e.Msg
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	return s
}

// Unwrap returns ErrCompile.
func (e *CompileError) Unwrap() error { return ErrCompile }

// EvalError is a failure while evaluating a compiled template. Path names the
// template string, Ref is the reference, operator or ${ ... } expression
// (as written in the template) that failed, and Err says why; Err unwraps to
// one of the sentinel errors of this package.
type EvalError struct {
	Path string
	Ref  string
	Err  error
}

// Error formats the error as "path: ref: reason".
func (e *EvalError) Error() string {
	s := e.Err.Error()
	if e.Ref != "" {
		s = e.Ref + ": " + s
	}
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	return s
}

// Unwrap returns the cause, which unwraps to a sentinel error.
func (e *EvalError) Unwrap() error { return e.Err }

// reason is a message tied to a sentinel: Error returns only the message and
// Unwrap the sentinel, so EvalError texts stay short.
type reason struct {
	msg  string
	kind error
}

func (r *reason) Error() string { return r.msg }
func (r *reason) Unwrap() error { return r.kind }

// fnError is what registered functions return: the failing reference or
// operator text and the reason.
type fnError struct {
	ref string
	err error
}

func (e *fnError) Error() string { return e.ref + ": " + e.err.Error() }
func (e *fnError) Unwrap() error { return e.err }

// fail builds a function error for ref with a message of the given kind.
func fail(ref string, kind error, msg string) error {
	return &fnError{ref: ref, err: &reason{msg: msg, kind: kind}}
}
