package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// msg is a stream message that records how it was acknowledged.
type msg struct {
	subject   string
	data      []byte
	hdr       nats.Header
	seq       uint64
	delivered uint64

	mu   sync.Mutex
	acks []string
}

func (m *msg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Stream: "JOBD_EVENTS", Sequence: jetstream.SequencePair{Stream: m.seq},
		NumDelivered: m.delivered, Timestamp: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)}, nil
}
func (m *msg) Data() []byte                     { return m.data }
func (m *msg) Headers() nats.Header             { return m.hdr }
func (m *msg) Subject() string                  { return m.subject }
func (m *msg) Reply() string                    { return "" }
func (m *msg) Ack() error                       { return m.ack("ack") }
func (m *msg) DoubleAck(context.Context) error  { return m.ack("ack") }
func (m *msg) Nak() error                       { return m.ack("nak") }
func (m *msg) NakWithDelay(time.Duration) error { return m.ack("nak") }
func (m *msg) InProgress() error                { return m.ack("progress") }
func (m *msg) Term() error                      { return m.ack("term") }
func (m *msg) TermWithReason(string) error      { return m.ack("term") }
func (m *msg) ack(kind string) error {
	m.mu.Lock()
	m.acks = append(m.acks, kind)
	m.mu.Unlock()
	return nil
}
func (m *msg) acked() string { m.mu.Lock(); defer m.mu.Unlock(); return strings.Join(m.acks, ",") }
func event(subject, data string, seq uint64) *msg {
	return &msg{subject: subject, data: []byte(data), hdr: nats.Header{}, seq: seq, delivered: 1}
}

// executor records the runs it is given; it settles them only when told.
type executor struct {
	mu     sync.Mutex
	runs   []*run.Run
	failed []string // event class: message
}

func (e *executor) Attempt(ru *run.Run) { e.mu.Lock(); e.runs = append(e.runs, ru); e.mu.Unlock() }
func (e *executor) FailNow(ru *run.Run, class, format string, args ...any) {
	e.mu.Lock()
	e.failed = append(e.failed, ru.Job.Event+" "+class+": "+fmt.Sprintf(format, args...))
	e.mu.Unlock()
	ru.D.Settle(true)
}

// manager records the scheduled runs handed to it.
type manager struct {
	fromEvent []*run.Run
	advance   bool
	cancelled bool
	advanced  int
	removed   []string
}

func (m *manager) FromEvent(ru *run.Run) { m.fromEvent = append(m.fromEvent, ru); ru.D.Settle(true) }
func (m *manager) Advance(ru *run.Run, _ *run.Record, _ int) bool {
	m.advanced++
	if !m.advance {
		ru.D.Settle(true)
	}
	return m.advance
}
func (m *manager) Cancelled(string) bool             { return m.cancelled }
func (m *manager) RunCancelled(rec *run.Record) bool { return m.cancelled }
func (m *manager) CancelRemovedJob(id string) bool {
	m.removed = append(m.removed, id)
	return true
}

