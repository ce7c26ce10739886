// Package storagegate stops jobd from taking new work while NATS refuses
// to store what jobd writes (a full disk, a store limit reached): jobd
// would run handlers whose outcome it cannot record, and every redelivery
// would run them again. While the gate is shut, consumers stop pulling,
// /readyz answers 503 with the cause, one ERROR is logged per minute, and a
// probe with backoff opens the gate again as soon as a write succeeds.
package storagegate

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of a Gate.
const (
	// ProbeMinDefault is the first wait before probing storage again.
	ProbeMinDefault = 500 * time.Millisecond
	// ProbeMaxDefault caps the wait between probes: work resumes within
	// this long of space coming back.
	ProbeMaxDefault = 5 * time.Second
	// LogEveryDefault is how often the refusal is logged while it lasts.
	LogEveryDefault = time.Minute
)

// insufficientResources is JetStream's error code for a store that is full
// (JSInsufficientResourcesErr, JSStorageResourcesExceededErr).
var refusedCodes = map[jetstream.ErrorCode]bool{10023: true, 10047: true}

// Refused reports whether err says that storage refused a write.
func Refused(err error) bool {
	if err == nil {
		return false
	}
	var api *jetstream.APIError
	if errors.As(err, &api) && refusedCodes[api.ErrorCode] {
		return true
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "insufficient resources") || strings.Contains(s, "no space left") ||
		strings.Contains(s, "resource limits exceeded") || strings.Contains(s, "storage resources exceeded")
}

// Options configure a Gate.
type Options struct {
	// Probe writes something small and says whether storage took it.
	Probe func(ctx context.Context) error
	// Pause stops taking new work; Resume takes it again.
	Pause, Resume func()
	// Repair, when not nil, is called before each probe (the embedded
	// server re-enables JetStream if it switched it off).
	Repair func()
	Logger *slog.Logger
	// ProbeMin, ProbeMax and LogEvery default to the constants above.
	ProbeMin, ProbeMax, LogEvery time.Duration
}

// Gate is open while storage takes writes.
type Gate struct {
	o Options

	mu      sync.Mutex
	shut    bool
	cause   error
	since   time.Time
	lastLog time.Time
	refused int // writes refused since the last log line
	stopped bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

// New returns an open gate.
func New(o Options) *Gate {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ProbeMin <= 0 {
		o.ProbeMin = ProbeMinDefault
	}
	if o.ProbeMax <= 0 {
		o.ProbeMax = ProbeMaxDefault
	}
	if o.LogEvery <= 0 {
		o.LogEvery = LogEveryDefault
	}
	return &Gate{o: o, stop: make(chan struct{})}
}

// Observe looks at a write's error: a storage refusal shuts the gate (the
// first one pauses work and starts probing) and Observe returns true, so
// the caller logs nothing of its own; any other error returns false.
func (g *Gate) Observe(err error) bool {
	if g == nil || !Refused(err) {
		return false
	}
	now := time.Now()
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return true
	}
	g.refused++
	first := !g.shut
	if first {
		g.shut, g.cause, g.since = true, err, now
	}
	logNow := now.Sub(g.lastLog) >= g.o.LogEvery
	n := g.refused
	if logNow {
		g.lastLog, g.refused = now, 0
	}
	if first {
		g.wg.Add(1)
	}
	g.mu.Unlock()
	if logNow {
		g.o.Logger.Error("NATS refuses to store jobd's writes; new work waits until it takes them again (free space or raise the store limit)",
			"error", err, "refused_writes", n, "since", g.since)
	}
	if first {
		if g.o.Pause != nil {
			g.o.Pause()
		}
		go g.probe()
	}
	return true
}

// probe retries a small write with backoff until storage takes it, then
// opens the gate and resumes work.
func (g *Gate) probe() {
	defer g.wg.Done()
	wait := g.o.ProbeMin
	for {
		t := time.NewTimer(wait)
		select {
		case <-g.stop:
			t.Stop()
			return
		case <-t.C:
		}
		if g.o.Repair != nil {
			g.o.Repair()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := g.o.Probe(ctx)
		cancel()
		if err == nil {
			break
		}
		g.mu.Lock()
		g.cause = err
		g.mu.Unlock()
		wait = min(2*wait, g.o.ProbeMax)
	}
	g.mu.Lock()
	since := g.since
	g.shut, g.cause, g.refused = false, nil, 0
	stopped := g.stopped
	g.mu.Unlock()
	if stopped {
		return
	}
	g.o.Logger.Warn("NATS stores jobd's writes again; taking new work", "refused_for", time.Since(since).Round(time.Millisecond))
	if g.o.Resume != nil {
		g.o.Resume()
	}
}

// Ready reports whether the gate is open, and the cause when not.
func (g *Gate) Ready() (bool, string) {
	if g == nil {
		return true, ""
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.shut {
		return true, ""
	}
	return false, "NATS refuses to store writes since " + g.since.UTC().Format(time.RFC3339) + ": " + g.cause.Error() +
		"; new work waits (free space or raise the store limit)"
}

// Stop ends probing. Safe to call more than once, or on a nil Gate.
func (g *Gate) Stop(context.Context) {
	if g == nil {
		return
	}
	g.mu.Lock()
	if !g.stopped {
		g.stopped = true
		close(g.stop)
	}
	g.mu.Unlock()
	g.wg.Wait()
}
