package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// Runs lists the newest runs that match the request's Job (event tag or
// job id), Status and Since, at most Limit (50 by default), newest first:
// finished runs and runs waiting for a retry.
func (c *Client) Runs(ctx context.Context, req wire.Request) ([]wire.RunSummary, error) {
	var out []wire.RunSummary
	if err := c.api(ctx, wire.EndpointRunsList, req, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Run returns one run: its result, or the attempt it waits for. An unknown
// run is an *APIError that matches ErrNotFound.
func (c *Client) Run(ctx context.Context, runID string) (*wire.RunInfo, error) {
	if runID == "" {
		return nil, errNoRunID(wire.EndpointRunsGet)
	}
	var out wire.RunInfo
	if err := c.api(ctx, wire.EndpointRunsGet, wire.Request{RunID: runID}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelRun cancels a run waiting for a retry: its next attempt will not
// run. A finished run is refused (ErrBadRequest).
func (c *Client) CancelRun(ctx context.Context, runID string) (*wire.RunCancelReply, error) {
	if runID == "" {
		return nil, errNoRunID(wire.EndpointRunsCancel)
	}
	var out wire.RunCancelReply
	if err := c.api(ctx, wire.EndpointRunsCancel, wire.Request{RunID: runID}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TailResults calls fn with every result jobd publishes from now on (of the
// job with this event tag, or of every job when event is empty) until ctx
// ends or fn returns an error. It subscribes to the results' subject, so it
// creates no JetStream consumer and sees only what is published while it
// runs.
func (c *Client) TailResults(ctx context.Context, event string, fn func(*wire.Result) error) error {
	subject := wire.ResultSubjectPrefix + ">"
	if event != "" {
		subject = wire.ResultSubjectPrefix + event
	}
	ch := make(chan *nats.Msg, 1024)
	sub, err := c.nc.ChanSubscribe(subject, ch)
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", subject, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := c.nc.FlushWithContext(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("subscribe %s: %w", subject, err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			var r wire.Result
			if json.Unmarshal(m.Data, &r) != nil {
				continue
			}
			if err := fn(&r); err != nil {
				return err
			}
		}
	}
}

func errNoRunID(endpoint string) error {
	return fmt.Errorf("%s: %w: a run id is required", wire.APISubject(endpoint), ErrBadRequest)
}
