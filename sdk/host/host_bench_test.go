package host_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jobd-dev/jobd/sdk/host"
)

// startNoop builds engine/internal/bench/noop (a plugin whose Handle does nothing)
// and starts it for the benchmark. The test plugin of TestMain is not used:
// it appends every call to a file.
func startNoop(b *testing.B) *host.Plugin {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "jobd-noop")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/jobd-dev/jobd/engine/internal/bench/noop").CombinedOutput(); err != nil {
		b.Fatalf("build noop plugin: %v\n%s", err, out)
	}
	p, err := host.Start(context.Background(), host.Options{Kind: "noop", Path: bin, DataDir: filepath.Join(dir, "data")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Kill)
	return p
}

func noopJob() host.Job {
	return host.Job{JobID: "j", RunID: "r", Event: "bench", Kind: "noop", Input: []byte(`{"to":"ada@example.com"}`), Attempt: 1, MaxAttempts: 4, IdempotencyKey: "r"}
}

// BenchmarkSubmit1InFlight is one job per Submit, waiting for its result
// before the next: one gRPC round trip per op.
func BenchmarkSubmit1InFlight(b *testing.B) {
	p := startNoop(b)
	jobs := []host.Job{noopJob()}
	ch := make(chan host.Result, 1)
	done := func(_ int, r host.Result) { ch <- r }
	b.ReportAllocs()
	for b.Loop() {
		p.Submit(jobs, done)
		if r := <-ch; r.Outcome != host.OK {
			b.Fatalf("result %+v", r)
		}
	}
}

// BenchmarkSubmit64InFlight is one job per Submit from 64 goroutines: each
// op is one job, with 64 round trips in flight.
func BenchmarkSubmit64InFlight(b *testing.B) {
	submitParallel(b, 64, 1)
}

// BenchmarkSubmitBatch32x4 sends 32 jobs per Submit with 4 Submits in
// flight; each op is one job.
func BenchmarkSubmitBatch32x4(b *testing.B) {
	submitParallel(b, 4, 32)
}

// submitParallel keeps inFlight Submits of batch jobs each outstanding; each
// op is one job. The benchmark function runs once (b.Loop), so the plugin is
// built and started once.
func submitParallel(b *testing.B, inFlight, batch int) {
	p := startNoop(b)
	slots := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	submit := func(jobs []host.Job) {
		slots <- struct{}{}
		wg.Add(1)
		var mu sync.Mutex
		left := len(jobs)
		p.Submit(jobs, func(_ int, r host.Result) {
			if r.Outcome != host.OK {
				b.Errorf("result %+v", r)
			}
			mu.Lock()
			left--
			last := left == 0
			mu.Unlock()
			if last {
				<-slots
				wg.Done()
			}
		})
	}
	jobs := make([]host.Job, 0, batch)
	b.ReportAllocs()
	for b.Loop() {
		jobs = append(jobs, noopJob())
		if len(jobs) == batch {
			submit(jobs)
			jobs = make([]host.Job, 0, batch)
		}
	}
	if len(jobs) > 0 {
		submit(jobs)
	}
	wg.Wait()
}
