package sdk

import (
	"context"
	"log/slog"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

// jobLogHandler adds a job's ids to every record it handles. It builds the
// attributes only when something is logged: most jobs log nothing, and
// building a logger with five attributes for each of them was a tenth of a
// no-op plugin's CPU.
type jobLogHandler struct {
	inner slog.Handler
	job   *pluginpb.Job
}

// jobLogger returns base's logger with the job's ids attached.
func jobLogger(base *slog.Logger, pj *pluginpb.Job) *slog.Logger {
	return slog.New(&jobLogHandler{inner: base.Handler(), job: pj})
}

func (h *jobLogHandler) attrs() []slog.Attr {
	return []slog.Attr{
		slog.String("job_id", h.job.JobId),
		slog.String("run_id", h.job.RunId),
		slog.String("event", h.job.Event),
		slog.String("kind", h.job.Kind),
		slog.Uint64("attempt", uint64(h.job.Attempt)),
	}
}

func (h *jobLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *jobLogHandler) Handle(ctx context.Context, r slog.Record) error {
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(h.attrs()...)
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(a)
		return true
	})
	return h.inner.Handle(ctx, nr)
}

func (h *jobLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return h.inner.WithAttrs(h.attrs()).WithAttrs(as)
}

func (h *jobLogHandler) WithGroup(name string) slog.Handler {
	return h.inner.WithAttrs(h.attrs()).WithGroup(name)
}
