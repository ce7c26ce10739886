package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publisher publishes to JetStream without waiting for each PubAck in
// line: it hands the futures to one goroutine that waits for them in order
// and calls back.
type publisher struct {
	js      jetstream.JetStream
	waiting chan pending
	done    chan struct{}

	mu     sync.RWMutex
	closed bool
}

// errPublisherClosed answers a publish after close.
var errPublisherClosed = errors.New("publisher closed")

type pending struct {
	fut jetstream.PubAckFuture
	cb  func(error)
}

func newPublisher(js jetstream.JetStream) *publisher {
	p := &publisher{js: js, waiting: make(chan pending, 16384), done: make(chan struct{})}
	go p.wait()
	return p
}

// publish publishes msg; cb is called with nil once the stream stored it,
// or with the error.
func (p *publisher) publish(msg *nats.Msg, cb func(error), opts ...jetstream.PublishOpt) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		cb(fmt.Errorf("publish %s: %w", msg.Subject, errPublisherClosed))
		return
	}
	fut, err := p.js.PublishMsgAsync(msg, opts...)
	if err != nil {
		cb(fmt.Errorf("publish %s: %w", msg.Subject, err))
		return
	}
	p.waiting <- pending{fut: fut, cb: cb}
}

// publishAll publishes msgs and calls cb once, with the first error if any.
func (p *publisher) publishAll(msgs []*nats.Msg, cb func(error)) {
	switch len(msgs) {
	case 0:
		cb(nil)
		return
	case 1:
		p.publish(msgs[0], cb)
		return
	}
	var (
		mu    sync.Mutex
		left  = len(msgs)
		first error
	)
	for _, m := range msgs {
		p.publish(m, func(err error) {
			mu.Lock()
			left--
			if err != nil && first == nil {
				first = err
			}
			done, e := left == 0, first
			mu.Unlock()
			if done {
				cb(e)
			}
		})
	}
}

func (p *publisher) wait() {
	defer close(p.done)
	for pd := range p.waiting {
		select {
		case <-pd.fut.Ok():
			pd.cb(nil)
		case err := <-pd.fut.Err():
			pd.cb(fmt.Errorf("publish %s: %w", pd.fut.Msg().Subject, err))
		}
	}
}

// close waits for the outstanding acks, or until ctx ends.
func (p *publisher) close(ctx context.Context) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.waiting)
	p.mu.Unlock()
	select {
	case <-p.done:
	case <-ctx.Done():
	}
}
