// Package client is for services that talk to jobd over NATS: publish an
// event (with or without the envelope that carries earlier events'
// outputs), dispatch a configured job, and manage jobs and dead letters, in
// a few lines. The values it sends and receives are those of package wire.
//
//	c, err := client.Connect("nats://127.0.0.1:4222")
//	if err != nil { ... }
//	defer c.Close()
//	err = c.Publish(ctx, "events.booking.created", map[string]any{"email": "ada@example.com"})
//	reply, err := c.Dispatch(ctx, &wire.DispatchRequest{Event: "send_welcome", Input: json.RawMessage(`{"email":"ada@example.com"}`)})
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// Header names and values of the event contract.
const (
	// EnvelopeHeader marks a body of the form {"input": …, "sequence": …}.
	//
	// Deprecated: use wire.EnvelopeHeader.
	EnvelopeHeader = wire.EnvelopeHeader
	// EnvelopeV1 is the envelope version this package writes.
	//
	// Deprecated: use wire.EnvelopeV1.
	EnvelopeV1 = wire.EnvelopeV1
)

// Client publishes events to jobd and calls its request–reply interface over
// NATS. It is safe for concurrent use.
type Client struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	owned bool
}

// Connect connects to NATS at url with the given NATS options.
func Connect(url string, opts ...nats.Option) (*Client, error) {
	nc, err := nats.Connect(url, append([]nats.Option{nats.Name("jobd-client"), nats.Timeout(5 * time.Second)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	c, err := New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.owned = true
	return c, nil
}

// New uses an existing connection; Close leaves it open.
func New(nc *nats.Conn) (*Client, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	return &Client{nc: nc, js: js}, nil
}

// Conn returns the NATS connection.
func (c *Client) Conn() *nats.Conn { return c.nc }

// Close closes the connection if Connect opened it.
func (c *Client) Close() {
	if c.owned {
		c.nc.Close()
	}
}

// PublishOption adjusts one publish.
type PublishOption func(*publishOpts)

type publishOpts struct {
	msgID    string
	sequence map[string]map[string]any
	headers  map[string]string
}

// WithMsgID sets the header wire.MsgIDHeader (Nats-Msg-Id): publishing the
// same id again (within the stream's duplicate window, two minutes) is a
// duplicate, not a second run.
func WithMsgID(id string) PublishOption { return func(o *publishOpts) { o.msgID = id } }

// WithSequence sends the envelope with earlier events' outputs, readable by
// jobs as $Sequence{sequence_tag}{event_tag}{…}.
func WithSequence(seq map[string]map[string]any) PublishOption {
	return func(o *publishOpts) { o.sequence = seq }
}

// WithHeader adds a header.
func WithHeader(k, v string) PublishOption {
	return func(o *publishOpts) {
		if o.headers == nil {
			o.headers = map[string]string{}
		}
		o.headers[k] = v
	}
}

// Publish publishes input (any JSON-encodable object, or json.RawMessage)
// as an event on subject, and waits until NATS stored it. It returns
// ErrNotCaptured when no job triggers on the subject.
func (c *Client) Publish(ctx context.Context, subject string, input any, opts ...PublishOption) error {
	msg, err := Message(subject, input, opts...)
	if err != nil {
		return err
	}
	if _, err := c.js.PublishMsg(ctx, msg); err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
			return fmt.Errorf("publish %s: %w", subject, ErrNotCaptured)
		}
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	return nil
}

// Message builds the NATS message Publish sends.
func Message(subject string, input any, opts ...PublishOption) (*nats.Msg, error) {
	var o publishOpts
	for _, opt := range opts {
		opt(&o)
	}
	var raw json.RawMessage
	switch v := input.(type) {
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	default:
		b, err := json.Marshal(input)
		if err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
		raw = b
	}
	msg := nats.NewMsg(subject)
	msg.Data = raw
	if o.sequence != nil {
		seq, err := json.Marshal(o.sequence)
		if err != nil {
			return nil, fmt.Errorf("encode envelope: %w", err)
		}
		b, err := json.Marshal(wire.Envelope{Input: raw, Sequence: seq})
		if err != nil {
			return nil, fmt.Errorf("encode envelope: %w", err)
		}
		msg.Data = b
		msg.Header.Set(wire.EnvelopeHeader, wire.EnvelopeV1)
	}
	if o.msgID != "" {
		msg.Header.Set(wire.MsgIDHeader, o.msgID)
	}
	for k, v := range o.headers {
		msg.Header.Set(k, v)
	}
	return msg, nil
}
