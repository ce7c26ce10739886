package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/host"
	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
	"github.com/jobd-dev/jobd/sdk/internal/protocol"
)

// TimeoutDefault is how long a job may run when [Job.Deadline] is zero and
// no [WithTimeout] is given.
const TimeoutDefault = 10 * time.Second

// GraceDefault is how long after a job's deadline (or its cancellation) the
// harness waits for the plugin's answer before answering for it, as jobd
// does. It is jobd's default.
const GraceDefault = host.DeadlineGraceDefault

// Outcome classifies a result; it is the same type jobd uses.
type Outcome = host.Outcome

// The outcomes of a job.
const (
	// OK means the job succeeded.
	OK = host.OK
	// Retry means the job failed and may succeed on another attempt.
	Retry = host.Retry
	// Permanent means the job failed and will fail again.
	Permanent = host.Permanent
)

// Info is what the plugin said about itself over the wire: the type jobd
// uses.
type Info = host.Info

// Job is one job for [Harness.Run]. Every field has a default.
type Job struct {
	// ID defaults to "job-<n>"; RunID to "run-<n>".
	ID, RunID string
	// Event defaults to "sdktest".
	Event string
	// Kind defaults to the harness' kind (see [WithKind]).
	Kind string
	// Input is the job's input. A string, []byte or json.RawMessage is sent
	// as it is (JSON text, valid or not); any other value is encoded with
	// encoding/json; nil sends {}.
	Input any
	// Attempt defaults to 1; MaxAttempts to Attempt.
	Attempt, MaxAttempts int
	// Deadline defaults to now plus the harness timeout (see [WithTimeout]).
	// A deadline in the past is sent as it is.
	Deadline time.Time
	// IdempotencyKey defaults to RunID, as in jobd.
	IdempotencyKey string
}

// Result is the plugin's answer for one job, or the harness' answer when
// the plugin gave none in time (TimedOut, Outcome Retry, as jobd would):
// the type jobd uses.
type Result = host.Result

// Message is one message the plugin published through the host.
type Message struct {
	Subject string
	Data    []byte
	Headers map[string]string
}

// Log is one line the plugin logged through the host.
type Log struct {
	Level   string
	Message string
	// Attrs are the line's attributes, decoded from JSON.
	Attrs map[string]any
}

// Option changes how a harness is set up.
type Option func(*options)

type options struct {
	kind    string
	config  any
	dataDir string
	publish func(ctx context.Context, subject string, data []byte, headers map[string]string) error
	timeout time.Duration
}

// WithKind sets the kind the harness starts the plugin for (the plugin must
// serve it). Defaults to the plugin's first kind.
func WithKind(kind string) Option { return func(o *options) { o.kind = kind } }

// WithConfig sets the configuration [Start] hands the plugin, as
// [Harness.Configure] takes it. Defaults to {}.
func WithConfig(config any) Option { return func(o *options) { o.config = config } }

// WithDataDir sets the plugin's data folder. Defaults to a fresh temporary
// folder, removed when the harness closes.
func WithDataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

// WithPublish serves the plugin's publish calls with f, after the harness
// has recorded them (see [Harness.Published]); f's error is what the plugin
// gets. By default every publish succeeds.
func WithPublish(f func(ctx context.Context, subject string, data []byte, headers map[string]string) error) Option {
	return func(o *options) { o.publish = f }
}

// WithTimeout sets how long a job without a deadline may run. Defaults to
// [TimeoutDefault].
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Harness serves one plugin in the test's process and plays jobd's part.
// Its methods are safe for concurrent use; jobs run concurrently as they do
// under jobd.
type Harness struct {
	opts    options
	info    Info
	conn    *protocol.Conn
	rpc     goplugin.ClientProtocol
	stop    context.CancelFunc
	stopped chan struct{}
	logf    func(format string, args ...any)
	rmDir   bool

	mu        sync.Mutex
	seq       uint64
	published []Message
	logs      []Log
	closed    bool
}

