// Command noop is a jobd plugin that does nothing: every job succeeds at
// once with no output. jobd-bench builds it to measure the cost of the
// plugin protocol and of the engine around it, without any handler work.
//
// With JOBD_NOOP_CPUPROFILE set to a file, it writes a CPU profile of its
// first JOBD_NOOP_PROFILE_JOBS jobs (default 100,000) there: jobd-bench
// -cpuprofile FILE sets both for the profiled repetition (FILE.plugin).
package main

import (
	"context"
	"os"
	"runtime/pprof"
	"strconv"
	"sync/atomic"

	"github.com/jobd-dev/jobd/sdk"
)

type noop struct {
	// left counts the jobs until the profile stops; nil when not profiling.
	left *atomic.Int64
	stop func()
}

func (noop) Info() sdk.Info {
	return sdk.Info{Name: "noop", Version: "0.0.1", Kinds: []string{"noop"}, Description: "does nothing (benchmarks)"}
}

func (noop) Configure(context.Context, *sdk.ConfigureRequest) error { return nil }

func (n noop) Handle(context.Context, *sdk.Job) (*sdk.Result, error) {
	if n.left != nil && n.left.Add(-1) == 0 {
		n.stop()
	}
	return nil, nil
}

func main() {
	var n noop
	if path := os.Getenv("JOBD_NOOP_CPUPROFILE"); path != "" {
		jobs, err := strconv.ParseInt(os.Getenv("JOBD_NOOP_PROFILE_JOBS"), 10, 64)
		if err != nil || jobs <= 0 {
			jobs = 100_000
		}
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			n.left = new(atomic.Int64)
			n.left.Store(jobs)
			n.stop = func() { pprof.StopCPUProfile(); f.Close() }
		}
	}
	sdk.Serve(n)
}
