package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// Advance fires occurrence rec.Occurrence of a job's series: it stores the
// timer of the next occurrence, then advances the record with
// compare-and-set, so a redelivered or duplicated timer never runs an
// occurrence twice and two replicas never both advance. It returns whether
// the run should go ahead.
func (r *Manager) Advance(ru *run.Run, rec *run.Record, delivered int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	occ := rec.Occurrence
	now := r.o.Clock.Now()
	for {
		jr, rev, err := r.o.Store.Get(ctx, rec.JobID)
		if errors.Is(err, jobstore.ErrNotFound) {
			r.log.Warn("timer of an unknown job; dropped", "job_id", rec.JobID, "event", rec.Event)
			ru.D.Settle(true)
			return false
		}
		if err != nil {
			r.logLimit.Problem(r.log, slog.LevelError, "read job record; will retry", err, "job_id", rec.JobID)
			ru.D.Settle(false)
			return false
		}
		switch {
		case jr.Status == wire.StatusCancelled || jr.Status == wire.StatusPaused:
			ru.D.Settle(true)
			return false
		case jr.Fired >= occ && delivered <= 1:
			// A second timer for an occurrence that fired already.
			ru.D.Settle(true)
			return false
		case jr.Fired >= occ:
			// Redelivered after a crash mid-run: run it again (at least once).
			ru.Execution = jr.ExecutionCount
			return true
		case jr.Occurrence != occ:
			r.log.Warn("stale timer; dropped", "job_id", rec.JobID, "occurrence", occ, "expected", jr.Occurrence)
			ru.D.Settle(true)
			return false
		case jr.NextRunAt == nil || !jr.NextRunAt.Equal(rec.ScheduledAt):
			// The timer of a time the job was rescheduled away from.
			ru.D.Settle(true)
			return false
		}
		spec, err := specOf(jr.Schedule)
		if err != nil {
			r.o.Fail.FailNow(ru, wire.ClassInvalidEvent, "job %s: stored schedule: %v", jr.ID, err)
			return false
		}
		due := rec.ScheduledAt
		runs, next, more := spec.Due(due, now, jr.ExecutionCount)
		if more {
			nrec := *rec
			nrec.Occurrence, nrec.RunID, nrec.ScheduledAt = occ+1, jr.ID+"-"+strconv.Itoa(occ+1), next
			if err := r.publishTimer(ctx, &nrec, next); err != nil {
				if !r.refused(err) {
					r.logLimit.Problem(r.log, slog.LevelError, "store next timer; will retry", err, "job_id", jr.ID)
				}
				ru.D.Settle(false)
				return false
			}
		}
		count := jr.ExecutionCount
		updated, urev, err := r.o.Store.UpdateAt(ctx, jr.ID, jr, rev, func(x *wire.Record) error {
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
				x.Status = wire.StatusRunning
				x.ScheduledAt = runs[0]
				t := now.UTC()
				x.StartedAt = &t
			} else if !more {
				x.Status = wire.StatusCompleted
			}
			return nil
		})
		if errors.Is(err, errAdvanced) {
			continue // someone else advanced it: decide again from the new state
		}
		if err != nil {
			if !r.refused(err) {
				r.logLimit.Problem(r.log, slog.LevelError, "advance job record; will retry", err, "job_id", jr.ID)
			}
			ru.D.Settle(false)
			return false
		}
		ru.JobRecord, ru.JobRev = updated, urev
		if len(runs) == 0 {
			r.log.Info("occurrence skipped (misfire = skip)", "job_id", jr.ID, "due", due)
			ru.D.Settle(true)
			return false
		}
		// Missed occurrences under misfire = "all" run as runs of their own.
		for k := 1; k < len(runs); k++ {
			extra := *rec
			extra.Occurrence = 0
			extra.RunID = fmt.Sprintf("%s-%d.%d", jr.ID, occ, k)
			extra.ScheduledAt = runs[k]
			extra.Execution = count + k + 1
			if err := r.publishTimer(ctx, &extra, now); err != nil && !r.refused(err) {
				r.logLimit.Problem(r.log, slog.LevelError, "queue a missed occurrence", err, "job_id", jr.ID)
			}
		}
		ru.Execution = count + 1
		ru.ScheduledAt = runs[0]
		return true
	}
}

var errAdvanced = errors.New("advanced already")

// waitsFor reports whether a job record waits to run occurrence occ, due
// at due: not fired yet, not cancelled or paused, not rescheduled.
func waitsFor(x *wire.Record, occ int, due time.Time) bool {
	return x.Fired < occ && x.Occurrence == occ &&
		x.Status != wire.StatusCancelled && x.Status != wire.StatusPaused &&
		x.NextRunAt != nil && x.NextRunAt.Equal(due)
}

// Cancelled reports whether a job's record says it was cancelled.
func (r *Manager) Cancelled(jobID string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	jr, _, err := r.o.Store.Get(ctx, jobID)
	return err == nil && jr.Status == wire.StatusCancelled
}
