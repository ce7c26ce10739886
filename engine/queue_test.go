package engine_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// timedCall is a test plugin call with the deadline the plugin was given.
type timedCall struct {
	Event    string `json:"event"`
	At       int64  `json:"at"`
	Deadline int64  `json:"deadline"`
}

func (en *env) timedCalls(kind string) []timedCall {
	en.t.Helper()
	f, err := os.Open(filepath.Join(en.dir, "data", "plugins", kind, "calls.jsonl"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []timedCall
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c timedCall
		if json.Unmarshal(sc.Bytes(), &c) == nil {
			out = append(out, c)
		}
	}
	return out
}

// waitCall waits until the test plugin was called for event.
func (en *env) waitCall(kind, event string) timedCall {
	en.t.Helper()
	for deadline := time.Now().Add(30 * patience * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, c := range en.timedCalls(kind) {
			if c.Event == event {
				return c
			}
		}
	}
	en.t.Fatalf("plugin never called for %s", event)
	return timedCall{}
}

const queueJobs = `
[plugins.test]
concurrency = 1
queue_timeout = "%s"

[[jobs]]
event = "slow"
kind = "test"
on = ["events.slow"]
input = {mode = "ok", sleep_ms = 3000}
timeout = "60s"

[[jobs]]
event = "hung"
kind = "test"
on = ["events.hung"]
input = {mode = "hang"}
timeout = "2s"
retries = 0
allow_fail = true
`

// An attempt queued behind a slow one for the plugin's only slot still
// gets its whole timeout at the plugin: the deadline starts at the slot,
// and the wait is reported as queued_ms.
func TestTimeoutStartsAtTheSlot(t *testing.T) {
	en := newEnv(t, strings.Replace(queueJobs, "%s", "5m", 1))
	en.publish("events.slow", `{}`)
	en.waitCall("test", "slow") // the slot is taken for 3 s
	en.publish("events.hung", `{}`)
	rs := en.results("hung", 1, 30*time.Second)
	c := en.waitCall("test", "hung")
	if left := time.Duration(c.Deadline-c.At) * time.Millisecond; left < 1500*time.Millisecond {
		t.Errorf("the plugin got the job with %v left of its 2s timeout; the wait for the slot ate the rest", left)
	}
	r := rs[0]
	if r.Status != wire.StatusFailedAllowed || r.Error == nil || r.Error.Class != wire.ClassTimeout {
		t.Fatalf("result %+v, want a timeout", r)
	}
	if r.QueuedMS <= 0 {
		t.Errorf("queued_ms = %v, want the wait behind the slow run", r.QueuedMS)
	}
	if r.DurationMS < 2000 {
		t.Errorf("duration_ms = %v, want the whole 2s timeout at the plugin", r.DurationMS)
	}
}

// An attempt that waits longer than the plugin's queue_timeout for a slot
// fails (retryable, class timeout) without reaching the plugin, and says why.
func TestQueueTimeoutFailsTheAttempt(t *testing.T) {
	en := newEnv(t, strings.Replace(strings.Replace(queueJobs, "%s", "1s", 1), `sleep_ms = 3000`, `sleep_ms = 60000`, 1))
	en.publish("events.slow", `{}`)
	en.waitCall("test", "slow") // the slot is taken for a minute
	en.publish("events.hung", `{}`)
	r := en.results("hung", 1, 30*time.Second)[0]
	if r.Error == nil || r.Error.Class != wire.ClassTimeout || !strings.Contains(r.Error.Message, "plugins.test.queue_timeout") {
		t.Fatalf("result error %+v, want a queue timeout naming plugins.test.queue_timeout", r.Error)
	}
	for _, c := range en.timedCalls("test") {
		if c.Event == "hung" {
			t.Errorf("the plugin was called for a run that never got a slot")
		}
	}
}
