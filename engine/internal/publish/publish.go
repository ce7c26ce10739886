// Package publish publishes messages to JetStream streams without waiting
// for each acknowledgement in line: a message goes out at once over core
// NATS with a reply subject of the publisher's own, and a callback hears
// when its stream stored it, or why not.
//
// It does what jetstream.PublishMsgAsync does, for the engine's hot path,
// at a lower cost per message: no timer per message (one sweep a tick
// finds the overdue), no channels per message (the callback is called
// straight from the goroutine that reads the acknowledgements), and the
// common acknowledgement, {"stream":…,"seq":…}, is recognised without a
// JSON decoder.
package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Defaults for Options.
const (
	// MaxPendingDefault bounds the messages waiting for their
	// acknowledgement; Publish waits while that many are out.
	MaxPendingDefault = 8192
	// TimeoutDefault is how long a message waits for its acknowledgement.
	TimeoutDefault = 10 * time.Second
	// NoRespondersRetries is how often a message that found no stream
	// listening (a stream leader being elected) is sent again, RetryWait
	// apart, before it fails with ErrNoStream.
	NoRespondersRetries = 2
	// RetryWait is the wait before such a retry.
	RetryWait = 250 * time.Millisecond
)

// Errors passed to callbacks (wrapped with the subject).
var (
	// ErrClosed: the publisher was closed before the message was stored.
	ErrClosed = errors.New("publisher closed")
	// ErrTimeout: no acknowledgement within Options.Timeout.
	ErrTimeout = errors.New("no acknowledgement from the stream in time")
	// ErrNoStream: no stream took the subject.
	ErrNoStream = errors.New("no stream answered for the subject")
	// ErrInvalidAck: the answer was not a JetStream acknowledgement.
	ErrInvalidAck = errors.New("invalid acknowledgement")
)

// Options configure a Publisher.
type Options struct {
	// MaxPending defaults to MaxPendingDefault.
	MaxPending int
	// Timeout defaults to TimeoutDefault.
	Timeout time.Duration
}

// Publisher publishes to JetStream and calls back with the outcome. It is
// safe for concurrent use.
type Publisher struct {
	nc      *nats.Conn
	sub     *nats.Subscription
	prefix  string // reply subjects are prefix + id in base 36
	timeout time.Duration
	max     int

	mu      sync.Mutex
	room    *sync.Cond // signalled when a message leaves pending
	next    uint64
	pending map[uint64]entry
	closed  bool
	drained chan struct{} // closed when closed and pending is empty
	// calling counts the callbacks of entries taken out of pending that
	// have not returned yet.
	calling sync.WaitGroup

	clock atomic.Int64 // unix nanos, advanced by the sweeper every tick
	stop  chan struct{}
	done  chan struct{}
}

// entry is a message waiting for its acknowledgement.
type entry struct {
	msg     *nats.Msg
	cb      func(error)
	sent    int64 // the clock when (last) sent
	retries int
}

// New returns a publisher on nc; Start starts it, Stop releases it.
func New(nc *nats.Conn, o Options) *Publisher {
	if o.MaxPending <= 0 {
		o.MaxPending = MaxPendingDefault
	}
	if o.Timeout <= 0 {
		o.Timeout = TimeoutDefault
	}
	p := &Publisher{
		nc: nc, prefix: nc.NewInbox() + ".", timeout: o.Timeout, max: o.MaxPending,
		pending: map[uint64]entry{}, drained: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	p.room = sync.NewCond(&p.mu)
	p.clock.Store(time.Now().UnixNano())
	return p
}

// Start subscribes to the acknowledgements and starts the sweep of
// messages past their timeout.
func (p *Publisher) Start(context.Context) error {
	sub, err := p.nc.Subscribe(p.prefix+"*", p.onAck)
	if err != nil {
		return fmt.Errorf("publisher: subscribe to acknowledgements: %w", err)
	}
	// Pending is bounded by MaxPending; the subscription must never drop
	// an acknowledgement as a slow consumer.
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("publisher: %w", err)
	}
	p.mu.Lock()
	p.sub = sub
	p.mu.Unlock()
	go p.sweep() // closes p.done when stopped
	return nil
}

// Publish sends msg to its stream; cb is called once, with nil when the
// stream stored it (a duplicate Nats-Msg-Id counts as stored) or with the
// reason it was not. Publish sets msg.Reply, and msg must not change until
// cb is called.
//
// cb runs on the goroutine that reads acknowledgements: it must not block
// for long. While MaxPending messages wait, Publish waits for room, at most
// Options.Timeout; cb then gets ErrTimeout.
func (p *Publisher) Publish(msg *nats.Msg, cb func(error)) {
	p.mu.Lock()
	if len(p.pending) >= p.max && !p.closed {
		p.waitRoom()
	}
	switch {
	case p.closed:
		p.mu.Unlock()
		cb(fmt.Errorf("publish %s: %w", msg.Subject, ErrClosed))
		return
	case len(p.pending) >= p.max:
		p.mu.Unlock()
		cb(fmt.Errorf("publish %s: %d messages waiting for acknowledgements: %w", msg.Subject, p.max, ErrTimeout))
		return
	}
	p.next++
	id := p.next
	p.pending[id] = entry{msg: msg, cb: cb, sent: p.clock.Load()}
	p.mu.Unlock()
	p.send(id, msg)
}

// waitRoom waits, with p.mu held, until a message leaves pending, the
// publisher closes, or the timeout passes.
func (p *Publisher) waitRoom() {
	t := time.AfterFunc(p.timeout, func() {
		p.mu.Lock()
		p.room.Broadcast()
		p.mu.Unlock()
	})
	defer t.Stop()
	deadline := time.Now().Add(p.timeout)
	for len(p.pending) >= p.max && !p.closed && time.Now().Before(deadline) {
		p.room.Wait()
	}
}