// Start serves p for the test and configures it with [WithConfig]'s
// configuration, failing the test if either fails. The harness closes when
// the test ends. Plugin log lines appear in the test's log.
func Start(t testing.TB, p sdk.Plugin, opts ...Option) *Harness {
	t.Helper()
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.dataDir == "" {
		opts = append(opts, WithDataDir(t.TempDir()))
	}
	h, err := New(p, opts...)
	if err != nil {
		t.Fatalf("sdktest: %v", err)
	}
	h.logf = t.Logf
	t.Cleanup(h.Close)
	if err := h.Configure(o.config); err != nil {
		t.Fatalf("sdktest: %v", err)
	}
	return h
}

// New serves p and reads its info, without configuring it; call
// [Harness.Configure] before [Harness.Run], and [Harness.Close] when done.
// Outside tests (an example, a tool) it is what [Start] is inside them.
func New(p sdk.Plugin, opts ...Option) (*Harness, error) {
	h := &Harness{opts: options{timeout: TimeoutDefault}, logf: func(string, ...any) {}}
	for _, opt := range opts {
		opt(&h.opts)
	}
	if protocol.NewPluginServer == nil {
		return nil, errors.New("package sdk did not register its plugin server: protocol.NewPluginServer is nil (sdk/serve.go must set it in init)")
	}
	if h.opts.dataDir == "" {
		dir, err := os.MkdirTemp("", "sdktest")
		if err != nil {
			return nil, err
		}
		h.opts.dataDir, h.rmDir = dir, true
	}
	if err := h.serve(p); err != nil {
		h.Close()
		return nil, err
	}
	if err := h.readInfo(); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// serve runs go-plugin's server for p in test mode (no handshake on stdout,
// no cookie) and attaches a go-plugin client to it.
func (h *Harness) serve(p sdk.Plugin) error {
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	stopped := make(chan struct{})
	h.stopped = stopped
	reattach := make(chan *goplugin.ReattachConfig, 1)
	quiet := hclog.NewNullLogger()
	go goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		Plugins: goplugin.PluginSet{protocol.PluginName: &protocol.GRPCPlugin{
			NewServer: func(b *goplugin.GRPCBroker) pluginpb.PluginServer { return protocol.NewPluginServer(p, b) },
		}},
		// The same connection settings as a plugin served by sdk.Serve and
		// jobd's side of it (codec, buffers, windows).
		GRPCServer: protocol.GRPCServer,
		Logger:     quiet,
		Test:       &goplugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: stopped},
	})
	var rc *goplugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-stopped:
		return errors.New("the plugin server did not start")
	case <-time.After(host.StartTimeoutDefault):
		return fmt.Errorf("the plugin server did not start within %v", host.StartTimeoutDefault)
	}
	rc.ReattachFunc = func() (runner.AttachedRunner, error) { return inProcess{done: ctx.Done()}, nil }
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake,
		Plugins:          goplugin.PluginSet{protocol.PluginName: &protocol.GRPCPlugin{}},
		Reattach:         rc,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		GRPCDialOptions:  protocol.DialOptions(),
		Logger:           quiet,
	})
	rpc, err := client.Client()
	if err != nil {
		return fmt.Errorf("connect to the plugin: %w", err)
	}
	h.rpc = rpc
	raw, err := rpc.Dispense(protocol.PluginName)
	if err != nil {
		return fmt.Errorf("dispense the plugin: %w", err)
	}
	h.conn = raw.(*protocol.Conn)
	return nil
}

func (h *Harness) readInfo() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ir, err := h.conn.Client.Info(ctx, &pluginpb.InfoRequest{})
	if err != nil {
		return fmt.Errorf("info: %s", message(err))
	}
	h.info = Info{
		Name: ir.Name, Version: ir.Version, Kinds: ir.Kinds, Description: ir.Description,
		InputSchema: ir.InputSchema, SampleConfig: ir.SampleConfig,
		APIVersion: int(ir.ApiVersion),
	}
	if h.opts.kind == "" {
		if len(ir.Kinds) == 0 {
			return fmt.Errorf("plugin %q serves no kinds", ir.Name)
		}
		h.opts.kind = ir.Kinds[0]
	}
	for _, k := range ir.Kinds {
		if k == h.opts.kind {
			return nil
		}
	}
	return fmt.Errorf("plugin %q does not serve kind %q (it serves %v)", ir.Name, h.opts.kind, ir.Kinds)
}

