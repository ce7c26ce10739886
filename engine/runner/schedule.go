package runner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/jobstore"
	"github.com/jobd-dev/jobd/engine/piping"
	"github.com/jobd-dev/jobd/engine/schedule"
	"github.com/jobd-dev/jobd/engine/streams"
)

// storeTimeout bounds one job-record or timer operation.
const storeTimeout = 10 * time.Second

// publishTimer stores rec to run at `at`: as a durable timer, or straight
// on the runs subject when it is due already.
func (r *Runner) publishTimer(ctx context.Context, rec *runRecord, at time.Time) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return r.o.Timers.Add(ctx, streams.RunsSubjectPrefix+rec.Event, timerID(rec), at, body)
}

// timerID names a run's timer. It names the time too: a rescheduled timer
// is a new message, not a duplicate of the one it replaces.
func timerID(rec *runRecord) string {
	return rec.RunID + "/" + strconv.Itoa(rec.Occurrence) + "/" + strconv.Itoa(rec.Attempt) + "/" + strconv.FormatInt(rec.ScheduledAt.UnixMilli(), 10)
}

// storedSchedule keeps a parsed schedule in a job record.
func storedSchedule(spec *schedule.Spec, misfire string) *jobstore.Schedule {
	s := &jobstore.Schedule{Cron: spec.Cron, Limit: spec.Limit, Misfire: misfire}
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
func specOf(s *jobstore.Schedule) (*schedule.Spec, error) {
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

// scheduleFromEvent turns an event into a scheduled job: a record and a
// timer for its first occurrence.
func (r *Runner) scheduleFromEvent(ru *run) {
	j := ru.job
	spec := *j.Schedule
	now := r.o.Now()
	if j.StartAt != nil {
		env := &piping.Env{Input: ru.ev.input, Sequence: ru.ev.sequence, Variable: r.o.Variables, Constant: r.o.Constants,
			Secret: r.o.Secret, Now: now, Job: piping.JobInfo{Event: j.Event, Attempt: 1, Execution: 1}}
		v, err := j.StartAt.Eval(env)
		if err != nil {
			r.failNow(ru, ClassPiping, "job %q: %v", j.Event, err)
			return
		}
		t, err := schedule.ParseTime(v)
		if err != nil {
			r.failNow(ru, ClassPiping, "job %q: schedule.start_at: %v", j.Event, err)
			return
		}
		spec.StartAt = t
	}
	misfire := ""
	if j.Config != nil && j.Config.Schedule != nil {
		misfire = j.Config.Schedule.Misfire
	}
	err := r.createJob(context.Background(), &jobstore.Record{
		ID: ru.jobID, Event: j.Event, Kind: j.Kind, Origin: "event",
		Subject: ru.subject, Input: ru.ev.rawInput, Sequence: ru.ev.rawSeq,
	}, &spec, misfire, now)
	if err != nil {
		r.log.Error("could not schedule the job; the event will be redelivered", "event", j.Event, "job_id", ru.jobID, "error", err)
	}
	ru.d.settle(err == nil)
}

// errNothingToRun means a schedule has no occurrence at all.
var errNothingToRun = errors.New("the schedule has no run: it ends before it starts")

// createJob stores a new job record for spec and the timer of its first
// occurrence. A record that exists already (a redelivered event) keeps its
// state; its first timer is stored again, which replaces itself.
func (r *Runner) createJob(ctx context.Context, rec *jobstore.Record, spec *schedule.Spec, misfire string, now time.Time) error {
	first, ok := spec.First(now)
	if !ok {
		return errNothingToRun
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	rec.Status = jobstore.StatusScheduled
	if !first.After(now) {
		rec.Status = jobstore.StatusQueued
	}
	rec.Recurring = spec.Recurring()
	rec.Schedule = storedSchedule(spec, misfire)
	rec.ScheduledAt = first
	rec.NextRunAt = &first
	rec.Occurrence = 1
	rec.CreatedAt, rec.UpdatedAt = now.UTC(), now.UTC()
	err := r.o.Store.Create(ctx, rec)
	if errors.Is(err, jetstream.ErrKeyExists) {
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
	return r.publishTimer(ctx, &runRecord{
		RunID: rec.ID + "-1", JobID: rec.ID, Event: rec.Event, Attempt: 1, Occurrence: 1,
		Subject: rec.Subject, ReceivedAt: now, Input: rec.Input, Sequence: rec.Sequence,
		ScheduledAt: first, Record: true, Overrides: overrides{Retries: rec.Retries, AllowFail: rec.AllowFail},
	}, first)
}

// advance fires occurrence rec.Occurrence of a job's series: it stores the
// timer of the next occurrence, then advances the record with
// compare-and-set, so a redelivered or duplicated timer never runs an
// occurrence twice and two replicas never both advance. It returns whether
// the run should go ahead.
func (r *Runner) advance(ru *run, rec *runRecord, delivered int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	occ := rec.Occurrence
	now := r.o.Now()
	for {
		jr, rev, err := r.o.Store.Get(ctx, rec.JobID)
		if errors.Is(err, jobstore.ErrNotFound) {
			r.log.Warn("timer of an unknown job; dropped", "job_id", rec.JobID, "event", rec.Event)
			ru.d.settle(true)
			return false
		}
		if err != nil {
			r.log.Error("read job record; will retry", "job_id", rec.JobID, "error", err)
			ru.d.settle(false)
			return false
		}
		switch {
		case jr.Status == jobstore.StatusCancelled || jr.Status == jobstore.StatusPaused:
			ru.d.settle(true)
			return false
		case jr.Fired >= occ && delivered <= 1:
			// A second timer for an occurrence that fired already.
			ru.d.settle(true)
			return false
		case jr.Fired >= occ:
			// Redelivered after a crash mid-run: run it again (at least once).
			ru.execution = jr.ExecutionCount
			return true
		case jr.Occurrence != occ:
			r.log.Warn("stale timer; dropped", "job_id", rec.JobID, "occurrence", occ, "expected", jr.Occurrence)
			ru.d.settle(true)
			return false
		case jr.NextRunAt == nil || !jr.NextRunAt.Equal(rec.ScheduledAt):
			// The timer of a time the job was rescheduled away from.
			ru.d.settle(true)
			return false
		}
		spec, err := specOf(jr.Schedule)
		if err != nil {
			r.failNow(ru, ClassInvalidEvent, "job %s: stored schedule: %v", jr.ID, err)
			return false
		}
		due := rec.ScheduledAt
		runs, next, more := spec.Due(due, now, jr.ExecutionCount)
		if more {
			nrec := *rec
			nrec.Occurrence, nrec.RunID, nrec.ScheduledAt = occ+1, jr.ID+"-"+strconv.Itoa(occ+1), next
			if err := r.publishTimer(ctx, &nrec, next); err != nil {
				r.log.Error("store next timer; will retry", "job_id", jr.ID, "error", err)
				ru.d.settle(false)
				return false
			}
		}
		count := jr.ExecutionCount
		updated, urev, err := r.o.Store.UpdateAt(ctx, jr.ID, jr, rev, func(x *jobstore.Record) error {
			if !waitsFor(x, occ, rec.ScheduledAt) {
				return errAdvanced // changed since it was read: decide again
			}
			x.Fired = occ
			x.ExecutionCount += len(runs)
			if more {
				x.Occurrence = occ + 1
				n := next
				x.NextRunAt = &n
			} else {
				x.NextRunAt = nil
			}
			if len(runs) > 0 {
				x.Status = jobstore.StatusRunning
				x.ScheduledAt = runs[0]
				t := now.UTC()
				x.StartedAt = &t
			} else if !more {
				x.Status = jobstore.StatusCompleted
			}
			return nil
		})
		if errors.Is(err, errAdvanced) {
			continue // someone else advanced it: decide again from the new state
		}
		if err != nil {
			r.log.Error("advance job record; will retry", "job_id", jr.ID, "error", err)
			ru.d.settle(false)
			return false
		}
		ru.jobRecord, ru.jobRev = updated, urev
		if len(runs) == 0 {
			r.log.Info("occurrence skipped (misfire = skip)", "job_id", jr.ID, "due", due)
			ru.d.settle(true)
			return false
		}
		// Missed occurrences under misfire = "all" run as runs of their own.
		for k := 1; k < len(runs); k++ {
			extra := *rec
			extra.Occurrence = 0
			extra.RunID = fmt.Sprintf("%s-%d.%d", jr.ID, occ, k)
			extra.ScheduledAt = runs[k]
			extra.Execution = count + k + 1
			if err := r.publishTimer(ctx, &extra, now); err != nil {
				r.log.Error("queue a missed occurrence", "job_id", jr.ID, "error", err)
			}
		}
		ru.execution = count + 1
		ru.scheduledAt = runs[0]
		return true
	}
}

var errAdvanced = errors.New("advanced already")

// waitsFor reports whether a job record waits to run occurrence occ, due
// at due: not fired yet, not cancelled or paused, not rescheduled.
func waitsFor(x *jobstore.Record, occ int, due time.Time) bool {
	return x.Fired < occ && x.Occurrence == occ &&
		x.Status != jobstore.StatusCancelled && x.Status != jobstore.StatusPaused &&
		x.NextRunAt != nil && x.NextRunAt.Equal(due)
}

// cancelled reports whether a job's record says it was cancelled.
func (r *Runner) cancelled(jobID string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	jr, _, err := r.o.Store.Get(ctx, jobID)
	return err == nil && jr.Status == jobstore.StatusCancelled
}

// finishRecord updates a job record and its history after a run ended.
func (r *Runner) finishRecord(ru *run, res *Result) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	entry := jobstore.Entry{
		Number: ru.execution, RunID: ru.runID, Attempts: res.Attempts, Status: res.Status,
		StartedAt: res.StartedAt, EndedAt: res.FinishedAt, DurationMS: res.DurationMS,
	}
	if res.Error != nil {
		entry.Error = &jobstore.ErrorInfo{Message: res.Error.Message, Class: res.Error.Class}
	}
	// A job's only run is its history: it is kept in the record (one write
	// fewer per one-shot run); a series or a job run again appends to the
	// history stream.
	toStream := false
	_, _, err := r.o.Store.UpdateAt(ctx, ru.jobID, ru.jobRecord, ru.jobRev, func(x *jobstore.Record) error {
		toStream = x.Recurring || entry.Number > 1 || x.ExecutionCount > 1
		e := entry
		x.LastRun = &e
		end := res.FinishedAt
		x.EndedAt = &end
		x.RetriesUsed += res.Attempts - 1
		x.LastError = entry.Error
		if len(res.Output) > 0 {
			x.Result = res.Output
		}
		switch {
		case x.Status == jobstore.StatusCancelled || x.Status == jobstore.StatusPaused:
		case x.NextRunAt != nil:
			x.Status = jobstore.StatusScheduled
		case res.Status == "completed":
			x.Status = jobstore.StatusCompleted
		default:
			x.Status = jobstore.StatusFailed
		}
		return nil
	})
	if toStream || err != nil {
		if herr := r.o.Store.AppendHistory(ctx, ru.jobID, entry); herr != nil {
			r.log.Warn("append history", "job_id", ru.jobID, "error", herr)
		}
	}
	if err != nil && !errors.Is(err, jobstore.ErrNotFound) {
		r.log.Warn("update job record", "job_id", ru.jobID, "error", err)
	}
}
