package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

// maxResultsPerMessage bounds how many results one stream message carries.
const maxResultsPerMessage = 256

// server adapts a Plugin to the generated gRPC service.
type server struct {
	pluginpb.UnimplementedPluginServer
	p      Plugin
	broker *goplugin.GRPCBroker

	mu   sync.Mutex
	host *hostClient
}

func newServer(p Plugin, b *goplugin.GRPCBroker) *server {
	return &server{p: p, broker: b}
}

func (s *server) Info(context.Context, *pluginpb.InfoRequest) (*pluginpb.InfoResponse, error) {
	info := s.p.Info()
	kinds := info.Kinds
	if len(kinds) == 0 {
		kinds = []string{info.Name}
	}
	resp := &pluginpb.InfoResponse{
		Name:         info.Name,
		Version:      info.Version,
		Kinds:        kinds,
		ApiVersion:   APIVersion,
		InputSchema:  info.InputSchema,
		SampleConfig: info.SampleConfig,
		Description:  info.Description,
	}
	return resp, nil
}

func (s *server) Configure(ctx context.Context, req *pluginpb.ConfigureRequest) (*pluginpb.ConfigureResponse, error) {
	host, err := dialHost(s.broker, req.HostBrokerId)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.host = host
	s.mu.Unlock()
	cfg := req.Config
	if len(cfg) == 0 {
		cfg = []byte("{}")
	}
	creq := &ConfigureRequest{Kind: req.Kind, Config: cfg, DataDir: req.DataDir, Host: host}
	if err := s.p.Configure(ctx, creq); err != nil {
		return nil, err
	}
	return &pluginpb.ConfigureResponse{}, nil
}

// ValidateJob asks the plugin to check a job when it implements
// JobValidator; else it answers Unimplemented, which jobd takes as "skip".
func (s *server) ValidateJob(ctx context.Context, req *pluginpb.ValidateJobRequest) (*pluginpb.ValidateJobResponse, error) {
	v, ok := s.p.(JobValidator)
	if !ok {
		return s.UnimplementedPluginServer.ValidateJob(ctx, req)
	}
	input := req.Input
	if len(input) == 0 {
		input = []byte("{}")
	}
	resp := &pluginpb.ValidateJobResponse{}
	if err := v.ValidateJob(ctx, &ValidateJobRequest{Kind: req.Kind, Event: req.Event, Input: input}); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				resp.Problems = append(resp.Problems, line)
			}
		}
	}
	return resp, nil
}

func (s *server) hostClient() *hostClient {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.host == nil {
		return &hostClient{}
	}
	return s.host
}

// Execute runs every job it receives concurrently and streams results back,
// several per message when several are ready.
func (s *server) Execute(stream pluginpb.Plugin_ExecuteServer) error {
	// Job contexts hang off a context that the stream's end does not
	// cancel, so making one does not register it with the shared stream
	// context (a lock every job contended for); when the stream breaks,
	// every job in flight is cancelled below instead.
	base := context.WithoutCancel(stream.Context())
	results := make(chan *pluginpb.Result, maxResultsPerMessage)
	var (
		mu      sync.Mutex
		cancels = map[uint64]*jobCtx{}
		wg      sync.WaitGroup
		pool    workers
	)
	sendErr := make(chan error, 1)
	go func() { sendErr <- sendResults(stream, results) }()

	host := s.hostClient()
	var recvErr error
	for {
		req, err := stream.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				recvErr = err
			}
			break
		}
		mu.Lock()
		for _, id := range req.Cancel {
			if c, ok := cancels[id]; ok {
				c.cancel(context.Canceled)
			}
		}
		mu.Unlock()
		for _, pj := range req.Jobs {
			jctx := newJobCtx(base, pj.DeadlineUnixNano)
			mu.Lock()
			cancels[pj.CallId] = jctx
			mu.Unlock()
			wg.Add(1)
			pool.run(func() {
				defer wg.Done()
				r := s.run(jctx, pj, host)
				mu.Lock()
				delete(cancels, pj.CallId)
				mu.Unlock()
				jctx.cancel(context.Canceled) // what the handler left waiting stops
				results <- r
			})
		}
	}
	if recvErr != nil {
		// jobd is gone (not a clean close): stop what runs.
		mu.Lock()
		for _, c := range cancels {
			c.cancel(context.Canceled)
		}
		mu.Unlock()
	}
	wg.Wait()
	pool.close()
	close(results)
	if err := <-sendErr; err != nil {
		return err
	}
	return recvErr
}

// sendResults sends results as they arrive, batching what is ready.
//
// Before it gathers a message it yields once, so that jobs already running
// and about to finish add their results to the same message: without it, a
// plugin on one CPU (sdk.DefaultMaxProcs on two) sent one result per
// message, because each job's result woke this goroutine ahead of the
// other jobs of its batch.
func sendResults(stream pluginpb.Plugin_ExecuteServer, results <-chan *pluginpb.Result) error {
	var failed error
	for r := range results {
		batch := []*pluginpb.Result{r}
		runtime.Gosched()
	drain:
		for len(batch) < maxResultsPerMessage {
			select {
			case more, ok := <-results:
				if !ok {
					break drain
				}
				batch = append(batch, more)
			default:
				break drain
			}
		}
		if failed != nil {
			continue // keep draining so workers never block
		}
		if err := stream.Send(&pluginpb.ExecuteResponse{Results: batch}); err != nil {
			failed = err
		}
	}
	return failed
}

// run calls the plugin's handler for one job and turns its answer into a
// result, recovering from a panic as a retryable failure.
func (s *server) run(ctx context.Context, pj *pluginpb.Job, host *hostClient) (res *pluginpb.Result) {
	res = &pluginpb.Result{CallId: pj.CallId}
	defer func() {
		if v := recover(); v != nil {
			res.Outcome = pluginpb.Outcome_OUTCOME_RETRY
			res.Error = fmt.Sprintf("plugin panicked: %v\n%s", v, debug.Stack())
		}
	}()
	job := &Job{
		ID:             pj.JobId,
		RunID:          pj.RunId,
		Event:          pj.Event,
		Kind:           pj.Kind,
		Input:          pj.Input,
		Attempt:        int(pj.Attempt),
		MaxAttempts:    int(pj.MaxAttempts),
		IdempotencyKey: pj.IdempotencyKey,
		Host:           host,
		Log:            jobLogger(host.logger(), pj),
	}
	if pj.DeadlineUnixNano != 0 {
		job.Deadline = time.Unix(0, pj.DeadlineUnixNano)
	}
	out, err := s.p.Handle(ctx, job)
	if err != nil {
		fillError(res, ctx, err)
		return res
	}
	res.Outcome = pluginpb.Outcome_OUTCOME_OK
	if out != nil && out.Output != nil {
		b, merr := json.Marshal(out.Output)
		if merr != nil {
			res.Outcome = pluginpb.Outcome_OUTCOME_PERMANENT
			res.Error = fmt.Sprintf("encode output: %v", merr)
			return res
		}
		res.Output = b
	}
	return res
}

func fillError(res *pluginpb.Result, ctx context.Context, err error) {
	res.Error = err.Error()
	switch {
	case IsPermanent(err):
		res.Outcome = pluginpb.Outcome_OUTCOME_PERMANENT
	default:
		res.Outcome = pluginpb.Outcome_OUTCOME_RETRY
		if d, ok := RetryDelay(err); ok {
			res.RetryAfterMs = d.Milliseconds()
		}
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			res.Error = fmt.Sprintf("%v (%v)", err, context.Cause(ctx))
		}
	}
}
