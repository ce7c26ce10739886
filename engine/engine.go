package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/api"
	"github.com/jobd-dev/jobd/engine/internal/broker"
	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/dispatch"
	"github.com/jobd-dev/jobd/engine/internal/feature"
	"github.com/jobd-dev/jobd/engine/internal/gogc"
	"github.com/jobd-dev/jobd/engine/internal/ingest"
	"github.com/jobd-dev/jobd/engine/internal/jobs"
	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/lograte"
	"github.com/jobd-dev/jobd/engine/internal/metrics"
	"github.com/jobd-dev/jobd/engine/internal/publish"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/storagegate"
	"github.com/jobd-dev/jobd/engine/internal/storecheck"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/engine/internal/timers"
	"github.com/jobd-dev/jobd/engine/internal/transient"
	"github.com/jobd-dev/jobd/sdk/host"
)

// Options configure an Engine beyond its configuration file.
type Options struct {
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Environ is the environment secrets and plugin variables are read
	// from; defaults to os.Environ().
	Environ []string
	// Version is reported by the management service.
	Version string
	// Clock is the time source of jobd's decisions: when a scheduled run
	// or a retry is due, cron and interval arithmetic, $Now. Timeouts,
	// result timings, retention and NATS's own timers stay on real time. Defaults to
	// the real clock; tests pass a clockwork.FakeClock.
	Clock clockwork.Clock
	// AcceptDamagedStore acknowledges damage found in the embedded
	// server's store: still logged and counted, but /readyz answers 200.
	// Defaults to false (jobd run --accept-damaged-store sets it).
	AcceptDamagedStore bool
	// MaxStoreBytes bounds what the embedded server stores (for tests of
	// a full store). Defaults to 0: most of the disk.
	MaxStoreBytes int64
}

// Engine is a running jobd.
type Engine struct {
	cfg  *config.Config
	cat  *catalog.Catalog
	opts Options
	log  *slog.Logger

	embedded *broker.Embedded
	damage   *storecheck.Tracker
	gate     *storagegate.Gate
	nc       *nats.Conn
	js       jetstream.JetStream
	pools    map[string]*dispatch.Pool
	pub      *publish.Publisher
	exec     *run.Executor
	jobs     *jobs.Manager
	ingest   *ingest.Consumer
	timers   *timers.Store
	store    *jobstore.Store
	api      *api.Server
	features *feature.Manager // nil without features
	metrics  *metrics.Metrics
	http     *http.Server
	httpAddr string

	secrets *Secrets
	ready   atomic.Bool

	// startedAt and startLog serve start-up's waits (waitFor).
	startedAt time.Time
	startLog  *lograte.Limiter
	// jsCheck caches /readyz's JetStream check.
	jsCheck jetStreamCheck

	// started holds every part started so far, in order; Stop stops them
	// in reverse.
	started  []part
	stopOnce sync.Once
}

// part is the lifecycle every long-lived piece of the engine shares:
// Stop(ctx) stops it, waits for the goroutines it started (or ctx), and
// is safe to call more than once or without a Start.
type part interface {
	Stop(ctx context.Context)
}

// service is a part that Start starts.
type service interface {
	part
	Start(ctx context.Context) error
}

// start starts s and records it as started, so Stop stops it (also when
// Start failed half-way).
func (e *Engine) start(ctx context.Context, s service) error {
	e.deferStop(s)
	return s.Start(ctx)
}

// partFunc adapts a function to part.
type partFunc func(ctx context.Context)

func (f partFunc) Stop(ctx context.Context) { f(ctx) }

// deferStop records p as started: Stop stops it, last started first.
func (e *Engine) deferStop(p part) { e.started = append(e.started, p) }

