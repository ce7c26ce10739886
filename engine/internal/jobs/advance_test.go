package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/schedule"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// fixture is a Manager on fakes: records and timers in memory, a fake
// clock, and the runs it fails recorded.
type fixture struct {
	t      *testing.T
	m      *Manager
	recs   *memRecords
	timers *memTimers
	fails  *failures
	clock  *clockwork.FakeClock
	job    *catalog.Job
}

var berlin, _ = time.LoadLocation("Europe/Berlin")

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, recs: newMemRecords(), timers: &memTimers{}, fails: &failures{},
		clock: clockwork.NewFakeClockAt(time.Date(2026, 12, 24, 8, 0, 0, 0, berlin)),
		job:   &catalog.Job{Event: "remind", Kind: "test", MaxAttempts: 1}}
	f.m = New(Options{Store: f.recs, Timers: f.timers, Fail: f.fails, Clock: f.clock})
	return f
}

// create stores a job on raw's schedule, as a dispatch would.
func (f *fixture) create(id string, raw schedule.Raw) *wire.Record {
	f.t.Helper()
	spec, err := schedule.Parse(raw)
	if err != nil {
		f.t.Fatal(err)
	}
	rec := &wire.Record{ID: id, Event: "remind", Kind: "test", Origin: "dispatch", Subject: "jobd.dispatch"}
	if err := f.m.createJob(context.Background(), rec, spec, raw.Misfire, f.clock.Now()); err != nil {
		f.t.Fatal(err)
	}
	return rec
}

// fire delivers the timer's run record (delivered times) to Advance, as
// the runs consumer would, and reports whether the run goes ahead.
func (f *fixture) fire(tm timer, delivered int) (*run.Run, bool, *delivery) {
	f.t.Helper()
	d := &delivery{}
	rec := tm.rec
	ru := run.New(&run.Run{D: d, RunID: rec.RunID, JobID: rec.JobID, Attempt: rec.Attempt,
		HasRecord: rec.Record, ScheduledAt: rec.ScheduledAt, FromRun: true}, f.job, rec.Overrides)
	ok := f.m.Advance(ru, &rec, delivered)
	return ru, ok, d
}

func (f *fixture) lastTimer() timer {
	f.t.Helper()
	all := f.timers.list()
	if len(all) == 0 {
		f.t.Fatal("no timer stored")
	}
	return all[len(all)-1]
}

