// Package dispatch carries jobs to plugin processes: one Pool per kind keeps
// a plugin running (restarting it with backoff when it dies), bounds the jobs
// in flight on it, and sends what is waiting in batches, many jobs per
// round trip.
package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/sdk/host"
)

// Defaults for a Pool.
const (
	// MaxBatchDefault is the most jobs sent in one message.
	MaxBatchDefault = 128
	// RestartMinDefault is the first wait before restarting a dead plugin.
	RestartMinDefault = 250 * time.Millisecond
	// RestartMaxDefault caps the wait between restarts.
	RestartMaxDefault = 30 * time.Second
)

// A plugin that exits CrashLoopCount times within CrashWindow is reported
// unhealthy (jobd plugins, /readyz, metrics) until it stays up.
const (
	CrashLoopCount = 3
	CrashWindow    = time.Minute
)

// recent keeps the crash times within CrashWindow of now.
func recent(ts []time.Time, now time.Time) []time.Time {
	out := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < CrashWindow {
			out = append(out, t)
		}
	}
	return out
}

// ErrStopped is returned by Run after Stop.
var ErrStopped = errors.New("dispatch: pool stopped")

// Plugin is what a Pool sends its jobs to: a plugin process
// (*host.Plugin), or an in-process stand-in for benchmarks and tests.
type Plugin interface {
	// Submit sends jobs; done is called once per job with its index.
	// Submit does not keep jobs after it returns.
	Submit(jobs []host.Job, done func(idx int, r host.Result))
	// Info is what the plugin said about itself when it started.
	Info() host.Info
	// Done is closed when the plugin has stopped; Err then says why.
	Done() <-chan struct{}
	Err() error
	// Stop stops the plugin gracefully, waiting for its jobs until ctx
	// ends; Kill stops it at once.
	Stop(ctx context.Context)
	Kill()
}

// StartProcess starts a plugin process: the default Options.Start.
func StartProcess(ctx context.Context, o host.Options) (Plugin, error) {
	pl, err := host.Start(ctx, o)
	if err != nil {
		return nil, err
	}
	return pl, nil
}

// Options configure a Pool.
type Options struct {
	// Plugin starts the plugin process.
	Plugin host.Options
	// Start starts the plugin from Plugin, at Start and at every restart.
	// Defaults to StartProcess.
	Start func(ctx context.Context, o host.Options) (Plugin, error)
	// Concurrency bounds the jobs in flight. Defaults to
	// config.ConcurrencyDefault.
	Concurrency int
	// MaxBatch bounds the jobs in one message. Defaults to MaxBatchDefault.
	MaxBatch int
	// Logger for restarts. Defaults to slog.Default().
	Logger *slog.Logger
	// OnRestart is called after the plugin was restarted (for metrics).
	OnRestart func()
	// RestartMin is the first wait before restarting a dead plugin, doubled
	// for each further failure. Defaults to RestartMinDefault.
	RestartMin time.Duration
	// RestartMax caps the wait between restarts. Defaults to
	// RestartMaxDefault.
	RestartMax time.Duration
	// QueueTimeout bounds how long Dispatch waits for a free slot; past it
	// Dispatch returns a *QueueTimeoutError. Defaults to no limit (the
	// engine sets config.QueueTimeoutDefault).
	QueueTimeout time.Duration
}

// Pool runs the jobs of one plugin kind.
type Pool struct {
	opts  Options
	log   *slog.Logger
	slots chan struct{}

	mu   sync.Mutex
	cond *sync.Cond
	// jobs and dones are the queue: a job and its callback.
	jobs    []host.Job
	dones   []func(host.Result)
	stopped bool
	plugin  Plugin
	lastErr error
	healthy bool
	fails   int         // consecutive failed starts
	crashes []time.Time // recent exits of a started plugin
	// refused is why the plugin was refused at its last start (refused.go).
	refused   error
	refusedAt time.Time

	// Stop ends the wait before a restart (closing stopping) and a start in
	// progress (cancelling startCtx), then waits for restarts to end.
	stopping    chan struct{}
	startCtx    context.Context
	cancelStart context.CancelFunc
	restarts    sync.WaitGroup

	wg sync.WaitGroup
}

// New returns a pool; Start starts its plugin.
func New(opts Options) *Pool {
	if opts.Concurrency <= 0 {
		opts.Concurrency = config.ConcurrencyDefault
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = MaxBatchDefault
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Start == nil {
		opts.Start = StartProcess
	}
	if opts.RestartMin <= 0 {
		opts.RestartMin = RestartMinDefault
	}
	if opts.RestartMax <= 0 {
		opts.RestartMax = RestartMaxDefault
	}
	p := &Pool{
		opts:     opts,
		log:      opts.Logger.With("kind", opts.Plugin.Kind),
		slots:    make(chan struct{}, opts.Concurrency),
		stopping: make(chan struct{}),
	}
	p.startCtx, p.cancelStart = context.WithCancel(context.Background())
	p.cond = sync.NewCond(&p.mu)
	return p
}

// Start starts the plugin and the sender. An error means the plugin did not
// start; the pool stays usable and keeps trying in the background.
func (p *Pool) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return ErrStopped
	}
	p.restarts.Add(1)
	p.mu.Unlock()
	pl, err := p.start(ctx)
	p.mu.Lock()
	if p.stopped { // Stop ran meanwhile, and waits for this start
		p.mu.Unlock()
		if pl != nil {
			pl.Kill()
		}
		p.restarts.Done()
		return ErrStopped
	}
	p.restarts.Done()
	p.plugin, p.lastErr, p.healthy = pl, err, err == nil
	if err != nil {
		p.fails = 1
	}
	p.setRefused(err)
	p.wg.Add(1) // under the lock: before Stop can wait for it
	p.mu.Unlock()
	go p.send()
	return err
}

