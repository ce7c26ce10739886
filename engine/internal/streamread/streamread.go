// Package streamread reads a stream's messages once: with batched direct
// gets (Direct, no consumer), or through an ordered consumer that is
// deleted when the read ends (Once). The job store and the timers share it.
package streamread

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/transient"
)

// Batch is how many messages one request asks for.
const Batch = 1000

// Wait is how long one request waits for its messages.
const Wait = 5 * time.Second

// All calls fn with every message cons had pending when All was called
// (an ordered consumer, typically), in order. It fails when a request
// brings nothing while messages are still pending, so a caller never takes
// a partial read for a whole one.
func All(ctx context.Context, cons jetstream.Consumer, fn func(jetstream.Msg)) error {
	info, err := cons.Info(ctx)
	if err != nil {
		return err
	}
	left := int(info.NumPending)
	for left > 0 {
		batch, err := cons.Fetch(min(left, Batch), jetstream.FetchMaxWait(Wait))
		if err != nil {
			return err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			fn(m)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: nothing delivered for %v with %d messages left", transient.ErrStalled, Wait, left)
		}
		left -= n
	}
	return nil
}

// deleteTimeout bounds Delete: a process stopping while NATS is away
// does not wait long for it (the server deletes the consumer after
// InactiveThreshold anyway).
const deleteTimeout = 2 * time.Second

// InactiveThreshold is how long the server keeps a consumer that Once
// created (or any jobd creates for one replica) when the process died
// before deleting it.
const InactiveThreshold = 30 * time.Second

// Once reads, with All, every message of stream that an ordered consumer
// of cfg has pending, and deletes the consumer when the read ends: a read
// leaves no consumer behind (a stream allows a limited number, 1,000 by
// default). A consumer left by a process that died goes after
// InactiveThreshold.
func Once(ctx context.Context, js jetstream.JetStream, stream string, cfg jetstream.OrderedConsumerConfig, fn func(jetstream.Msg)) error {
	if cfg.InactiveThreshold == 0 {
		cfg.InactiveThreshold = InactiveThreshold
	}
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return err
	}
	defer func() {
		// The name of the consumer as it is now (an ordered consumer
		// makes a new one, and deletes the old, when it resets).
		Delete(js, stream, cons)
	}()
	return All(ctx, cons, fn)
}

// Delete deletes an ordered consumer of stream when the read it served
// ends: a read leaves no consumer behind.
func Delete(js jetstream.JetStream, stream string, cons jetstream.Consumer) {
	// The consumer as it is now: an ordered consumer makes a new one, and
	// deletes the old, when it resets.
	info := cons.CachedInfo()
	if info == nil || info.Name == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), deleteTimeout)
	defer cancel()
	_ = js.DeleteConsumer(ctx, stream, info.Name)
}
