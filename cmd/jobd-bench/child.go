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
)

// childEnv carries a batch case to a child process of jobd-bench: each
// throughput and fan-out repetition runs in a fresh process, so what it
// measures (RSS, CPU, throughput) is that engine's and its NATS server's
// alone, not also what earlier cases left in the process.
const childEnv = "JOBD_BENCH_BATCH"

// childSpec is one batch case for a child process.
type childSpec struct {
	Dir, NoopPath, Name, Subject, Profile string
	Events, Want, Concurrency             int
	Verbose                               bool
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
	exe, err := os.Executable()
	if err != nil {
		return batchStats{}, err
	}
	spec, _ := json.Marshal(childSpec{
		Dir: b.dir, NoopPath: b.noopPath, Name: name, Subject: subject, Profile: profile,
		Events: events, Want: want, Concurrency: b.concurrency, Verbose: b.verbose,
	})
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
	b := &bench{dir: s.Dir, noopPath: s.NoopPath, concurrency: s.Concurrency, verbose: s.Verbose,
		log: slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	st, err := runBatch(context.Background(), b, s.Name, s.Subject, s.Events, s.Want, s.Profile)
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
