package engine

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/broker"
	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/streams"
)

// StreamChange is a setting of one of jobd's streams or consumers that
// differs from a configuration: what ApplyStreams changed.
type StreamChange = streams.Difference

// ApplyStreams changes jobd's streams, job bucket and consumers on the
// NATS server or cluster cfg names to cfg's settings (nats.replicas,
// server.dedupe_window, server.results_max_age, server.ack_wait), creating
// what is missing, and returns what it changed. A running replica never
// does this by itself (it keeps what exists and logs what differs), so
// that a replica started with other settings cannot weaken the cluster's
// streams; `jobd streams apply` calls it. With nats.replicas unset, each
// stream keeps its replicas.
func ApplyStreams(ctx context.Context, cfg *Config, cat *Catalog) ([]StreamChange, error) {
	nc, err := broker.Connect(cfg, broker.URL(cfg), "jobd-streams-apply")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	changed, err := streams.Apply(ctx, js, streams.Options{
		Subjects:      cat.Subjects(),
		Replicas:      cfg.NATS.Replicas,
		ResultsMaxAge: cfg.Server.ResultsMaxAge.D(),
		AckWait:       cfg.Server.AckWait.D(),
		DedupeWindow:  cfg.Server.DedupeWindow.D(),
	})
	if err != nil {
		return changed, err
	}
	more, err := jobstore.Apply(ctx, js, jobstore.Options{Replicas: cfg.NATS.Replicas, MaxAge: cfg.Server.ResultsMaxAge.D()})
	return append(changed, more...), err
}

// streamOptions are the stream settings of the engine's configuration.
func (e *Engine) streamOptions() streams.Options {
	return streams.Options{
		Subjects:      e.cat.Subjects(),
		Replicas:      e.cfg.NATS.Replicas,
		ResultsMaxAge: e.cfg.Server.ResultsMaxAge.D(),
		AckWait:       e.cfg.Server.AckWait.D(),
		DedupeWindow:  e.cfg.Server.DedupeWindow.D(),
		Logger:        e.log,
	}
}
