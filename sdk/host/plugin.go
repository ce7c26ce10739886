package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/status"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
	"github.com/jobd-dev/jobd/sdk/internal/protocol"
)

// Plugin is one running plugin process and its job stream.
type Plugin struct {
	client *goplugin.Client
	conn   *protocol.Conn
	info   Info
	opts   Options
	log    *slog.Logger

	stream pluginpb.Plugin_ExecuteClient
	cancel context.CancelFunc
	sendMu sync.Mutex
	// sendJobs and sendPtrs are the messages of the batch being sent,
	// reused from batch to batch (gRPC has encoded them when Send
	// returns); guarded by sendMu.
	sendJobs []pluginpb.Job
	sendPtrs []*pluginpb.Job

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]call
	closed  bool
	err     error
	done    chan struct{}
}

// call is one job in flight.
type call struct {
	idx  int
	done func(int, Result)
	// expires is the job's deadline plus the grace (zero when none).
	expires time.Time
}

func open(client *goplugin.Client, conn *protocol.Conn, info Info, opts Options, log *slog.Logger) (*Plugin, error) {
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := conn.Client.Execute(ctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open job stream: %w", err)
	}
	p := &Plugin{
		client: client, conn: conn, info: info, opts: opts, log: log,
		stream: stream, cancel: cancel,
		pending: map[uint64]call{},
		done:    make(chan struct{}),
	}
	go p.receive()
	go p.sweep()
	return p, nil
}

