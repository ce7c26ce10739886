package dispatch_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jobd-dev/jobd/engine/internal/dispatch"
	"github.com/jobd-dev/jobd/sdk/host"
)

// noopPool builds engine/internal/bench/noop (a plugin whose Handle does nothing)
// and starts a Pool on it. The test plugin of TestMain is not used: it
// appends every call to a file.
func noopPool(b *testing.B, concurrency, maxBatch int) *dispatch.Pool {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "jobd-noop")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/jobd-dev/jobd/engine/internal/bench/noop").CombinedOutput(); err != nil {
		b.Fatalf("build noop plugin: %v\n%s", err, out)
	}
	p := dispatch.New(dispatch.Options{
		Plugin:      host.Options{Kind: "noop", Path: bin, DataDir: filepath.Join(dir, "data")},
		Concurrency: concurrency,
		MaxBatch:    maxBatch,
	})
	if err := p.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

// runJobs runs b.N no-op jobs through the pool from one goroutine, as the
// runner does (Run blocks while the concurrency is used up); each op is one
// job. The benchmark function runs once (b.Loop): one build, one plugin.
func runJobs(b *testing.B, p *dispatch.Pool) {
	job := host.Job{JobID: "j", RunID: "r", Event: "bench", Kind: "noop", Input: []byte(`{"to":"ada@example.com"}`), Attempt: 1, MaxAttempts: 4, IdempotencyKey: "r"}
	var wg sync.WaitGroup
	done := func(r host.Result) {
		if r.Outcome != host.OK {
			b.Errorf("result %+v", r)
		}
		wg.Done()
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		if err := p.Run(ctx, job, done); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
}

// BenchmarkPoolConcurrency1 is one job in flight: a round trip per job.
func BenchmarkPoolConcurrency1(b *testing.B) { runJobs(b, noopPool(b, 1, 0)) }

// BenchmarkPoolConcurrency64 is the default pool: 64 in flight, batched.
func BenchmarkPoolConcurrency64(b *testing.B) { runJobs(b, noopPool(b, 64, 0)) }

// BenchmarkPoolConcurrency512 is 512 in flight, batched.
func BenchmarkPoolConcurrency512(b *testing.B) { runJobs(b, noopPool(b, 512, 0)) }

// memPlugin is an in-process plugin: a goroutine answers each batch with
// OK, as a plugin process's answers arrive on the host's receive goroutine.
// With it, a benchmark measures the pool alone (queue, batching, slots,
// callbacks) without gRPC or a second process.
type memPlugin struct {
	batches chan memBatch
	done    chan struct{}
}

type memBatch struct {
	n    int
	done func(int, host.Result)
}

func startMem(context.Context, host.Options) (dispatch.Plugin, error) {
	m := &memPlugin{batches: make(chan memBatch, 64), done: make(chan struct{})}
	go func() {
		for b := range m.batches {
			for i := range b.n {
				b.done(i, host.Result{Outcome: host.OK})
			}
		}
		close(m.done)
	}()
	return m, nil
}

func (m *memPlugin) Submit(jobs []host.Job, done func(int, host.Result)) {
	m.batches <- memBatch{n: len(jobs), done: done}
}
func (m *memPlugin) Info() host.Info       { return host.Info{Name: "mem", Kinds: []string{"noop"}} }
func (m *memPlugin) Done() <-chan struct{} { return m.done }
func (m *memPlugin) Err() error            { return nil }
func (m *memPlugin) Stop(context.Context)  { close(m.batches); <-m.done }
func (m *memPlugin) Kill()                 { m.Stop(context.Background()) }

// memPool starts a Pool on an in-process plugin.
func memPool(b *testing.B, concurrency int) *dispatch.Pool {
	b.Helper()
	p := dispatch.New(dispatch.Options{Plugin: host.Options{Kind: "noop"}, Start: startMem, Concurrency: concurrency})
	if err := p.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

// BenchmarkPoolInMemory64 is the default pool on an in-process plugin: the
// dispatcher's own cost per job.
func BenchmarkPoolInMemory64(b *testing.B) { runJobs(b, memPool(b, 64)) }

// BenchmarkPoolInMemory512 is 512 in flight on an in-process plugin.
func BenchmarkPoolInMemory512(b *testing.B) { runJobs(b, memPool(b, 512)) }
