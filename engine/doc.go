// Package engine runs jobd: it loads and compiles the configuration, starts
// the embedded NATS server or joins a cluster, declares the streams, starts
// the plugins, consumes events and runs jobs until stopped. It is the only
// public package of the engine; the machinery lives under engine/internal,
// one folder per responsibility:
//
//   - config: loading and checking config.toml
//   - piping: the input template compiler
//   - schedule: cron and interval arithmetic
//   - catalog: compiled jobs and trigger-subject matching
//   - broker: the NATS connection and the embedded server
//   - streams: where jobd's streams and consumers are declared
//   - ingest: where an event is received and turned into runs
//   - run: where a run's attempt goes to a plugin and its outcome is decided
//   - policy: the failure table (retry, fail, allow_fail)
//   - dispatch: the plugin processes and their in-flight limit
//   - timers: where retries and scheduled runs wait
//   - jobs: where a scheduled job fires and advances its series; dispatch
//     and job management
//   - jobstore: job records and history
//   - api: the management service on jobd.dispatch and jobd.api.*
//   - publish, metrics: the asynchronous publisher, Prometheus metrics
//   - streamread: reading a stream once (direct gets, or a consumer
//     deleted when the read ends)
//   - transient, lograte: which JetStream errors pass by themselves and
//     are retried; one log line per cause per interval
//   - natstest: an in-process NATS server, or a three-node cluster, for
//     tests
//
// Embedding jobd in another Go program:
//
//	cfg, cat, err := engine.Load("config.toml", nil)
//	if err != nil { ... }
//	e := engine.New(cfg, cat, engine.Options{})
//	if err := e.Start(ctx); err != nil { ... }
//	defer e.Stop(context.Background())
package engine