// Info returns what the plugin said about itself.
func (h *Harness) Info() Info { return h.info }

// Kind returns the kind the harness runs jobs of.
func (h *Harness) Kind() string { return h.opts.kind }

// DataDir returns the plugin's data folder.
func (h *Harness) DataDir() string { return h.opts.dataDir }

// Configure hands the plugin its configuration, as jobd does once at start.
// config is a string, []byte or json.RawMessage of JSON text, or any value
// encoding/json encodes to an object; nil sends {}. (To use a TOML sample,
// see [ConfigFromTOML].) The error is the plugin's refusal.
func (h *Harness) Configure(config any) error {
	raw, err := encode(config)
	if err != nil {
		return fmt.Errorf("encode configuration: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = h.conn.Client.Configure(ctx, &pluginpb.ConfigureRequest{
		Config: raw, DataDir: h.opts.dataDir, HostBrokerId: h.hostServices(),
		Kind: h.opts.kind, ApiVersion: sdk.APIVersion,
	})
	if err != nil {
		return fmt.Errorf("plugin %q refused its configuration: %s", h.info.Name, message(err))
	}
	return nil
}

// hostServices serves the Host service over the broker and returns its
// broker id. Each Configure gets a new id: the plugin dials the id it is
// given, and a broker id serves one dial.
func (h *Harness) hostServices() uint32 {
	id := h.conn.Broker.NextId()
	go h.conn.Broker.AcceptAndServe(id, func(o []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(o...)
		pluginpb.RegisterHostServer(s, &hostServer{h: h})
		return s
	})
	return id
}

// Run runs one job and returns the plugin's answer. It waits at most until
// the job's deadline plus [GraceDefault].
func (h *Harness) Run(job Job) Result { return h.RunContext(context.Background(), job) }

// RunContext is [Harness.Run] where ending ctx cancels the job, as jobd does
// when it gives up on a run: the plugin's context for the job ends, and the
// harness waits [GraceDefault] more for its answer.
func (h *Harness) RunContext(ctx context.Context, job Job) Result {
	pj, err := h.protoJob(job)
	if err != nil {
		return Result{Outcome: Permanent, Error: "sdktest: " + err.Error()}
	}
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := h.conn.Client.Execute(sctx)
	if err != nil {
		return Result{Outcome: Retry, Error: "sdktest: open job stream: " + message(err)}
	}
	if err := stream.Send(&pluginpb.ExecuteRequest{Jobs: []*pluginpb.Job{pj}}); err != nil {
		return Result{Outcome: Retry, Error: "sdktest: send job: " + message(err)}
	}
	answer := make(chan Result, 1)
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				answer <- Result{Outcome: Retry, Error: "sdktest: job stream: " + message(err)}
				return
			}
			for _, r := range resp.Results {
				if r.CallId == pj.CallId {
					answer <- fromProto(r)
					return
				}
			}
		}
	}()
	deadline := time.Unix(0, pj.DeadlineUnixNano)
	expired := time.NewTimer(time.Until(deadline) + GraceDefault)
	defer expired.Stop()
	select {
	case r := <-answer:
		_ = stream.CloseSend()
		return r
	case <-expired.C:
		return Result{Outcome: Retry, TimedOut: true, Error: fmt.Sprintf("plugin %q did not answer by the job's deadline", h.info.Name)}
	case <-ctx.Done():
	}
	_ = stream.Send(&pluginpb.ExecuteRequest{Cancel: []uint64{pj.CallId}})
	select {
	case r := <-answer:
		_ = stream.CloseSend()
		return r
	case <-time.After(GraceDefault):
		return Result{Outcome: Retry, TimedOut: true, Error: fmt.Sprintf("plugin %q did not answer within %v of the job's cancellation", h.info.Name, GraceDefault)}
	}
}

