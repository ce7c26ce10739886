package jobs

import (
	"context"
	"errors"

	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// ReasonRemoved is the Reason of a job cancelled because its event left
// the configuration.
const ReasonRemoved = "removed from configuration"

// CancelRemoved cancels every job whose event is no longer configured and
// that would run again (a configured series, a dispatched or event-created
// one): its record becomes cancelled with Reason ReasonRemoved, so its
// pending timers are dropped rather than dead-lettered. One INFO line each.
func (r *Manager) CancelRemoved(ctx context.Context) error {
	recs, err := r.o.Store.List(ctx, jobstore.Filter{})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if rec.Final() || r.o.Catalog.Job(rec.Event) != nil {
			continue
		}
		if _, err := r.cancel(ctx, rec.ID, ReasonRemoved); err != nil {
			if errors.Is(err, ErrBadRequest) || errors.Is(err, jobstore.ErrNotFound) {
				continue // finished or gone meanwhile
			}
			return err
		}
		r.log.Info("job removed from configuration: its series is cancelled", "event", rec.Event, "job_id", rec.ID, "origin", rec.Origin)
	}
	return nil
}

// cancel marks a job cancelled, saying why.
func (r *Manager) cancel(ctx context.Context, id, reason string) (*wire.Record, error) {
	return r.o.Store.Update(ctx, id, func(x *wire.Record) error {
		if x.Final() {
			return badRequest("job %s is %s already", id, x.Status)
		}
		x.Status = wire.StatusCancelled
		x.NextRunAt = nil
		x.Reason = reason
		return nil
	})
}

// CancelRemovedJob cancels the job of a run whose event left the
// configuration while the run waited (a replica started with the old
// configuration may still store timers). It reports whether the job had a
// record to cancel.
func (r *Manager) CancelRemovedJob(jobID string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	rec, err := r.cancel(ctx, jobID, ReasonRemoved)
	if err == nil {
		r.log.Info("job removed from configuration: its series is cancelled", "event", rec.Event, "job_id", rec.ID, "origin", rec.Origin)
		return true
	}
	return errors.Is(err, ErrBadRequest) // cancelled or finished already
}