// New returns an engine for a loaded configuration; Start runs it.
func New(cfg *config.Config, cat *catalog.Catalog, opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Environ == nil {
		opts.Environ = os.Environ()
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	return &Engine{cfg: cfg, cat: cat, opts: opts, log: opts.Logger, pools: map[string]*dispatch.Pool{}}
}

// Start starts everything: NATS, streams, plugins, consumers and the HTTP
// endpoint. It sets the process's GC target to server.gogc unless GOGC is
// set in the environment. On error, what was started is stopped again.
func (e *Engine) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			e.shutdown(context.Background())
		}
	}()
	e.startedAt, e.startLog = time.Now(), startLimiter()
	gogc.Apply(e.cfg.Server.GOGC, e.log)
	secrets, err := LoadSecrets(e.opts.Environ, e.cfg.Secrets.File)
	if err != nil {
		return err
	}
	e.secrets = secrets
	if e.cfg, err = withNATSSecrets(e.cfg, secrets); err != nil {
		return err
	}
	url := e.cfg.NATS.URL
	if url == "" {
		auth, err := e.natsAuth()
		if err != nil {
			return err
		}
		e.damage = storecheck.NewTracker(e.log, e.opts.AcceptDamagedStore)
		if e.embedded, err = broker.StartEmbeddedWith(e.cfg, e.log, broker.EmbedOptions{Auth: auth, OnWarning: e.onServerWarning, MaxStore: e.opts.MaxStoreBytes}); err != nil {
			return err
		}
		e.deferStop(e.embedded)
		url = e.embedded.ClientURL()
		e.log.Info("embedded NATS server started", "listen", url, "store", e.cfg.Server.DataDir)
	}
	var closed chan struct{}
	err = e.waitFor(ctx, "connect", transient.NotProcessed, func(context.Context) (err error) {
		// A channel per attempt: one closed by an attempt that failed is
		// not the connection's.
		ch, once := make(chan struct{}), new(sync.Once)
		onClose := nats.ClosedHandler(func(*nats.Conn) { once.Do(func() { close(ch) }) })
		if e.embedded != nil {
			e.nc, err = e.embedded.Connect(e.cfg, "jobd", onClose)
		} else {
			e.nc, err = broker.Connect(e.cfg, url, "jobd", onClose)
		}
		closed = ch
		return err
	})
	if err != nil {
		return err
	}
	e.deferStop(partFunc(func(ctx context.Context) {
		// Drain sends what is buffered and closes the connection.
		if e.nc.Drain() != nil {
			e.nc.Close()
		}
		select {
		case <-closed:
		case <-ctx.Done():
			e.nc.Close()
		}
	}))
	if e.js, err = jetstream.New(e.nc, jetstream.WithPublishAsyncMaxPending(8192), jetstream.WithPublishAsyncTimeout(10*time.Second)); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	err = e.waitFor(ctx, "streams", nil, func(ctx context.Context) error {
		return streams.Ensure(ctx, e.js, e.streamOptions())
	})
	if err != nil {
		return err
	}
	err = e.waitFor(ctx, "job store", nil, func(ctx context.Context) (err error) {
		e.store, err = jobstore.Open(ctx, e.js, jobstore.Options{Replicas: e.cfg.NATS.Replicas, MaxAge: e.cfg.Server.ResultsMaxAge.D(), Logger: e.log})
		return err
	})
	if err != nil {
		return err
	}
	if err := e.checkStore(ctx); err != nil {
		return err
	}
	e.deferStop(partFunc(e.saveStore))
	e.metrics = metrics.New(e.inFlight, e.healthGauge)
	if e.damage != nil {
		e.metrics.Registry.MustRegister(e.damage.Counter)
	}
	// Every pool exists before the HTTP endpoint serves: /readyz and
	// /metrics read the map of pools, which is not written after this.
	if err := e.newPools(); err != nil {
		return err
	}
	// The storage gate exists before the HTTP endpoint serves (/readyz
	// reads it); it pauses ingest, which exists before any write it sees.
	e.gate = e.newStorageGate()
	e.deferStop(e.gate)
	if err := e.startHTTP(); err != nil {
		return err
	}
	e.deferStop(partFunc(e.stopPlugins))
	if err := e.startPlugins(ctx); err != nil {
		return err
	}
	disp := map[string]run.Dispatcher{}
	for kind, p := range e.pools {
		disp[kind] = p
	}
	e.timers = timers.New(timers.Options{
		JS: e.js, Stream: streams.Timers, Prefix: streams.TimersSubjectPrefix,
		Slot: e.cfg.Server.TimerSlot.D(), Horizon: e.cfg.Server.TimerHorizon.D(), Logger: e.log, Clock: e.opts.Clock,
	})
	e.pub = publish.New(e.nc, publish.Options{Timeout: run.PublishTimeout})
	if err := e.start(ctx, e.pub); err != nil {
		return err
	}
	variables := catalog.Variables(e.cfg)
	e.exec = run.NewExecutor(run.Options{
		Catalog:       e.cat,
		Dispatchers:   disp,
		Publisher:     e.pub,
		Storage:       e.gate,
		Timers:        e.timers,
		Secret:        secrets.Lookup,
		PluginSecrets: e.pluginSecrets(),
		Variables:     variables,
		Constants:     e.cfg.Constants,
		MaxEventBytes: e.cfg.Server.MaxEventBytes,
		MaxEventDepth: e.cfg.Server.MaxEventDepth,
		Logger:        e.log,
		Metrics:       e.metrics,
		Clock:         e.opts.Clock,
	})
	features, featureStarter, err := e.startFeatures(ctx)
	if err != nil {
		return err
	}
	e.jobs = jobs.New(jobs.Options{
		Features:      featureStarter,
		Catalog:       e.cat,
		Store:         e.store,
		Timers:        e.timers,
		Storage:       e.gate,
		Fail:          e.exec,
		Secret:        secrets.Lookup,
		Variables:     variables,
		Constants:     e.cfg.Constants,
		MaxEventDepth: e.cfg.Server.MaxEventDepth,
		Logger:        e.log,
		Clock:         e.opts.Clock,
	})
	e.exec.SetRecords(e.jobs)
	if err := e.start(ctx, e.exec); err != nil {
		return err
	}
	err = e.waitFor(ctx, "consumers", nil, func(ctx context.Context) error {
		in := ingest.New(ingest.Options{
			JS:            e.js,
			Catalog:       e.cat,
			Exec:          e.exec,
			Jobs:          e.jobs,
			Features:      features,
			MaxEventBytes: e.cfg.Server.MaxEventBytes,
			MaxEventDepth: e.cfg.Server.MaxEventDepth,
			AckWait:       e.cfg.Server.AckWait.D(),
			Logger:        e.log,
		})
		if err := in.Start(ctx); err != nil {
			// Stop what it started of its consumers; the next attempt
			// starts anew.
			sctx, cancel := context.WithTimeout(context.Background(), e.cfg.Server.ShutdownTimeout.D())
			defer cancel()
			in.Stop(sctx)
			return err
		}
		e.ingest = in
		return nil
	})
	if err != nil {
		return err
	}
	e.deferStop(e.ingest)
	if err := e.waitFor(ctx, "timers", nil, e.timers.Start); err != nil {
		return err
	}
	e.deferStop(e.timers)
	if err := e.waitFor(ctx, "configured jobs", nil, e.jobs.EnsureConfigJobs); err != nil {
		return err
	}
	e.api = api.New(api.Options{NC: e.nc, JS: e.js, Jobs: e.jobs, Store: e.store, Features: e.featureAPI(), Version: e.opts.Version, Logger: e.log})
	if err := e.start(ctx, e.api); err != nil {
		return err
	}
	// The service's subscriptions reach the server before jobd says it is
	// ready: a request sent right after that finds a responder.
	if err := e.nc.FlushTimeout(10 * time.Second); err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	sweeper := &jobstore.Sweeper{Store: e.store, MaxAge: e.cfg.Server.JobsMaxAge.D(), Logger: e.log}
	if err := e.start(ctx, sweeper); err != nil {
		return err
	}
	e.ready.Store(true)
	if down := e.unhealthyPlugins(); len(down) > 0 {
		e.log.Error("jobd running, but not ready: plugins are unhealthy", "plugins", strings.Join(down, "; "),
			"jobs", len(e.cat.Jobs()), "http", e.httpAddr)
		return nil
	}
	e.log.Info("jobd ready", "jobs", len(e.cat.Jobs()), "features", len(e.cat.Features()), "subjects", strings.Join(e.cat.Subjects(), " "), "http", e.httpAddr)
	return nil
}

