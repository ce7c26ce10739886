package ingest

import (
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// consumeSource is one durable consumer and what handles its messages.
type consumeSource struct {
	name   string
	c      jetstream.Consumer
	handle func(jetstream.Msg)
}

// consume starts pulling from every source, unless Stop began.
func (r *Consumer) consume() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return nil
	}
	for _, s := range r.sources {
		cc, err := s.c.Consume(s.handle, jetstream.PullMaxMessages(512), jetstream.ConsumeErrHandler(r.consumeError))
		if err != nil {
			return fmt.Errorf("consume %s: %w", s.name, err)
		}
		r.cons = append(r.cons, cc)
	}
	return nil
}

// Pause stops pulling new messages: the ones not handed out yet are
// dropped here and stay with the server, which does not deliver them
// again (nor count a delivery) until jobd pulls again. Runs in flight go
// on. Safe to call more than once.
func (r *Consumer) Pause() {
	r.mu.Lock()
	if r.paused || r.stopping {
		r.mu.Unlock()
		return
	}
	r.paused = true
	cons := r.cons
	r.cons = nil
	r.mu.Unlock()
	for _, c := range cons {
		c.Stop()
	}
	r.log.Warn("stopped taking new events and due runs until NATS stores jobd's writes again")
}

// Resume pulls again after Pause. Safe to call when not paused, and after
// Stop (it does nothing then).
func (r *Consumer) Resume() {
	r.mu.Lock()
	if !r.paused || r.stopping {
		r.mu.Unlock()
		return
	}
	r.paused = false
	r.mu.Unlock()
	if err := r.consume(); err != nil {
		r.log.Error("could not take new work again; restart jobd", "error", err)
	}
}
