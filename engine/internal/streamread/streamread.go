// Package streamread reads what a JetStream consumer has pending, in
// batches, once: the one loop the job store and the timers share.
package streamread

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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
			return fmt.Errorf("nothing delivered for %v with %d messages left", Wait, left)
		}
		left -= n
	}
	return nil
}
