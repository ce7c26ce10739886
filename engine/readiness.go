package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/streams"
)

// How /readyz checks JetStream: a stream info request on JOBD_RUNS, which
// only the stream's leader answers (so it fails while the stream has no
// quorum, and while the cluster has no meta leader to place one), at most
// once per jetStreamCheckEvery; a check gets jetStreamCheckTimeout.
const (
	jetStreamCheckEvery   = time.Second
	jetStreamCheckTimeout = 2 * time.Second
)

// jetStreamCheck caches the last JetStream check of /readyz.
type jetStreamCheck struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// jetStreamReady reports whether JetStream serves jobd's streams: nil, or
// why not. The answer is at most jetStreamCheckEvery old; concurrent
// callers share one check.
func (e *Engine) jetStreamReady() error {
	c := &e.jsCheck
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < jetStreamCheckEvery {
		return c.err
	}
	c.err = checkJetStream(e.js)
	c.at = time.Now()
	return c.err
}

func checkJetStream(js jetstream.JetStream) error {
	if js == nil {
		return fmt.Errorf("not connected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), jetStreamCheckTimeout)
	defer cancel()
	st, err := js.Stream(ctx, streams.Runs)
	if err != nil {
		return fmt.Errorf("stream %s unavailable: %w", streams.Runs, err)
	}
	if ci := st.CachedInfo().Cluster; ci != nil && ci.Leader == "" {
		return fmt.Errorf("stream %s has no leader", streams.Runs)
	}
	return nil
}