func TestCreateStoresRecordAndFirstTimer(t *testing.T) {
	f := newFixture(t)
	rec := f.create("j1", schedule.Raw{Cron: "0 9 * * *", TZ: "Europe/Berlin", Limit: 2})
	want := time.Date(2026, 12, 24, 9, 0, 0, 0, berlin)
	if !rec.ScheduledAt.Equal(want) || rec.Status != wire.StatusScheduled || !rec.Recurring || rec.Occurrence != 1 {
		t.Fatalf("record = %+v", rec)
	}
	tm := f.lastTimer()
	if !tm.at.Equal(want) || tm.target != "jobd.runs.remind" || tm.rec.Occurrence != 1 || tm.rec.RunID != "j1-1" || !tm.rec.Record {
		t.Fatalf("timer = %+v", tm)
	}
	// The same job again (a redelivered event) keeps the record and stores
	// the same first timer again (it replaces itself: same id).
	f.create("j1", schedule.Raw{Cron: "0 9 * * *", TZ: "Europe/Berlin", Limit: 2})
	if all := f.timers.list(); len(all) != 2 || all[0].id != all[1].id {
		t.Fatalf("timers = %+v", all)
	}
	// A schedule that ends before it starts is refused.
	spec, err := schedule.Parse(schedule.Raw{Cron: "0 9 * * *", StartAt: "2026-12-24T10:00:00Z", EndDate: "2026-12-24T11:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	err = f.m.createJob(context.Background(), &wire.Record{ID: "j2"}, spec, "", f.clock.Now())
	if err != errNothingToRun {
		t.Fatalf("createJob = %v, want errNothingToRun", err)
	}
}

func TestAdvanceFiresEachOccurrenceOnce(t *testing.T) {
	f := newFixture(t)
	f.create("j1", schedule.Raw{Cron: "0 9 * * *", TZ: "Europe/Berlin", Limit: 2})
	first := f.lastTimer()
	f.clock.Advance(time.Hour) // 09:00
	ru, ok, d := f.fire(first, 1)
	if !ok || ru.Execution != 1 || !ru.ScheduledAt.Equal(first.at) || len(d.settled) != 0 {
		t.Fatalf("first occurrence: go=%v execution=%d settled=%v", ok, ru.Execution, d.settled)
	}
	rec := f.recs.record("j1")
	next := time.Date(2026, 12, 25, 9, 0, 0, 0, berlin)
	if rec.Fired != 1 || rec.ExecutionCount != 1 || rec.Status != wire.StatusRunning || rec.Occurrence != 2 || !rec.NextRunAt.Equal(next) {
		t.Fatalf("record after the first occurrence = %+v", rec)
	}
	second := f.lastTimer()
	if !second.at.Equal(next) || second.rec.Occurrence != 2 || second.rec.RunID != "j1-2" {
		t.Fatalf("next timer = %+v", second)
	}

	// The same timer fired again by another replica: dropped, acknowledged.
	if _, ok, d := f.fire(first, 1); ok || len(d.settled) != 1 || !d.settled[0] {
		t.Fatalf("duplicate timer: go=%v settled=%v", ok, d.settled)
	}
	// The same run redelivered after a crash mid-run: runs again, as the
	// same execution (at least once).
	if ru, ok, _ := f.fire(first, 2); !ok || ru.Execution != 1 {
		t.Fatalf("redelivered occurrence: go=%v execution=%d", ok, ru.Execution)
	}

	// The last occurrence (limit 2) stores no further timer.
	f.clock.Advance(24 * time.Hour)
	n := len(f.timers.list())
	if ru, ok, _ := f.fire(second, 1); !ok || ru.Execution != 2 {
		t.Fatalf("second occurrence: go=%v execution=%d", ok, ru.Execution)
	}
	rec = f.recs.record("j1")
	if len(f.timers.list()) != n || rec.NextRunAt != nil || rec.ExecutionCount != 2 {
		t.Fatalf("after the last occurrence: %d new timers, record %+v", len(f.timers.list())-n, rec)
	}
}

func TestAdvanceDropsTimersTheRecordNoLongerWaitsFor(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(r *wire.Record)
	}{
		{"cancelled", func(r *wire.Record) { r.Status = wire.StatusCancelled; r.NextRunAt = nil }},
		{"paused", func(r *wire.Record) { r.Status = wire.StatusPaused }},
		{"rescheduled away", func(r *wire.Record) { later := r.NextRunAt.Add(time.Hour); r.NextRunAt = &later }},
		{"stale occurrence", func(r *wire.Record) { r.Occurrence = 5 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.create("j1", schedule.Raw{Every: "1h"})
			tm := f.lastTimer()
			if _, err := f.recs.Update(context.Background(), "j1", func(r *wire.Record) error { c.change(r); return nil }); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Hour)
			n := len(f.timers.list())
			_, ok, d := f.fire(tm, 1)
			if ok || len(d.settled) != 1 || !d.settled[0] || len(f.timers.list()) != n {
				t.Fatalf("go=%v settled=%v new timers=%d; want dropped and acknowledged", ok, d.settled, len(f.timers.list())-n)
			}
		})
	}
	t.Run("unknown job", func(t *testing.T) {
		f := newFixture(t)
		_, ok, d := f.fire(timer{rec: run.Record{RunID: "x-1", JobID: "x", Event: "remind", Attempt: 1, Occurrence: 1}}, 1)
		if ok || len(d.settled) != 1 || !d.settled[0] {
			t.Fatalf("go=%v settled=%v", ok, d.settled)
		}
	})
}

// Two replicas fire the same occurrence at once: the compare-and-set lets
// exactly one of them run it.
func TestAdvanceRaceRunsOnce(t *testing.T) {
	f := newFixture(t)
	f.create("j1", schedule.Raw{Every: "1h"})
	tm := f.lastTimer()
	f.clock.Advance(time.Hour)
	raced := false
	f.recs.beforeUpdate = func(id string) {
		if raced {
			return
		}
		raced = true
		// The other replica advances the record between our read and write.
		other := New(Options{Store: f.recs, Timers: f.timers, Fail: f.fails, Clock: f.clock})
		d := &delivery{}
		rec := tm.rec
		ru := run.New(&run.Run{D: d, RunID: rec.RunID, JobID: rec.JobID, Attempt: 1, HasRecord: true, ScheduledAt: rec.ScheduledAt}, f.job, rec.Overrides)
		f.recs.beforeUpdate = nil
		if !other.Advance(ru, &rec, 1) {
			t.Error("the other replica did not run the occurrence")
		}
	}
	_, ok, d := f.fire(tm, 1)
	if ok || len(d.settled) != 1 {
		t.Fatalf("the losing replica: go=%v settled=%v; want dropped", ok, d.settled)
	}
	if rec := f.recs.record("j1"); rec.ExecutionCount != 1 || rec.Fired != 1 {
		t.Fatalf("record = %+v; want one execution", rec)
	}
}