func (h *Harness) protoJob(job Job) (*pluginpb.Job, error) {
	input, err := encode(job.Input)
	if err != nil {
		return nil, fmt.Errorf("encode input: %w", err)
	}
	h.mu.Lock()
	h.seq++
	n := h.seq
	h.mu.Unlock()
	if job.ID == "" {
		job.ID = fmt.Sprintf("job-%d", n)
	}
	if job.RunID == "" {
		job.RunID = fmt.Sprintf("run-%d", n)
	}
	if job.Event == "" {
		job.Event = "sdktest"
	}
	if job.Kind == "" {
		job.Kind = h.opts.kind
	}
	if job.Attempt <= 0 {
		job.Attempt = 1
	}
	if job.MaxAttempts < job.Attempt {
		job.MaxAttempts = job.Attempt
	}
	if job.Deadline.IsZero() {
		job.Deadline = time.Now().Add(h.opts.timeout)
	}
	if job.IdempotencyKey == "" {
		job.IdempotencyKey = job.RunID
	}
	return &pluginpb.Job{
		CallId: n, JobId: job.ID, RunId: job.RunID, Event: job.Event, Kind: job.Kind,
		Input: input, Attempt: uint32(job.Attempt), MaxAttempts: uint32(job.MaxAttempts),
		DeadlineUnixNano: job.Deadline.UnixNano(), IdempotencyKey: job.IdempotencyKey,
	}, nil
}

func fromProto(r *pluginpb.Result) Result {
	res := Result{Error: r.Error, RetryAfter: time.Duration(r.RetryAfterMs) * time.Millisecond}
	if len(r.Output) > 0 {
		res.Output = json.RawMessage(r.Output)
	}
	switch r.Outcome {
	case pluginpb.Outcome_OUTCOME_OK:
		res.Outcome = OK
	case pluginpb.Outcome_OUTCOME_PERMANENT:
		res.Outcome = Permanent
	case pluginpb.Outcome_OUTCOME_RETRY:
		res.Outcome = Retry
	default:
		res.Outcome = Retry
		res.Error = "plugin answered with no outcome"
	}
	return res
}

// Published returns what the plugin published through the host so far.
func (h *Harness) Published() []Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Message(nil), h.published...)
}

// Logs returns what the plugin logged through the host so far.
func (h *Harness) Logs() []Log {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Log(nil), h.logs...)
}

// Close stops the plugin server and removes a data folder the harness made.
// It is safe to call more than once.
func (h *Harness) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	if h.stop != nil {
		// Stop the server as jobd does (the controller's Shutdown); cancel
		// its context only if that fails, as go-plugin's two ways of
		// stopping must not run at once.
		if h.rpc != nil && h.rpc.Close() == nil {
			select {
			case <-h.stopped:
			case <-time.After(5 * time.Second):
			}
		}
		h.stop()
		<-h.stopped
	}
	if h.rmDir {
		_ = os.RemoveAll(h.opts.dataDir)
	}
}

// encode turns a value into JSON text: raw JSON kinds pass as they are.
func encode(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		return x, nil
	case []byte:
		return x, nil
	case string:
		return []byte(x), nil
	}
	return json.Marshal(v)
}

func message(err error) string {
	if s, ok := status.FromError(err); ok {
		return s.Message()
	}
	return err.Error()
}

// inProcess stands for the plugin "process" go-plugin's client attaches to:
// it runs until the harness stops the server.
type inProcess struct{ done <-chan struct{} }

func (p inProcess) Wait(ctx context.Context) error {
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	return nil
}
func (inProcess) Kill(context.Context) error                       { return nil }
func (inProcess) ID() string                                       { return "sdktest" }
func (inProcess) PluginToHost(n, a string) (string, string, error) { return n, a, nil }
func (inProcess) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }
