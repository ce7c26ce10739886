package ingest

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// delivery is one stream message whose runs are in flight. It is
// acknowledged once every run it started is settled: finished and recorded,
// or handed to a durable retry timer. Until then it is kept alive with
// progress acks, so a long run is not redelivered.
type delivery struct {
	msg     jetstream.Msg
	started time.Time

	mu      sync.Mutex
	pending int
	failed  bool
	tracker *tracker // removes it once settled
}

// Settle marks one run settled; ok=false asks for redelivery instead of an
// ack (the outcome could not be recorded).
func (d *delivery) Settle(ok bool) {
	d.mu.Lock()
	d.pending--
	if !ok {
		d.failed = true
	}
	done := d.pending == 0
	failed := d.failed
	d.mu.Unlock()
	if !done {
		return
	}
	if failed {
		_ = d.msg.NakWithDelay(time.Second)
	} else {
		_ = d.msg.Ack()
	}
	d.tracker.remove(d)
}

// Msg returns the message.
func (d *delivery) Msg() jetstream.Msg { return d.msg }

// tracker keeps the deliveries in flight, sends progress acks for the old
// ones, and lets Stop wait for all of them.
type tracker struct {
	mu      sync.Mutex
	active  map[*delivery]struct{}
	emptied chan struct{} // closed and replaced when active becomes empty
}

func newTracker() *tracker {
	return &tracker{active: map[*delivery]struct{}{}}
}

func (t *tracker) add(msg jetstream.Msg, runs int, now time.Time) *delivery {
	d := &delivery{msg: msg, started: now, pending: runs, tracker: t}
	t.mu.Lock()
	t.active[d] = struct{}{}
	t.mu.Unlock()
	return d
}

func (t *tracker) remove(d *delivery) {
	t.mu.Lock()
	delete(t.active, d)
	if len(t.active) == 0 && t.emptied != nil {
		close(t.emptied)
		t.emptied = nil
	}
	t.mu.Unlock()
}

func (t *tracker) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.active)
}

// waitEmpty returns a channel closed when no delivery is in flight.
func (t *tracker) waitEmpty() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := make(chan struct{})
	if len(t.active) == 0 {
		close(ch)
		return ch
	}
	if t.emptied == nil {
		t.emptied = make(chan struct{})
	}
	return t.emptied
}

// progress sends a progress ack for every delivery older than age.
func (t *tracker) progress(now time.Time, age time.Duration) {
	t.mu.Lock()
	var old []*delivery
	for d := range t.active {
		if now.Sub(d.started) > age {
			old = append(old, d)
		}
	}
	t.mu.Unlock()
	for _, d := range old {
		_ = d.msg.InProgress()
	}
}
