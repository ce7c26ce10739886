package jobs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/schedule"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// ErrBadRequest wraps every reason a management or dispatch request is
// refused; the text says what is wrong.
var ErrBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// newJobID returns a random job id.
func newJobID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "j" + hex.EncodeToString(b[:])
}

// Dispatch creates a job for a configured event with the request's input
// (data, never a template) and schedule, and stores its first run.
func (r *Manager) Dispatch(ctx context.Context, req *wire.DispatchRequest) (*wire.DispatchReply, error) {
	// A feature's tag names the feature, also when a schedule gave it a
	// job of kind feature with that tag: a dispatch runs the feature now.
	feature := r.o.Features != nil && r.o.Catalog.Feature(req.Event) != nil
	j := r.o.Catalog.Job(req.Event)
	if j == nil && !feature {
		return nil, badRequest("no job with event %q; configured: %s", req.Event, strings.Join(r.events(), ", "))
	}
	if err := r.checkDispatchDepth(req); err != nil {
		return nil, err
	}
	if len(req.Input) == 0 {
		req.Input = json.RawMessage("{}")
	}
	ev, err := run.DecodeInput(req.Input, "input")
	if err != nil {
		return nil, badRequest("%v", err)
	}
	if len(req.Sequence) > 0 {
		if err := json.Unmarshal(req.Sequence, &ev.Sequence); err != nil {
			return nil, badRequest("sequence must be {sequence_tag: {event_tag: output}}: %v", err)
		}
		ev.RawSeq = req.Sequence
	}
	if req.Retries != nil && *req.Retries < 0 {
		return nil, badRequest("retries must be 0 or more, got %d", *req.Retries)
	}
	if feature {
		return r.dispatchFeature(ctx, req, ev)
	}
	now := r.o.Clock.Now()
	var spec *schedule.Spec
	misfire := ""
	if req.Now && req.Schedule != nil {
		return nil, badRequest("now and schedule exclude each other: now runs the job once, at once")
	}
	switch {
	case req.Schedule != nil:
		if s, ok := req.Schedule.StartAt.(string); ok && strings.Contains(s, "$") {
			return nil, badRequest("schedule.start_at: a dispatch request carries data, not templates: %q", s)
		}
		spec, err = schedule.Parse(catalog.RawSchedule((*config.Schedule)(req.Schedule)))
		if err != nil {
			return nil, badRequest("%v", err)
		}
		misfire = req.Schedule.Misfire
	case req.Now:
		spec = &schedule.Spec{}
	case j.Schedule != nil:
		if spec, err = r.configuredSpec(j, ev, now); err != nil {
			return nil, err
		}
		if j.Config != nil && j.Config.Schedule != nil {
			misfire = j.Config.Schedule.Misfire
		}
	default:
		spec = &schedule.Spec{}
	}
	rec := &wire.Record{
		ID: newJobID(), Event: j.Event, Kind: j.Kind, Origin: "dispatch",
		Subject: "jobd.dispatch", Input: ev.RawInput, Sequence: ev.RawSeq,
		Retries: req.Retries, AllowFail: req.AllowFail,
	}
	if err := r.createJob(ctx, rec, spec, misfire, now); err != nil {
		if errors.Is(err, errNothingToRun) {
			return nil, badRequest("schedule: %v", err)
		}
		return nil, err
	}
	return &wire.DispatchReply{JobID: rec.ID, Status: rec.Status, ScheduledAt: rec.ScheduledAt, Recurring: rec.Recurring, NextRunAt: rec.NextRunAt,
		Schedule: rec.Schedule, Configured: req.Schedule == nil && !req.Now && j.Schedule != nil}, nil
}

// configuredSpec is the job's configured schedule for a dispatch, with a
// piped start_at evaluated against the dispatched input, exactly as an
// event's would be.
func (r *Manager) configuredSpec(j *catalog.Job, ev *run.Event, now time.Time) (*schedule.Spec, error) {
	spec := *j.Schedule
	if j.StartAt == nil {
		return &spec, nil
	}
	env := &piping.Env{Input: ev.Input, Sequence: ev.Sequence, Variable: r.o.Variables, Constant: r.o.Constants,
		Secret: r.o.Secret, Now: now, Job: piping.JobInfo{Event: j.Event, Attempt: 1, Execution: 1}}
	v, err := j.StartAt.Eval(env)
	if err != nil {
		return nil, badRequest("job %q: %v", j.Event, err)
	}
	t, err := schedule.ParseTime(v)
	if err != nil {
		return nil, badRequest("job %q: schedule.start_at: %v", j.Event, err)
	}
	spec.StartAt = t
	return &spec, nil
}

