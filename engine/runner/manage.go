package runner

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

	"github.com/jobd-dev/jobd/engine/catalog"
	"github.com/jobd-dev/jobd/engine/config"
	"github.com/jobd-dev/jobd/engine/jobstore"
	"github.com/jobd-dev/jobd/engine/schedule"
)

// ErrBadRequest wraps every reason a management or dispatch request is
// refused; the text says what is wrong.
var ErrBadRequest = errors.New("bad request")

// DispatchRequest asks to run a configured job with this input and
// schedule (field names as in JOB-EVENTS.md).
type DispatchRequest struct {
	Event     string           `json:"event"`
	Input     json.RawMessage  `json:"input,omitempty"`
	Sequence  json.RawMessage  `json:"sequence,omitempty"`
	Retries   *int             `json:"retries,omitempty"`
	AllowFail *bool            `json:"allow_fail,omitempty"`
	Schedule  *config.Schedule `json:"schedule,omitempty"`
}

// DispatchReply answers a dispatch request.
type DispatchReply struct {
	JobID       string     `json:"job_id"`
	Status      string     `json:"status"`
	ScheduledAt time.Time  `json:"scheduled_at"`
	Recurring   bool       `json:"recurring"`
	NextRunAt   *time.Time `json:"next_run_at,omitempty"`
}

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
func (r *Runner) Dispatch(ctx context.Context, req *DispatchRequest) (*DispatchReply, error) {
	j := r.o.Catalog.Job(req.Event)
	if j == nil {
		return nil, badRequest("no job with event %q; configured: %s", req.Event, strings.Join(r.events(), ", "))
	}
	if err := r.checkDispatchDepth(req); err != nil {
		return nil, err
	}
	if len(req.Input) == 0 {
		req.Input = json.RawMessage("{}")
	}
	ev, err := decodeInput(req.Input, "input")
	if err != nil {
		return nil, badRequest("%v", err)
	}
	if len(req.Sequence) > 0 {
		if err := json.Unmarshal(req.Sequence, &ev.sequence); err != nil {
			return nil, badRequest("sequence must be {sequence_tag: {event_tag: output}}: %v", err)
		}
		ev.rawSeq = req.Sequence
	}
	if req.Retries != nil && *req.Retries < 0 {
		return nil, badRequest("retries must be 0 or more, got %d", *req.Retries)
	}
	now := r.o.Now()
	var spec *schedule.Spec
	misfire := ""
	switch {
	case req.Schedule != nil:
		if s, ok := req.Schedule.StartAt.(string); ok && strings.Contains(s, "$") {
			return nil, badRequest("schedule.start_at: a dispatch request carries data, not templates: %q", s)
		}
		spec, err = schedule.Parse(catalog.RawSchedule(req.Schedule))
		if err != nil {
			return nil, badRequest("%v", err)
		}
		misfire = req.Schedule.Misfire
	case j.Schedule != nil:
		s := *j.Schedule
		spec = &s
		if j.Config != nil && j.Config.Schedule != nil {
			misfire = j.Config.Schedule.Misfire
		}
	default:
		spec = &schedule.Spec{}
	}
	rec := &jobstore.Record{
		ID: newJobID(), Event: j.Event, Kind: j.Kind, Origin: "dispatch",
		Subject: "jobd.dispatch", Input: ev.rawInput, Sequence: ev.rawSeq,
		Retries: req.Retries, AllowFail: req.AllowFail,
	}
	if err := r.createJob(ctx, rec, spec, misfire, now); err != nil {
		if errors.Is(err, errNothingToRun) {
			return nil, badRequest("schedule: %v", err)
		}
		return nil, err
	}
	return &DispatchReply{JobID: rec.ID, Status: rec.Status, ScheduledAt: rec.ScheduledAt, Recurring: rec.Recurring, NextRunAt: rec.NextRunAt}, nil
}

func (r *Runner) events() []string {
	var out []string
	for _, j := range r.o.Catalog.Jobs() {
		out = append(out, j.Event)
	}
	sort.Strings(out)
	return out
}

// Cancel stops a job: it never runs again (a pending timer finds the job
// cancelled and is dropped). A run in flight finishes.
func (r *Runner) Cancel(ctx context.Context, id string) (*jobstore.Record, error) {
	rec, err := r.o.Store.Update(ctx, id, func(x *jobstore.Record) error {
		if x.Final() {
			return badRequest("job %s is %s already", id, x.Status)
		}
		x.Status = jobstore.StatusCancelled
		x.NextRunAt = nil
		return nil
	})
	return rec, err
}