// consumer is a Consumer over two jobs on events.booking.> and one with a
// schedule, with fakes at its boundaries.
func consumer(t *testing.T) (*Consumer, *executor, *manager) {
	t.Helper()
	cfg, err := config.FromMap("config.toml", map[string]any{"jobs": []any{
		map[string]any{"event": "email", "kind": "test", "on": []any{"events.booking.>"}, "input": map[string]any{"to": "$Input{email}"}},
		map[string]any{"event": "store", "kind": "test", "on": []any{"events.booking.created"}},
		map[string]any{"event": "later", "kind": "test", "on": []any{"events.later"}, "schedule": map[string]any{"delay": "1h"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ex, jm := &executor{}, &manager{}
	c := New(Options{Catalog: cat, Exec: ex, Jobs: jm, MaxEventBytes: 1024, MaxDeliveries: 3})
	c.epoch = "2026-01-01T00:00:00Z"
	return c, ex, jm
}

func TestEventMakesOneRunPerJobAndIsAckedWhenAllSettle(t *testing.T) {
	c, ex, _ := consumer(t)
	m := event("events.booking.created", `{"email":"ada@example.com"}`, 7)
	c.onEvent(m)
	if len(ex.runs) != 2 {
		t.Fatalf("%d runs, want one per matching job (2)", len(ex.runs))
	}
	for _, ru := range ex.runs {
		if want := RunID("JOBD_EVENTS", c.epoch, 7, "", ru.Job.Event); ru.RunID != want || ru.JobID != want || ru.Attempt != 1 {
			t.Fatalf("run %+v, want run id %s", ru, want)
		}
		if in := ru.Ev.Input.(map[string]any)["email"]; in != "ada@example.com" {
			t.Fatalf("run input %v", ru.Ev.Input)
		}
	}
	if ex.runs[0].RunID == ex.runs[1].RunID {
		t.Fatal("two jobs got the same run id")
	}
	ex.runs[0].D.Settle(true)
	if got := m.acked(); got != "" {
		t.Fatalf("acknowledged (%s) with a run in flight", got)
	}
	if c.InFlight() != 1 {
		t.Fatalf("%d messages in flight, want 1", c.InFlight())
	}
	ex.runs[1].D.Settle(true)
	if got := m.acked(); got != "ack" || c.InFlight() != 0 {
		t.Fatalf("after both runs settled: %q, %d in flight", got, c.InFlight())
	}

	// Redelivered, the same event makes the same runs.
	c2, ex2, _ := consumer(t)
	c2.onEvent(event("events.booking.created", `{"email":"ada@example.com"}`, 7))
	if ex2.runs[0].RunID != ex.runs[0].RunID {
		t.Fatal("a redelivered event got another run id")
	}
	// With a Nats-Msg-Id, the id names the run, not the stream position.
	withID := event("events.booking.created", `{}`, 8)
	withID.hdr.Set(nats.MsgIdHdr, "booking-1")
	c.onEvent(withID)
	if got, want := ex.runs[2].RunID, RunID("JOBD_EVENTS", c.epoch, 0, "booking-1", ex.runs[2].Job.Event); got != want {
		t.Fatalf("run id %s, want %s", got, want)
	}
}

func TestAFailedRecordAsksForRedelivery(t *testing.T) {
	c, ex, _ := consumer(t)
	m := event("events.booking.created", `{}`, 1)
	c.onEvent(m)
	ex.runs[0].D.Settle(false)
	ex.runs[1].D.Settle(true)
	if got := m.acked(); got != "nak" {
		t.Fatalf("acknowledged %q, want a nak (redelivery)", got)
	}
}

func TestBadEventsFailTheirRunsWithAReason(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", 2000) + `"}`
	for _, c := range []struct {
		name, data string
		delivered  uint64
		class      string
		reason     string
	}{
		{"not JSON", `{"a":`, 1, wire.ClassInvalidEvent, "is not JSON"},
		{"not an object", `[1,2]`, 1, wire.ClassInvalidEvent, "is a JSON array"},
		{"too large", big, 1, wire.ClassInvalidEvent, "more than server.max_event_bytes (1024)"},
		{"redelivered too often", `{}`, 4, wire.ClassRedelivered, "delivered 4 times without finishing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cons, ex, _ := consumer(t)
			m := event("events.booking.created", c.data, 1)
			m.delivered = c.delivered
			cons.onEvent(m)
			if len(ex.runs) != 0 || len(ex.failed) != 2 {
				t.Fatalf("%d runs, %d failed; want both jobs failed at once", len(ex.runs), len(ex.failed))
			}
			for _, f := range ex.failed {
				if !strings.Contains(f, c.class+": ") || !strings.Contains(f, c.reason) {
					t.Fatalf("failure %q, want class %s and %q", f, c.class, c.reason)
				}
			}
			if m.acked() != "ack" {
				t.Fatalf("acknowledged %q", m.acked())
			}
		})
	}
}

func TestEnvelopeCarriesTheSequence(t *testing.T) {
	c, ex, _ := consumer(t)
	m := event("events.booking.created", `{"input":{"email":"a@b.c"},"sequence":{"checkout":{"pay":{"id":"p1"}}}}`, 1)
	m.hdr.Set(wire.EnvelopeHeader, wire.EnvelopeV1)
	c.onEvent(m)
	seq, _ := json.Marshal(ex.runs[0].Ev.Sequence)
	if string(seq) != `{"checkout":{"pay":{"id":"p1"}}}` || ex.runs[0].Ev.Input.(map[string]any)["email"] != "a@b.c" {
		t.Fatalf("input %v sequence %s", ex.runs[0].Ev.Input, seq)
	}
	m = event("events.booking.created", `{}`, 2)
	m.hdr.Set(wire.EnvelopeHeader, "v9")
	c.onEvent(m)
	if len(ex.failed) != 2 || !strings.Contains(ex.failed[0], `"v9"`) {
		t.Fatalf("unknown envelope version: %v", ex.failed)
	}
}

func TestScheduledJobsGoToTheJobsManager(t *testing.T) {
	c, ex, jm := consumer(t)
	m := event("events.later", `{}`, 1)
	c.onEvent(m)
	if len(jm.fromEvent) != 1 || len(ex.runs) != 0 || m.acked() != "ack" {
		t.Fatalf("scheduled %d, ran %d, acked %q", len(jm.fromEvent), len(ex.runs), m.acked())
	}
	// A subject no job listens on any more is acknowledged and dropped.
	m = event("events.gone", `{}`, 2)
	c.onEvent(m)
	if m.acked() != "ack" || len(ex.runs) != 0 {
		t.Fatalf("acked %q, %d runs", m.acked(), len(ex.runs))
	}
}

func TestDueRuns(t *testing.T) {
	record := func(rec run.Record) *msg {
		b, _ := json.Marshal(rec)
		return event("jobd.runs."+rec.Event, string(b), 1)
	}
	t.Run("a retry runs its attempt", func(t *testing.T) {
		c, ex, _ := consumer(t)
		c.onRun(record(run.Record{RunID: "r", JobID: "r", Event: "email", Attempt: 2, Input: json.RawMessage(`{"email":"x@y.z"}`)}))
		if len(ex.runs) != 1 || ex.runs[0].Attempt != 2 || ex.runs[0].Ev.Input.(map[string]any)["email"] != "x@y.z" {
			t.Fatalf("runs %+v", ex.runs)
		}
	})
	t.Run("a retry of a job cancelled since is dropped", func(t *testing.T) {
		c, ex, jm := consumer(t)
		jm.cancelled = true
		m := record(run.Record{RunID: "r", JobID: "j", Event: "email", Attempt: 2, Record: true})
		c.onRun(m)
		if len(ex.runs) != 0 || m.acked() != "ack" {
			t.Fatalf("%d runs, acked %q", len(ex.runs), m.acked())
		}
	})
	t.Run("an occurrence runs only when the series advances", func(t *testing.T) {
		c, ex, jm := consumer(t)
		c.onRun(record(run.Record{RunID: "j-1", JobID: "j", Event: "email", Attempt: 1, Occurrence: 1, Record: true}))
		if jm.advanced != 1 || len(ex.runs) != 0 {
			t.Fatalf("advanced %d, ran %d", jm.advanced, len(ex.runs))
		}
		jm.advance = true
		c.onRun(record(run.Record{RunID: "j-1", JobID: "j", Event: "email", Attempt: 1, Occurrence: 1, Record: true}))
		if jm.advanced != 2 || len(ex.runs) != 1 {
			t.Fatalf("advanced %d, ran %d", jm.advanced, len(ex.runs))
		}
	})
	t.Run("a job no longer configured fails its run", func(t *testing.T) {
		c, ex, _ := consumer(t)
		c.onRun(record(run.Record{RunID: "r", JobID: "r", Event: "renamed", Attempt: 1}))
		if len(ex.failed) != 1 || !strings.Contains(ex.failed[0], wire.ClassNoPlugin+`: job "renamed" is no longer configured`) {
			t.Fatalf("failed %v", ex.failed)
		}
	})
	t.Run("a job with a record no longer configured is cancelled, not dead-lettered", func(t *testing.T) {
		c, ex, jm := consumer(t)
		m := record(run.Record{RunID: "j-2", JobID: "j", Event: "renamed", Attempt: 1, Occurrence: 2, Record: true})
		c.onRun(m)
		if len(ex.failed) != 0 || len(ex.runs) != 0 || len(jm.removed) != 1 || jm.removed[0] != "j" || m.acked() != "ack" {
			t.Fatalf("failed %v, ran %d, cancelled %v, acked %q", ex.failed, len(ex.runs), jm.removed, m.acked())
		}
	})
	t.Run("an unreadable record is terminated", func(t *testing.T) {
		c, _, _ := consumer(t)
		m := event("jobd.runs.email", `{not json`, 1)
		c.onRun(m)
		if m.acked() != "term" {
			t.Fatalf("acked %q", m.acked())
		}
	})
}
