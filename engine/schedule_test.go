package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/api"
	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/wire"
	"github.com/jonboulle/clockwork"
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
	var jobs []*wire.Record
	en.request(api.Prefix+".jobs.list", wire.Request{}, &jobs)
	if len(jobs) != 1 || jobs[0].Status != wire.StatusCompleted || jobs[0].ExecutionCount != 1 {
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

// A configured cron series in a time zone runs at each occurrence as the
// clock reaches it, counts its executions, stops at its limit, and is not
// started again by a restart (on a fake clock: days pass in a moment).
func TestRecurringConfigJobLimit(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	base := time.Date(2026, 12, 24, 8, 59, 0, 0, berlin)
	clock := clockwork.NewFakeClockAt(base)
	en := newEnvClock(t, `
[[jobs]]
event = "tick"
kind = "test"
input = {mode = "ok", n = "$Var(execution_count)", at = "${ Now }"}
[jobs.schedule]
cron = "0 9 * * *"
tz = "Europe/Berlin"
limit = 3
`, clock)
	advance := func(to time.Time, want int) []call {
		t.Helper()
		clock.Advance(to.Sub(clock.Now()))
		calls := en.waitCalls(want, 30*time.Second)
		if want == len(en.calls("test")) {
			time.Sleep(300 * time.Millisecond) // room for a wrong extra run to show
		}
		if calls = en.calls("test"); len(calls) != want {
			t.Fatalf("clock at %v: %d runs, want %d", clock.Now(), len(calls), want)
		}
		return calls
	}
	advance(base.Add(59*time.Second), 0)
	advance(base.Add(time.Minute), 1)
	advance(base.Add(24*time.Hour), 1) // 08:59 the next day
	advance(base.Add(24*time.Hour+time.Minute), 2)
	calls := advance(base.Add(72*time.Hour+time.Minute), 3)
	advance(base.Add(30*24*time.Hour), 3)
	for i, c := range calls {
		var in struct {
			N  int
			At int64 // $Now: Unix milliseconds on the engine's clock
		}
		_ = json.Unmarshal(c.Input, &in)
		want := time.Date(2026, 12, 24+[]int{0, 1, 3}[i], 9, 0, 0, 0, berlin)
		if in.N != i+1 || !time.UnixMilli(in.At).Equal(want) {
			t.Errorf("run %d saw execution_count %d at %v, want %d at %v", i+1, in.N, time.UnixMilli(in.At).In(berlin), i+1, want)
		}
	}
	var jobs []*wire.Record
	en.request(api.Prefix+".jobs.list", wire.Request{}, &jobs)
	if len(jobs) != 1 || !jobs[0].Recurring || jobs[0].ExecutionCount != 3 || jobs[0].Status != wire.StatusCompleted {
		t.Fatalf("records = %+v", jobs[0])
	}
	var hist []wire.HistoryEntry
	en.request(api.Prefix+".jobs.history", wire.Request{ID: jobs[0].ID}, &hist)
	if len(hist) != 3 || hist[2].Number != 3 || hist[0].Status != "completed" {
		t.Fatalf("history = %+v", hist)
	}
	// A restart does not start the series again.
	en.restart()
	advance(base.Add(40*24*time.Hour), 3)
}

// A job with neither a trigger nor a schedule runs only when dispatched.
func TestDispatchOnlyJob(t *testing.T) {
	en := newEnv(t, `
[[jobs]]
event = "on_demand"
kind = "test"
input = {to = "$Input{to}"}
`)
	var reply wire.DispatchReply
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
	var reply wire.DispatchReply
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
	if reply.Status != wire.StatusScheduled {
		t.Fatalf("reply = %+v", reply)
	}
	var rec wire.Record
	if e := en.request(api.Prefix+".jobs.cancel", wire.Request{ID: reply.JobID}, &rec); e != "" || rec.Status != wire.StatusCancelled {
		t.Fatalf("cancel: %s %+v", e, rec)
	}
	// A failing job, then retried after it failed.
	if e := en.request(api.DispatchSubject, map[string]any{"event": "work", "input": map[string]any{"mode": "permanent"}}, &reply); e != "" {
		t.Fatal(e)
	}
	failedID := reply.JobID
	deadline := time.Now().Add(patience * 10 * time.Second)
	for time.Now().Before(deadline) {
		en.request(api.Prefix+".jobs.get", wire.Request{ID: failedID}, &rec)
		if rec.Status == wire.StatusFailed {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rec.Status != wire.StatusFailed || rec.LastError == nil || rec.LastError.Class != "permanent" {
		t.Fatalf("failed job record = %+v", rec)
	}
	if e := en.request(api.Prefix+".jobs.retry", wire.Request{ID: failedID}, &rec); e != "" {
		t.Fatal(e)
	}
	en.waitCalls(3, 10*time.Second)
	time.Sleep(time.Until(cancelledAt.Add(1500 * time.Millisecond))) // the cancelled one's time has passed
	calls := en.calls("test")
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3 (now, the failing one, its retry; the cancelled one never)", len(calls))
	}
	var hist []wire.HistoryEntry
	en.request(api.Prefix+".jobs.history", wire.Request{ID: failedID}, &hist)
	if len(hist) != 2 {
		t.Fatalf("history = %+v", hist)
	}
	// The dead letters of the failed runs can be listed and replayed.
	var dead []wire.DeadLetterSummary
	en.request(api.Prefix+".dlq.list", wire.Request{}, &dead)
	if len(dead) != 2 {
		t.Fatalf("dead letters = %+v", dead)
	}
	var rep wire.ReplayReply
	if e := en.request(api.Prefix+".dlq.replay", wire.Request{Seq: dead[0].Seq}, &rep); e != "" {
		t.Fatal(e)
	}
	en.waitCalls(4, 10*time.Second)
	// The replay's dead letter is written just after the plugin answers.
	for deadline := time.Now().Add(patience * 5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		en.request(api.Prefix+".dlq.list", wire.Request{}, &dead)
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
		var reply wire.DispatchReply
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
	var rec wire.Record
	if e := en.request(api.Prefix+".jobs.reschedule", wire.Request{ID: moved, Schedule: &wire.Schedule{StartAt: newTime.UTC().Format(time.RFC3339Nano)}}, &rec); e != "" {
		t.Fatalf("reschedule: %s", e)
	}
	if e := en.request(api.Prefix+".jobs.pause", wire.Request{ID: paused}, &rec); e != "" {
		t.Fatalf("pause: %s", e)
	}
	time.Sleep(time.Until(oldTime.Add(1500 * time.Millisecond)))
	if n := len(en.calls("test")); n != 0 {
		t.Fatalf("%d runs at the old time, want 0 (one moved, one paused)", n)
	}
	if e := en.request(api.Prefix+".jobs.resume", wire.Request{ID: paused}, &rec); e != "" {
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
		var reply wire.DispatchReply
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
