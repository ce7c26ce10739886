package streams_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/streams"
)

func TestTimerFiresIntoRuns(t *testing.T) {
	s := natstest.Start(t)
	ctx := context.Background()
	if err := streams.Ensure(ctx, s.JS, streams.Options{Subjects: []string{"events.>"}, Replicas: 1, ResultsMaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// Ensure is idempotent.
	if err := streams.Ensure(ctx, s.JS, streams.Options{Subjects: []string{"events.>", "orders.*"}, Replicas: 1, ResultsMaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(2 * time.Second).Truncate(time.Second)
	msg := nats.NewMsg(streams.TimersSubjectPrefix + "run1.2")
	msg.Data = []byte(`{"run_id":"run1"}`)
	msg.Header.Set("Jobd-Attempt", "2")
	if _, err := s.JS.PublishMsg(ctx, msg, jetstream.WithScheduleAt(at), jetstream.WithScheduleTarget(streams.RunsSubjectPrefix+"ev")); err != nil {
		t.Fatalf("publish timer: %v", err)
	}
	cons, err := s.JS.Consumer(ctx, streams.Runs, streams.RunsConsumer)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatalf("no run delivered: %v", err)
	}
	got := time.Now()
	if got.Before(at.Add(-100 * time.Millisecond)) {
		t.Errorf("timer fired at %v, before its time %v", got, at)
	}
	if string(m.Data()) != `{"run_id":"run1"}` || m.Subject() != streams.RunsSubjectPrefix+"ev" {
		t.Errorf("delivered %s on %s", m.Data(), m.Subject())
	}
	t.Logf("headers: %v", m.Headers())
	_ = m.Ack()
}
