package sdk

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// Every job runs at once and concurrently with the others; idle workers
// take the next jobs and exit on close.
func TestWorkers(t *testing.T) {
	var w workers
	w.close() // safe before any run
	base := runtime.NumGoroutine()

	const n = 10
	var started, finished sync.WaitGroup
	started.Add(n)
	finished.Add(n)
	release := make(chan struct{})
	for range n {
		w.run(func() {
			started.Done()
			<-release
			finished.Done()
		})
	}
	waitFor(t, "every job started while the others block", started.Wait)
	close(release)
	waitFor(t, "every job finished", finished.Wait)

	// The idle workers take the next jobs, not a new goroutine each (a
	// worker between jobs may miss one, hence the slack).
	idle := runtime.NumGoroutine()
	for range 3 * n {
		done := make(chan struct{})
		w.run(func() { close(done) })
		<-done
	}
	if got := runtime.NumGoroutine(); got >= idle+n {
		t.Errorf("%d goroutines after %d jobs on %d idle workers, want fewer than %d", got, 3*n, n, idle+n)
	}

	w.close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 5s after close, want %d", runtime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitFor(t *testing.T, what string, wait func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting: %s", what)
	}
}
