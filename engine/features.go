package engine

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jobd-dev/jobd/engine/internal/api"
	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/feature"
	"github.com/jobd-dev/jobd/engine/internal/ingest"
	"github.com/jobd-dev/jobd/engine/internal/jobs"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// startFeatures opens the feature runs' bucket (JOBD_FEATURES) and builds
// the feature manager: the executor's step keeper, ingest's and dispatch's
// way to start feature runs, the management service's view of them (kept
// in e.features). All are nil when no feature is configured.
// A feature run's state is kept server.results_max_age after its last
// change.
func (e *Engine) startFeatures(ctx context.Context) (ingest.Features, jobs.FeatureStarter, error) {
	if len(e.cat.Features()) == 0 {
		return nil, nil, nil
	}
	kv, err := e.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      wire.BucketFeatures,
		Description: "jobd feature runs: input, each event's status, the outputs so far",
		History:     1,
		TTL:         e.cfg.Server.ResultsMaxAge.D(),
		Storage:     jetstream.FileStorage,
		Replicas:    e.cfg.NATS.Replicas,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("bucket %s: %w", wire.BucketFeatures, err)
	}
	runs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobd_feature_runs_total", Help: "Feature runs that ended, by feature and status (completed, failed).",
	}, []string{"feature", "status"})
	if err := e.metrics.Registry.Register(runs); err != nil {
		return nil, nil, err
	}
	m := feature.New(feature.Options{
		Ended:          func(f, status string) { runs.WithLabelValues(f, status).Inc() },
		MaxOutputBytes: e.cfg.Server.MaxOutputBytes,
		Catalog:        e.cat,
		KV:             kv,
		Publisher:      e.pub,
		Secret:         e.secrets.Lookup,
		Variables:      catalog.Variables(e.cfg),
		Constants:      e.cfg.Constants,
		Logger:         e.log,
		Clock:          e.opts.Clock,
	})
	e.exec.SetSteps(m)
	e.features = m
	return m, m, nil
}

// featureAPI returns the management service's view of feature runs, nil
// without features.
func (e *Engine) featureAPI() api.Features {
	if e.features == nil {
		return nil
	}
	return e.features
}
