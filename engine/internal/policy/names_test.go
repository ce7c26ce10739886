package policy

import (
	"testing"
	"time"
)

// The runner writes Action.String into logs and Action.Status into results
// and job records, so each name is pinned here, and so is what the zero
// value of each enum means.
func TestActionNames(t *testing.T) {
	cases := []struct {
		a      Action
		name   string
		status string
	}{
		{Complete, "complete", StatusCompleted},
		{Retry, "retry", ""},
		{FailAllowed, "fail_allowed", StatusFailedAllowed},
		{Fail, "fail", StatusFailed},
		{Action(0), "unknown", ""},
		{Fail + 1, "unknown", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.String(); got != tc.name {
				t.Errorf("Action(%d).String() = %q, want %q", int(tc.a), got, tc.name)
			}
			if got := tc.a.Status(); got != tc.status {
				t.Errorf("Action(%d).Status() = %q, want %q", int(tc.a), got, tc.status)
			}
		})
	}
}

func TestStatusNames(t *testing.T) {
	for got, want := range map[string]string{
		StatusCompleted:     "completed",
		StatusFailedAllowed: "failed_allowed",
		StatusFailed:        "failed",
	} {
		if got != want {
			t.Errorf("status %q, want %q", got, want)
		}
	}
}

// An Attempt or a Decision left at its zero value names no outcome and no
// action: a missing outcome fails the run instead of completing or retrying
// it.
func TestZeroValues(t *testing.T) {
	var d Decision
	if d.Action == Complete || d.Action == Retry || d.Action == FailAllowed || d.Action == Fail {
		t.Errorf("the zero Action is %v, want none of the named actions", d.Action)
	}
	var o Outcome
	if o == Succeeded || o == Retryable || o == Permanent {
		t.Errorf("the zero Outcome is %d, want none of the named outcomes", o)
	}
	b := Backoff{Initial: time.Second, Max: time.Minute, Multiplier: 2}
	if got := Decide(Attempt{Number: 1, MaxAttempts: 3}, b); got != (Decision{Action: Fail}) {
		t.Errorf("Decide(no outcome) = %+v, want fail", got)
	}
}