// sweep answers, a few times per grace period, the jobs whose deadline and
// grace have passed with no answer. One ticker for every job in flight
// costs less than a timer per job, and the grace (seconds) makes a few
// hundred milliseconds of precision enough.
func (p *Plugin) sweep() {
	every := min(max(p.opts.DeadlineGrace/4, 10*time.Millisecond), 250*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	var due []uint64
	for {
		select {
		case <-p.done:
			return
		case now := <-t.C:
			due = due[:0]
			p.mu.Lock()
			for id, c := range p.pending {
				if !c.expires.IsZero() && now.After(c.expires) {
					due = append(due, id)
				}
			}
			p.mu.Unlock()
			for _, id := range due {
				p.expire(id)
			}
		}
	}
}

// Info returns what the plugin said about itself.
func (p *Plugin) Info() Info { return p.info }

// Done is closed when the plugin connection is lost or closed.
func (p *Plugin) Done() <-chan struct{} { return p.done }

// Err returns why the connection ended, or nil while it is up.
func (p *Plugin) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// InFlight returns the number of jobs waiting for an answer.
func (p *Plugin) InFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// Submit sends jobs to the plugin in one message. done is called exactly
// once per job, with the job's index in jobs, from another goroutine. When
// the plugin is gone, every job is answered at once with a crash result.
// Submit keeps nothing of jobs after it returns: the caller may reuse it.
func (p *Plugin) Submit(jobs []Job, done func(idx int, r Result)) {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	p.mu.Lock()
	if p.closed {
		err := p.err
		p.mu.Unlock()
		for i := range jobs {
			done(i, crashResult(p.opts.Kind, err))
		}
		return
	}
	if cap(p.sendJobs) < len(jobs) {
		p.sendJobs, p.sendPtrs = make([]pluginpb.Job, len(jobs)), make([]*pluginpb.Job, len(jobs))
	}
	pjs, ptrs := p.sendJobs[:len(jobs)], p.sendPtrs[:len(jobs)]
	for i := range jobs {
		p.nextID++
		id := p.nextID
		c := call{idx: i, done: done}
		if !jobs[i].Deadline.IsZero() {
			c.expires = jobs[i].Deadline.Add(p.opts.DeadlineGrace)
		}
		p.pending[id] = c
		j := &jobs[i]
		pj := &pjs[i]
		pj.CallId, pj.JobId, pj.RunId, pj.Event, pj.Kind = id, j.JobID, j.RunID, j.Event, j.Kind
		pj.Input, pj.Attempt, pj.MaxAttempts = j.Input, uint32(j.Attempt), uint32(j.MaxAttempts)
		pj.IdempotencyKey = j.IdempotencyKey
		pj.DeadlineUnixNano = 0
		if !j.Deadline.IsZero() {
			pj.DeadlineUnixNano = j.Deadline.UnixNano()
		}
		ptrs[i] = pj
	}
	p.mu.Unlock()

	err := p.send(&pluginpb.ExecuteRequest{Jobs: ptrs})
	// Keep no job's data alive through the reused messages.
	clear(pjs)
	clear(ptrs)
	if err != nil {
		// fail takes p.mu and answers the pending jobs; it does not need
		// sendMu, which is held here.
		p.fail(fmt.Errorf("send jobs: %w", err))
	}
}

// send sends a batch of jobs as one message, or as several of at most
// protocol.BatchBytes each (a larger job alone). The caller holds sendMu.
func (p *Plugin) send(req *pluginpb.ExecuteRequest) error {
	start, size := 0, 0
	for i, j := range req.Jobs {
		n := jobBytes(j)
		if i > start && size+n > protocol.BatchBytes {
			if err := p.stream.Send(&pluginpb.ExecuteRequest{Jobs: req.Jobs[start:i]}); err != nil {
				return err
			}
			start, size = i, 0
		}
		size += n
	}
	if start == 0 {
		return p.stream.Send(req)
	}
	return p.stream.Send(&pluginpb.ExecuteRequest{Jobs: req.Jobs[start:]})
}

// jobBytes is about what a job takes in a message: its variable fields and
// a bound for the rest (numbers, field tags and lengths).
func jobBytes(j *pluginpb.Job) int {
	return len(j.Input) + len(j.JobId) + len(j.RunId) + len(j.Event) + len(j.Kind) + len(j.IdempotencyKey) + 64
}

// expire answers a job whose deadline passed with no answer from the plugin.
func (p *Plugin) expire(id uint64) {
	c, ok := p.take(id)
	if !ok {
		return
	}
	p.sendMu.Lock()
	_ = p.stream.Send(&pluginpb.ExecuteRequest{Cancel: []uint64{id}})
	p.sendMu.Unlock()
	c.done(c.idx, Result{Outcome: Retry, TimedOut: true, Error: fmt.Sprintf("plugin %q did not answer by the job's deadline", p.opts.Kind)})
}

func (p *Plugin) take(id uint64) (call, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.pending[id]
	if ok {
		delete(p.pending, id)
	}
	return c, ok
}

// receive reads results until the stream ends.
func (p *Plugin) receive() {
	var calls []call // of one message's results, reused
	for {
		resp, err := p.stream.Recv()
		if err != nil {
			p.fail(err)
			return
		}
		// One lock for the message's results, not one per result.
		calls = calls[:0]
		p.mu.Lock()
		for _, r := range resp.Results {
			c, ok := p.pending[r.CallId]
			if ok {
				delete(p.pending, r.CallId)
			} else {
				c.done = nil // answered already (deadline)
			}
			calls = append(calls, c)
		}
		p.mu.Unlock()
		for i, r := range resp.Results {
			if c := calls[i]; c.done != nil {
				c.done(c.idx, fromProto(r))
			}
		}
		clear(calls)
	}
}

func fromProto(r *pluginpb.Result) Result {
	res := Result{Error: r.Error, Output: r.Output, RetryAfter: time.Duration(r.RetryAfterMs) * time.Millisecond}
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

// fail ends the connection and answers every pending job with a crash result.
func (p *Plugin) fail(err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	if p.client.Exited() {
		err = fmt.Errorf("plugin process exited: %w", err)
	}
	p.err = errors.Join(ErrClosed, fmt.Errorf("%s", grpcMessage(err)))
	pending := p.pending
	p.pending = map[uint64]call{}
	p.mu.Unlock()
	close(p.done)
	for _, c := range pending {
		c.done(c.idx, crashResult(p.opts.Kind, err))
	}
}

func crashResult(kind string, err error) Result {
	return Result{Outcome: Retry, Crashed: true, Error: fmt.Sprintf("plugin %q unavailable: %s", kind, grpcMessage(err))}
}

// Stop waits until the jobs in flight are answered or ctx ends, then stops
// the plugin process. It is safe to call more than once.
func (p *Plugin) Stop(ctx context.Context) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for p.InFlight() > 0 {
		select {
		case <-ctx.Done():
			p.Kill()
			return
		case <-p.done:
		case <-tick.C:
			continue
		}
		break
	}
	p.sendMu.Lock()
	_ = p.stream.CloseSend()
	p.sendMu.Unlock()
	p.Kill()
}

// Kill stops the plugin process at once; jobs in flight are answered with a
// crash result.
func (p *Plugin) Kill() {
	p.client.Kill()
	p.cancel()
	p.fail(ErrClosed)
}

// Protocol returns the wire protocol version agreed in the handshake.
func (p *Plugin) Protocol() int { return p.client.NegotiatedVersion() }

// Exited reports whether the plugin process has exited.
func (p *Plugin) Exited() bool { return p.client.Exited() }

// Pid returns the plugin process id, or 0.
func (p *Plugin) Pid() int {
	if rc := p.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

func grpcMessage(err error) string {
	if err == nil {
		return "closed"
	}
	if s, ok := status.FromError(err); ok {
		return s.Message()
	}
	return err.Error()
}
