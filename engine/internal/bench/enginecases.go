package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/streams"
)

// Subjects and events of the bench jobs.
const (
	throughputSubject = "bench.throughput"
	throughputEvent   = "bench_throughput"
	latencySubject    = "bench.latency"
	latencyEvent      = "bench_latency"
	fanoutSubject     = "bench.fanout"
	fanoutJobs        = 10
)

// seedInput is the input of the seed job (config.toml [[jobs]]
// send_notification, the README's seed job), plus sent, which pipes the event's
// send time into the result so latency can be measured.
const seedInput = `
  [jobs.input]
    sent = "$Input{sent_ns}"
  [jobs.input.push_notification]
    title = "Reminder Alert"
    body = "This is a reminder for your upcoming event."
    device_token = "$Input{device_token}"
    [jobs.input.push_notification.data]
      eventId = "$Input{event_id}"
      reminderType = "upcoming_event"
  [jobs.input.email]
    to = "$Input{email}"
    subject = "Event Reminder"
    body = "Hello! This is a reminder for your upcoming event on $Input{date}."
`

// writeConfig writes the engine's configuration into dir: embedded-style
// NATS on a random loopback port, no HTTP endpoint, the no-op plugin, and
// the bench jobs (seed input, retries = 3).
func writeConfig(b *bench, dir string) (string, error) {
	var sb strings.Builder
	fmt.Fprintf(&sb, `[server]
  data_dir = %q
  http = ""
  log_level = "warn"
[nats]
  listen = "127.0.0.1:0"
[plugins]
  dir = %q
[plugins.noop]
  env = ["JOBD_NOOP_CPUPROFILE", "JOBD_NOOP_PROFILE_JOBS"]
  concurrency = %d
`, filepath.Join(dir, "data"), filepath.Dir(b.noopPath), b.concurrency)
	job := func(event, subject string) {
		fmt.Fprintf(&sb, "\n[[jobs]]\n  event = %q\n  kind = \"noop\"\n  on = [%q]\n  retries = 3\n  allow_fail = false\n%s", event, subject, seedInput)
	}
	job(throughputEvent, throughputSubject)
	job(latencyEvent, latencySubject)
	for i := 0; i < fanoutJobs; i++ {
		job(fmt.Sprintf("bench_fanout_%d", i), fanoutSubject)
	}
	path := filepath.Join(dir, "config.toml")
	return path, os.WriteFile(path, []byte(sb.String()), 0o644)
}

// engineRun is one engine on one fresh data folder, with its NATS server
// started in this process by the engine's own broker.StartEmbedded, and
// nats.url pointed at it, so events can be published before the engine
// starts consuming.
type engineRun struct {
	srv *server
	e   *engine.Engine
	cfg *config.Config
}

// environ is what the plugin's environment is taken from (see writeConfig).
func prepareEngine(ctx context.Context, b *bench, name string, environ []string) (*engineRun, error) {
	dir := b.tempDir(name)
	path, err := writeConfig(b, dir)
	if err != nil {
		return nil, err
	}
	cfg, cat, err := engine.Load(path, []string{})
	if err != nil {
		return nil, err
	}
	srv, err := startServerCfg(b, cfg)
	if err != nil {
		return nil, err
	}
	cfg.NATS.URL = srv.emb.ClientURL()
	err = streams.Ensure(ctx, srv.js, streams.Options{
		Subjects: cat.Subjects(), Replicas: cfg.NATS.Replicas,
		ResultsMaxAge: cfg.Server.ResultsMaxAge.D(), AckWait: cfg.Server.AckWait.D(),
	})
	if err != nil {
		srv.close()
		return nil, err
	}
	return &engineRun{srv: srv, cfg: cfg, e: engine.New(cfg, cat, engine.Options{Logger: b.log, Environ: environ, Version: "bench"})}, nil
}

func (r *engineRun) start(ctx context.Context) error { return r.e.Start(ctx) }

func (r *engineRun) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.e.Stop(ctx)
	r.srv.close()
}

// batchStats is one run over events published in advance.
type batchStats struct {
	jobs       int
	elapsed    time.Duration // first dispatch → last result stored
	rate       float64
	rssMiB     float64 // peak VmRSS of this process (engine + NATS + harness)
	baseMiB    float64 // VmRSS before the engine started (NATS with the events + harness)
	hwmMiB     float64 // VmHWM after a reset before the engine started
	pluginMiB  float64 // peak VmRSS of the plugin process
	cpuPerJob  time.Duration
	plugCPUJob time.Duration
	// allocs and allocBytes are heap allocations per job in this process
	// (engine + NATS server + harness polling).
	allocs, allocBytes float64
	failed             int
}

// errNotYet marks a poll that found too few results.
var errNotYet = errors.New("not yet")

