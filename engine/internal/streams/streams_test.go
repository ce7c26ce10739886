package streams_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/internal/streams"
)

func TestEnsureCreatesTheStreamsAndIsIdempotent(t *testing.T) {
	s := natstest.Start(t)
	ctx := context.Background()
	if err := streams.Ensure(ctx, s.JS, streams.Options{Subjects: []string{"events.>"}, Replicas: 1, ResultsMaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// Ensure is idempotent, and takes new trigger subjects; a new
	// duplicate window is logged and the existing one kept (Apply changes
	// it).
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	if err := streams.Ensure(ctx, s.JS, streams.Options{Subjects: []string{"events.>", "orders.*"}, Replicas: 1, ResultsMaxAge: time.Hour, DedupeWindow: 45 * time.Second, Logger: log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "setting=server.dedupe_window existing=2m0s configured=45s") {
		t.Errorf("the difference is not logged:\n%s", logged.String())
	}
	want := map[string][]string{
		streams.Events:  {"events.>", "orders.*"},
		streams.Runs:    {streams.RunsSubjectPrefix + ">"},
		streams.Timers:  {streams.TimersSubjectPrefix + ">"},
		streams.Results: {streams.ResultSubjectPrefix + ">", streams.FailedSubjectPrefix + ">", streams.FeatureResultSubjectPrefix + ">", streams.FeatureFailedSubjectPrefix + ">"},
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
		if got := st.CachedInfo().Config.Duplicates; got != 2*time.Minute {
			t.Errorf("stream %s duplicate window = %v, want the existing 2m", name, got)
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

// A Purger removes what the consumer acknowledged, and nothing after it: at
// every call while few finished messages wait, and a large backlog only once
// PurgeWait has passed since the last purge, so it goes mostly in whole
// blocks.
func TestPurgerRemovesAcknowledged(t *testing.T) {
	s := natstest.Start(t)
	ctx := context.Background()
	if err := streams.Ensure(ctx, s.JS, streams.Options{Subjects: []string{"events.>"}, Replicas: 1, ResultsMaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// Publish in windows of 1,000 and wait for each window's acks: the
	// client refuses a publish past 4,000 pending (after a 200 ms stall),
	// which a busy machine reached with all 12,000 in one go.
	total := streams.PurgeSmall + 2000
	for i := 0; i < total; i += 1000 {
		for j := i; j < min(i+1000, total); j++ {
			if _, err := s.JS.PublishAsync("events.x", []byte(`{}`)); err != nil {
				t.Fatalf("publish %d: %v", j, err)
			}
		}
		select {
		case <-s.JS.PublishAsyncComplete():
		case <-time.After(2 * time.Minute):
			t.Fatalf("publishing %d messages did not complete", i+1000)
		}
	}
	cons, err := s.JS.Consumer(ctx, streams.Events, streams.EventsConsumer)
	if err != nil {
		t.Fatal(err)
	}
	// ack takes the next n messages and acknowledges them, then waits for
	// the consumer's ack floor to reach them.
	acked := uint64(0)
	ack := func(n int) {
		t.Helper()
		for n > 0 {
			batch, err := cons.Fetch(min(n, 1000), jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			for m := range batch.Messages() {
				if err := m.Ack(); err != nil {
					t.Fatal(err)
				}
				acked++
				n--
			}
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			info, err := cons.Info(ctx)
			if err == nil && info.AckFloor.Stream >= acked {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("ack floor did not reach %d: %+v %v", acked, info, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first := func() uint64 {
		t.Helper()
		st, err := s.JS.Stream(ctx, streams.Events)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.FirstSeq
	}

	p := &streams.Purger{Stream: streams.Events, Consumer: streams.EventsConsumer}
	now := time.Now()
	ack(3)
	if err := p.Purge(ctx, s.JS, now); err != nil {
		t.Fatal(err)
	}
	if got := first(); got != 4 {
		t.Fatalf("after acking 3 and a purge, the first event is %d, want 4", got)
	}

	ack(streams.PurgeSmall + 500)
	if err := p.Purge(ctx, s.JS, now.Add(streams.PurgeEvery)); err != nil {
		t.Fatal(err)
	}
	if got := first(); got != 4 {
		t.Fatalf("a backlog of %d purged %v after the last purge (first event %d): it should wait for %v", streams.PurgeSmall+500, streams.PurgeEvery, got, streams.PurgeWait)
	}
	if err := p.Purge(ctx, s.JS, now.Add(streams.PurgeWait)); err != nil {
		t.Fatal(err)
	}
	if got, want := first(), acked+1; got != want {
		t.Fatalf("after %v, the first event is %d, want %d (everything acknowledged gone, nothing else)", streams.PurgeWait, got, want)
	}
}

// A replica started with other settings keeps the existing ones; Apply
// changes them, and only what differs.
func TestEnsureKeepsAndApplyChanges(t *testing.T) {
	s := natstest.Start(t)
	ctx := context.Background()
	first := streams.Options{Subjects: []string{"events.>"}, Replicas: 1, ResultsMaxAge: time.Hour, AckWait: 30 * time.Second, DedupeWindow: 2 * time.Minute}
	if err := streams.Ensure(ctx, s.JS, first); err != nil {
		t.Fatal(err)
	}
	other := first
	other.ResultsMaxAge, other.AckWait, other.DedupeWindow = 2*time.Hour, time.Minute, time.Minute
	other.Logger = slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	if err := streams.Ensure(ctx, s.JS, other); err != nil {
		t.Fatal(err)
	}
	check := func(o streams.Options) {
		t.Helper()
		st, err := s.JS.Stream(ctx, streams.Results)
		if err != nil {
			t.Fatal(err)
		}
		if c := st.CachedInfo().Config; c.MaxAge != o.ResultsMaxAge || c.Duplicates != o.DedupeWindow {
			t.Errorf("results: max age %v, duplicates %v; want %v, %v", c.MaxAge, c.Duplicates, o.ResultsMaxAge, o.DedupeWindow)
		}
		cons, err := s.JS.Consumer(ctx, streams.Events, streams.EventsConsumer)
		if err != nil {
			t.Fatal(err)
		}
		if got := cons.CachedInfo().Config.AckWait; got != o.AckWait {
			t.Errorf("ack wait %v, want %v", got, o.AckWait)
		}
	}
	check(first)
	changed, err := streams.Apply(ctx, s.JS, other)
	if err != nil {
		t.Fatal(err)
	}
	check(other)
	if len(changed) == 0 {
		t.Error("Apply reported no change")
	}
	if changed, err := streams.Apply(ctx, s.JS, other); err != nil || len(changed) != 0 {
		t.Errorf("a second Apply changed %v (err %v), want nothing", changed, err)
	}
}
