package dispatch_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/dispatch"
	"github.com/jobd-dev/jobd/sdk/host"
)

var testPlugin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jobd-dispatch-test")
	if err != nil {
		panic(err)
	}
	testPlugin = filepath.Join(dir, "jobd-test")
	if out, err := exec.Command("go", "build", "-o", testPlugin, "github.com/jobd-dev/jobd/sdk/internal/testplugin").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func newPool(t *testing.T, concurrency int, restarts *atomic.Int32) *dispatch.Pool {
	t.Helper()
	p := dispatch.New(dispatch.Options{
		Plugin:      host.Options{Kind: "test", Path: testPlugin, DataDir: t.TempDir()},
		Concurrency: concurrency,
		OnRestart:   func() { restarts.Add(1) },
	})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

// run runs one job and waits for its result.
func run(t *testing.T, p *dispatch.Pool, input string) host.Result {
	t.Helper()
	ch := make(chan host.Result, 1)
	if err := p.Run(context.Background(), host.Job{RunID: "r", Kind: "test", Input: []byte(input), Attempt: 1, MaxAttempts: 1}, func(r host.Result) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no result")
	}
	return host.Result{}
}

func TestConcurrencyIsBounded(t *testing.T) {
	var restarts atomic.Int32
	p := newPool(t, 4, &restarts)
	var wg sync.WaitGroup
	var maxSeen atomic.Int32
	for i := 0; i < 40; i++ {
		wg.Add(1)
		if err := p.Run(context.Background(), host.Job{RunID: "r", Kind: "test", Input: []byte(`{"sleep_ms": 20}`), Attempt: 1, MaxAttempts: 1}, func(r host.Result) {
			if r.Outcome != host.OK {
				t.Errorf("result %+v", r)
			}
			wg.Done()
		}); err != nil {
			t.Fatal(err)
		}
		if n := int32(p.InFlight()); n > maxSeen.Load() {
			maxSeen.Store(n)
		}
	}
	wg.Wait()
	if maxSeen.Load() > 4 {
		t.Fatalf("%d jobs in flight, concurrency is 4", maxSeen.Load())
	}
}

func TestCrashRestartsAndCrashLoopIsUnhealthy(t *testing.T) {
	var restarts atomic.Int32
	p := newPool(t, 8, &restarts)
	if r := run(t, p, `{"mode": "crash"}`); r.Outcome != host.Retry || !r.Crashed {
		t.Fatalf("crash result = %+v", r)
	}
	if r := run(t, p, `{}`); r.Outcome != host.OK {
		t.Fatalf("after a crash: %+v", r)
	}
	if restarts.Load() != 1 {
		t.Fatalf("%d restarts, want 1", restarts.Load())
	}
	if ok, err := p.Health(); !ok {
		t.Fatalf("one crash made the plugin unhealthy: %v", err)
	}
	for i := 0; i < dispatch.CrashLoopCount; i++ {
		run(t, p, `{"mode": "crash"}`)
	}
	run(t, p, `{}`) // restarts it once more
	ok, err := p.Health()
	if ok || err == nil || !strings.Contains(err.Error(), "crash loop") {
		t.Fatalf("health after a crash loop = %v, %v", ok, err)
	}
}

func TestRefusedPluginAnswersNoPlugin(t *testing.T) {
	p := dispatch.New(dispatch.Options{
		Plugin: host.Options{Kind: "test", Path: testPlugin, DataDir: t.TempDir(), SHA256: strings.Repeat("0", 64)},
	})
	err := p.Start(context.Background())
	if !dispatch.Refused(err) {
		t.Fatalf("start: %v, want a refusal", err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	r := run(t, p, `{}`)
	if r.Outcome != host.Permanent || !r.NoPlugin || r.Crashed || !strings.Contains(r.Error, "sha256 pin does not match") {
		t.Fatalf("result %+v, want a permanent no-plugin answer naming the pin", r)
	}
	if ok, err := p.Health(); ok || err == nil {
		t.Fatalf("health %v %v", ok, err)
	}
}
