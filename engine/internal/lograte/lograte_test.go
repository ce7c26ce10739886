package lograte

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
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