// newPools makes one pool per kind the jobs use; startPlugins starts them.
func (e *Engine) newPools() error {
	for _, kind := range e.cat.Kinds() {
		pc := e.cfg.Plugins.Kinds[kind]
		kind := kind
		popts, err := e.pluginOptions(kind, pc)
		if err != nil {
			return err
		}
		e.pools[kind] = dispatch.New(dispatch.Options{
			Plugin:       popts,
			Concurrency:  pc.Concurrency,
			QueueTimeout: pc.QueueTimeout.D(),
			Logger:       e.log,
			OnRestart:    func() { e.metrics.PluginRestarts.WithLabelValues(kind).Inc() },
		})
	}
	return nil
}

// startPlugins starts every pool. A plugin that does not start is logged
// and retried when its jobs arrive; the other kinds run.
func (e *Engine) startPlugins(ctx context.Context) error {
	inputs := &config.Problems{File: e.cfg.File}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for kind, pool := range e.pools {
		pc := e.cfg.Plugins.Kinds[kind]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := pool.Start(ctx); err != nil {
				if dispatch.Refused(err) {
					e.log.Error("plugin refused: its runs fail with class no_plugin until it is fixed", "kind", kind, "path", pc.Path, "error", err)
				} else {
					e.log.Error("plugin did not start; its jobs will retry", "kind", kind, "error", err)
				}
				return
			}
			info, _ := pool.Info()
			e.log.Info("plugin started", "kind", kind, "version", info.Version, "path", pc.Path)
			var jobs config.Problems
			validateJobs(ctx, &jobs, e.cfg, kind, pool)
			mu.Lock()
			checkInputs(inputs, e.cfg, kind, info.InputSchema)
			for _, p := range jobs.List() {
				inputs.AddProblem(p)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return inputs.Err()
}

// pluginOptions builds the host options of a plugin kind, with secrets in
// its configuration resolved.
func (e *Engine) pluginOptions(kind string, pc config.Plugin) (host.Options, error) {
	resolved, err := resolvePluginSecrets(kind, pc.Config, e.secrets)
	if err != nil {
		return host.Options{}, err
	}
	cfgJSON, err := json.Marshal(resolved)
	if err != nil || resolved == nil {
		cfgJSON = []byte("{}")
	}
	var env []string
	for _, name := range pc.Env {
		if strings.Contains(name, "=") {
			env = append(env, name) // NAME=value: set as given
			continue
		}
		for _, kv := range e.opts.Environ {
			if strings.HasPrefix(kv, name+"=") {
				env = append(env, kv)
			}
		}
	}
	return host.Options{
		Kind:    kind,
		Path:    pc.Path,
		SHA256:  pc.SHA256,
		Config:  cfgJSON,
		DataDir: e.cfg.PluginDataDir(kind),
		Env:     env,
		Logger:  e.log,
		Publish: e.publishForPlugin,
	}, nil
}

// publishForPlugin publishes an event for a plugin: into JetStream when a
// stream captures the subject, else as a plain NATS message.
func (e *Engine) publishForPlugin(ctx context.Context, subject string, data []byte, headers map[string]string) error {
	msg := nats.NewMsg(subject)
	msg.Data = data
	for k, v := range headers {
		msg.Header.Set(k, v)
	}
	_, err := e.js.PublishMsg(ctx, msg)
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		return e.nc.PublishMsg(msg)
	}
	return err
}

func (e *Engine) inFlight() map[string]int {
	out := map[string]int{}
	for kind, p := range e.pools {
		out[kind] = p.InFlight()
	}
	return out
}

func (e *Engine) healthGauge() map[string]int {
	out := map[string]int{}
	for kind, err := range e.PluginHealth() {
		if err == nil {
			out[kind] = 1
		} else {
			out[kind] = 0
		}
	}
	return out
}

// NATSURL returns the URL of the NATS server the engine uses.
func (e *Engine) NATSURL() string {
	if e.nc == nil {
		return ""
	}
	return e.nc.ConnectedUrl()
}

// HTTPAddr returns the address the HTTP endpoint listens on, or "".
func (e *Engine) HTTPAddr() string { return e.httpAddr }

// Ready reports whether the engine consumes events.
func (e *Engine) Ready() bool { return e.ready.Load() }

// PluginHealth reports each kind's plugin: up, or the last error.
func (e *Engine) PluginHealth() map[string]error {
	out := map[string]error{}
	for kind, p := range e.pools {
		ok, err := p.Health()
		if ok {
			out[kind] = nil
		} else {
			if err == nil {
				err = errors.New("not running")
			}
			out[kind] = err
		}
	}
	return out
}

// Stop stops consuming, waits for the runs in flight (up to
// server.shutdown_timeout or ctx), stops the plugins and NATS. Safe to call
// more than once.
func (e *Engine) Stop(ctx context.Context) {
	e.stopOnce.Do(func() { e.shutdown(ctx) })
}

func (e *Engine) shutdown(ctx context.Context) {
	e.ready.Store(false)
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Server.ShutdownTimeout.D())
	defer cancel()
	for i := len(e.started) - 1; i >= 0; i-- {
		e.started[i].Stop(ctx)
	}
	e.started = nil
}

