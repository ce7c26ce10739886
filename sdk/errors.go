package sdk

import (
	"errors"
	"time"
)

// ErrHostUnavailable is returned by [Host] methods when jobd did not offer
// host services (for example in a bare protocol test).
var ErrHostUnavailable = errors.New("sdk: host services unavailable")

// PermanentError marks a failure that will not go away by retrying:
// validation errors, not found, unauthorised. jobd ends the run at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent: jobd does not retry it, whatever the
// job's retries say. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// RetryAfterError is a retryable failure that asks for a delay before the
// next attempt.
type RetryAfterError struct {
	Err   error
	Delay time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter marks err as retryable after at least d (for example a
// rate-limited API's Retry-After). RetryAfter(nil, d) is nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &RetryAfterError{Err: err, Delay: d}
}

// IsPermanent reports whether err is marked permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryDelay returns the delay err asks for, if any.
func RetryDelay(err error) (time.Duration, bool) {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.Delay, true
	}
	return 0, false
}
