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
	"time"

	"github.com/jobd-dev/jobd/engine"
)

// childEnv carries a batch case to a child process of jobd-bench: each
// throughput and fan-out repetition, and each repetition of the no-plugin
// pipeline they are compared with, runs in a fresh process, so what it
// measures (RSS, CPU, throughput) is that engine's (or pipeline's) and its
// NATS server's alone, not also what earlier cases left in the process.
const childEnv = "JOBD_BENCH_BATCH"

// childSpec is one batch case for a child process.
type childSpec struct {
	Dir, NoopPath, Name, Subject, Profile string
	Events, Want, Concurrency             int
	Verbose                               bool
	// Floor runs the no-plugin pipeline (floorPipeline) instead of an engine.
	Floor bool
}

// childResult is a child's batchStats.
type childResult struct {
	Jobs                                   int
	Elapsed, CPUPerJob, PlugCPUPerJob      time.Duration
	Rate, RSSMiB, BaseMiB, HWMMiB, PlugMiB float64
	Failed                                 int
	Err                                    string
}

// runBatchProc runs runBatch in a child process.
func runBatchProc(ctx context.Context, b *bench, name, subject string, events, want int, profile string) (batchStats, error) {
	return runChild(ctx, b, childSpec{
		Dir: b.dir, NoopPath: b.noopPath, Name: name, Subject: subject, Profile: profile,
		Events: events, Want: want, Concurrency: b.concurrency, Verbose: b.verbose,
	})
}

// runFloorProc runs floorPipeline in a child process: its rate and CPU per
// job.
func runFloorProc(ctx context.Context, b *bench, rep int, profile string) (float64, time.Duration, error) {
	st, err := runChild(ctx, b, childSpec{
		Dir: b.dir, NoopPath: b.noopPath, Name: fmt.Sprintf("floor-pipe-%d", rep), Profile: profile,
		Events: b.events, Verbose: b.verbose, Floor: true,
	})
	return st.rate, st.cpuPerJob, err
}

// runChild runs one case in a fresh jobd-bench process.
func runChild(ctx context.Context, b *bench, s childSpec) (batchStats, error) {
	name := s.Name
	exe, err := os.Executable()
	if err != nil {
		return batchStats{}, err
	}
	spec, _ := json.Marshal(s)
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return batchStats{}, fmt.Errorf("%s: child process: %w", name, err)
	}
	var r childResult
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return batchStats{}, fmt.Errorf("%s: child process output %q: %w", name, out, err)
	}
	st := batchStats{
		jobs: r.Jobs, elapsed: r.Elapsed, rate: r.Rate, rssMiB: r.RSSMiB, baseMiB: r.BaseMiB, hwmMiB: r.HWMMiB,
		pluginMiB: r.PlugMiB, cpuPerJob: r.CPUPerJob, plugCPUJob: r.PlugCPUPerJob, failed: r.Failed,
	}
	if r.Err != "" {
		return st, fmt.Errorf("%s", r.Err)
	}
	return st, nil
}

// batchChild runs the batch case in spec and prints its childResult.
func batchChild(spec string) int {
	var s childSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, "jobd-bench child:", err)
		return 2
	}
	var logOut io.Writer = io.Discard
	if s.Verbose {
		logOut = os.Stderr
	}
	b := &bench{dir: s.Dir, noopPath: s.NoopPath, concurrency: s.Concurrency, verbose: s.Verbose, events: s.Events,
		log: slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	var (
		st  batchStats
		err error
	)
	if s.Floor {
		st, err = floorChild(b, s)
	} else {
		st, err = runBatch(context.Background(), b, s.Name, s.Subject, s.Events, s.Want, s.Profile)
	}
	r := childResult{
		Jobs: st.jobs, Elapsed: st.elapsed, Rate: st.rate, RSSMiB: st.rssMiB, BaseMiB: st.baseMiB, HWMMiB: st.hwmMiB,
		PlugMiB: st.pluginMiB, CPUPerJob: st.cpuPerJob, PlugCPUPerJob: st.plugCPUJob, Failed: st.failed,
	}
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
	path, err := writeConfig(b, b.tempDir(s.Name+"-config"))
	if err != nil {
		return batchStats{}, err
	}
	cfg, cat, err := engine.Load(path, []string{})
	if err != nil {
		return batchStats{}, err
	}
	engine.ApplyGC(cfg.Server.GOGC, b.log)
	b.tmpl = cat.Job(throughputEvent).Input
	rate, cpu, err := floorPipeline(context.Background(), b, s.Name, s.Profile)
	return batchStats{jobs: s.Events, rate: rate, cpuPerJob: cpu}, err
}
