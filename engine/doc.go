// Package engine runs jobd: it loads and compiles the configuration, starts
// the embedded NATS server or joins a cluster, declares the streams, starts
// the plugins, consumes events and runs jobs until stopped.
//
// The pieces live in sub-packages, one job each: config (loading and
// checking), piping (the input template compiler), catalog (compiled jobs
// and subject matching), broker (NATS), streams (JetStream declarations),
// dispatch (plugin processes), policy (retries and allow_fail), runner (the
// core loop) and metrics.
//
// Embedding jobd in another Go program:
//
//	cfg, cat, err := engine.Load("config.toml", nil)
//	if err != nil { ... }
//	e := engine.New(cfg, cat, engine.Options{})
//	if err := e.Start(ctx); err != nil { ... }
//	defer e.Stop(context.Background())
package engine
