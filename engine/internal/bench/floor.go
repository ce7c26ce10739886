package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sjson "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/broker"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/ingest"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/publish"
	engrun "github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/host"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// server is an in-process NATS server started the way the engine starts its
// embedded one (broker.StartEmbedded: JetStream, file storage), and a
// connection to it.
type server struct {
	emb *broker.Embedded
	nc  *nats.Conn
	js  jetstream.JetStream
}

func startServer(b *bench, dir string) (*server, error) {
	cfg := &config.Config{
		Server: config.Server{DataDir: dir},
		NATS:   config.NATS{Listen: "127.0.0.1:0"},
	}
	return startServerCfg(b, cfg)
}

func startServerCfg(b *bench, cfg *config.Config) (*server, error) {
	emb, err := broker.StartEmbedded(cfg, b.log)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(emb.ClientURL(), nats.Name("jobd-bench"))
	if err != nil {
		emb.Stop(context.Background())
		return nil, err
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(8192), jetstream.WithPublishAsyncTimeout(30*time.Second))
	if err != nil {
		nc.Close()
		emb.Stop(context.Background())
		return nil, err
	}
	return &server{emb: emb, nc: nc, js: js}, nil
}

func (s *server) close() {
	s.nc.Close()
	s.emb.Stop(context.Background())
}

// eventBody is the seed job's event with the time it was sent, as a string
// of Unix nanoseconds (a JSON number would lose precision as a float64).
func eventBody(i int, sent time.Time) []byte {
	return fmt.Appendf(nil, `{"event_id":"evt-%d","device_token":"ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]","email":"ada%d@example.com","date":"2026-12-24","sent_ns":"%d"}`,
		i, i%1000, sent.UnixNano())
}

// publishAll publishes n events to subject with async publishes and waits
// for every PubAck; it returns the time it took.
func publishAll(ctx context.Context, js jetstream.JetStream, subject string, n int) (time.Duration, error) {
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := js.PublishAsync(subject, eventBody(i, time.Now())); err != nil {
			return 0, fmt.Errorf("publish %d: %w", i, err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return 0, fmt.Errorf("publish: %d acks missing: %w", js.PublishAsyncPending(), ctx.Err())
	}
	return time.Since(start), nil
}

// floorStreamConfig is a work-queue stream on file storage, as JOBD_EVENTS.
func floorStreamConfig(name, subjects string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name: name, Subjects: []string{subjects}, Storage: jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy, Duplicates: 2 * time.Minute,
	}
}

