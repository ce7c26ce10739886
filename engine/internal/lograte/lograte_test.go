package lograte

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
)

func TestLimiter(t *testing.T) {
	clock := clockwork.NewFakeClock()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := &Limiter{Interval: 10 * time.Second, Clock: clock}
	count := func(level string) int { return strings.Count(buf.String(), "level="+level) }

	t.Run("one line per cause per interval, the rest at DEBUG", func(t *testing.T) {
		for range 100 {
			l.Warn(log, "read: no responders", "read failed")
		}
		if w, d := count("WARN"), count("DEBUG"); w != 1 || d != 99 {
			t.Fatalf("WARN %d, DEBUG %d; want 1 and 99\n%s", w, d, buf.String())
		}
	})
	t.Run("another cause has its own interval", func(t *testing.T) {
		buf.Reset()
		l.Warn(log, "read: timeout", "read failed")
		if w := count("WARN"); w != 1 {
			t.Fatalf("WARN %d, want 1", w)
		}
	})
	t.Run("after the interval, one line says how many were held back", func(t *testing.T) {
		buf.Reset()
		clock.Advance(10 * time.Second)
		l.Warn(log, "read: no responders", "read failed")
		l.Warn(log, "read: no responders", "read failed")
		if w := count("WARN"); w != 1 || !strings.Contains(buf.String(), "repeated=99") {
			t.Fatalf("want one WARN with repeated=99:\n%s", buf.String())
		}
	})
}

func TestLimiterZeroValue(t *testing.T) {
	var l Limiter
	if ok, _ := l.Allow("x"); !ok {
		t.Fatal("first line held back")
	}
	if ok, _ := l.Allow("x"); ok {
		t.Fatal("second line within the interval got through")
	}
}

func TestProblem(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := clockwork.NewFakeClock()
	l := &Limiter{Interval: time.Minute, Clock: clock}
	count := func(level string) int { return strings.Count(buf.String(), "level="+level) }
	t.Run("a transient error: one WARN per interval, not ERROR", func(t *testing.T) {
		for range 605 {
			l.Problem(log, slog.LevelError, "could not record the outcome", fmt.Errorf("publish: %w", nats.ErrNoResponders))
		}
		if e, w, d := count("ERROR"), count("WARN"), count("DEBUG"); e != 0 || w != 1 || d != 604 {
			t.Fatalf("ERROR %d, WARN %d, DEBUG %d; want 0, 1, 604", e, w, d)
		}
	})
	t.Run("any other error: at its level, every time", func(t *testing.T) {
		buf.Reset()
		for range 3 {
			l.Problem(log, slog.LevelError, "could not record the outcome", errors.New("message too large"))
		}
		if e := count("ERROR"); e != 3 {
			t.Fatalf("ERROR %d, want 3", e)
		}
	})
}
