package dispatch_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/dispatch"
	"github.com/jobd-dev/jobd/sdk/host"
)

// fakePlugin answers every job at once until it is made to exit.
type fakePlugin struct {
	done   chan struct{}
	once   sync.Once
	killed atomic.Bool
}

func newFake() *fakePlugin { return &fakePlugin{done: make(chan struct{})} }

func (f *fakePlugin) Submit(jobs []host.Job, done func(int, host.Result)) {
	for i := range jobs {
		done(i, host.Result{Outcome: host.OK})
	}
}
func (f *fakePlugin) Info() host.Info          { return host.Info{Name: "fake"} }
func (f *fakePlugin) Done() <-chan struct{}    { return f.done }
func (f *fakePlugin) Err() error               { return errors.New("exited") }
func (f *fakePlugin) exit()                    { f.once.Do(func() { close(f.done) }) }
func (f *fakePlugin) Stop(ctx context.Context) { f.exit() }
func (f *fakePlugin) Kill()                    { f.killed.Store(true); f.exit() }

// starter is an Options.Start whose calls the test controls.
type starter struct {
	mu      sync.Mutex
	calls   int
	started []*fakePlugin
	// next decides each call after the first: nil starts a plugin.
	next func(ctx context.Context, call int) error
}

func (s *starter) start(ctx context.Context, _ host.Options) (dispatch.Plugin, error) {
	s.mu.Lock()
	s.calls++
	call := s.calls
	next := s.next
	s.mu.Unlock()
	if call > 1 && next != nil {
		if err := next(ctx, call); err != nil {
			return nil, err
		}
	}
	f := newFake()
	s.mu.Lock()
	s.started = append(s.started, f)
	s.mu.Unlock()
	return f, nil
}

func (s *starter) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// submit queues a job without waiting for its answer.
func submit(t *testing.T, p *dispatch.Pool) <-chan host.Result {
	t.Helper()
	ch := make(chan host.Result, 1)
	if err := p.Run(context.Background(), host.Job{RunID: "r", Kind: "test", Input: []byte(`{}`)}, func(r host.Result) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	return ch
}

// within fails the test unless f returns within a generous deadline.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

// A restart in progress (a plugin may take RestartMax to start) does not
// hold the pool: health and info answer meanwhile; Stop cancels the start.
func TestRestartDoesNotBlockThePool(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s := &starter{next: func(ctx context.Context, call int) error {
		close(entered)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	p := dispatch.New(dispatch.Options{Plugin: host.Options{Kind: "test"}, Start: s.start})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer close(release)
	s.started[0].exit()
	result := submit(t, p)
	<-entered // the sender is restarting the plugin
	within(t, "Health during a restart", func() { p.Health() })
	within(t, "Info during a restart", func() { p.Info() })
	within(t, "Stop during a restart", func() { p.Stop(context.Background()) })
	if r := <-result; r.Outcome != host.Retry {
		t.Fatalf("the job waiting for the restart: %+v, want a retry", r)
	}
	if n := s.count(); n != 2 {
		t.Fatalf("%d starts, want 2", n)
	}
}

// The wait between restarts ends when Stop is called, and no plugin starts
// after Stop returned.
func TestStopInterruptsTheRestartWait(t *testing.T) {
	s := &starter{}
	p := dispatch.New(dispatch.Options{Plugin: host.Options{Kind: "test"}, Start: s.start, RestartMin: time.Hour, RestartMax: time.Hour})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Two crashes: the second restart waits RestartMin.
	s.started[0].exit()
	if r := <-submit(t, p); r.Outcome != host.OK {
		t.Fatalf("after one crash: %+v", r)
	}
	s.mu.Lock()
	s.started[1].exit()
	s.mu.Unlock()
	result := submit(t, p)
	// Poll: the sender takes the job and starts waiting.
	for deadline := time.Now().Add(20 * time.Second); p.InFlight() != 1 || len(result) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the job was not taken")
		}
	}
	time.Sleep(100 * time.Millisecond) // let the sender reach the wait (if it did not, Stop ends it anyway)
	within(t, "Stop during the wait before a restart", func() { p.Stop(context.Background()) })
	if r := <-result; r.Outcome != host.Retry {
		t.Fatalf("the job waiting for the restart: %+v, want a retry", r)
	}
	n := s.count()
	time.Sleep(200 * time.Millisecond)
	if s.count() != n || n != 2 {
		t.Fatalf("%d starts, then %d after Stop returned; want 2 and none after", n, s.count())
	}
}

// A start that finishes while Stop runs is killed, never used: no plugin
// outlives Stop.
func TestNoPluginOutlivesStop(t *testing.T) {
	entered := make(chan struct{})
	s := &starter{next: func(ctx context.Context, call int) error {
		close(entered)
		<-ctx.Done() // Stop cancels the start; this one finishes anyway
		return nil
	}}
	p := dispatch.New(dispatch.Options{Plugin: host.Options{Kind: "test"}, Start: s.start})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.started[0].exit()
	result := submit(t, p)
	<-entered
	within(t, "Stop during a start", func() { p.Stop(context.Background()) })
	<-result
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.started) != 2 {
		t.Fatalf("%d plugins started, want 2", len(s.started))
	}
	if !s.started[1].killed.Load() {
		t.Fatal("the plugin that finished starting during Stop is still running")
	}
	if err := p.Start(context.Background()); !errors.Is(err, dispatch.ErrStopped) {
		t.Fatalf("Start after Stop: %v, want ErrStopped", err)
	}
}
