package timers

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// failingJS refuses every publish with err.
type failingJS struct {
	jetstream.JetStream
	err error
}

func (f failingJS) PublishMsgAsync(*nats.Msg, ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	return nil, f.err
}

// Replicas firing one timer race: the loser's "409 duplicate message id
// is in process" is DEBUG, and the timer is tried again; a transient error
// is one WARN per cause per interval, however many timers fail.
func TestFireLogLevels(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		warn, dbg int
	}{
		{"duplicate in process", &jetstream.APIError{Code: 409, ErrorCode: 10158, Description: "duplicate message id is in process"}, 0, 100},
		{"no responders", fmt.Errorf("publish: %w", nats.ErrNoResponders), 1, 99},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			clock := clockwork.NewFakeClock()
			s := New(Options{JS: failingJS{err: c.err}, Stream: "T", Prefix: "t.", Logger: log, Clock: clock})
			var due []*entry
			for i := range 100 {
				due = append(due, &entry{seq: uint64(i + 1), at: clock.Now(), target: "jobd.runs.x", id: fmt.Sprint(i)})
			}
			s.fire(context.Background(), due)
			if w, d := strings.Count(buf.String(), "level=WARN"), strings.Count(buf.String(), "level=DEBUG"); w != c.warn || d != c.dbg {
				t.Errorf("WARN %d, DEBUG %d; want %d, %d\n%s", w, d, c.warn, c.dbg, buf.String())
			}
			if s.Pending() != 100 || !s.queue[0].at.Equal(clock.Now().Add(time.Second)) {
				t.Errorf("%d timers queued again, the first at %v; want 100, a second later", s.Pending(), s.queue[0].at)
			}
		})
	}
}