func TestAdvanceMisfire(t *testing.T) {
	// The series' first timer (due at once, 08:00) fires four and a half
	// hours late (jobd was down): 08:00 to 12:00 were missed.
	for _, c := range []struct {
		misfire    string
		runs       int // runs that go ahead: this one plus extra timers due now
		executions int
	}{
		{"once", 1, 1},
		{"skip", 0, 0},
		{"all", 5, 5},
	} {
		t.Run(c.misfire, func(t *testing.T) {
			f := newFixture(t)
			f.create("j1", schedule.Raw{Every: "1h", Misfire: c.misfire})
			tm := f.lastTimer()
			f.clock.Advance(4*time.Hour + 30*time.Minute) // now 12:30
			n := len(f.timers.list())
			ru, ok, _ := f.fire(tm, 1)
			extra := f.timers.list()[n:]
			goes := 0
			if ok {
				goes = 1
			}
			next := 0
			for _, e := range extra {
				if e.rec.Occurrence == 0 {
					goes++ // a missed occurrence queued as a run of its own
					if e.at.After(f.clock.Now()) {
						t.Errorf("missed occurrence queued for %v, after now", e.at)
					}
				} else {
					next++
				}
			}
			if goes != c.runs || next != 1 {
				t.Fatalf("misfire %s: %d runs, %d next timers; want %d and 1", c.misfire, goes, next, c.runs)
			}
			if rec := f.recs.record("j1"); rec.ExecutionCount != c.executions {
				t.Fatalf("misfire %s: execution count %d, want %d", c.misfire, rec.ExecutionCount, c.executions)
			}
			if ok && ru.Execution != 1 {
				t.Fatalf("execution %d, want 1", ru.Execution)
			}
		})
	}
}

func TestFinishRecord(t *testing.T) {
	now := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		status string // the run's
		every  bool   // a series with runs ahead
		want   string
	}{
		{"one-off completed", "completed", false, wire.StatusCompleted},
		{"one-off failed", "failed", false, wire.StatusFailed},
		{"one-off failed, allowed", "failed_allowed", false, wire.StatusFailed},
		{"series goes on after a failure", "failed", true, wire.StatusScheduled},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			raw := schedule.Raw{StartAt: "2026-12-24T08:00:00Z"}
			if c.every {
				raw = schedule.Raw{Every: "1h"}
			}
			f.create("j1", raw)
			tm := f.lastTimer()
			f.clock.Advance(time.Hour)
			ru, ok, _ := f.fire(tm, 1)
			if !ok {
				t.Fatal("did not run")
			}
			res := &wire.Result{RunID: ru.RunID, Status: c.status, Attempts: 2, FinishedAt: now, Output: []byte(`{"n":1}`)}
			if c.status != "completed" {
				res.Error = &wire.ErrorInfo{Message: "boom", Class: wire.ClassRetryable}
			}
			f.m.FinishRecord(ru, res)
			rec := f.recs.record("j1")
			if rec.Status != c.want || rec.LastRun == nil || rec.LastRun.Status != c.status || rec.RetriesUsed != 1 || string(rec.Result) != `{"n":1}` {
				t.Fatalf("record = %+v (last run %+v), want status %s", rec, rec.LastRun, c.want)
			}
			if (rec.LastError != nil) != (c.status != "completed") {
				t.Fatalf("last error = %+v", rec.LastError)
			}
			// A one-off run's entry lives in the record; a series' goes to
			// the history stream.
			if got := len(f.recs.history["j1"]); got != map[bool]int{false: 0, true: 1}[c.every] {
				t.Fatalf("%d history entries", got)
			}
		})
	}
}

func TestManagementRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create("j1", schedule.Raw{Every: "1h"})
	if _, err := f.m.Resume(ctx, "j1"); err == nil || !strings.Contains(err.Error(), "not paused") {
		t.Fatalf("resume of a running series: %v", err)
	}
	if _, err := f.m.Pause(ctx, "j1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Pause(ctx, "j1"); err == nil {
		t.Fatal("a second pause was accepted")
	}
	n := len(f.timers.list())
	f.clock.Advance(3 * time.Hour)
	rec, err := f.m.Resume(ctx, "j1")
	if err != nil || rec.Status != wire.StatusScheduled {
		t.Fatalf("resume: %v %+v", err, rec)
	}
	// Resuming after the due time stores the occurrence's timer for now.
	if tm := f.lastTimer(); len(f.timers.list()) != n+1 || !tm.at.Equal(f.clock.Now()) {
		t.Fatalf("resume timer = %+v", tm)
	}
	if _, err := f.m.Cancel(ctx, "j1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Cancel(ctx, "j1"); err == nil || !strings.Contains(err.Error(), "cancelled already") {
		t.Fatalf("second cancel: %v", err)
	}
	if _, err := f.m.Retry(ctx, "nope"); err == nil {
		t.Fatal("retry of an unknown job was accepted")
	}
}
