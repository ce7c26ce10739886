package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/schedule"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// withCatalog gives the fixture's manager a catalog of jobs (config maps).
func (f *fixture) withCatalog(jobs ...map[string]any) *catalog.Catalog {
	f.t.Helper()
	list := make([]any, len(jobs))
	for i, j := range jobs {
		list[i] = j
	}
	cfg, err := config.FromMap("config.toml", map[string]any{"jobs": list})
	if err != nil {
		f.t.Fatal(err)
	}
	cat, err := catalog.Compile(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	f.m.o.Catalog = cat
	return cat
}

func TestDispatchEvaluatesPipedStartAtAgainstTheInput(t *testing.T) {
	f := newFixture(t)
	f.withCatalog(map[string]any{"event": "booking_reminder", "kind": "test", "on": []any{"events.booking.created"},
		"schedule": map[string]any{"start_at": "$DateAdd($Input{starts_at}, -1, 'minutes')"}})
	reply, err := f.m.Dispatch(context.Background(), &wire.DispatchRequest{Event: "booking_reminder",
		Input: json.RawMessage(`{"starts_at":"2026-12-30T10:00:00Z"}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 30, 9, 59, 0, 0, time.UTC)
	if !reply.ScheduledAt.Equal(want) || reply.Status != wire.StatusScheduled {
		t.Fatalf("reply = %+v, want scheduled at %v", reply, want)
	}
	if tm := f.lastTimer(); !tm.at.Equal(want) {
		t.Fatalf("timer at %v, want %v", tm.at, want)
	}
	// An input the template cannot read is refused, naming the reference.
	_, err = f.m.Dispatch(context.Background(), &wire.DispatchRequest{Event: "booking_reminder", Input: json.RawMessage(`{}`)})
	if err == nil || !strings.Contains(err.Error(), "starts_at") {
		t.Fatalf("dispatch without starts_at: %v", err)
	}
}

func TestDispatchOfACronJobFollowsItsScheduleOrRunsNow(t *testing.T) {
	f := newFixture(t)
	f.withCatalog(map[string]any{"event": "daily", "kind": "test",
		"schedule": map[string]any{"cron": "0 9 * * *", "tz": "Europe/Berlin"}})
	ctx := context.Background()
	reply, err := f.m.Dispatch(ctx, &wire.DispatchRequest{Event: "daily"})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 24, 9, 0, 0, 0, berlin)
	if !reply.Configured || !reply.Recurring || reply.Schedule == nil || reply.Schedule.Cron != "0 9 * * *" ||
		reply.Schedule.TZ != "Europe/Berlin" || reply.NextRunAt == nil || !reply.NextRunAt.Equal(want) {
		t.Fatalf("dispatch with no schedule: %+v", reply)
	}
	now, err := f.m.Dispatch(ctx, &wire.DispatchRequest{Event: "daily", Now: true})
	if err != nil {
		t.Fatal(err)
	}
	if now.Configured || now.Recurring || now.Status != wire.StatusQueued || !now.ScheduledAt.Equal(f.clock.Now()) {
		t.Fatalf("dispatch --now: %+v", now)
	}
	if tm := f.lastTimer(); tm.rec.JobID != now.JobID || !tm.at.Equal(f.clock.Now()) {
		t.Fatalf("run now: timer %+v", tm)
	}
	_, err = f.m.Dispatch(ctx, &wire.DispatchRequest{Event: "daily", Now: true, Schedule: &wire.Schedule{Delay: "1h"}})
	if err == nil || !strings.Contains(err.Error(), "exclude") {
		t.Fatalf("now with a schedule: %v", err)
	}
}

func TestRescheduleRefusesAFinishedJobAndKeepsHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rec := f.create("j1", schedule.Raw{Delay: "1h"})
	// The job ran once and completed: its run lives in the record.
	f.recs.mu.Lock()
	rec.Status = wire.StatusCompleted
	rec.ExecutionCount, rec.Fired = 1, 1
	rec.NextRunAt = nil
	rec.LastRun = &wire.HistoryEntry{Number: 1, RunID: "j1-1", Attempts: 1, Status: wire.StatusCompleted}
	f.recs.put(rec)
	f.recs.mu.Unlock()
	_, err := f.m.Reschedule(ctx, "j1", &wire.Schedule{Delay: "1h"})
	if err == nil || !strings.Contains(err.Error(), "is completed; use jobs retry") {
		t.Fatalf("reschedule of a completed job: %v", err)
	}
	if got := f.recs.record("j1"); got.ExecutionCount != 1 || got.LastRun == nil || got.Status != wire.StatusCompleted {
		t.Fatalf("record changed by a refused reschedule: %+v", got)
	}

	// A series with runs behind it keeps its count; a new limit counts
	// from the reschedule on.
	rec = f.create("j2", schedule.Raw{Every: "1h"})
	f.recs.mu.Lock()
	rec.ExecutionCount, rec.Fired, rec.Occurrence = 3, 3, 4
	f.recs.put(rec)
	f.recs.mu.Unlock()
	got, err := f.m.Reschedule(ctx, "j2", &wire.Schedule{Every: "2h", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.ExecutionCount != 3 || got.Schedule.Limit != 5 || got.Occurrence != 4 {
		t.Fatalf("rescheduled record: %+v (schedule %+v)", got, got.Schedule)
	}
}

func TestStartCancelsTheSeriesOfRemovedJobs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.withCatalog(map[string]any{"event": "kept", "kind": "test", "schedule": map[string]any{"every": "1h"}})
	for _, r := range []*wire.Record{
		{ID: "c1", Event: "orphan_test", Origin: wire.OriginConfig, Status: wire.StatusScheduled},
		{ID: "d1", Event: "orphan_test", Origin: wire.OriginDispatch, Status: wire.StatusPaused},
		{ID: "d2", Event: "orphan_test", Origin: wire.OriginDispatch, Status: wire.StatusCompleted},
		{ID: "k1", Event: "kept", Origin: wire.OriginDispatch, Status: wire.StatusScheduled},
	} {
		f.recs.mu.Lock()
		f.recs.put(r)
		f.recs.mu.Unlock()
	}
	if err := f.m.EnsureConfigJobs(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][2]string{
		"c1": {wire.StatusCancelled, ReasonRemoved}, "d1": {wire.StatusCancelled, ReasonRemoved},
		"d2": {wire.StatusCompleted, ""}, "k1": {wire.StatusScheduled, ""},
	} {
		if got := f.recs.record(id); got.Status != want[0] || got.Reason != want[1] {
			t.Errorf("%s: status %q reason %q, want %q %q", id, got.Status, got.Reason, want[0], want[1])
		}
	}
}

func TestReplayKeepsTheKeyRecordsTheAttemptAndTheStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.withCatalog(map[string]any{"event": "remind", "kind": "test", "retries": 1})
	rec := f.create("j1", schedule.Raw{Delay: "1h"})
	f.recs.mu.Lock()
	rec.Status, rec.ExecutionCount, rec.Fired, rec.NextRunAt = wire.StatusFailed, 1, 1, nil
	rec.LastRun = &wire.HistoryEntry{Number: 1, RunID: "j1-1", Attempts: 2, Status: wire.StatusFailed}
	f.recs.put(rec)
	f.recs.mu.Unlock()
	dl := &wire.DeadLetterEntry{Seq: 7, DeadLetter: wire.DeadLetter{
		Result:  wire.Result{JobID: "j1", RunID: "j1-1", Event: "remind", Attempts: 2, Error: &wire.ErrorInfo{Message: "down", Class: wire.ClassRetryable}},
		Trigger: &wire.TriggerEvent{Subject: "jobd.dispatch", Data: json.RawMessage(`{"a":1}`)},
	}}
	reply, err := f.m.Replay(ctx, dl, false)
	if err != nil {
		t.Fatal(err)
	}
	if reply.RunID != "j1-1" || reply.IdempotencyKey != "j1-1" || reply.NewKey {
		t.Fatalf("reply %+v, want the dead run's id and key", reply)
	}
	tm := f.lastTimer()
	if tm.rec.RunID != "j1-1" || tm.rec.Replay != 7 || !tm.rec.Record || tm.rec.Execution != 1 || tm.rec.Attempt != 3 ||
		tm.rec.Overrides.Retries == nil || *tm.rec.Overrides.Retries != 3 ||
		len(tm.rec.AttemptLog) != 1 || tm.rec.AttemptLog[0].Number != 2 || tm.rec.AttemptLog[0].Error.Message != "down" {
		t.Fatalf("replay run record %+v", tm.rec)
	}
	if got := f.recs.record("j1"); got.Status != wire.StatusQueued {
		t.Fatalf("job status %q after the replay was queued", got.Status)
	}
	if h := f.recs.history["j1"]; len(h) != 1 || h[0].RunID != "j1-1" {
		t.Fatalf("history stream %+v: the dead run should be on it before the replay's entry", h)
	}
	// --new-key: a new run with a fresh key.
	reply, err = f.m.Replay(ctx, dl, true)
	if err != nil || reply.RunID != "j1-1-replay7" || !reply.NewKey {
		t.Fatalf("new key: %v %+v", err, reply)
	}
}

func TestRunAfterAnotherGoesToTheHistoryStream(t *testing.T) {
	f := newFixture(t)
	rec := f.create("j1", schedule.Raw{Delay: "1h"})
	f.recs.mu.Lock()
	rec.ExecutionCount, rec.Fired, rec.NextRunAt = 1, 1, nil
	rec.LastRun = &wire.HistoryEntry{Number: 1, RunID: "j1-1", Status: wire.StatusFailed}
	f.recs.put(rec)
	f.recs.mu.Unlock()
	// A replay under a new key finishes: its entry joins the dead run's on
	// the history stream (Replay put that one there first).
	ru := run.New(&run.Run{D: &delivery{}, RunID: "j1-1-replay7", JobID: "j1", Attempt: 1, Execution: 1, HasRecord: true}, f.job, run.Overrides{})
	f.m.FinishRecord(ru, &wire.Result{RunID: "j1-1-replay7", Status: wire.StatusCompleted, Attempts: 1})
	if h := f.recs.history["j1"]; len(h) != 1 || h[0].RunID != "j1-1-replay7" {
		t.Fatalf("history stream %+v", h)
	}
	if got := f.recs.record("j1"); got.Status != wire.StatusCompleted {
		t.Fatalf("status %q", got.Status)
	}
}