// Info returns the running plugin's info, if it runs.
func (p *Pool) Info() (host.Info, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plugin == nil {
		return host.Info{}, false
	}
	return p.plugin.Info(), true
}

// Health reports whether the plugin is up, and the last error when not.
func (p *Pool) Health() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plugin != nil {
		select {
		case <-p.plugin.Done():
			return false, p.plugin.Err()
		default:
		}
		p.crashes = recent(p.crashes, time.Now())
		if len(p.crashes) < CrashLoopCount {
			p.healthy, p.lastErr = true, nil
		}
	}
	return p.healthy, p.lastErr
}

// InFlight returns the number of jobs holding a slot.
func (p *Pool) InFlight() int { return len(p.slots) }

// Run queues one job; done is called once with its result. Run blocks while
// the pool's concurrency is used up (backpressure) or until ctx ends. The
// job's Deadline is sent as it is; Dispatch starts it at the slot instead.
func (p *Pool) Run(ctx context.Context, job host.Job, done func(host.Result)) error {
	if err := p.acquire(ctx); err != nil {
		return err
	}
	return p.enqueue(job, done)
}

// Dispatch queues one attempt whose deadline is timeout from the moment it
// gets one of the pool's slots (none when timeout is 0), so the time spent
// waiting for a slot never eats the plugin's time. done is called once with
// the result and when the slot was taken. Dispatch blocks until the job has
// a slot, ctx ends, or Options.QueueTimeout passed (ErrQueueTimeout).
func (p *Pool) Dispatch(ctx context.Context, job host.Job, timeout time.Duration, done func(res host.Result, started time.Time)) error {
	if err := p.acquire(ctx); err != nil {
		return err
	}
	started := time.Now() // real time: the plugin enforces the deadline with its own clock
	if timeout > 0 {
		job.Deadline = started.Add(timeout)
	}
	return p.enqueue(job, func(r host.Result) { done(r, started) })
}

// acquire takes one of the pool's slots.
func (p *Pool) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	var expired <-chan time.Time
	if p.opts.QueueTimeout > 0 {
		t := time.NewTimer(p.opts.QueueTimeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-expired:
		return &QueueTimeoutError{Kind: p.opts.Plugin.Kind, Waited: p.opts.QueueTimeout, Concurrency: p.opts.Concurrency}
	}
}

// enqueue hands a job holding a slot to the sender.
func (p *Pool) enqueue(job host.Job, done func(host.Result)) error {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		<-p.slots
		return ErrStopped
	}
	p.jobs = append(p.jobs, job)
	p.dones = append(p.dones, done)
	p.cond.Signal()
	p.mu.Unlock()
	return nil
}

// send moves queued jobs to the plugin in batches, restarting the plugin
// when it is gone.
func (p *Pool) send() {
	defer p.wg.Done()
	var buf []host.Job
	for {
		p.mu.Lock()
		for len(p.jobs) == 0 && !p.stopped {
			p.cond.Wait()
		}
		if len(p.jobs) == 0 && p.stopped {
			p.mu.Unlock()
			return
		}
		// The batch's callbacks are read until its last job is answered:
		// they get an array of their own. Submit keeps no job, so the
		// jobs go through one array reused for every batch.
		n := min(len(p.jobs), p.opts.MaxBatch)
		jobs, dones := append(buf[:0], p.jobs[:n]...), make([]func(host.Result), n)
		buf = jobs
		copy(dones, p.dones)
		rest := copy(p.jobs, p.jobs[n:])
		copy(p.dones, p.dones[n:])
		clear(p.jobs[rest:]) // drop references to what was sent
		clear(p.dones[rest:])
		p.jobs, p.dones = p.jobs[:rest], p.dones[:rest]
		p.mu.Unlock()

		if err := p.stillRefused(); err != nil {
			for _, done := range dones {
				p.answer(done, noPlugin(p.opts.Plugin.Kind, err))
			}
			continue
		}
		pl, err := p.live()
		if err != nil {
			res := host.Result{Outcome: host.Retry, Crashed: true, Error: err.Error()}
			if Refused(err) {
				res = noPlugin(p.opts.Plugin.Kind, err)
			}
			for _, done := range dones {
				p.answer(done, res)
			}
			continue
		}
		pl.Submit(jobs, func(i int, r host.Result) { p.answer(dones[i], r) })
	}
}

// answer frees the job's slot and hands it its result.
func (p *Pool) answer(done func(host.Result), r host.Result) {
	<-p.slots
	done(r)
}

// Stop waits for queued and in-flight jobs until ctx ends, then stops the
// plugin. Safe to call more than once and without Start.
func (p *Pool) Stop(ctx context.Context) {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	p.cond.Broadcast()
	p.mu.Unlock()
	// A restart waiting or starting is interrupted: what waits for it is
	// answered as not run, and redelivered later.
	close(p.stopping)
	p.cancelStart()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	// Once a restart in progress has ended, no plugin starts any more.
	p.restarts.Wait()
	p.mu.Lock()
	pl := p.plugin
	p.mu.Unlock()
	if pl != nil {
		pl.Stop(ctx)
	}
}
