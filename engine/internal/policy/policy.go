// Package policy is jobd's failure policy in one place (the README's failure policy): what
// happens after an attempt, given its outcome, the attempts left and
// allow_fail, and how long to wait before the next attempt.
package policy

import (
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jobd-dev/jobd/sdk/host"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// Outcome of one attempt: the host's (one outcome type from the plugin's
// answer to the policy).
type Outcome = host.Outcome

// The outcomes an attempt can have, in the policy's words.
const (
	// Succeeded: the plugin returned success.
	Succeeded = host.OK
	// Retryable: a retryable error, a timeout, a crashed or unreachable plugin.
	Retryable = host.Retry
	// Permanent: the plugin said so, a piping error, an invalid event.
	Permanent = host.Permanent
)

// Action is what to do after an attempt.
type Action int

// The actions.
const (
	// Complete records the run as completed.
	Complete Action = iota + 1
	// Retry schedules another attempt after Decision.Delay.
	Retry
	// FailAllowed records the failure; the sequence goes on.
	FailAllowed
	// Fail records the failure, dead-letters the run and reports it.
	Fail
)

// String returns the action's name.
func (a Action) String() string {
	switch a {
	case Complete:
		return "complete"
	case Retry:
		return "retry"
	case FailAllowed:
		return "fail_allowed"
	case Fail:
		return "fail"
	}
	return "unknown"
}

// Status names used in results and job records.
const (
	StatusCompleted     = wire.StatusCompleted
	StatusFailedAllowed = wire.StatusFailedAllowed
	StatusFailed        = wire.StatusFailed
)

// Status returns the run status a final action records.
func (a Action) Status() string {
	switch a {
	case Complete:
		return StatusCompleted
	case FailAllowed:
		return StatusFailedAllowed
	case Fail:
		return StatusFailed
	}
	return ""
}

// Backoff shapes the delays between attempts: exponential from Initial by
// Multiplier up to Max, each delay randomised by ±Jitter (a fraction).
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64
	// MaxRetryAfter caps a delay the plugin asks for (an API's
	// Retry-After); 0 leaves it uncapped.
	MaxRetryAfter time.Duration
}

// Delay returns the wait after the given failed attempt (from 1).
func (b Backoff) Delay(attempt int) time.Duration {
	eb := &backoff.ExponentialBackOff{
		InitialInterval:     b.Initial,
		RandomizationFactor: b.Jitter,
		Multiplier:          b.Multiplier,
		MaxInterval:         b.Max,
	}
	eb.Reset()
	var d time.Duration
	for i := 0; i < attempt; i++ {
		d = eb.NextBackOff()
	}
	return d
}

// Decision is the policy's answer.
type Decision struct {
	Action Action
	// Delay before the next attempt, with Retry.
	Delay time.Duration
	// Capped is true when the plugin asked for a longer delay than
	// Backoff.MaxRetryAfter: Delay is the cap.
	Capped bool
}

// Attempt describes a finished attempt.
type Attempt struct {
	Outcome     Outcome
	Number      int // from 1
	MaxAttempts int // retries + 1
	AllowFail   bool
	// RetryAfter is the plugin's requested delay, or 0.
	RetryAfter time.Duration
}

// Decide applies the README's failure policy table.
func Decide(a Attempt, b Backoff) Decision {
	switch {
	case a.Outcome == Succeeded:
		return Decision{Action: Complete}
	case a.Outcome == Retryable && a.Number < a.MaxAttempts:
		d := b.Delay(a.Number)
		capped := false
		if ra := a.RetryAfter; ra > d {
			if b.MaxRetryAfter > 0 && ra > b.MaxRetryAfter {
				ra, capped = max(b.MaxRetryAfter, d), true
			}
			d = ra
		}
		return Decision{Action: Retry, Delay: d, Capped: capped}
	case a.AllowFail:
		return Decision{Action: FailAllowed}
	default:
		return Decision{Action: Fail}
	}
}
