package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/trace"
	"time"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/gogc"
)

// childEnv carries a case to a child process of jobd-bench: each
// throughput, latency and fan-out repetition, and each repetition of the
// no-plugin pipeline they are compared with, runs in a fresh process, so
// what it measures (RSS, CPU, throughput, latency) is that engine's (or
// pipeline's) and its NATS server's alone, not also what earlier cases left
// in the process (a larger heap to collect, caches, goroutines).
const childEnv = "JOBD_BENCH_BATCH"

// childSpec is one case for a child process.
type childSpec struct {
	Dir, NoopPath, Name, Subject, Profile string
	Events, Want, Concurrency             int
	Verbose                               bool
	// Floor runs the no-plugin pipeline (floorPipeline) instead of an engine.
	Floor bool
	// Latency runs a latency case (the engine's, or with Floor the no-plugin
	// pipeline's) at Rate events/s for Duration instead of a batch.
	Latency  bool
	Rate     int
	Duration time.Duration
	Rep      int    // the repetition, for the latency cases' folder names
	Trace    string // write a runtime/trace of the case to this file
}

// childResult is a child's batchStats.
type childResult struct {
	Jobs                                   int
	Elapsed, CPUPerJob, PlugCPUPerJob      time.Duration
	Rate, RSSMiB, BaseMiB, HWMMiB, PlugMiB float64
	Allocs, AllocBytes                     float64
	Failed                                 int
	Lat                                    latencyResult
	Err                                    string
}

// latencyResult is a child's latencyStats.
type latencyResult struct {
	Sent, Received      int
	P50, P99, P999, Max time.Duration
	Achieved            float64
}

// runBatchProc runs runBatch in a child process.
func runBatchProc(ctx context.Context, b *bench, name, subject string, events, want int, profile string) (batchStats, error) {
	r, err := runChild(ctx, b, childSpec{
		Dir: b.dir, NoopPath: b.noopPath, Name: name, Subject: subject, Profile: profile,
		Events: events, Want: want, Concurrency: b.concurrency, Verbose: b.verbose,
	})
	return batchStats{
		jobs: r.Jobs, elapsed: r.Elapsed, rate: r.Rate, rssMiB: r.RSSMiB, baseMiB: r.BaseMiB, hwmMiB: r.HWMMiB,
		pluginMiB: r.PlugMiB, cpuPerJob: r.CPUPerJob, plugCPUJob: r.PlugCPUPerJob, failed: r.Failed,
		allocs: r.Allocs, allocBytes: r.AllocBytes,
	}, err
}

// runFloorProc runs floorPipeline in a child process: its rate, CPU and
// allocations per job.
func runFloorProc(ctx context.Context, b *bench, rep int, profile string) (batchStats, error) {
	r, err := runChild(ctx, b, childSpec{
		Dir: b.dir, NoopPath: b.noopPath, Name: fmt.Sprintf("floor-pipe-%d", rep), Profile: profile,
		Events: b.events, Verbose: b.verbose, Floor: true,
	})
	return batchStats{jobs: r.Jobs, rate: r.Rate, cpuPerJob: r.CPUPerJob, allocs: r.Allocs, allocBytes: r.AllocBytes}, err
}

// runLatencyProc runs a latency case in a child process: the engine's
// (runLatency), or with floor the no-plugin pipeline's
// (floorPipelineLatency).
func runLatencyProc(ctx context.Context, b *bench, rep int, floor bool) (latencyStats, error) {
	s := childSpec{
		Dir: b.dir, NoopPath: b.noopPath, Name: fmt.Sprintf("engine-latency-%d", rep), Concurrency: b.concurrency,
		Verbose: b.verbose, Latency: true, Rate: b.rate, Duration: b.duration, Rep: rep,
	}
	if floor {
		s.Name, s.Floor, s.Duration = fmt.Sprintf("floor-pipelat-%d", rep), true, b.floorDuration
	} else if rep == 0 {
		s.Trace = b.trace
	}
	r, err := runChild(ctx, b, s)
	l := r.Lat
	return latencyStats{sent: l.Sent, received: l.Received, p50: l.P50, p99: l.P99, p999: l.P999, max: l.Max, achievedRate: l.Achieved}, err
}

