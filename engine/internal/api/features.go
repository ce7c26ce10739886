package api

import (
	"context"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// Features serves the feature-run endpoints (a *feature.Manager).
type Features interface {
	Get(ctx context.Context, id string) (*wire.FeatureRun, error)
	List(ctx context.Context, feature, status string, limit int) ([]*wire.FeatureRun, error)
	Cancel(ctx context.Context, id string) (*wire.FeatureRun, error)
}

// featureEndpoints returns the feature-run endpoints, none without
// features.
func (s *Server) featureEndpoints() map[string]func(context.Context, *wire.Request) (any, error) {
	if s.features == nil {
		return nil
	}
	f := s.features
	return map[string]func(context.Context, *wire.Request) (any, error){
		wire.EndpointFeaturesList: func(ctx context.Context, r *wire.Request) (any, error) {
			return f.List(ctx, r.Event, r.Status, r.Limit)
		},
		wire.EndpointFeaturesGet:    func(ctx context.Context, r *wire.Request) (any, error) { return f.Get(ctx, r.ID) },
		wire.EndpointFeaturesCancel: func(ctx context.Context, r *wire.Request) (any, error) { return f.Cancel(ctx, r.ID) },
	}
}
