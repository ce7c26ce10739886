package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/api"
	"github.com/jobd-dev/jobd/engine/config"
	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/jobstore"
	"github.com/jobd-dev/jobd/engine/runner"
	"github.com/jobd-dev/jobd/engine/streams"
)

// workJob is a job that runs the test plugin in the mode its input names.
const workJob = `
[[jobs]]
event = "work"
kind = "test"
on = ["events.work"]
input = {mode = "$Input{mode}"}
`

// request calls the running engine's API and decodes the reply.
func (en *env) request(subject string, req any, out any) string {
	en.t.Helper()
	b, _ := json.Marshal(req)
	msg, err := en.nc.Request(subject, b, 10*time.Second)
	if err != nil {
		en.t.Fatalf("%s: %v", subject, err)
	}
	if e := msg.Header.Get("Nats-Service-Error"); e != "" {
		return e
	}
	if out != nil {
		if err := json.Unmarshal(msg.Data, out); err != nil {
			en.t.Fatalf("%s reply %s: %v", subject, msg.Data, err)
		}
	}
	return ""
}

func (en *env) waitCalls(n int, within time.Duration) []call {
	en.t.Helper()
	deadline := time.Now().Add(within * patience)
	for {
		c := en.calls("test")
		if len(c) >= n || time.Now().After(deadline) {
			return c
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDelayedRunSurvivesRestart(t *testing.T) {
	en := newEnv(t, `
[[jobs]]
event = "later"
kind = "test"
on = ["events.later"]
input = {mode = "ok", who = "$Input{who}"}
[jobs.schedule]
delay = "3s"
`)
	sent := time.Now()
	en.publish("events.later", `{"who": "ada"}`)
	time.Sleep(300 * time.Millisecond)
	en.restart()
	calls := en.waitCalls(1, 15*time.Second)
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	at := time.UnixMilli(calls[0].At)
	if at.Before(sent.Add(3*time.Second)) || at.After(sent.Add(3*time.Second+patience*2*time.Second)) {
		t.Errorf("ran %v after the event, want about 3s", at.Sub(sent))
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(en.calls("test")); n != 1 {
		t.Fatalf("%d calls after waiting, want 1", n)
	}
	var jobs []*jobstore.Record
	en.request(api.Prefix+".jobs.list", api.Request{}, &jobs)
	if len(jobs) != 1 || jobs[0].Status != jobstore.StatusCompleted || jobs[0].ExecutionCount != 1 {
		t.Fatalf("job records = %+v", jobs)
	}
}

func TestPipedStartAt(t *testing.T) {
	en := newEnv(t, `
[[jobs]]
event = "remind"
kind = "test"
on = ["events.remind"]
input = {mode = "ok"}
[jobs.schedule]
start_at = "$Input{remind_at}"
`)
	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second)
	en.publish("events.remind", `{"remind_at": "`+at.Format(time.RFC3339)+`"}`)
	calls := en.waitCalls(1, 10*time.Second)
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	if ran := time.UnixMilli(calls[0].At); ran.Before(at) || ran.After(at.Add(patience*1500*time.Millisecond)) {
		t.Errorf("ran at %v, want %v", ran, at)
	}
}

func TestRecurringConfigJobLimit(t *testing.T) {
	en := newEnv(t, `
[[jobs]]
event = "tick"
kind = "test"
input = {mode = "ok", n = "$Var(execution_count)"}
[jobs.schedule]
every = "1s"
limit = 3
`)
	calls := en.waitCalls(3, 10*time.Second)
	time.Sleep(2 * time.Second)
	calls = en.calls("test")
	if len(calls) != 3 {
		t.Fatalf("%d runs, want 3", len(calls))
	}
	for i, c := range calls {
		var in struct{ N int }
		_ = json.Unmarshal(c.Input, &in)
		if in.N != i+1 {
			t.Errorf("run %d saw execution_count %d", i+1, in.N)
		}
	}
	var jobs []*jobstore.Record
	en.request(api.Prefix+".jobs.list", api.Request{}, &jobs)
	if len(jobs) != 1 || !jobs[0].Recurring || jobs[0].ExecutionCount != 3 || jobs[0].Status != jobstore.StatusCompleted {
		t.Fatalf("records = %+v", jobs[0])
	}
	var hist []jobstore.Entry
	en.request(api.Prefix+".jobs.history", api.Request{ID: jobs[0].ID}, &hist)
	if len(hist) != 3 || hist[2].Number != 3 || hist[0].Status != "completed" {
		t.Fatalf("history = %+v", hist)
	}
	// A restart does not start the series again.
	en.restart()
	time.Sleep(2500 * time.Millisecond)
	if n := len(en.calls("test")); n != 3 {
		t.Fatalf("%d runs after restart, want 3", n)
	}
}

// A job with neither a trigger nor a schedule runs only when dispatched.
func TestDispatchOnlyJob(t *testing.T) {
	en := newEnv(t, `
[[jobs]]
event = "on_demand"
kind = "test"
input = {to = "$Input{to}"}
`)
	var reply runner.DispatchReply
	if e := en.request(api.DispatchSubject, map[string]any{"event": "on_demand", "input": map[string]any{"to": "ada@example.com"}}, &reply); e != "" {
		t.Fatal(e)
	}
	en.waitCalls(1, 10*time.Second)
	calls := en.calls("test")
	if len(calls) != 1 || calls[0].Event != "on_demand" || string(calls[0].Input) != `{"to":"ada@example.com"}` {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestDispatchAndManage(t *testing.T) {
	en := newEnv(t, workJob)
	// Now.
	var reply runner.DispatchReply
	if e := en.request(api.DispatchSubject, map[string]any{"event": "work", "input": map[string]any{"mode": "ok"}}, &reply); e != "" {
		t.Fatal(e)
	}
	if reply.JobID == "" || reply.Recurring {
		t.Fatalf("reply = %+v", reply)
	}
	en.waitCalls(1, 10*time.Second)
	// Refusals say what is wrong.
	for _, bad := range []map[string]any{
		{"event": "nope"},
		{"event": "work", "input": []int{1}},
		{"event": "work", "schedule": map[string]any{"cron": "61 * * * *"}},
		{"event": "work", "schedule": map[string]any{"every": "1s", "tz": "Mars/Olympus", "cron": "* * * * *"}},
		{"event": "work", "retries": -1},
		{"event": "work", "bogus": 1},
	} {
		if e := en.request(api.DispatchSubject, bad, nil); e == "" {
			t.Errorf("dispatch %v accepted", bad)
		}
	}
	// Later, then cancelled: never runs. Later by enough that a slow
	// machine cancels it before its time.
	cancelledAt := time.Now().Add(5 * time.Second)
	at := cancelledAt.UTC().Format(time.RFC3339)
	if e := en.request(api.DispatchSubject, map[string]any{"event": "work", "input": map[string]any{"mode": "ok"}, "schedule": map[string]any{"start_at": at}}, &reply); e != "" {
		t.Fatal(e)
	}
	if reply.Status != jobstore.StatusScheduled {
		t.Fatalf("reply = %+v", reply)
	}
	var rec jobstore.Record
	if e := en.request(api.Prefix+".jobs.cancel", api.Request{ID: reply.JobID}, &rec); e != "" || rec.Status != jobstore.StatusCancelled {
		t.Fatalf("cancel: %s %+v", e, rec)
	}
	// A failing job, then retried after it failed.
	if e := en.request(api.DispatchSubject, map[string]any{"event": "work", "input": map[string]any{"mode": "permanent"}}, &reply); e != "" {
		t.Fatal(e)
	}
	failedID := reply.JobID
	deadline := time.Now().Add(patience * 10 * time.Second)
	for time.Now().Before(deadline) {
		en.request(api.Prefix+".jobs.get", api.Request{ID: failedID}, &rec)
		if rec.Status == jobstore.StatusFailed {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rec.Status != jobstore.StatusFailed || rec.LastError == nil || rec.LastError.Class != "permanent" {
		t.Fatalf("failed job record = %+v", rec)
	}
	if e := en.request(api.Prefix+".jobs.retry", api.Request{ID: failedID}, &rec); e != "" {
		t.Fatal(e)
	}
	en.waitCalls(3, 10*time.Second)
	time.Sleep(time.Until(cancelledAt.Add(1500 * time.Millisecond))) // the cancelled one's time has passed
	calls := en.calls("test")
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3 (now, the failing one, its retry; the cancelled one never)", len(calls))
	}
	var hist []jobstore.Entry
	en.request(api.Prefix+".jobs.history", api.Request{ID: failedID}, &hist)
	if len(hist) != 2 {
		t.Fatalf("history = %+v", hist)
	}
	// The dead letters of the failed runs can be listed and replayed.
	var dead []api.DeadLetterSummary
	en.request(api.Prefix+".dlq.list", api.Request{}, &dead)
	if len(dead) != 2 {
		t.Fatalf("dead letters = %+v", dead)
	}
	var rep api.ReplayReply
	if e := en.request(api.Prefix+".dlq.replay", api.Request{Seq: dead[0].Seq}, &rep); e != "" {
		t.Fatal(e)
	}
	en.waitCalls(4, 10*time.Second)
	// The replay's dead letter is written just after the plugin answers.
	for deadline := time.Now().Add(patience * 5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		en.request(api.Prefix+".dlq.list", api.Request{}, &dead)
		if len(dead) >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(dead) < 2 {
		// One replayed away, one new from the replay failing again.
		t.Fatalf("dead letters after replay = %+v", dead)
	}
}

// A job moved to a later time runs once, at the new time: the timer of the
// old time, still stored, finds the job moved and is dropped. A paused
// job's timer is dropped too, and Resume runs the missed occurrence once.
func TestRescheduleAndPauseLeaveNoStrayRun(t *testing.T) {
	en := newEnv(t, workJob)
	dispatchAt := func(d time.Duration) string {
		var reply runner.DispatchReply
		at := time.Now().Add(d).UTC().Format(time.RFC3339Nano)
		if e := en.request(api.DispatchSubject, map[string]any{"event": "work", "input": map[string]any{"mode": "ok"}, "schedule": map[string]any{"start_at": at}}, &reply); e != "" {
			t.Fatal(e)
		}
		return reply.JobID
	}
	// The old time leaves a slow machine 3 s to reschedule and pause; the
	// new time lies well after the wait for the old one below.
	oldTime := time.Now().Add(3 * time.Second)
	moved := dispatchAt(3 * time.Second)
	paused := dispatchAt(3 * time.Second)
	newTime := time.Now().Add(9 * time.Second)
	var rec jobstore.Record
	if e := en.request(api.Prefix+".jobs.reschedule", api.Request{ID: moved, Schedule: &config.Schedule{StartAt: newTime.UTC().Format(time.RFC3339Nano)}}, &rec); e != "" {
		t.Fatalf("reschedule: %s", e)
	}
	if e := en.request(api.Prefix+".jobs.pause", api.Request{ID: paused}, &rec); e != "" {
		t.Fatalf("pause: %s", e)
	}
	time.Sleep(time.Until(oldTime.Add(1500 * time.Millisecond)))
	if n := len(en.calls("test")); n != 0 {
		t.Fatalf("%d runs at the old time, want 0 (one moved, one paused)", n)
	}
	if e := en.request(api.Prefix+".jobs.resume", api.Request{ID: paused}, &rec); e != "" {
		t.Fatalf("resume: %s", e)
	}
	calls := en.waitCalls(2, 10*time.Second)
	time.Sleep(1500 * time.Millisecond)
	if n := len(en.calls("test")); n != 2 {
		t.Fatalf("%d runs, want 2 (each job once)", n)
	}
	for _, c := range calls {
		if at := time.UnixMilli(c.At); strings.HasPrefix(c.RunID, moved) && at.Before(newTime) {
			t.Errorf("the moved job ran at %v, before its new time %v", at, newTime)
		}
	}
}

// Finished events do not pile up in JOBD_EVENTS either: a purge at start and
// every streams.PurgeEvery removes what was acknowledged, and nothing else.
func TestFinishedEventsArePurged(t *testing.T) {
	en := newEnv(t, workJob)
	for range 3 {
		en.publish("events.work", `{"mode":"ok"}`)
	}
	en.waitCalls(3, 10*time.Second)
	events := func() uint64 { return natstest.Msgs(t, en.js, streams.Events) }
	time.Sleep(500 * time.Millisecond) // the acks
	en.restart()
	deadline := time.Now().Add(patience * 5 * time.Second)
	for events() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d finished events still stored", events())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The purge stops at the first event still in flight: it is never lost.
func TestInFlightEventsAreNotPurged(t *testing.T) {
	en := newEnv(t, workJob+`
[[jobs]]
event = "slow"
kind = "test"
on = ["events.slow"]
input = {mode = "ok", sleep_ms = 15000}
`)
	events := func() uint64 { return natstest.Msgs(t, en.js, streams.Events) }
	en.publish("events.work", `{"mode":"ok"}`)
	en.publish("events.slow", `{}`)
	// Within one streams.PurgeEvery the finished first event goes (an idle
	// machine takes about 1.5 s, a busy one gets 10 s); the second stays
	// while its run sleeps for 15 s.
	deadline := time.Now().Add(10 * time.Second)
	for events() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d events stored, want 1 (the one in flight)", events())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rs := en.results("slow", 1, 10*time.Second); len(rs) != 1 || rs[0].Status != "completed" {
		t.Fatalf("the slow run: %+v", rs)
	}
}

// Finished runs do not pile up in JOBD_RUNS: the stream keeps messages by
// limits and jobd purges what every replica acknowledged.
func TestFinishedRunsArePurged(t *testing.T) {
	en := newEnv(t, workJob)
	for range 3 {
		var reply runner.DispatchReply
		if e := en.request(api.DispatchSubject, map[string]any{"event": "work", "input": map[string]any{"mode": "ok"}}, &reply); e != "" {
			t.Fatal(e)
		}
	}
	en.waitCalls(3, 10*time.Second)
	runs := func() uint64 { return natstest.Msgs(t, en.js, streams.Runs) }
	// The three runs went through the stream (a purge may already have
	// removed them: one runs every streams.PurgeEvery).
	st, err := en.js.Stream(context.Background(), streams.Runs)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := st.Info(context.Background()); err != nil || info.State.LastSeq < 3 {
		t.Fatalf("runs stream: %+v %v, want 3 runs stored", info, err)
	}
	time.Sleep(500 * time.Millisecond) // the acks
	en.restart()                       // a purge runs at start, then every streams.PurgeEvery
	deadline := time.Now().Add(patience * 5 * time.Second)
	for runs() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d finished runs still stored", runs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
