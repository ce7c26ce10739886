package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/schedule"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// storedSchedule keeps a parsed schedule in a job record.
func storedSchedule(spec *schedule.Spec, misfire string) *wire.RecordSchedule {
	s := &wire.RecordSchedule{Cron: spec.Cron, Limit: spec.Limit, Misfire: misfire}
	if !spec.StartAt.IsZero() {
		t := spec.StartAt.UTC()
		s.StartAt = &t
	}
	if spec.Delay > 0 {
		s.Delay = spec.Delay.String()
	}
	if spec.Every > 0 {
		s.Every = spec.Every.String()
	}
	if spec.Location != nil && spec.Cron != "" {
		s.TZ = spec.Location.String()
	}
	if !spec.EndDate.IsZero() {
		t := spec.EndDate.UTC()
		s.EndDate = &t
	}
	return s
}

// specOf parses a stored schedule again.
func specOf(s *wire.RecordSchedule) (*schedule.Spec, error) {
	raw := schedule.Raw{Delay: s.Delay, Every: s.Every, Cron: s.Cron, TZ: s.TZ, Limit: s.Limit, Misfire: s.Misfire}
	if s.StartAt != nil {
		raw.StartAt = s.StartAt.Format(time.RFC3339Nano)
	}
	if s.EndDate != nil {
		raw.EndDate = s.EndDate.Format(time.RFC3339Nano)
	}
	if raw.Delay == "" {
		raw.Delay = nil
	}
	if raw.Every == "" {
		raw.Every = nil
	}
	return schedule.Parse(raw)
}

// FromEvent turns an event into a scheduled job: a record and a
// timer for its first occurrence.
func (r *Manager) FromEvent(ru *run.Run) {
	j := ru.Job
	spec := *j.Schedule
	now := r.o.Clock.Now()
	if j.StartAt != nil {
		env := &piping.Env{Input: ru.Ev.Input, Sequence: ru.Ev.Sequence, Variable: r.o.Variables, Constant: r.o.Constants,
			Secret: r.o.Secret, Now: now, Job: piping.JobInfo{Event: j.Event, Attempt: 1, Execution: 1}}
		v, err := j.StartAt.Eval(env)
		if err != nil {
			r.o.Fail.FailNow(ru, wire.ClassPiping, "job %q: %v", j.Event, err)
			return
		}
		t, err := schedule.ParseTime(v)
		if err != nil {
			r.o.Fail.FailNow(ru, wire.ClassPiping, "job %q: schedule.start_at: %v", j.Event, err)
			return
		}
		spec.StartAt = t
	}
	misfire := ""
	if j.Config != nil && j.Config.Schedule != nil {
		misfire = j.Config.Schedule.Misfire
	}
	err := r.createJob(context.Background(), &wire.Record{
		ID: ru.JobID, Event: j.Event, Kind: j.Kind, Origin: "event",
		Subject: ru.Subject, Input: ru.Ev.RawInput, Sequence: ru.Ev.RawSeq,
	}, &spec, misfire, now)
	if err != nil && !r.refused(err) {
		r.logLimit.Problem(r.log, slog.LevelError, "could not schedule the job; the event will be redelivered", err, "event", j.Event, "job_id", ru.JobID)
	}
	ru.D.Settle(err == nil)
}

// errNothingToRun means a schedule has no occurrence at all.
var errNothingToRun = errors.New("the schedule has no run: it ends before it starts")

// createJob stores a new job record for spec and the timer of its first
// occurrence. A record that exists already (a redelivered event) keeps its
// state; its first timer is stored again, which replaces itself.
func (r *Manager) createJob(ctx context.Context, rec *wire.Record, spec *schedule.Spec, misfire string, now time.Time) error {
	first, ok := spec.First(now)
	if !ok {
		return errNothingToRun
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	rec.Status = wire.StatusScheduled
	if !first.After(now) {
		rec.Status = wire.StatusQueued
	}
	rec.Recurring = spec.Recurring()
	rec.Schedule = storedSchedule(spec, misfire)
	rec.ScheduledAt = first
	rec.NextRunAt = &first
	rec.Occurrence = 1
	rec.CreatedAt, rec.UpdatedAt = now.UTC(), now.UTC()
	err := r.o.Store.Create(ctx, rec)
	if errors.Is(err, jobstore.ErrExists) {
		existing, _, gerr := r.o.Store.Get(ctx, rec.ID)
		if gerr != nil {
			return gerr
		}
		if existing.Fired > 0 {
			return nil // already running its series
		}
		*rec = *existing
		if rec.NextRunAt != nil {
			first = *rec.NextRunAt
		}
	} else if err != nil {
		return fmt.Errorf("store job %s: %w", rec.ID, err)
	}
	return r.publishTimer(ctx, &run.Record{
		RunID: rec.ID + "-1", JobID: rec.ID, Event: rec.Event, Attempt: 1, Occurrence: 1,
		Subject: rec.Subject, ReceivedAt: now, Input: rec.Input, Sequence: rec.Sequence,
		ScheduledAt: first, Record: true, Overrides: run.Overrides{Retries: rec.Retries, AllowFail: rec.AllowFail},
	}, first)
}
