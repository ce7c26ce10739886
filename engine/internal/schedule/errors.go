package schedule

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error this package returns wraps exactly one of them,
// so callers can classify a failure with errors.Is without reading messages.
var (
	// ErrInvalid is what every *Error from Parse unwraps to.
	ErrInvalid = errors.New("schedule: invalid schedule")

	// ErrInvalidTime means a time value (start_at, end_date or a piped
	// value given to ParseTime) had an unsupported type or format.
	ErrInvalidTime = errors.New("schedule: invalid time")

	// ErrInvalidDuration means a duration value (every, delay) had an
	// unsupported type or format, or was negative.
	ErrInvalidDuration = errors.New("schedule: invalid duration")

	// ErrInvalidCron means a cron expression could not be parsed or can
	// never match (for example "0 0 30 2 *").
	ErrInvalidCron = errors.New("schedule: invalid cron expression")

	// ErrInvalidMisfire means ParseMisfire was given an unknown policy name.
	ErrInvalidMisfire = errors.New("schedule: invalid misfire policy")
)

// Error lists every problem Parse found in a schedule. Each problem starts
// with the field it concerns, for example
// `schedule.tz: unknown time zone "Mars/Olympus"`. It unwraps to ErrInvalid.
type Error struct {
	Problems []string
}

// Error joins the problems with "; ".
func (e *Error) Error() string {
	return strings.Join(e.Problems, "; ")
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// valueError is one problem with one value; it unwraps to its sentinel.
// Parse prefixes msg with the field name.
type valueError struct {
	kind error
	msg  string
}

func (e *valueError) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *valueError) Unwrap() error { return e.kind }

func problemf(kind error, format string, args ...any) error {
	return &valueError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
