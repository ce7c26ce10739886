// Command noop is a jobd plugin that does nothing: every job succeeds at
// once with no output. jobd-bench builds it to measure the cost of the
// plugin protocol and of the engine around it, without any handler work.
package main

import (
	"context"

	"github.com/jobd-dev/jobd/sdk"
)

type noop struct{}

func (noop) Info() sdk.Info {
	return sdk.Info{Name: "noop", Version: "0.0.1", Kinds: []string{"noop"}, Description: "does nothing (benchmarks)"}
}

func (noop) Configure(context.Context, *sdk.ConfigureRequest) error { return nil }

func (noop) Handle(context.Context, *sdk.Job) (*sdk.Result, error) { return nil, nil }

func main() { sdk.Serve(noop{}) }