// purgeAcked does what the engine does for JOBD_EVENTS (streams.Purger,
// every streams.PurgeEvery) until ctx ends.
func purgeAcked(ctx context.Context, js jetstream.JetStream, stream, consumer string) {
	t := time.NewTicker(streams.PurgeEvery)
	defer t.Stop()
	p := &streams.Purger{Stream: stream, Consumer: consumer}
	for {
		_ = p.Purge(ctx, js, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// floorJetStream measures async publishes/s and pull-consumes with ack/s on
// one file-storage stream.
func floorJetStream(ctx context.Context, b *bench, rep int) (pub, cons float64, err error) {
	srv, err := startServer(b, b.tempDir(fmt.Sprintf("floor-js-%d", rep)))
	if err != nil {
		return 0, 0, err
	}
	defer srv.close()
	if _, err := srv.js.CreateStream(ctx, floorStreamConfig("BENCH", "bench.floor.>")); err != nil {
		return 0, 0, err
	}
	n := b.events
	d, err := publishAll(ctx, srv.js, "bench.floor.x", n)
	if err != nil {
		return 0, 0, err
	}
	pub = perSecond(n, d)

	c, err := srv.js.CreateOrUpdateConsumer(ctx, "BENCH", jetstream.ConsumerConfig{
		Durable: "bench", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxAckPending: 10000,
	})
	if err != nil {
		return 0, 0, err
	}
	var (
		count atomic.Int64
		first time.Time
		last  time.Time
		done  = make(chan struct{})
	)
	cc, err := c.Consume(func(m jetstream.Msg) {
		k := count.Add(1)
		if k == 1 {
			first = time.Now()
		}
		_ = m.Ack()
		if k == int64(n) {
			last = time.Now()
			close(done)
		}
	}, jetstream.PullMaxMessages(512))
	if err != nil {
		return 0, 0, err
	}
	defer cc.Stop()
	select {
	case <-done:
	case <-ctx.Done():
		return pub, 0, fmt.Errorf("consume: %d of %d: %w", count.Load(), n, ctx.Err())
	}
	// The acks are sent without waiting; count until the consumer has
	// taken them all.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		info, err := c.Info(ctx)
		if err == nil && info.AckFloor.Consumer >= uint64(n) {
			last = time.Now()
			break
		}
	}
	return pub, perSecond(n, last.Sub(first)), nil
}

// grpcFloor is the no-op plugin's round trip at several depths.
type grpcFloor struct {
	oneCallsPerSec float64 // 1 job per Submit, 1 in flight
	oneP50         time.Duration
	manyCallsPerS  float64 // 1 job per Submit, grpcInFlight in flight
	batchJobsPerS  float64 // grpcBatch jobs per Submit, grpcBatchInFlight Submits in flight
}

const (
	grpcInFlight      = 64
	grpcBatch         = 32
	grpcBatchInFlight = 4
)

func floorGRPC(ctx context.Context, b *bench, rep int) (grpcFloor, error) {
	var out grpcFloor
	p, err := host.Start(ctx, host.Options{Kind: "noop", Path: b.noopPath, DataDir: b.tempDir(fmt.Sprintf("floor-grpc-%d", rep)), Logger: b.log})
	if err != nil {
		return out, err
	}
	defer p.Stop(ctx)
	job := host.Job{JobID: "j", RunID: "r", Event: "bench", Kind: "noop", Input: []byte(`{"email":{"to":"ada@example.com"}}`), Attempt: 1, MaxAttempts: 4, IdempotencyKey: "r"}

	// Warm up the connection.
	if _, err := submitWait(p, []host.Job{job}); err != nil {
		return out, err
	}
	// 1 in flight.
	n := b.grpcOps
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		t := time.Now()
		if _, err := submitWait(p, []host.Job{job}); err != nil {
			return out, err
		}
		lat = append(lat, time.Since(t))
	}
	out.oneCallsPerSec = perSecond(n, time.Since(start))
	slices.Sort(lat)
	out.oneP50 = percentile(lat, 50)

	// Many in flight, one job per Submit.
	total := b.grpcOps * 20
	d, err := submitParallel(p, job, total, grpcInFlight, 1)
	if err != nil {
		return out, err
	}
	out.manyCallsPerS = perSecond(total, d)
	// Batched.
	total = b.grpcOps * 50
	d, err = submitParallel(p, job, total, grpcBatchInFlight, grpcBatch)
	if err != nil {
		return out, err
	}
	out.batchJobsPerS = perSecond(total, d)
	return out, nil
}

func submitWait(p *host.Plugin, jobs []host.Job) ([]host.Result, error) {
	res := make([]host.Result, len(jobs))
	var wg sync.WaitGroup
	wg.Add(len(jobs))
	p.Submit(jobs, func(i int, r host.Result) { res[i] = r; wg.Done() })
	wg.Wait()
	for _, r := range res {
		if r.Outcome != host.OK {
			return res, fmt.Errorf("no-op plugin answered %v: %s", r.Outcome, r.Error)
		}
	}
	return res, nil
}

// submitParallel runs total jobs with inFlight goroutines each submitting
// batch jobs and waiting for them.
func submitParallel(p *host.Plugin, job host.Job, total, inFlight, batch int) (time.Duration, error) {
	var left atomic.Int64
	left.Store(int64(total))
	var wg sync.WaitGroup
	var firstErr atomic.Value
	jobs := make([]host.Job, batch)
	for i := range jobs {
		jobs[i] = job
	}
	start := time.Now()
	for g := 0; g < inFlight; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-int64(batch)) > -int64(batch) {
				if _, err := submitWait(p, jobs); err != nil {
					firstErr.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, err
	}
	return time.Since(start), nil
}

// floorEval evaluates the bench job's compiled input template (the seed
// template plus sent) against one event: ns per evaluation into a value
// tree (Eval), and straight into JSON as the engine does for the plugin and
// the result (AppendResult).
func floorEval(b *bench) (evalNS, evalJSONNS float64, err error) {
	var input any
	if err := json.Unmarshal(eventBody(42, time.Now()), &input); err != nil {
		return 0, 0, err
	}
	env := &piping.Env{Input: input, Now: time.Now(), Job: piping.JobInfo{Event: "bench_throughput", Attempt: 1, Execution: 1}}
	run := func(toJSON bool) (float64, error) {
		n := 0
		buf := make([]byte, 0, 512)
		start := time.Now()
		for time.Since(start) < b.evalTime {
			for i := 0; i < 1000; i++ {
				var err error
				if toJSON {
					buf, err = b.tmpl.AppendJSON(buf[:0], env)
				} else {
					_, err = b.tmpl.Eval(env)
				}
				if err != nil {
					return 0, err
				}
			}
			n += 1000
		}
		return float64(time.Since(start).Nanoseconds()) / float64(n), nil
	}
	if evalNS, err = run(false); err != nil {
		return 0, 0, err
	}
	evalJSONNS, err = run(true)
	return evalNS, evalJSONNS, err
}

// pipeline is the engine's path without a plugin, written in the harness:
// consume an event, decode it, derive a run id, evaluate the template,
// encode a wire.Result, publish it (with the engine's publisher and a
// Nats-Msg-Id, as the engine records results) and ack the event once the
// result is stored.
type pipeline struct {
	pub    *publish.Publisher
	tmpl   *piping.Template
	acked  atomic.Int64
	first  atomic.Int64 // unix nanos of the first message
	target int64
	done   chan struct{}
	last   time.Time
	errs   atomic.Int64
}

func newPipeline(nc *nats.Conn, tmpl *piping.Template, target int) (*pipeline, error) {
	pub := publish.New(nc, publish.Options{Timeout: engrun.PublishTimeout})
	if err := pub.Start(context.Background()); err != nil {
		return nil, err
	}
	return &pipeline{pub: pub, tmpl: tmpl, target: int64(target), done: make(chan struct{})}, nil
}

func (p *pipeline) close() { p.pub.Stop(context.Background()) }

func (p *pipeline) handle(m jetstream.Msg) {
	now := time.Now()
	p.first.CompareAndSwap(0, now.UnixNano())
	meta, err := m.Metadata()
	if err != nil {
		p.errs.Add(1)
		_ = m.Term()
		return
	}
	var in any
	if err := sjson.Unmarshal(m.Data(), &in); err != nil { // as the engine decodes events
		p.errs.Add(1)
		_ = m.Term()
		return
	}
	id := ingest.RunID(meta.Stream, "epoch", meta.Sequence.Stream, "", "bench_pipeline")
	// The engine evaluates the input straight into JSON, once, for the plugin and the result.
	inb, err := p.tmpl.AppendJSON(make([]byte, 0, 512), &piping.Env{Input: in, Now: now, Job: piping.JobInfo{Event: "bench_pipeline", Attempt: 1, Execution: 1}})
	if err != nil {
		p.errs.Add(1)
		_ = m.Term()
		return
	}
	fin := time.Now()
	res := wire.Result{
		JobID: id, RunID: id, Event: "bench_pipeline", Kind: "none", Status: "completed", Attempts: 1,
		Subject: m.Subject(), ReceivedAt: meta.Timestamp, StartedAt: &now, FinishedAt: fin,
		DurationMS: float64(fin.Sub(now).Microseconds()) / 1000, Input: inb,
	}
	body := engrun.AppendResult(make([]byte, 0, 512+len(inb)), &res)
	rm := nats.NewMsg("bench.result.pipeline")
	rm.Data = body
	rm.Header.Set(nats.MsgIdHdr, id+"/result")
	p.pub.Publish(rm, func(err error) {
		if err != nil {
			p.errs.Add(1)
			_ = m.Nak()
		} else {
			_ = m.Ack()
		}
		if p.acked.Add(1) == p.target {
			p.last = time.Now()
			close(p.done)
		}
	})
}

// setupPipeline starts a server with an events and a results stream and a
// consumer configured as the engine's.
func setupPipeline(ctx context.Context, b *bench, name string) (*server, jetstream.Consumer, error) {
	srv, err := startServer(b, b.tempDir(name))
	if err != nil {
		return nil, nil, err
	}
	for _, c := range []jetstream.StreamConfig{
		floorStreamConfig("BENCH_EVENTS", "bench.events.>"),
		floorStreamConfig("BENCH_RESULTS", "bench.result.>"),
	} {
		if _, err := srv.js.CreateStream(ctx, c); err != nil {
			srv.close()
			return nil, nil, err
		}
	}
	c, err := srv.js.CreateOrUpdateConsumer(ctx, "BENCH_EVENTS", jetstream.ConsumerConfig{
		Durable: "bench", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxAckPending: 10000,
	})
	if err != nil {
		srv.close()
		return nil, nil, err
	}
	return srv, c, nil
}

// floorPipeline runs the no-plugin pipeline over events published in
// advance: jobs/s from the first message to the last ack, and the CPU time
// and heap allocations of this process (the pipeline and the NATS server)
// per job. It runs in a
// child process (runFloorProc), prepared as an engine repetition is.
//
// With profile set, it writes a CPU profile of the run there.
func floorPipeline(ctx context.Context, b *bench, name string, profile string) (batchStats, error) {
	srv, c, err := setupPipeline(ctx, b, name)
	if err != nil {
		return batchStats{}, err
	}
	defer srv.close()
	n := b.events
	if _, err := publishAll(ctx, srv.js, "bench.events.x", n); err != nil {
		return batchStats{}, err
	}
	// As before an engine repetition (runBatch): start from live memory,
	// with the events' blocks no longer cached.
	runtime.GC()
	debug.FreeOSMemory()
	if profile != "" {
		stop, err := startProfile(profile)
		if err != nil {
			return batchStats{}, err
		}
		defer stop()
		if err := writeAllocs(profile + ".allocs0"); err != nil {
			return batchStats{}, err
		}
		defer func() { _ = writeAllocs(profile + ".allocs") }()
	}
	cpu0 := selfCPU()
	ao0, ab0 := heapAllocs()
	pctx, stopPurge := context.WithCancel(ctx)
	defer stopPurge()
	go purgeAcked(pctx, srv.js, "BENCH_EVENTS", "bench")
	p, err := newPipeline(srv.nc, b.tmpl, n)
	if err != nil {
		return batchStats{}, err
	}
	defer p.close()
	cc, err := c.Consume(p.handle, jetstream.PullMaxMessages(512))
	if err != nil {
		return batchStats{}, err
	}
	defer cc.Stop()
	select {
	case <-p.done:
	case <-ctx.Done():
		return batchStats{}, fmt.Errorf("pipeline: %d of %d: %w", p.acked.Load(), n, ctx.Err())
	}
	st := batchStats{jobs: n, cpuPerJob: (selfCPU() - cpu0) / time.Duration(n)}
	ao1, ab1 := heapAllocs()
	st.allocs, st.allocBytes = allocsPerJob(ao0, ab0, ao1, ab1, n)
	if e := p.errs.Load(); e > 0 {
		return batchStats{}, fmt.Errorf("pipeline: %d errors", e)
	}
	st.rate = perSecond(n, p.last.Sub(time.Unix(0, p.first.Load())))
	return st, nil
}

// floorPipelineLatency runs the no-plugin pipeline with events published at
// b.rate for b.floorDuration: publish → result received.
func floorPipelineLatency(ctx context.Context, b *bench, rep int) (latencyStats, error) {
	srv, c, err := setupPipeline(ctx, b, fmt.Sprintf("floor-pipelat-%d", rep))
	if err != nil {
		return latencyStats{}, err
	}
	defer srv.close()
	pctx, stopPurge := context.WithCancel(ctx)
	defer stopPurge()
	go purgeAcked(pctx, srv.js, "BENCH_EVENTS", "bench")
	p, err := newPipeline(srv.nc, b.tmpl, -1)
	if err != nil {
		return latencyStats{}, err
	}
	defer p.close()
	cc, err := c.Consume(p.handle, jetstream.PullMaxMessages(512))
	if err != nil {
		return latencyStats{}, err
	}
	defer cc.Stop()
	return measureLatency(ctx, b, srv.nc, "bench.events.x", "bench.result.>", b.floorDuration)
}

// latencyStats are the publish → result latencies of one run.
type latencyStats struct {
	sent, received int
	p50, p99, p999 time.Duration
	max            time.Duration
	achievedRate   float64
}

// measureLatency publishes events at b.rate for d with core NATS on
// subject, and matches each result on resultSubj by the "sent" value the
// input template piped from the event.
func measureLatency(ctx context.Context, b *bench, nc *nats.Conn, subject, resultSubj string, d time.Duration) (latencyStats, error) {
	var (
		mu   sync.Mutex
		lats = make([]time.Duration, 0, int(float64(b.rate)*d.Seconds())+16)
		bad  int
	)
	sub, err := nc.Subscribe(resultSubj, func(m *nats.Msg) {
		now := time.Now()
		i := bytes.Index(m.Data, []byte(`"sent":"`))
		if i < 0 {
			mu.Lock()
			bad++
			mu.Unlock()
			return
		}
		rest := m.Data[i+len(`"sent":"`):]
		j := bytes.IndexByte(rest, '"')
		ns, err := strconv.ParseInt(string(rest[:j]), 10, 64)
		mu.Lock()
		if err != nil {
			bad++
		} else {
			lats = append(lats, now.Sub(time.Unix(0, ns)))
		}
		mu.Unlock()
	})
	if err != nil {
		return latencyStats{}, err
	}
	defer sub.Unsubscribe()
	_ = sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		return latencyStats{}, err
	}

	// Pace: every millisecond, send what is due by now.
	sent := 0
	start := time.Now()
	for {
		el := time.Since(start)
		if el >= d {
			break
		}
		due := int(el.Seconds() * float64(b.rate))
		for ; sent < due; sent++ {
			if err := nc.Publish(subject, eventBody(sent, time.Now())); err != nil {
				return latencyStats{}, err
			}
		}
		time.Sleep(time.Millisecond)
	}
	pubTime := time.Since(start)
	_ = nc.Flush()
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		got := len(lats) + bad
		mu.Unlock()
		if got >= sent || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	s := append([]time.Duration(nil), lats...)
	slices.Sort(s)
	st := latencyStats{sent: sent, received: len(s), achievedRate: perSecond(sent, pubTime)}
	st.p50, st.p99, st.p999 = percentile(s, 50), percentile(s, 99), percentile(s, 99.9)
	if len(s) > 0 {
		st.max = s[len(s)-1]
	}
	if bad > 0 {
		return st, fmt.Errorf("%d results without a sent time", bad)
	}
	return st, nil
}
