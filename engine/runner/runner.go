// Package runner is the engine's core loop: it consumes trigger events and
// due runs from JetStream, resolves each job's input, dispatches it to its
// plugin, applies the failure policy and records the outcome, and only then
// acknowledges the message, so a crash at any point leads to redelivery and
// never to loss.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/catalog"
	"github.com/jobd-dev/jobd/engine/jobstore"
	"github.com/jobd-dev/jobd/engine/metrics"
	"github.com/jobd-dev/jobd/engine/publish"
	"github.com/jobd-dev/jobd/engine/streams"
	"github.com/jobd-dev/jobd/engine/timers"
	"github.com/jobd-dev/jobd/sdk/host"
)

// MaxDeliveriesDefault is how often a message may be delivered without its
// runs finishing (jobd stopped or crashed each time) before it is
// dead-lettered.
const MaxDeliveriesDefault = 20

// PublishTimeout is how long the runner waits for a stream to acknowledge
// a result, a failure report, a dead letter or a retry's timer; past it
// the run's message is redelivered.
const PublishTimeout = 10 * time.Second

// RunPrepareConcurrency is how many due runs are prepared (job record read
// and advanced) at once.
const RunPrepareConcurrency = 256

// Dispatcher runs jobs of one kind (a dispatch.Pool).
type Dispatcher interface {
	Run(ctx context.Context, job host.Job, done func(host.Result)) error
}

// Options configure a Runner.
type Options struct {
	JS      jetstream.JetStream
	Catalog *catalog.Catalog
	// Store keeps job records of scheduled, recurring and dispatched jobs.
	Store *jobstore.Store
	// Timers stores runs due later (scheduled occurrences, retries).
	Timers *timers.Store
	// Dispatchers by kind.
	Dispatchers map[string]Dispatcher
	// Secret resolves $Secret{KEY}.
	Secret func(string) (string, error)
	// PluginSecrets are, by kind, the secret values resolved into a plugin's
	// configuration: scrubbed from every run of that plugin.
	PluginSecrets map[string][]string
	// Variables and Constants for piping, by app.
	Variables map[string]map[string]any
	Constants map[string]map[string]any
	// MaxEventBytes is the largest usable event body.
	MaxEventBytes int
	// MaxEventDepth is how deeply events, dispatch inputs and plugin outputs
	// may nest; defaults to config.MaxEventDepthDefault.
	MaxEventDepth int
	// AckWait is the consumers' ack wait; progress acks are sent at a third.
	AckWait time.Duration
	// MaxDeliveries; defaults to MaxDeliveriesDefault.
	MaxDeliveries int
	Logger        *slog.Logger
	Metrics       *metrics.Metrics
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
}

// Runner consumes events and runs, and runs jobs.
type Runner struct {
	o       Options
	log     *slog.Logger
	pub     *publish.Publisher // set by Start
	tracker *tracker

	// epoch is the events stream's creation time: part of every run id, so
	// a new data folder never reuses the run ids (and idempotency keys) of
	// an old one.
	epoch string

	// runSlots bounds the due runs being prepared at once: a scheduled
	// occurrence reads and updates its job record before it runs, and doing
	// those round trips one after another would cap due runs at about one
	// per round trip.
	runSlots chan struct{}
	prep     sync.WaitGroup

	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	cons   []jetstream.ConsumeContext
	wg     sync.WaitGroup
}