// send sends (or sends again) the message with id.
func (p *Publisher) send(id uint64, msg *nats.Msg) {
	msg.Reply = p.prefix + strconv.FormatUint(id, 36)
	if err := p.nc.PublishMsg(msg); err != nil {
		p.finish(id, fmt.Errorf("publish %s: %w", msg.Subject, err))
	}
}

// finish removes id from pending and calls its callback with err.
func (p *Publisher) finish(id uint64, err error) {
	if e, ok := p.take(id); ok {
		p.call(e, err)
	}
}

// call runs the callback of an entry remove took out of pending.
func (p *Publisher) call(e entry, err error) {
	defer p.calling.Done()
	e.cb(err)
}

// take removes id from pending and returns its entry.
func (p *Publisher) take(id uint64) (entry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.pending[id]
	if ok {
		p.remove(id)
	}
	return e, ok
}

// remove deletes id from pending; p.mu is held.
func (p *Publisher) remove(id uint64) {
	delete(p.pending, id)
	p.calling.Add(1) // its callback is due: Stop waits for it (see call)
	if len(p.pending) == p.max-1 {
		p.room.Broadcast()
	}
	if p.closed && len(p.pending) == 0 {
		select {
		case <-p.drained:
		default:
			close(p.drained)
		}
	}
}

// onAck handles one acknowledgement.
func (p *Publisher) onAck(m *nats.Msg) {
	id, err := strconv.ParseUint(m.Subject[len(p.prefix):], 36, 64)
	if err != nil {
		return
	}
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		p.noResponders(id)
		return
	}
	if e, ok := p.take(id); ok {
		p.call(e, ackError(e.msg.Subject, m.Data))
	}
}

// noResponders sends the message again after RetryWait, or fails it.
func (p *Publisher) noResponders(id uint64) {
	p.mu.Lock()
	e, ok := p.pending[id]
	if !ok {
		p.mu.Unlock()
		return
	}
	if e.retries >= NoRespondersRetries || p.closed {
		p.remove(id)
		p.mu.Unlock()
		p.call(e, fmt.Errorf("publish %s: %w", e.msg.Subject, ErrNoStream))
		return
	}
	e.retries++
	p.pending[id] = e
	p.mu.Unlock()
	time.AfterFunc(RetryWait, func() {
		p.mu.Lock()
		e, ok := p.pending[id]
		if ok {
			e.sent = p.clock.Load()
			p.pending[id] = e
		}
		p.mu.Unlock()
		if ok {
			p.send(id, e.msg)
		}
	})
}

// ackPrefix starts a successful acknowledgement as the server writes it.
var ackPrefix = []byte(`{"stream":`)

// ackError returns nil for a successful acknowledgement, else the error it
// carries.
func ackError(subject string, data []byte) error {
	if bytes.HasPrefix(data, ackPrefix) && !bytes.Contains(data, []byte(`"error"`)) {
		return nil
	}
	var ack struct {
		Stream string `json:"stream"`
		Error  *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &ack); err != nil {
		return fmt.Errorf("publish %s: %w: %q", subject, ErrInvalidAck, data)
	}
	if ack.Error != nil {
		return fmt.Errorf("publish %s: %s (code %d, error code %d)", subject, ack.Error.Description, ack.Error.Code, ack.Error.ErrCode)
	}
	if ack.Stream == "" {
		return fmt.Errorf("publish %s: %w: %q", subject, ErrInvalidAck, data)
	}
	return nil
}

// sweep advances the clock and fails the messages whose acknowledgement is
// overdue. One pass a tick costs less than a timer per message; a message
// times out between Timeout and Timeout plus one tick after it was sent.
func (p *Publisher) sweep() {
	defer close(p.done)
	tick := min(max(p.timeout/4, time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	var due []entry
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			n := now.UnixNano()
			p.clock.Store(n)
			due = due[:0]
			p.mu.Lock()
			for id, e := range p.pending {
				if time.Duration(n-e.sent) >= p.timeout {
					due = append(due, e)
					p.remove(id)
				}
			}
			p.mu.Unlock()
			for _, e := range due {
				p.call(e, fmt.Errorf("publish %s: %w (%v)", e.msg.Subject, ErrTimeout, p.timeout))
			}
		}
	}
}

// Pending returns how many messages wait for their acknowledgement.
func (p *Publisher) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// Stop stops taking messages and waits until every message sent is
// acknowledged or ctx ends; the callbacks of those still waiting then get
// ErrClosed. It is safe to call more than once.
func (p *Publisher) Stop(ctx context.Context) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.done
		return
	}
	p.closed = true
	p.room.Broadcast()
	if len(p.pending) == 0 {
		close(p.drained)
	}
	p.mu.Unlock()
	select {
	case <-p.drained:
		// The last acknowledgement emptied pending; its callback may still
		// be running on the subscription's goroutine.
		p.calling.Wait()
	case <-ctx.Done():
	}
	close(p.stop)
	p.mu.Lock()
	sub := p.sub
	p.mu.Unlock()
	if sub == nil {
		close(p.done) // never started: no sweep to wait for
	} else {
		<-p.done
		_ = sub.Unsubscribe()
	}
	p.mu.Lock()
	left := p.pending
	p.pending = map[uint64]entry{}
	p.mu.Unlock()
	for _, e := range left {
		e.cb(fmt.Errorf("publish %s: %w", e.msg.Subject, ErrClosed))
	}
}
