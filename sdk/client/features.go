package client

import (
	"context"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// FeatureRuns lists feature runs, newest first: req.Event keeps one
// feature's, req.Status those with that status, req.Limit bounds them.
func (c *Client) FeatureRuns(ctx context.Context, req wire.Request) ([]*wire.FeatureRun, error) {
	var out []*wire.FeatureRun
	if err := c.api(ctx, wire.EndpointFeaturesList, req, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// FeatureRun returns one feature run: each event's status, attempts and
// error, and the outputs recorded.
func (c *Client) FeatureRun(ctx context.Context, id string) (*wire.FeatureRun, error) {
	return c.featureCall(ctx, wire.EndpointFeaturesGet, id)
}

// CancelFeatureRun cancels a running feature run: no event starts after
// it.
func (c *Client) CancelFeatureRun(ctx context.Context, id string) (*wire.FeatureRun, error) {
	return c.featureCall(ctx, wire.EndpointFeaturesCancel, id)
}

func (c *Client) featureCall(ctx context.Context, endpoint, id string) (*wire.FeatureRun, error) {
	if id == "" {
		return nil, errNoID(endpoint)
	}
	var out wire.FeatureRun
	if err := c.api(ctx, endpoint, wire.Request{ID: id}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
