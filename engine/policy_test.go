package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/internal/streams"
)

func job(event, input string, extra string) string {
	return `
[[jobs]]
event = "` + event + `"
kind = "test"
on = ["events.` + event + `"]
input = ` + input + `
` + extra + `
[jobs.backoff]
initial = "1s"
multiplier = 2.0
jitter = 0.0
`
}

// Retries wait their backoff on the engine's clock: attempt 2 an hour
// after attempt 1, attempt 3 two hours after that, and not a moment
// earlier (on a fake clock, so the test checks the rule, not the machine's
// speed).
func TestRetryThenSuccess(t *testing.T) {
	base := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(base)
	en := newEnvClock(t, `
[[jobs]]
event = "flaky"
kind = "test"
on = ["events.flaky"]
input = {mode = "fail", fail_until = 3}
retries = 3
[jobs.backoff]
initial = "1h"
max = "24h"
multiplier = 2.0
jitter = 0.0
`, clock)
	en.publish("events.flaky", `{}`)
	for _, step := range []struct {
		to    time.Duration
		calls int
	}{
		{0, 1},
		{59*time.Minute + 59*time.Second, 1},
		{time.Hour, 2},
		{3*time.Hour - time.Second, 2},
		{3 * time.Hour, 3},
	} {
		clock.Advance(base.Add(step.to).Sub(clock.Now()))
		en.waitCalls(step.calls, 30*time.Second)
		time.Sleep(300 * time.Millisecond) // room for an early attempt to show
		if n := len(en.calls("test")); n != step.calls {
			t.Fatalf("clock +%v: %d attempts, want %d", step.to, n, step.calls)
		}
	}
	r := en.results("flaky", 1, 30*time.Second)[0]
	if r.Status != "completed" || r.Attempts != 3 {
		t.Fatalf("result: status %s after %d attempts (%+v), want completed after 3", r.Status, r.Attempts, r.Error)
	}
	calls := en.calls("test")
	for i, c := range calls {
		if c.Attempt != i+1 || c.Max != 4 || c.Key != calls[0].Key || c.RunID != r.RunID {
			t.Errorf("call %d: %+v", i, c)
		}
	}
	if n := len(en.read(streams.Results, streams.FailedSubjectPrefix+">")); n != 0 {
		t.Errorf("%d failure reports, want none", n)
	}
}

func TestAttemptsSpent(t *testing.T) {
	for _, allow := range []bool{false, true} {
		name := map[bool]string{false: "allow_fail false", true: "allow_fail true"}[allow]
		t.Run(name, func(t *testing.T) {
			extra := "retries = 1\nallow_fail = false"
			if allow {
				extra = "retries = 1\nallow_fail = true"
			}
			en := newEnv(t, job("doomed", `{mode = "fail"}`, extra))
			en.publish("events.doomed", `{"n": 1}`)
			r := en.results("doomed", 1, 15*time.Second)[0]
			if len(en.calls("test")) != 2 || r.Attempts != 2 {
				t.Fatalf("%d calls, %d attempts recorded; want 2", len(en.calls("test")), r.Attempts)
			}
			if r.Error == nil || r.Error.Class != "retryable" || !strings.Contains(r.Error.Message, "failing on attempt 2") {
				t.Errorf("error = %+v", r.Error)
			}
			failed := en.read(streams.Results, streams.FailedSubjectPrefix+"doomed")
			dead := en.deadLetters("doomed")
			if allow {
				if r.Status != "failed_allowed" || len(failed) != 0 || len(dead) != 0 {
					t.Fatalf("status %s, %d failure reports, %d dead letters; want failed_allowed, 0, 0", r.Status, len(failed), len(dead))
				}
				return
			}
			if r.Status != "failed" || len(failed) != 1 || len(dead) != 1 {
				t.Fatalf("status %s, %d failure reports, %d dead letters; want failed, 1, 1", r.Status, len(failed), len(dead))
			}
			if dead[0].RunID != r.RunID || strings.ReplaceAll(string(dead[0].Trigger.Data), " ", "") != `{"n":1}` || !strings.Contains(dead[0].Reason, "failing") {
				t.Errorf("dead letter = %+v", dead[0])
			}
		})
	}
}

func TestPermanentErrorNotRetried(t *testing.T) {
	en := newEnv(t, job("perm", `{mode = "permanent"}`, "retries = 5"))
	en.publish("events.perm", `{}`)
	r := en.results("perm", 1, 10*time.Second)[0]
	if r.Status != "failed" || r.Attempts != 1 || r.Error.Class != "permanent" {
		t.Fatalf("result = %+v", r)
	}
	time.Sleep(1500 * time.Millisecond) // a wrongly scheduled retry would fire by now
	if n := len(en.calls("test")); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

func TestPluginCrashIsRetried(t *testing.T) {
	en := newEnv(t, job("crashy", `{mode = "crash", fail_until = 2}`, "retries = 2")+job("steady", `{mode = "ok"}`, ""))
	en.publish("events.crashy", `{}`)
	r := en.results("crashy", 1, 20*time.Second)[0]
	if r.Status != "completed" || r.Attempts != 2 {
		t.Fatalf("result = %+v", r)
	}
	// jobd and the restarted plugin keep serving.
	en.publish("events.steady", `{}`)
	if r := en.results("steady", 1, 10*time.Second)[0]; r.Status != "completed" {
		t.Fatalf("after the crash: %+v", r)
	}
}

func TestRetrySurvivesRestart(t *testing.T) {
	en := newEnv(t, job("later", `{mode = "fail", fail_until = 2}`, "retries = 1\n[jobs.backoff]\ninitial = \"3s\"")[0:0]+`
[[jobs]]
event = "later"
kind = "test"
on = ["events.later"]
input = {mode = "fail", fail_until = 2}
retries = 1
[jobs.backoff]
initial = "3s"
jitter = 0.0
`)
	en.publish("events.later", `{}`)
	deadline := time.Now().Add(patience * 10 * time.Second)
	for len(en.calls("test")) < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// The retry timer is stored and the event acknowledged before the
	// restart (polled: a busy machine takes longer than an idle one).
	for deadline := time.Now().Add(patience * 5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		info, err := en.js.Consumer(context.Background(), streams.Events, streams.EventsConsumer)
		if err == nil && natstest.Msgs(t, en.js, streams.Timers) >= 1 && info.CachedInfo().NumAckPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the retry timer was not stored, or the event not acknowledged")
		}
	}
	en.restart()
	r := en.results("later", 1, 15*time.Second)[0]
	if r.Status != "completed" || r.Attempts != 2 {
		t.Fatalf("result after restart = %+v", r)
	}
	if n := len(en.calls("test")); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
}

func TestDrainOnStop(t *testing.T) {
	en := newEnv(t, job("slow", `{mode = "ok", sleep_ms = 1500}`, ""))
	en.publish("events.slow", `{}`)
	deadline := time.Now().Add(patience * 10 * time.Second)
	for len(en.calls("test")) < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	en.restart() // Stop drains the run in flight before stopping
	if time.Since(start) < time.Second {
		t.Errorf("stop took %v: it did not wait for the run in flight", time.Since(start))
	}
	r := en.results("slow", 1, 5*time.Second)
	if len(r) != 1 || r[0].Status != "completed" {
		t.Fatalf("results = %+v", r)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(en.calls("test")); n != 1 {
		t.Fatalf("%d calls: the drained run ran again", n)
	}
}
