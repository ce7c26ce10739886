package dispatch

import (
	"context"
	"fmt"
	"time"
)

// live returns a running plugin, restarting a dead one after a backoff
// that grows with consecutive failures. The wait and the start happen
// without the pool's lock, so health, info and Run answer meanwhile (a
// restart may take RestartMax), and Stop interrupts both; a plugin that
// finished starting after Stop is killed, never used.
func (p *Pool) live() (Plugin, error) {
	p.mu.Lock()
	pl := p.plugin
	if pl != nil {
		select {
		case <-pl.Done():
		default:
			p.mu.Unlock()
			return pl, nil
		}
		p.lastErr = pl.Err()
		p.log.Warn("plugin exited; restarting", "error", p.lastErr)
		p.plugin = nil
		p.crashes = append(recent(p.crashes, time.Now()), time.Now())
		if len(p.crashes) >= CrashLoopCount {
			p.healthy = false
		}
	}
	if p.stopped {
		p.mu.Unlock()
		if pl != nil {
			pl.Kill()
		}
		return nil, ErrStopped
	}
	// Back off on failed starts and on a plugin that keeps crashing.
	n := p.fails
	if len(p.crashes) > 1 {
		n += len(p.crashes) - 1
	}
	wait := min(p.opts.RestartMin<<min(n, 10), p.opts.RestartMax)
	p.restarts.Add(1) // before Stop waits: p.stopped is false under the lock
	defer p.restarts.Done()
	p.mu.Unlock()

	if pl != nil {
		pl.Kill()
	}
	if n > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-p.stopping:
			t.Stop()
			return nil, ErrStopped
		}
	}
	np, err := p.start(context.Background())

	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		if np != nil {
			np.Kill()
		}
		return nil, ErrStopped
	}
	p.setRefused(err)
	if err != nil {
		p.fails++
		p.healthy = false
		p.lastErr = err
		fails := p.fails
		p.mu.Unlock()
		p.log.Error("plugin restart failed", "error", err, "failures", fails)
		return nil, fmt.Errorf("plugin %q unavailable: %w", p.opts.Plugin.Kind, err)
	}
	p.plugin, p.fails = np, 0
	p.crashes = recent(p.crashes, time.Now())
	p.healthy = len(p.crashes) < CrashLoopCount
	if p.healthy {
		p.lastErr = nil
	} else {
		p.lastErr = fmt.Errorf("crash loop: exited %d times in %v; last: %v", len(p.crashes), CrashWindow, p.lastErr)
	}
	p.mu.Unlock()
	if p.opts.OnRestart != nil {
		p.opts.OnRestart()
	}
	p.log.Info("plugin restarted")
	return np, nil
}

// start starts the plugin; Stop cancels the start.
func (p *Pool) start(ctx context.Context) (Plugin, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.startCtx, cancel)()
	return p.opts.Start(ctx, p.opts.Plugin)
}
