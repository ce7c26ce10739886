package streams_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/streams"
)

func TestEnsureCreatesTheStreamsAndIsIdempotent(t *testing.T) {
	s := natstest.Start(t)
	ctx := context.Background()
	if err := streams.Ensure(ctx, s.JS, streams.Options{Subjects: []string{"events.>"}, Replicas: 1, ResultsMaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// Ensure is idempotent, and takes new trigger subjects.
	if err := streams.Ensure(ctx, s.JS, streams.Options{Subjects: []string{"events.>", "orders.*"}, Replicas: 1, ResultsMaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		streams.Events:  {"events.>", "orders.*"},
		streams.Runs:    {streams.RunsSubjectPrefix + ">"},
		streams.Timers:  {streams.TimersSubjectPrefix + ">"},
		streams.Results: {streams.ResultSubjectPrefix + ">", streams.FailedSubjectPrefix + ">"},
		streams.DLQ:     {streams.DLQSubjectPrefix + ">"},
	}
	for name, subjects := range want {
		st, err := s.JS.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if got := st.CachedInfo().Config.Subjects; !slices.Equal(got, subjects) {
			t.Errorf("stream %s subjects = %v, want %v", name, got, subjects)
		}
	}
	for stream, consumer := range map[string]string{streams.Events: streams.EventsConsumer, streams.Runs: streams.RunsConsumer} {
		if _, err := s.JS.Consumer(ctx, stream, consumer); err != nil {
			t.Errorf("consumer %s on %s: %v", consumer, stream, err)
		}
	}
}

// A data folder from the first version (timers as @at schedules in
// JOBD_RUNS) starts: the schedules setting stays, the timer subjects move.
func TestEnsureUpgradesTheFirstLayout(t *testing.T) {
	s := natstest.Start(t)
	ctx := context.Background()
	_, err := s.JS.CreateStream(ctx, jetstream.StreamConfig{
		Name: streams.Runs, Subjects: []string{streams.RunsSubjectPrefix + ">", streams.TimersSubjectPrefix + ">"},
		AllowMsgSchedules: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := streams.Ensure(ctx, s.JS, streams.Options{Replicas: 1, ResultsMaxAge: time.Hour}); err != nil {
		t.Fatalf("ensure over the first layout: %v", err)
	}
	st, err := s.JS.Stream(ctx, streams.Timers)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.CachedInfo().Config.Subjects; !slices.Equal(got, []string{streams.TimersSubjectPrefix + ">"}) {
		t.Errorf("timers subjects = %v", got)
	}
}

// Events are kept by limits; a data folder whose JOBD_EVENTS is a work
// queue (the first versions) keeps it, since retention cannot change.
func TestEventsRetention(t *testing.T) {
	ctx := context.Background()
	retention := func(s *natstest.Server) jetstream.RetentionPolicy {
		st, err := s.JS.Stream(ctx, streams.Events)
		if err != nil {
			t.Fatal(err)
		}
		return st.CachedInfo().Config.Retention
	}
	fresh := natstest.Start(t)
	if err := streams.Ensure(ctx, fresh.JS, streams.Options{Subjects: []string{"events.>"}, Replicas: 1, ResultsMaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if r := retention(fresh); r != jetstream.LimitsPolicy {
		t.Errorf("new JOBD_EVENTS retention = %v, want limits", r)
	}

	old := natstest.Start(t)
	if _, err := old.JS.CreateStream(ctx, jetstream.StreamConfig{Name: streams.Events, Subjects: []string{"events.>"}, Retention: jetstream.WorkQueuePolicy}); err != nil {
		t.Fatal(err)
	}
	if err := streams.Ensure(ctx, old.JS, streams.Options{Subjects: []string{"events.>", "orders.*"}, Replicas: 1, ResultsMaxAge: time.Hour}); err != nil {
		t.Fatalf("ensure over a work-queue JOBD_EVENTS: %v", err)
	}
	if r := retention(old); r != jetstream.WorkQueuePolicy {
		t.Errorf("old JOBD_EVENTS retention = %v, want it kept as work queue", r)
	}
}