// dispatchFeature starts a run of a feature for a dispatch request. A
// feature's events have their own retries and allow_fail, and it has no
// schedule: a request that sets them is refused.
func (r *Manager) dispatchFeature(ctx context.Context, req *wire.DispatchRequest, ev *run.Event) (*wire.DispatchReply, error) {
	if req.Retries != nil || req.AllowFail != nil || req.Schedule != nil {
		return nil, badRequest("%q is a feature: its events have their own retries and allow_fail, and a dispatched feature runs now (no schedule)", req.Event)
	}
	id, err := r.o.Features.Dispatch(ctx, req.Event, ev)
	if err != nil {
		if errors.Is(err, run.ErrInvalidEvent) {
			return nil, badRequest("%v", err)
		}
		return nil, err
	}
	return &wire.DispatchReply{JobID: id, Status: wire.StatusQueued, ScheduledAt: r.o.Clock.Now()}, nil
}

func (r *Manager) events() []string {
	var out []string
	for _, j := range r.o.Catalog.Jobs() {
		out = append(out, j.Event)
	}
	if r.o.Features != nil {
		for _, f := range r.o.Catalog.Features() {
			out = append(out, f.Tag)
		}
	}
	sort.Strings(out)
	return out
}

// Cancel stops a job: it never runs again (a pending timer finds the job
// cancelled and is dropped). A run in flight finishes.
func (r *Manager) Cancel(ctx context.Context, id string) (*wire.Record, error) {
	return r.cancel(ctx, id, "cancelled through the management API")
}

// Pause stops a job's series until Resume; its next time is kept.
func (r *Manager) Pause(ctx context.Context, id string) (*wire.Record, error) {
	rec, err := r.o.Store.Update(ctx, id, func(x *wire.Record) error {
		if x.Final() || x.Status == wire.StatusPaused {
			return badRequest("job %s is %s", id, x.Status)
		}
		if x.NextRunAt == nil {
			return badRequest("job %s has no run ahead to pause", id)
		}
		x.Status = wire.StatusPaused
		return nil
	})
	return rec, err
}

// Resume continues a paused job. Occurrences missed while it was paused
// follow the job's misfire policy.
func (r *Manager) Resume(ctx context.Context, id string) (*wire.Record, error) {
	rec, err := r.o.Store.Update(ctx, id, func(x *wire.Record) error {
		if x.Status != wire.StatusPaused {
			return badRequest("job %s is %s, not paused", id, x.Status)
		}
		x.Status = wire.StatusScheduled
		return nil
	})
	if err != nil {
		return rec, err
	}
	due := *rec.NextRunAt
	at := due
	if now := r.o.Clock.Now(); at.Before(now) {
		at = now
	}
	return rec, r.publishTimer(ctx, r.occurrenceRecord(rec, rec.Occurrence, due), at)
}

// Reschedule replaces the schedule of a job that has runs ahead (or is
// paused); the series goes on from now. A finished job is refused (Retry
// runs it again). Nothing of the job's past is dropped: its execution count
// goes on (a new schedule's limit counts the runs from the reschedule on),
// and a first run kept only in the record is written to the history stream
// before a later run replaces it.
func (r *Manager) Reschedule(ctx context.Context, id string, s *wire.Schedule) (*wire.Record, error) {
	if s == nil {
		return nil, badRequest("reschedule needs a schedule")
	}
	spec, err := schedule.Parse(catalog.RawSchedule((*config.Schedule)(s)))
	if err != nil {
		return nil, badRequest("%v", err)
	}
	now := r.o.Clock.Now()
	first, ok := spec.First(now)
	if !ok {
		return nil, badRequest("schedule: %v", errNothingToRun)
	}
	onlyInRecord := false // the first run's entry lives in the record alone
	rec, err := r.o.Store.Update(ctx, id, func(x *wire.Record) error {
		onlyInRecord = x.LastRun != nil && !x.Recurring && x.LastRun.Number <= 1 && x.ExecutionCount <= 1
		switch x.Status {
		case wire.StatusCancelled:
			return badRequest("job %s is cancelled", id)
		case wire.StatusCompleted, wire.StatusFailed:
			return badRequest("job %s is %s; use jobs retry to run it again", id, x.Status)
		}
		stored := *spec
		if stored.Limit > 0 {
			stored.Limit += x.ExecutionCount
		}
		x.Schedule = storedSchedule(&stored, s.Misfire)
		x.Recurring = spec.Recurring()
		x.Occurrence = x.Fired + 1
		x.ScheduledAt = first
		x.NextRunAt = &first
		x.Status = wire.StatusScheduled
		return nil
	})
	if err != nil {
		return rec, err
	}
	if onlyInRecord {
		if err := r.o.Store.AppendHistory(ctx, id, *rec.LastRun); err != nil {
			return rec, err
		}
	}
	return rec, r.publishTimer(ctx, r.occurrenceRecord(rec, rec.Occurrence, first), first)
}

