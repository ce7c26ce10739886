package engine

import (
	"context"

	"github.com/jobd-dev/jobd/engine/internal/backup"
	"github.com/jobd-dev/jobd/engine/internal/storecheck"
)

// onServerWarning reports the damage a warning of the embedded server
// names (a corrupt or missing block).
func (e *Engine) onServerWarning(msg string) {
	if d, ok := storecheck.FromWarning(msg); ok {
		e.damage.Report(d)
	}
}

// streamStates returns the extent of every jobd stream.
func (e *Engine) streamStates(ctx context.Context) (map[string]storecheck.Stream, error) {
	names, err := backup.Streams(ctx, e.js)
	if err != nil {
		return nil, err
	}
	out := make(map[string]storecheck.Stream, len(names))
	for _, n := range names {
		s, err := e.js.Stream(ctx, n)
		if err != nil {
			return nil, err
		}
		info, err := s.Info(ctx)
		if err != nil {
			return nil, err
		}
		out[n] = storecheck.Stream{First: info.State.FirstSeq, Last: info.State.LastSeq, Msgs: info.State.Msgs}
	}
	return out, nil
}

// checkStore compares the embedded server's streams, as it loaded them,
// with how jobd left them, and reports what is missing. It then records
// them as in use (not cleanly stopped) until saveStore.
func (e *Engine) checkStore(ctx context.Context) error {
	if e.embedded == nil {
		return nil // a server of its own checks its store
	}
	dir := e.cfg.Server.DataDir
	was, err := storecheck.Load(dir)
	if err != nil {
		e.log.Warn("cannot read how jobd left its streams; not checked", "error", err)
	}
	now, err := e.streamStates(ctx)
	if err != nil {
		return err
	}
	for name, details := range was.Damage {
		e.damage.Carry(name, details)
	}
	for name, w := range was.Streams {
		if d, bad := storecheck.Compare(name, w, now[name], was.Clean); bad {
			e.damage.Report(d)
		}
	}
	if err := storecheck.Save(dir, storecheck.State{Clean: false, Streams: now, Damage: e.damage.Pending()}); err != nil {
		e.log.Warn("cannot record jobd's streams", "error", err)
	}
	return nil
}

// saveStore records how jobd leaves its streams at a clean stop.
func (e *Engine) saveStore(ctx context.Context) {
	if e.embedded == nil || e.js == nil {
		return
	}
	now, err := e.streamStates(ctx)
	if err != nil {
		e.log.Warn("cannot record jobd's streams at stop; the next start checks less", "error", err)
		return
	}
	if err := storecheck.Save(e.cfg.Server.DataDir, storecheck.State{Clean: true, Streams: now, Damage: e.damage.Pending()}); err != nil {
		e.log.Warn("cannot record jobd's streams at stop", "error", err)
	}
}