// Pause stops a job's series until Resume; its next time is kept.
func (r *Runner) Pause(ctx context.Context, id string) (*jobstore.Record, error) {
	rec, err := r.o.Store.Update(ctx, id, func(x *jobstore.Record) error {
		if x.Final() || x.Status == jobstore.StatusPaused {
			return badRequest("job %s is %s", id, x.Status)
		}
		if x.NextRunAt == nil {
			return badRequest("job %s has no run ahead to pause", id)
		}
		x.Status = jobstore.StatusPaused
		return nil
	})
	return rec, err
}

// Resume continues a paused job. Occurrences missed while it was paused
// follow the job's misfire policy.
func (r *Runner) Resume(ctx context.Context, id string) (*jobstore.Record, error) {
	rec, err := r.o.Store.Update(ctx, id, func(x *jobstore.Record) error {
		if x.Status != jobstore.StatusPaused {
			return badRequest("job %s is %s, not paused", id, x.Status)
		}
		x.Status = jobstore.StatusScheduled
		return nil
	})
	if err != nil {
		return rec, err
	}
	due := *rec.NextRunAt
	at := due
	if now := r.o.Now(); at.Before(now) {
		at = now
	}
	return rec, r.publishTimer(ctx, r.occurrenceRecord(rec, rec.Occurrence, due), at)
}

// Reschedule replaces a job's schedule; the series goes on from now.
func (r *Runner) Reschedule(ctx context.Context, id string, s *config.Schedule) (*jobstore.Record, error) {
	if s == nil {
		return nil, badRequest("reschedule needs a schedule")
	}
	spec, err := schedule.Parse(catalog.RawSchedule(s))
	if err != nil {
		return nil, badRequest("%v", err)
	}
	now := r.o.Now()
	first, ok := spec.First(now)
	if !ok {
		return nil, badRequest("schedule: %v", errNothingToRun)
	}
	rec, err := r.o.Store.Update(ctx, id, func(x *jobstore.Record) error {
		if x.Status == jobstore.StatusCancelled {
			return badRequest("job %s is cancelled", id)
		}
		x.Schedule = storedSchedule(spec, s.Misfire)
		x.Recurring = spec.Recurring()
		x.Occurrence = x.Fired + 1
		x.ScheduledAt = first
		x.NextRunAt = &first
		x.ExecutionCount = 0
		x.Status = jobstore.StatusScheduled
		return nil
	})
	if err != nil {
		return rec, err
	}
	return rec, r.publishTimer(ctx, r.occurrenceRecord(rec, rec.Occurrence, first), first)
}

// Retry runs a finished job once more, now, with its input.
func (r *Runner) Retry(ctx context.Context, id string) (*jobstore.Record, error) {
	var n int
	rec, err := r.o.Store.Update(ctx, id, func(x *jobstore.Record) error {
		if x.Status != jobstore.StatusFailed && x.Status != jobstore.StatusCompleted && x.Status != jobstore.StatusCancelled {
			return badRequest("job %s is %s; retry takes a finished job", id, x.Status)
		}
		x.Status = jobstore.StatusQueued
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
	now := r.o.Now()
	run := r.occurrenceRecord(rec, 0, now)
	run.RunID = id + "-retry" + strconv.Itoa(n)
	run.Execution = n
	return rec, r.publishTimer(ctx, run, now)
}

// occurrenceRecord builds the run record of a job's occurrence.
func (r *Runner) occurrenceRecord(rec *jobstore.Record, occ int, due time.Time) *runRecord {
	return &runRecord{
		RunID: rec.ID + "-" + strconv.Itoa(occ), JobID: rec.ID, Event: rec.Event, Attempt: 1, Occurrence: occ,
		Subject: rec.Subject, ReceivedAt: r.o.Now(), Input: rec.Input, Sequence: rec.Sequence,
		ScheduledAt: due, Record: true, Overrides: overrides{Retries: rec.Retries, AllowFail: rec.AllowFail},
	}
}

// EnsureConfigJobs creates the series of configured jobs that run on a
// schedule with no trigger (a clean-up at 03:00), once across replicas: the
// job id derives from the event and its schedule, so a changed schedule
// starts a new series and the old one is cancelled.
func (r *Runner) EnsureConfigJobs(ctx context.Context) error {
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
				if _, err := r.Cancel(ctx, old.ID); err != nil && !errors.Is(err, ErrBadRequest) {
					return err
				}
				r.log.Info("schedule changed: old series cancelled", "event", j.Event, "job_id", old.ID)
			}
		}
		rec := &jobstore.Record{ID: id, Event: j.Event, Kind: j.Kind, Origin: "config", Subject: "config", Input: json.RawMessage("{}")}
		spec := *j.Schedule
		err = r.createJob(ctx, rec, &spec, j.Config.Schedule.Misfire, r.o.Now())
		if err != nil && !errors.Is(err, errNothingToRun) {
			return fmt.Errorf("job %q: %w", j.Event, err)
		}
	}
	return nil
}