// Retry runs a finished job once more, now, with its input.
func (r *Manager) Retry(ctx context.Context, id string) (*wire.Record, error) {
	var n int
	rec, err := r.o.Store.Update(ctx, id, func(x *wire.Record) error {
		if x.Status != wire.StatusFailed && x.Status != wire.StatusCompleted && x.Status != wire.StatusCancelled {
			return badRequest("job %s is %s; retry takes a finished job", id, x.Status)
		}
		x.Status = wire.StatusQueued
		x.ExecutionCount++
		n = x.ExecutionCount
		return nil
	})
	if err != nil {
		return rec, err
	}
	// The first run's entry lived in the record alone; from now on the
	// history stream holds every run.
	if last := rec.LastRun; last != nil && last.Number <= 1 && !rec.Recurring {
		if err := r.o.Store.AppendHistory(ctx, id, *last); err != nil {
			return rec, err
		}
	}
	now := r.o.Clock.Now()
	run := r.occurrenceRecord(rec, 0, now)
	run.RunID = id + "-retry" + strconv.Itoa(n)
	run.Execution = n
	return rec, r.publishTimer(ctx, run, now)
}

// occurrenceRecord builds the run record of a job's occurrence.
func (r *Manager) occurrenceRecord(rec *wire.Record, occ int, due time.Time) *run.Record {
	return &run.Record{
		RunID: rec.ID + "-" + strconv.Itoa(occ), JobID: rec.ID, Event: rec.Event, Attempt: 1, Occurrence: occ,
		Subject: rec.Subject, ReceivedAt: r.o.Clock.Now(), Input: rec.Input, Sequence: rec.Sequence,
		ScheduledAt: due, Record: true, Overrides: run.Overrides{Retries: rec.Retries, AllowFail: rec.AllowFail},
	}
}

// EnsureConfigJobs creates the series of configured jobs that run on a
// schedule with no trigger (a clean-up at 03:00), once across replicas: the
// job id derives from the event and its schedule, so a changed schedule
// starts a new series and the old one is cancelled.
func (r *Manager) EnsureConfigJobs(ctx context.Context) error {
	if err := r.CancelRemoved(ctx); err != nil {
		return err
	}
	for _, j := range r.o.Catalog.Jobs() {
		if len(j.On) > 0 || j.Schedule == nil {
			continue
		}
		raw, _ := json.Marshal(j.Config.Schedule)
		sum := sha256.Sum256(append([]byte(j.Event+"\x00"), raw...))
		id := "c" + hex.EncodeToString(sum[:12])
		existing, err := r.o.Store.List(ctx, jobstore.Filter{Event: j.Event})
		if err != nil {
			return err
		}
		for _, old := range existing {
			if old.Origin == "config" && old.ID != id && !old.Final() {
				if _, err := r.cancel(ctx, old.ID, "schedule changed in the configuration"); err != nil && !errors.Is(err, ErrBadRequest) {
					return err
				}
				r.log.Info("schedule changed: old series cancelled", "event", j.Event, "job_id", old.ID)
			}
		}
		rec := &wire.Record{ID: id, Event: j.Event, Kind: j.Kind, Origin: "config", Subject: "config", Input: json.RawMessage("{}")}
		spec := *j.Schedule
		err = r.createJob(ctx, rec, &spec, j.Config.Schedule.Misfire, r.o.Clock.Now())
		if err != nil && !errors.Is(err, errNothingToRun) {
			return fmt.Errorf("job %q: %w", j.Event, err)
		}
	}
	return nil
}
