package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
)

func TestMessage(t *testing.T) {
	t.Run("plain input is the body", func(t *testing.T) {
		msg, err := client.Message("events.user.created", map[string]any{"email": "ada@example.com"}, client.WithMsgID("e1"))
		if err != nil {
			t.Fatal(err)
		}
		if string(msg.Data) != `{"email":"ada@example.com"}` || msg.Header.Get(wire.EnvelopeHeader) != "" || msg.Header.Get(wire.MsgIDHeader) != "e1" {
			t.Errorf("got %s %v", msg.Data, msg.Header)
		}
	})
	t.Run("a sequence sends the envelope", func(t *testing.T) {
		msg, err := client.Message("events.user.created", json.RawMessage(`{"email": "ada@example.com"}`),
			client.WithSequence(map[string]map[string]any{"signup": {"create_user": map[string]any{"id": 7}}}), client.WithHeader("X-Trace", "t1"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(msg.Data), `{"input":{"email":"ada@example.com"},"sequence":{"signup":{"create_user":{"id":7}}}}`; got != want {
			t.Errorf("body %s, want %s", got, want)
		}
		if msg.Header.Get(wire.EnvelopeHeader) != wire.EnvelopeV1 || msg.Header.Get("X-Trace") != "t1" {
			t.Errorf("headers %v", msg.Header)
		}
		var env wire.Envelope
		if err := json.Unmarshal(msg.Data, &env); err != nil || string(env.Input) != `{"email":"ada@example.com"}` {
			t.Errorf("envelope %+v, %v", env, err)
		}
	})
	t.Run("input that is not JSON is refused", func(t *testing.T) {
		if _, err := client.Message("s", func() {}); err == nil {
			t.Error("no error")
		}
	})
}

func TestPublish(t *testing.T) {
	nc := startNATS(t)
	c := newClient(t, nc)
	if err := c.Publish(ctx(t), "events.user.created", map[string]any{"a": 1}); !errors.Is(err, client.ErrNotCaptured) {
		t.Fatalf("no stream: err = %v, want ErrNotCaptured", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.CreateStream(ctx(t), jetstream.StreamConfig{Name: wire.StreamEvents, Subjects: []string{"events.>"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.Publish(ctx(t), "events.user.created", map[string]any{"a": 1}, client.WithMsgID("e1")); err != nil {
			t.Fatal(err)
		}
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Errorf("the stream holds %d messages; the same message id twice is one", info.State.Msgs)
	}
}
