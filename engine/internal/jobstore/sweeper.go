package jobstore

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/lograte"
)

// SweepEveryDefault is how often a Sweeper deletes old job records.
const SweepEveryDefault = 10 * time.Minute

// Sweeper deletes, now and every Every, the records of jobs that ended
// more than MaxAge ago (Store.Sweep). It runs on real time: it compares
// with the times the server stored the records at.
type Sweeper struct {
	Store  *Store
	MaxAge time.Duration
	// Every defaults to SweepEveryDefault.
	Every  time.Duration
	Logger *slog.Logger

	mu       sync.Mutex
	cancel   context.CancelFunc
	done     sync.WaitGroup
	logLimit lograte.Limiter
}

// Start starts sweeping in the background until Stop.
func (w *Sweeper) Start(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel != nil {
		return nil
	}
	if w.Every <= 0 {
		w.Every = SweepEveryDefault
	}
	if w.Logger == nil {
		w.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.done.Add(1)
	go func() { defer w.done.Done(); w.loop(ctx) }()
	return nil
}

// Stop stops sweeping and waits for a sweep under way. Safe to call more
// than once, or without Start.
func (w *Sweeper) Stop(context.Context) {
	w.mu.Lock()
	cancel := w.cancel
	w.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	w.done.Wait()
}

func (w *Sweeper) loop(ctx context.Context) {
	t := time.NewTicker(w.Every)
	defer t.Stop()
	for {
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		n, err := w.Store.Sweep(sctx, w.MaxAge, time.Now())
		cancel()
		switch {
		case ctx.Err() != nil:
			return // stopping: the sweep was cut short
		case err != nil:
			w.logLimit.Problem(w.Logger, slog.LevelWarn, "sweep job records", err)
		case n > 0:
			w.Logger.Info("job records past server.jobs_max_age deleted", "jobs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
