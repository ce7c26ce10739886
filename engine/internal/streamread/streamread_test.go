package streamread_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/internal/streamread"
)

func TestDirect(t *testing.T) {
	s := natstest.Start(t)
	ctx := context.Background()
	_, err := s.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, AllowDirect: true})
	if err != nil {
		t.Fatal(err)
	}
	// More than one batch, on two subjects.
	n := streamread.Batch*2 + 500
	for i := range n {
		subj := "s.a"
		if i%2 == 1 {
			subj = "s.b"
		}
		if _, err := s.JS.Publish(ctx, subj, fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	read := func(filter string) []string {
		var out []string
		err := streamread.Direct(ctx, s.Conn, "S", filter, func(m *nats.Msg) { out = append(out, m.Subject+"="+string(m.Data)) })
		if err != nil {
			t.Fatalf("Direct %s: %v", filter, err)
		}
		return out
	}
	t.Run("every message, in order, across batches", func(t *testing.T) {
		got := read("s.>")
		if len(got) != n || got[0] != "s.a=0" || got[n-1] != fmt.Sprintf("s.b=%d", n-1) {
			t.Fatalf("%d messages (first %q), want %d", len(got), got[:1], n)
		}
	})
	t.Run("one subject", func(t *testing.T) {
		got := read("s.b")
		if len(got) != n/2 || got[0] != "s.b=1" {
			t.Fatalf("%d messages (first %q), want %d", len(got), got[:1], n/2)
		}
	})
	t.Run("nothing matches", func(t *testing.T) {
		if got := read("s.none"); len(got) != 0 {
			t.Fatalf("%d messages, want none", len(got))
		}
	})
	t.Run("no consumer is created", func(t *testing.T) {
		if c := natstest.ConsumerCounts(t, s.JS)["S"]; c != 0 {
			t.Fatalf("%d consumers", c)
		}
	})
}

func TestOnceDeletesItsConsumer(t *testing.T) {
	s := natstest.Start(t)
	ctx := context.Background()
	if _, err := s.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := s.JS.Publish(ctx, "s.a", fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		got := 0
		if err := streamread.Once(ctx, s.JS, "S", jetstream.OrderedConsumerConfig{}, func(jetstream.Msg) { got++ }); err != nil || got != 10 {
			t.Fatalf("read %d messages, err %v", got, err)
		}
	}
	if c := natstest.ConsumerCounts(t, s.JS)["S"]; c != 0 {
		t.Fatalf("%d consumers after 20 reads, want 0", c)
	}
}