// New returns a runner; Start starts consuming.
func New(o Options) *Runner {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxDeliveries <= 0 {
		o.MaxDeliveries = MaxDeliveriesDefault
	}
	if o.AckWait <= 0 {
		o.AckWait = time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{o: o, log: o.Logger, tracker: newTracker(), ctx: ctx, cancel: cancel,
		runSlots: make(chan struct{}, RunPrepareConcurrency)}
}

// Start consumes from the events and runs consumers.
func (r *Runner) Start(ctx context.Context) error {
	type source struct {
		stream, consumer string
		handle           func(jetstream.Msg)
	}
	sources := []source{{streams.Runs, streams.RunsConsumer, r.onRunAsync}}
	if len(r.o.Catalog.Subjects()) > 0 {
		sources = append(sources, source{streams.Events, streams.EventsConsumer, r.onEvent})
	}
	pub, err := publish.New(r.o.JS.Conn(), publish.Options{Timeout: PublishTimeout})
	if err != nil {
		return err
	}
	r.pub = pub
	if len(r.o.Catalog.Subjects()) > 0 {
		st, err := r.o.JS.Stream(ctx, streams.Events)
		if err != nil {
			return fmt.Errorf("stream %s: %w", streams.Events, err)
		}
		r.epoch = st.CachedInfo().Created.UTC().Format(time.RFC3339Nano)
	}
	for _, s := range sources {
		c, err := r.o.JS.Consumer(ctx, s.stream, s.consumer)
		if err != nil {
			return fmt.Errorf("consumer %s: %w", s.consumer, err)
		}
		cc, err := c.Consume(s.handle, jetstream.PullMaxMessages(512), jetstream.ConsumeErrHandler(r.consumeError))
		if err != nil {
			return fmt.Errorf("consume %s: %w", s.consumer, err)
		}
		r.mu.Lock()
		r.cons = append(r.cons, cc)
		r.mu.Unlock()
	}
	r.wg.Add(2)
	go r.heartbeat()
	go r.purgeLoop()
	return nil
}

// purgeLoop removes from JOBD_EVENTS and JOBD_RUNS, now and every
// streams.PurgeEvery, the messages below their consumer's ack floor (see
// streams.Purger). Every replica does it; a purge is idempotent.
func (r *Runner) purgeLoop() {
	defer r.wg.Done()
	t := time.NewTicker(streams.PurgeEvery)
	defer t.Stop()
	purgers := []*streams.Purger{{Stream: streams.Runs, Consumer: streams.RunsConsumer}}
	if len(r.o.Catalog.Subjects()) > 0 {
		purgers = append(purgers, &streams.Purger{Stream: streams.Events, Consumer: streams.EventsConsumer})
	}
	for {
		for _, p := range purgers {
			ctx, cancel := context.WithTimeout(r.ctx, storeTimeout)
			err := p.Purge(ctx, r.o.JS, time.Now())
			cancel()
			if err != nil && r.ctx.Err() == nil {
				r.log.Warn("purge finished messages", "stream", p.Stream, "error", err)
			}
		}
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Runner) consumeError(_ jetstream.ConsumeContext, err error) {
	if errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, nats.ErrConnectionClosed) {
		r.log.Debug("consumer", "error", err)
		return
	}
	r.log.Warn("consumer", "error", err)
}

// heartbeat keeps long runs' messages from being redelivered.
func (r *Runner) heartbeat() {
	defer r.wg.Done()
	every := r.o.AckWait / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case now := <-t.C:
			r.tracker.progress(now, every)
		}
	}
}

// InFlight returns the number of messages whose runs are in flight.
func (r *Runner) InFlight() int { return r.tracker.len() }

// Stop stops taking messages and waits until every run in flight is settled
// or ctx ends; what is not settled then is redelivered later.
func (r *Runner) Stop(ctx context.Context) {
	r.mu.Lock()
	cons := r.cons
	r.cons = nil
	r.mu.Unlock()
	for _, c := range cons {
		c.Drain()
	}
	for _, c := range cons {
		select {
		case <-c.Closed():
		case <-ctx.Done():
		}
	}
	prepared := make(chan struct{})
	go func() { r.prep.Wait(); close(prepared) }()
	select {
	case <-prepared:
	case <-ctx.Done():
	}
	select {
	case <-r.tracker.waitEmpty():
	case <-ctx.Done():
		r.log.Warn("stopped with runs in flight; they will be redelivered", "messages", r.tracker.len())
	}
	r.cancel()
	if r.pub != nil {
		r.pub.Close(ctx)
	}
	r.wg.Wait()
}

// onRunAsync hands a due run to its own goroutine, at most
// RunPrepareConcurrency at once; the consumer waits when all are busy.
func (r *Runner) onRunAsync(msg jetstream.Msg) {
	r.runSlots <- struct{}{}
	r.prep.Add(1)
	go func() {
		defer func() { <-r.runSlots; r.prep.Done() }()
		r.onRun(msg)
	}()
}
