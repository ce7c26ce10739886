package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// A run waiting for a retry is cancelled through a job record: the next
// attempt checks it before it runs (RunCancelled) and is dropped.
//   - A run an event started has the run id as job id: its own record says
//     cancelled (created for the purpose when the job had none).
//   - A run of a one-shot job with a record cancels that job.
//   - A run of a series gets a record of its own, under its run id, with
//     origin wire.OriginRun, so the series goes on.
//
// Such records are swept like any finished job (server.jobs_max_age).

// CancelRun cancels the run that waits in rec for its next attempt.
func (r *Manager) CancelRun(ctx context.Context, rec *run.Record) (*wire.RunCancelReply, error) {
	reason := fmt.Sprintf("run cancelled while waiting for attempt %d", rec.Attempt)
	reply := &wire.RunCancelReply{RunID: rec.RunID, Attempt: rec.Attempt}
	target := rec.RunID
	if rec.Record {
		jr, _, err := r.o.Store.Get(ctx, rec.JobID)
		if err != nil {
			return nil, err
		}
		if !jr.Recurring {
			target = rec.JobID
		}
	}
	reply.JobID = target
	_, err := r.cancel(ctx, target, reason)
	if err == nil || !errors.Is(err, jobstore.ErrNotFound) {
		if errors.Is(err, ErrBadRequest) {
			return nil, badRequest("run %s: %v", rec.RunID, err)
		}
		return reply, err
	}
	now := r.o.Clock.Now().UTC()
	origin := wire.OriginRun
	if rec.RunID == rec.JobID {
		origin = wire.OriginEvent
	}
	err = r.o.Store.Create(ctx, &wire.Record{
		ID: target, Event: rec.Event, Status: wire.StatusCancelled, Reason: reason, Origin: origin,
		Subject: rec.Subject, Input: rec.Input, Sequence: rec.Sequence, ExecutionCount: 1,
		ScheduledAt: rec.ReceivedAt, CreatedAt: now, UpdatedAt: now,
	})
	if errors.Is(err, jobstore.ErrExists) {
		_, err = r.cancel(ctx, target, reason)
	}
	return reply, err
}

// RunCancelled reports whether the run waiting in rec was cancelled: its
// job (for a run with a record, or one an event started) or the run itself
// says so.
func (r *Manager) RunCancelled(rec *run.Record) bool {
	if (rec.Record || rec.RunID == rec.JobID) && r.Cancelled(rec.JobID) {
		return true
	}
	return rec.RunID != rec.JobID && r.Cancelled(rec.RunID)
}