// runBatch publishes events to subject in advance, starts the engine and
// waits until want results are recorded in JOBD_RESULTS (stream info with a
// subject filter, polled). The rate counts from the first dispatch (the
// started_at of the first result) to the time the last result was stored.
func runBatch(ctx context.Context, b *bench, name, subject string, events, want int, profile string) (batchStats, error) {
	var st batchStats
	environ := []string{}
	if profile != "" {
		// The no-op plugin profiles itself until it has seen every job.
		environ = []string{"JOBD_NOOP_CPUPROFILE=" + profile + ".plugin", fmt.Sprintf("JOBD_NOOP_PROFILE_JOBS=%d", want)}
	}
	r, err := prepareEngine(ctx, b, name, environ)
	if err != nil {
		return st, err
	}
	defer r.stop()
	if _, err := publishAll(ctx, r.srv.js, subject, events); err != nil {
		return st, err
	}
	// Start from this process's live memory: what earlier cases and the
	// publishing left behind is returned to the OS first.
	runtime.GC()
	debug.FreeOSMemory()
	st.baseMiB = float64(statusKB("self", "VmRSS")) / 1024
	hwm := resetHWM()
	mem := startMemSampler()
	cpu0 := selfCPU()
	ao0, ab0 := heapAllocs()
	if profile != "" {
		stop, err := startProfile(profile)
		if err != nil {
			return st, err
		}
		defer stop()
		if err := writeAllocs(profile + ".allocs0"); err != nil {
			return st, err
		}
		defer func() { _ = writeAllocs(profile + ".allocs") }()
	}
	if err := r.start(ctx); err != nil {
		mem.done()
		return st, err
	}
	var plugCPU0 int64
	kids := children()
	for _, k := range kids {
		plugCPU0 += cpuTicks(k)
	}
	results, err := r.srv.js.Stream(ctx, streams.Results)
	if err != nil {
		mem.done()
		return st, err
	}
	timeout := time.Duration(want/500+60) * time.Second
	deadline := time.Now().Add(timeout)
	var info *jetstream.StreamInfo
	count, failed := 0, 0
	for {
		// A plain stream info (a message count) until there are enough
		// messages, then one with the per-subject counts: the harness's
		// polling should cost the process it measures little.
		info, err = results.Info(ctx)
		if err == nil && info.State.Msgs >= uint64(want) {
			info, err = results.Info(ctx, jetstream.WithSubjectFilter("jobd.>"))
		} else if err == nil {
			count, err = int(info.State.Msgs), errNotYet
		}
		if err == nil {
			count, failed = 0, 0
			for s, n := range info.State.Subjects {
				if strings.HasPrefix(s, streams.ResultSubjectPrefix) {
					count += int(n)
				} else {
					failed += int(n)
				}
			}
			if count >= want {
				break
			}
		}
		if time.Now().After(deadline) {
			mem.done()
			return st, fmt.Errorf("%s: %d of %d results (stream messages, failure reports included until the per-subject count) after %v", name, count, want, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cpu1 := selfCPU()
	ao1, ab1 := heapAllocs()
	var plugCPU1 int64
	for _, k := range kids {
		plugCPU1 += cpuTicks(k)
	}
	st.rssMiB, st.pluginMiB = mem.done()
	if hwm {
		st.hwmMiB = float64(statusKB("self", "VmHWM")) / 1024
	}
	first, err := results.GetMsg(ctx, info.State.FirstSeq)
	if err != nil {
		return st, err
	}
	last, err := results.GetMsg(ctx, info.State.LastSeq)
	if err != nil {
		return st, err
	}
	var res struct {
		StartedAt time.Time `json:"started_at"`
		Status    string    `json:"status"`
	}
	if err := json.Unmarshal(first.Data, &res); err != nil {
		return st, err
	}
	st.jobs = count
	st.failed = failed
	st.elapsed = last.Time.Sub(res.StartedAt)
	st.rate = perSecond(count, st.elapsed)
	st.cpuPerJob = (cpu1 - cpu0) / time.Duration(count)
	st.plugCPUJob = time.Duration(plugCPU1-plugCPU0) * 10 * time.Millisecond / time.Duration(count)
	st.allocs, st.allocBytes = allocsPerJob(ao0, ab0, ao1, ab1, count)
	if failed > 0 {
		return st, fmt.Errorf("%s: %d failure reports", name, failed)
	}
	return st, nil
}

// runLatency starts an engine and publishes events at b.rate for
// b.duration: publish → result (core NATS subscription on jobd.result.<event>).
func runLatency(ctx context.Context, b *bench, rep int) (latencyStats, error) {
	r, err := prepareEngine(ctx, b, fmt.Sprintf("engine-latency-%d", rep), []string{})
	if err != nil {
		return latencyStats{}, err
	}
	defer r.stop()
	if err := r.start(ctx); err != nil {
		return latencyStats{}, err
	}
	return measureLatency(ctx, b, r.srv.nc, latencySubject, streams.ResultSubjectPrefix+latencyEvent, b.duration)
}

// writeAllocs writes this process's allocation profile (since it started)
// to path; the difference of two is what happened between them
// (go tool pprof -sample_index=alloc_objects -diff_base FILE.allocs0 FILE.allocs).
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// startProfile starts a CPU profile of this process into path.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