// startHTTP serves /healthz, /readyz and /metrics on server.http.
func (e *Engine) startHTTP() error {
	if e.cfg.Server.HTTP == "" {
		return nil
	}
	ln, err := net.Listen("tcp", e.cfg.Server.HTTP)
	if err != nil {
		return fmt.Errorf("server.http %s: %w", e.cfg.Server.HTTP, err)
	}
	e.httpAddr = ln.Addr().String()
	e.http = &http.Server{Handler: e.httpHandler(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() { defer close(served); _ = e.http.Serve(ln) }()
	e.deferStop(partFunc(func(ctx context.Context) {
		if e.http.Shutdown(ctx) != nil {
			_ = e.http.Close()
		}
		<-served
	}))
	return nil
}

// stopPlugins stops every plugin pool, in parallel.
func (e *Engine) stopPlugins(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range e.pools {
		wg.Add(1)
		go func(p *dispatch.Pool) { defer wg.Done(); p.Stop(ctx) }(p)
	}
	wg.Wait()
}

func (e *Engine) readiness() (bool, map[string]string) {
	report := map[string]string{}
	ok := e.Ready()
	if !ok {
		report["engine"] = "starting or stopping"
	}
	health := e.PluginHealth()
	kinds := make([]string, 0, len(health))
	for k := range health {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		if err := health[k]; err != nil {
			ok = false
			report["plugin "+k] = err.Error()
		} else {
			report["plugin "+k] = "ok"
		}
	}
	if fine, msg := e.gate.Ready(); !fine {
		ok = false
		report["storage"] = msg
	}
	if fine, msg := e.damage.Ready(); msg != "" {
		ok = ok && fine
		report["store"] = msg
	}
	if e.nc == nil || !e.nc.IsConnected() {
		ok = false
		report["nats"] = "not connected"
	} else {
		report["nats"] = "ok"
		if err := e.jetStreamReady(); err != nil {
			ok = false
			report["jetstream"] = err.Error()
		} else {
			report["jetstream"] = "ok"
		}
	}
	return ok, report
}

// unhealthyPlugins returns "kind: reason" for each plugin that is down.
func (e *Engine) unhealthyPlugins() []string {
	var out []string
	for kind, err := range e.PluginHealth() {
		if err != nil {
			out = append(out, kind+": "+err.Error())
		}
	}
	sort.Strings(out)
	return out
}