// runChild runs one case in a fresh jobd-bench process.
func runChild(ctx context.Context, b *bench, s childSpec) (childResult, error) {
	name := s.Name
	exe, err := os.Executable()
	if err != nil {
		return childResult{}, err
	}
	spec, _ := json.Marshal(s)
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return childResult{}, fmt.Errorf("%s: child process: %w", name, err)
	}
	var r childResult
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return childResult{}, fmt.Errorf("%s: child process output %q: %w", name, out, err)
	}
	if r.Err != "" {
		return r, fmt.Errorf("%s", r.Err)
	}
	return r, nil
}

// batchChild runs the case in spec (a batch, a no-plugin pipeline run or a
// latency case) and prints its childResult.
func batchChild(spec string) int {
	var s childSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, "jobd-bench child:", err)
		return 2
	}
	if s.Profile != "" {
		runtime.MemProfileRate = 16 << 10 // for the allocation profile (writeAllocs)
	}
	var logOut io.Writer = io.Discard
	if s.Verbose {
		logOut = os.Stderr
	}
	b := &bench{dir: s.Dir, noopPath: s.NoopPath, concurrency: s.Concurrency, verbose: s.Verbose, events: s.Events,
		rate: s.Rate, duration: s.Duration, floorDuration: s.Duration,
		log: slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	var (
		r   childResult
		st  batchStats
		err error
	)
	ctx := context.Background()
	if s.Trace != "" {
		f, err := os.Create(s.Trace)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "jobd-bench child: trace:", err)
			return 2
		}
		defer func() { trace.Stop(); f.Close() }()
	}
	switch {
	case s.Latency:
		var l latencyStats
		if s.Floor {
			if err = prepareFloor(b, s); err == nil {
				l, err = floorPipelineLatency(ctx, b, s.Rep)
			}
		} else {
			l, err = runLatency(ctx, b, s.Rep)
		}
		r.Lat = latencyResult{Sent: l.sent, Received: l.received, P50: l.p50, P99: l.p99, P999: l.p999, Max: l.max, Achieved: l.achievedRate}
	case s.Floor:
		st, err = floorChild(b, s)
	default:
		st, err = runBatch(ctx, b, s.Name, s.Subject, s.Events, s.Want, s.Profile)
	}
	r.Jobs, r.Elapsed, r.Rate, r.RSSMiB, r.BaseMiB, r.HWMMiB = st.jobs, st.elapsed, st.rate, st.rssMiB, st.baseMiB, st.hwmMiB
	r.PlugMiB, r.CPUPerJob, r.PlugCPUPerJob, r.Failed = st.pluginMiB, st.cpuPerJob, st.plugCPUJob, st.failed
	r.Allocs, r.AllocBytes = st.allocs, st.allocBytes
	if err != nil {
		r.Err = err.Error()
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	return 0
}

// floorChild runs the no-plugin pipeline as the engine would run in this
// process: the bench job's template and the GC target from the same
// configuration the engine loads (server.gogc, which engine.Start applies).
func floorChild(b *bench, s childSpec) (batchStats, error) {
	if err := prepareFloor(b, s); err != nil {
		return batchStats{}, err
	}
	return floorPipeline(context.Background(), b, s.Name, s.Profile)
}

// prepareFloor readies this child process for the no-plugin pipeline: the
// bench job's template, and the GC target from the configuration the engine
// loads (server.gogc, which engine.Start applies).
func prepareFloor(b *bench, s childSpec) error {
	path, err := writeConfig(b, b.tempDir(s.Name+"-config"))
	if err != nil {
		return err
	}
	cfg, cat, err := engine.Load(path, []string{})
	if err != nil {
		return err
	}
	gogc.Apply(cfg.Server.GOGC, b.log)
	b.tmpl = cat.Job(throughputEvent).Input
	return nil
}
