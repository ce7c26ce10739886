package jobs

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// FinishRecord updates a job record and its history after a run ended.
func (r *Manager) FinishRecord(ru *run.Run, res *wire.Result) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	entry := wire.HistoryEntry{
		Number: ru.Execution, RunID: ru.RunID, Attempts: res.Attempts, Status: res.Status,
		StartedAt: res.StartedAt, EndedAt: res.FinishedAt, DurationMS: res.DurationMS,
	}
	if res.Error != nil {
		entry.Error = &wire.ErrorInfo{Message: res.Error.Message, Class: res.Error.Class}
	}
	if ru.Replay > 0 {
		entry.Replay = "dlq " + strconv.FormatUint(ru.Replay, 10)
	}
	// A job's only run is its history: it is kept in the record (one write
	// fewer per one-shot run); a series or a job run again appends to the
	// history stream.
	toStream := false
	_, _, err := r.o.Store.UpdateAt(ctx, ru.JobID, ru.JobRecord, ru.JobRev, func(x *wire.Record) error {
		// A replay, or a run after another one (a replay under a new key),
		// follows the earlier runs onto the history stream.
		toStream = x.Recurring || entry.Number > 1 || x.ExecutionCount > 1 || entry.Replay != "" ||
			x.LastRun != nil && x.LastRun.RunID != entry.RunID
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
		case x.Status == wire.StatusCancelled || x.Status == wire.StatusPaused:
		case x.NextRunAt != nil:
			x.Status = wire.StatusScheduled
		case res.Status == wire.StatusCompleted:
			x.Status = wire.StatusCompleted
		default:
			x.Status = wire.StatusFailed
		}
		return nil
	})
	if toStream || err != nil {
		if herr := r.o.Store.AppendHistory(ctx, ru.JobID, entry); herr != nil {
			r.logLimit.Problem(r.log, slog.LevelWarn, "append history", herr, "job_id", ru.JobID)
		}
	}
	if err != nil && !errors.Is(err, jobstore.ErrNotFound) {
		r.logLimit.Problem(r.log, slog.LevelWarn, "update job record", err, "job_id", ru.JobID)
	}
}
