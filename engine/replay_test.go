package engine_test

import (
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/api"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// A replayed dead letter is the run's next attempt: the same run id and
// idempotency key, recorded in the run's result and the job's history, and
// the job's status follows its outcome.
func TestReplayKeepsTheKeyAndUpdatesTheJob(t *testing.T) {
	en := newEnv(t, `
[[jobs]]
event = "flaky"
kind = "test"
input = {mode = "fail", fail_until = "$Input{fail_until}"}
`)
	var reply wire.DispatchReply
	if e := en.request(api.DispatchSubject, map[string]any{"event": "flaky", "input": map[string]any{"fail_until": 2}}, &reply); e != "" {
		t.Fatal(e)
	}
	var dead []wire.DeadLetterSummary
	for deadline := time.Now().Add(20 * time.Second); len(dead) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		en.request(api.Prefix+".dlq.list", wire.Request{}, &dead)
	}
	if len(dead) != 1 {
		t.Fatalf("dead letters %+v", dead)
	}
	var rec wire.Record
	for deadline := time.Now().Add(10 * time.Second); rec.Status != wire.StatusFailed && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		en.request(api.Prefix+".jobs.get", wire.Request{ID: reply.JobID}, &rec)
	}
	var rep wire.ReplayReply
	if e := en.request(api.Prefix+".dlq.replay", wire.Request{Seq: dead[0].Seq}, &rep); e != "" {
		t.Fatal(e)
	}
	if rep.RunID != dead[0].RunID || rep.IdempotencyKey != dead[0].RunID {
		t.Fatalf("replay %+v, want the dead run's id %s", rep, dead[0].RunID)
	}
	en.waitCalls(2, 20*time.Second)
	calls := en.calls("test")
	if calls[1].Key != calls[0].Key || calls[1].Attempt != 2 {
		t.Fatalf("calls %+v: the replay should be attempt 2 with the same key", calls)
	}
	for deadline := time.Now().Add(10 * time.Second); rec.Status != wire.StatusCompleted && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		en.request(api.Prefix+".jobs.get", wire.Request{ID: reply.JobID}, &rec)
	}
	if rec.Status != wire.StatusCompleted {
		t.Fatalf("job after a successful replay: %+v", rec)
	}
	var hist []wire.HistoryEntry
	en.request(api.Prefix+".jobs.history", wire.Request{ID: reply.JobID}, &hist)
	if len(hist) != 2 || hist[0].Status != wire.StatusFailed || hist[1].Status != wire.StatusCompleted {
		t.Fatalf("history %+v, want the dead run then its replay", hist)
	}
	rs := en.results("flaky", 2, 10*time.Second)
	last := rs[len(rs)-1]
	if last.RunID != dead[0].RunID || len(last.AttemptLog) != 2 || last.AttemptLog[1].Replay == "" {
		t.Fatalf("replay's result %+v", last)
	}
}
