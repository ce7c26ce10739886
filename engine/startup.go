package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/lograte"
	"github.com/jobd-dev/jobd/engine/internal/transient"
)

// startAttemptTimeout bounds one attempt of a start-up step: a request to
// a cluster without a leader may get no answer at all, and the next
// attempt may find one.
const startAttemptTimeout = 10 * time.Second

// startLogInterval is how often start-up repeats that it still waits for
// the same thing.
const startLogInterval = 10 * time.Second

// waitFor runs a start-up step, repeating it with backoff while it fails
// with an error retryable accepts (nil: a transient JetStream error), up
// to server.start_timeout from the start: a NATS server restarting, a
// leader election or a cluster without quorum delays start-up instead of
// failing it. It logs what it waits for (once per cause every
// startLogInterval). Any other error fails at once.
func (e *Engine) waitFor(ctx context.Context, what string, retryable func(error) bool, step func(context.Context) error) error {
	timeout := e.cfg.Server.StartTimeout.D()
	sctx, cancel := context.WithDeadline(ctx, e.startedAt.Add(timeout))
	defer cancel()
	err := transient.Retry(sctx, retryable, func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, startAttemptTimeout)
		defer cancel()
		return step(actx)
	}, func(err error, _ time.Duration) {
		cause := transient.Cause(err)
		e.startLog.Warn(e.log, what+": "+cause, "start-up waits for NATS", "for", what, "cause", cause, "error", err, "start_timeout", timeout)
	})
	if err != nil && ctx.Err() == nil && errors.Is(sctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: gave up after server.start_timeout (%v): %w", what, timeout, err)
	}
	return err
}

// startLimiter is start-up's log limiter.
func startLimiter() *lograte.Limiter { return &lograte.Limiter{Interval: startLogInterval} }
