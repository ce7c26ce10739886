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

// stepTo moves a fake clock to at, then waits until n runs reached the
// plugin (and a moment longer, for a wrong extra run to show), and fails
// unless exactly n did.
func (en *env) stepTo(clock *clockwork.FakeClock, at time.Time, n int) []call {
	en.t.Helper()
	clock.Advance(at.Sub(clock.Now()))
	en.waitCalls(n, 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	calls := en.calls("test")
	if len(calls) != n {
		en.t.Fatalf("clock at %v: %d runs, want %d", clock.Now(), len(calls), n)
	}
	return calls
}

// A delayed run waits for its time on the engine's clock, through a
// restart, and runs once.
func TestDelayedRunSurvivesRestart(t *testing.T) {
	base := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(base)
	en := newEnvClock(t, `
[[jobs]]
event = "later"
kind = "test"
on = ["events.later"]
input = {mode = "ok", who = "$Input{who}", at = "${ Now }"}
[jobs.schedule]
delay = "3h"
`, clock)
	en.publish("events.later", `{"who": "ada"}`)
	// The job record exists before the restart: the event was taken.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var jobs []*wire.Record
		en.request(api.Prefix+".jobs.list", wire.Request{}, &jobs)
		if len(jobs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no job record for the delayed run")
		}
	}
	en.restart()
	en.stepTo(clock, base.Add(3*time.Hour-time.Second), 0)
	calls := en.stepTo(clock, base.Add(3*time.Hour), 1)
	var in struct{ At int64 }
	_ = json.Unmarshal(calls[0].Input, &in)
	if ran := time.UnixMilli(in.At); !ran.Equal(base.Add(3 * time.Hour)) {
		t.Errorf("ran at %v on the engine's clock, want %v", ran, base.Add(3*time.Hour))
	}
	en.stepTo(clock, base.Add(48*time.Hour), 1)
	var jobs []*wire.Record
	en.request(api.Prefix+".jobs.list", wire.Request{}, &jobs)
	if len(jobs) != 1 || jobs[0].Status != wire.StatusCompleted || jobs[0].ExecutionCount != 1 {
		t.Fatalf("job records = %+v", jobs)
	}
}

// start_at piped from the event decides when the run happens.
func TestPipedStartAt(t *testing.T) {
	base := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(base)
	en := newEnvClock(t, `
[[jobs]]
event = "remind"
kind = "test"
on = ["events.remind"]
input = {mode = "ok"}
[jobs.schedule]
start_at = "$DateAdd($Input{starts_at}, -1, 'days')"
`, clock)
	en.publish("events.remind", `{"starts_at": "2026-12-31T18:00:00Z"}`)
	at := time.Date(2026, 12, 30, 18, 0, 0, 0, time.UTC)
	en.stepTo(clock, at.Add(-time.Second), 0)
	en.stepTo(clock, at, 1)
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
	base := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(base)
	en := newEnvClock(t, workJob, clock)
	dispatchAt := func(at time.Time) string {
		var reply wire.DispatchReply
		if e := en.request(api.DispatchSubject, map[string]any{"event": "work", "input": map[string]any{"mode": "ok"}, "schedule": map[string]any{"start_at": at.Format(time.RFC3339)}}, &reply); e != "" {
			t.Fatal(e)
		}
		return reply.JobID
	}
	moved := dispatchAt(base.Add(time.Hour))
	paused := dispatchAt(base.Add(time.Hour))
	newTime := base.Add(5 * time.Hour)
	var rec wire.Record
	if e := en.request(api.Prefix+".jobs.reschedule", wire.Request{ID: moved, Schedule: &wire.Schedule{StartAt: newTime.Format(time.RFC3339)}}, &rec); e != "" {
		t.Fatalf("reschedule: %s", e)
	}
	if e := en.request(api.Prefix+".jobs.pause", wire.Request{ID: paused}, &rec); e != "" {
		t.Fatalf("pause: %s", e)
	}
	en.stepTo(clock, base.Add(2*time.Hour), 0) // past the old time: one moved, one paused
	if e := en.request(api.Prefix+".jobs.resume", wire.Request{ID: paused}, &rec); e != "" {
		t.Fatalf("resume: %s", e)
	}
	calls := en.stepTo(clock, base.Add(2*time.Hour+time.Second), 1)
	if !strings.HasPrefix(calls[0].RunID, paused) {
		t.Fatalf("ran %s, want the resumed job %s", calls[0].RunID, paused)
	}
	en.stepTo(clock, newTime.Add(-time.Second), 1)
	calls = en.stepTo(clock, newTime, 2)
	if !strings.HasPrefix(calls[1].RunID, moved) {
		t.Fatalf("ran %s, want the moved job %s", calls[1].RunID, moved)
	}
	en.stepTo(clock, base.Add(48*time.Hour), 2)
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
