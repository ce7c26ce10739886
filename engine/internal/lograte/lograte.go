// Package lograte keeps a problem that repeats from flooding the log: a
// Limiter lets one line per cause through at its level in each interval
// and sends the repeats to DEBUG, and the next line that gets through says
// how many were held back.
package lograte

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/jobd-dev/jobd/engine/internal/transient"
)

// IntervalDefault is a Limiter's interval when it is zero: while a NATS
// server restarts (seconds to a minute), one line per cause every 30 s
// says it is still going on without burying everything else.
const IntervalDefault = 30 * time.Second

// Limiter rate-limits log lines by cause. The zero value is ready to use,
// with IntervalDefault and the real clock. It is safe for concurrent use.
type Limiter struct {
	// Interval is how often a cause's line gets through. Defaults to
	// IntervalDefault.
	Interval time.Duration
	// Clock defaults to the real clock.
	Clock clockwork.Clock

	mu     sync.Mutex
	causes map[string]*cause
}

type cause struct {
	last time.Time // when a line last got through
	held int       // lines held back since
}

// Allow reports whether a line of cause gets through now, and how many of
// its lines were held back since the last one that did.
func (l *Limiter) Allow(key string) (ok bool, held int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.causes == nil {
		l.causes = map[string]*cause{}
	}
	clock := l.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	every := l.Interval
	if every <= 0 {
		every = IntervalDefault
	}
	now := clock.Now()
	c := l.causes[key]
	if c == nil {
		l.causes[key] = &cause{last: now}
		return true, 0
	}
	if now.Sub(c.last) < every {
		c.held++
		return false, 0
	}
	held = c.held
	c.last, c.held = now, 0
	return true, held
}

// Log writes msg at level when its cause (key) is allowed, with the number
// of lines held back since as "repeated", else at DEBUG.
func (l *Limiter) Log(log *slog.Logger, level slog.Level, key, msg string, args ...any) {
	ok, held := l.Allow(key)
	if !ok {
		level = slog.LevelDebug
	} else if held > 0 {
		args = append(args, "repeated", held)
	}
	log.Log(context.Background(), level, msg, args...)
}

// Warn is Log at WARN.
func (l *Limiter) Warn(log *slog.Logger, key, msg string, args ...any) {
	l.Log(log, slog.LevelWarn, key, msg, args...)
}

// Problem logs a failure that will be retried. A transient one
// (transient.Is: no responders, no leader, no quorum, a timeout) is
// expected while a NATS server restarts or a leader is elected, so it gets
// through at WARN at most once per message and cause per interval, the
// repeats at DEBUG; any other error is logged at level every time.
func (l *Limiter) Problem(log *slog.Logger, level slog.Level, msg string, err error, args ...any) {
	args = append(args, "error", err)
	if !transient.Is(err) {
		log.Log(context.Background(), level, msg, args...)
		return
	}
	l.Log(log, min(level, slog.LevelWarn), msg+": "+transient.Cause(err), msg, args...)
}
