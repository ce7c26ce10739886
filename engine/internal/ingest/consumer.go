// Package ingest is where messages come in: it consumes trigger events
// (JOBD_EVENTS) and due runs (JOBD_RUNS), turns each event into one run
// per matching job (with a deterministic run id) and each due run back into
// a run, hands them to the executor (package run) or, for jobs with a
// schedule, to the jobs manager (package jobs), and acknowledges a message
// only once every run it started is settled, so a crash at any point leads
// to redelivery and never to loss.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/lograte"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/streams"
)

// MaxDeliveriesDefault is how often a message may be delivered without its
// runs finishing (jobd stopped or crashed each time) before it is
// dead-lettered.
const MaxDeliveriesDefault = 20

// RunPrepareConcurrency is how many due runs are prepared (job record read
// and advanced) at once.
const RunPrepareConcurrency = 256

// Executor runs attempts (a *run.Executor).
type Executor interface {
	Attempt(ru *run.Run)
	FailNow(ru *run.Run, class, format string, args ...any)
}

// Jobs keeps the jobs that have records (a *jobs.Manager).
type Jobs interface {
	FromEvent(ru *run.Run)
	Advance(ru *run.Run, rec *run.Record, delivered int) bool
	Cancelled(jobID string) bool
	// RunCancelled reports whether a run waiting for a retry, or its
	// job, was cancelled.
	RunCancelled(rec *run.Record) bool
	// CancelRemovedJob cancels the job of a run whose event left the
	// configuration; false when it has no record to cancel.
	CancelRemovedJob(jobID string) bool
}

// Features runs features (a *feature.Manager).
type Features interface {
	// FromEvent starts a run of f from an event (id is the feature run's
	// id, stable across redeliveries; perr says why the event is unusable)
	// and settles d once the run's first event is started.
	FromEvent(d run.Delivery, f *catalog.Feature, id, subject string, received time.Time, ev *run.Event, perr error)
	// BeforeStep reports whether a feature's step should be attempted: not
	// when the feature run has moved past it (a redelivery after its output
	// was recorded) or ended; it then settles the run itself.
	BeforeStep(ru *run.Run) bool
	// Orphaned ends the feature run id, whose event step is no longer
	// configured, as failed.
	Orphaned(id, step string)
}

// Options configure a Consumer.
type Options struct {
	JS      jetstream.JetStream
	Catalog *catalog.Catalog
	// Exec runs attempts.
	Exec Executor
	// Jobs keeps the jobs that have records (scheduled, dispatched).
	Jobs Jobs
	// Features runs features; required when features are configured.
	Features Features
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
}

// Consumer consumes events and due runs.
type Consumer struct {
	o       Options
	log     *slog.Logger
	tracker *tracker
	// logLimit keeps transient failures (a server restarting) to one
	// WARN per cause per interval.
	logLimit lograte.Limiter

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
	// sources are what Start consumes from, kept so that Resume can
	// consume again after Pause; paused and stopping are Pause's and
	// Stop's.
	sources  []consumeSource
	paused   bool
	stopping bool
	wg       sync.WaitGroup
}

// New returns a consumer; Start starts consuming.
func New(o Options) *Consumer {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxDeliveries <= 0 {
		o.MaxDeliveries = MaxDeliveriesDefault
	}
	if o.AckWait <= 0 {
		o.AckWait = time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Consumer{o: o, log: o.Logger, tracker: newTracker(), ctx: ctx, cancel: cancel,
		runSlots: make(chan struct{}, RunPrepareConcurrency)}
}

// Start consumes from the events and runs consumers.
func (r *Consumer) Start(ctx context.Context) error {
	type source struct {
		stream, consumer string
		handle           func(jetstream.Msg)
	}
	sources := []source{{streams.Runs, streams.RunsConsumer, r.onRunAsync}}
	if len(r.o.Catalog.Subjects()) > 0 {
		sources = append(sources, source{streams.Events, streams.EventsConsumer, r.onEvent})
	}
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
		r.mu.Lock()
		r.sources = append(r.sources, consumeSource{name: s.consumer, c: c, handle: s.handle})
		r.mu.Unlock()
	}
	if err := r.consume(); err != nil {
		return err
	}
	r.wg.Add(2)
	go r.heartbeat()
	go r.purgeLoop()
	return nil
}

// purgeLoop removes from JOBD_EVENTS and JOBD_RUNS, now and every
// streams.PurgeEvery, the messages below their consumer's ack floor (see
// streams.Purger). Every replica does it; a purge is idempotent.
func (r *Consumer) purgeLoop() {
	defer r.wg.Done()
	t := time.NewTicker(streams.PurgeEvery)
	defer t.Stop()
	purgers := []*streams.Purger{{Stream: streams.Runs, Consumer: streams.RunsConsumer}}
	if len(r.o.Catalog.Subjects()) > 0 {
		purgers = append(purgers, &streams.Purger{Stream: streams.Events, Consumer: streams.EventsConsumer})
	}
	for {
		for _, p := range purgers {
			ctx, cancel := context.WithTimeout(r.ctx, purgeTimeout)
			err := p.Purge(ctx, r.o.JS, time.Now())
			cancel()
			if err != nil && r.ctx.Err() == nil {
				r.logLimit.Problem(r.log, slog.LevelWarn, "purge finished messages", err, "stream", p.Stream)
			}
		}
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Consumer) consumeError(_ jetstream.ConsumeContext, err error) {
	if errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, nats.ErrConnectionClosed) {
		r.log.Debug("consumer", "error", err)
		return
	}
	r.logLimit.Problem(r.log, slog.LevelWarn, "consumer", err)
}

// heartbeat keeps long runs' messages from being redelivered.
func (r *Consumer) heartbeat() {
	defer r.wg.Done()
	every := r.o.AckWait / 3
	t := time.NewTicker(every) // real time: the server counts ack_wait in it
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
func (r *Consumer) InFlight() int { return r.tracker.len() }

// Stop stops taking messages and waits until every run in flight is settled
// or ctx ends; what is not settled then is redelivered later.
func (r *Consumer) Stop(ctx context.Context) {
	r.mu.Lock()
	r.stopping = true
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
	r.wg.Wait()
}

// onRunAsync hands a due run to its own goroutine, at most
// RunPrepareConcurrency at once; the consumer waits when all are busy.
func (r *Consumer) onRunAsync(msg jetstream.Msg) {
	r.runSlots <- struct{}{}
	r.prep.Add(1)
	go func() {
		defer func() { <-r.runSlots; r.prep.Done() }()
		r.onRun(msg)
	}()
}

// purgeTimeout bounds one purge of a stream.
const purgeTimeout = 10 * time.Second
