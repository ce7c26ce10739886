package jobs

import (
	"context"
	"errors"
	"strconv"

	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// Replay runs a dead run again, at once, with the event it came from.
//
// By default the replay is the same run: it keeps the run id, so the
// plugin sees the same idempotency key (a receiver that de-duplicates does
// not apply a replayed webhook twice); its result lists the dead run's
// attempts before its own (the first marked with the replay), under message
// ids of their own. newKey makes it a new run, "<run>-replay<seq>", with a
// fresh key. A job with a record gets the replay in its history and its
// status from the replay's outcome.
func (r *Manager) Replay(ctx context.Context, dl *wire.DeadLetterEntry, newKey bool) (*wire.ReplayReply, error) {
	j := r.o.Catalog.Job(dl.Event)
	if dl.Step != "" {
		// A feature's event: the replay resumes its feature run there.
		j = nil
		if fe := r.o.Catalog.Step(dl.Step); fe != nil {
			j = fe.Job
		}
	}
	if j == nil {
		return nil, badRequest("dead letter %d: job %q is no longer configured", dl.Seq, dl.Event)
	}
	now := r.o.Clock.Now()
	// The replay is the run's next attempt, with the job's retries again.
	done := max(dl.Attempts, 1)
	rec := &run.Record{
		RunID: dl.RunID, JobID: dl.JobID, Event: dl.Event, Attempt: done + 1,
		Subject: dl.Trigger.Subject, ReceivedAt: now, Input: dl.Trigger.Data, Sequence: dl.Sequence,
		ScheduledAt: now, Replay: dl.Seq, AttemptLog: attemptsOf(&dl.Result),
		Step: dl.Step,
	}
	retries := j.MaxAttempts - 1
	jr, _, err := r.o.Store.Get(ctx, dl.JobID)
	if err == nil {
		rec.Overrides = run.Overrides{Retries: jr.Retries, AllowFail: jr.AllowFail}
		if jr.Retries != nil {
			retries = *jr.Retries
		}
	}
	n := done + retries
	rec.Overrides.Retries = &n
	if newKey {
		rec.RunID = dl.RunID + "-replay" + strconv.FormatUint(dl.Seq, 10)
		rec.Replay = 0
		rec.Attempt = 1
		rec.AttemptLog = nil
		rec.Overrides.Retries = &retries
	}
	switch {
	case err == nil:
		rec.Record = true
		rec.Execution = jr.ExecutionCount
		if jr.LastRun != nil && jr.LastRun.RunID == dl.RunID {
			rec.Execution = jr.LastRun.Number
		}
		if rec.Execution == 0 {
			rec.Execution = 1
		}
		// A run kept in the record alone goes to the history stream first:
		// the replay's entry follows it there.
		if last := jr.LastRun; last != nil && !jr.Recurring && last.Number <= 1 && jr.ExecutionCount <= 1 {
			if err := r.o.Store.AppendHistory(ctx, jr.ID, *last); err != nil {
				return nil, err
			}
		}
		if _, err := r.o.Store.Update(ctx, jr.ID, func(x *wire.Record) error {
			if x.Status == wire.StatusFailed || x.Status == wire.StatusCompleted {
				x.Status = wire.StatusQueued
			}
			return nil
		}); err != nil {
			return nil, err
		}
	case !errors.Is(err, jobstore.ErrNotFound):
		return nil, err
	}
	if err := r.publishTimer(ctx, rec, now); err != nil {
		return nil, err
	}
	return &wire.ReplayReply{Seq: dl.Seq, Event: dl.Event, RunID: rec.RunID, IdempotencyKey: rec.RunID, NewKey: newKey}, nil
}

// attemptsOf returns a finished run's attempts: its attempt log, or the one
// attempt its result describes.
func attemptsOf(res *wire.Result) []wire.AttemptInfo {
	if len(res.AttemptLog) > 0 {
		return res.AttemptLog
	}
	a := wire.AttemptInfo{Number: res.Attempts, StartedAt: res.StartedAt, EndedAt: res.FinishedAt, DurationMS: res.DurationMS, Error: res.Error}
	return []wire.AttemptInfo{a}
}
