package policy

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 5 * time.Minute, Multiplier: 2}
	cases := []struct {
		name string
		a    Attempt
		want Decision
	}{
		{"success", Attempt{Outcome: Succeeded, Number: 1, MaxAttempts: 1}, Decision{Action: Complete}},
		{"retry first", Attempt{Outcome: Retryable, Number: 1, MaxAttempts: 4}, Decision{Action: Retry, Delay: time.Second}},
		{"retry third", Attempt{Outcome: Retryable, Number: 3, MaxAttempts: 4}, Decision{Action: Retry, Delay: 4 * time.Second}},
		{"retry after wins when longer", Attempt{Outcome: Retryable, Number: 1, MaxAttempts: 2, RetryAfter: 30 * time.Second}, Decision{Action: Retry, Delay: 30 * time.Second}},
		{"backoff wins when longer", Attempt{Outcome: Retryable, Number: 3, MaxAttempts: 4, RetryAfter: time.Millisecond}, Decision{Action: Retry, Delay: 4 * time.Second}},
		{"spent, may not fail", Attempt{Outcome: Retryable, Number: 4, MaxAttempts: 4}, Decision{Action: Fail}},
		{"spent, may fail", Attempt{Outcome: Retryable, Number: 2, MaxAttempts: 2, AllowFail: true}, Decision{Action: FailAllowed}},
		{"permanent at once", Attempt{Outcome: Permanent, Number: 1, MaxAttempts: 4}, Decision{Action: Fail}},
		{"permanent allowed", Attempt{Outcome: Permanent, Number: 1, MaxAttempts: 4, AllowFail: true}, Decision{Action: FailAllowed}},
		{"no retries", Attempt{Outcome: Retryable, Number: 1, MaxAttempts: 1}, Decision{Action: Fail}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.a, b); got != tc.want {
				t.Fatalf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBackoffCapsAndJitters(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 5 * time.Minute, Multiplier: 2}
	if d := b.Delay(20); d != 5*time.Minute {
		t.Fatalf("Delay(20) = %v, want the 5m cap", d)
	}
	b.Jitter = 0.5
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		d := b.Delay(3) // 4s ± 50%
		if d < 2*time.Second || d > 6*time.Second {
			t.Fatalf("Delay(3) with jitter = %v, outside [2s, 6s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Fatal("jitter produced one value in 50 draws")
	}
}

func TestDecideCapsARequestedDelay(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 10 * time.Second, Multiplier: 2, MaxRetryAfter: time.Hour}
	for _, c := range []struct {
		name       string
		retryAfter time.Duration
		delay      time.Duration
		capped     bool
	}{
		{"within the cap", 30 * time.Minute, 30 * time.Minute, false},
		{"at the cap", time.Hour, time.Hour, false},
		{"over the cap", 3 * time.Hour, time.Hour, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(Attempt{Outcome: Retryable, Number: 1, MaxAttempts: 3, RetryAfter: c.retryAfter}, b)
			if d.Action != Retry || d.Delay != c.delay || d.Capped != c.capped {
				t.Fatalf("decision %+v, want delay %v capped %v", d, c.delay, c.capped)
			}
		})
	}
}
