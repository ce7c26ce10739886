// Package streams declares jobd's JetStream streams and consumers: every
// piece of the engine's state lives in them.
package streams

import (
	"context"
	"log/slog"
	"time"

	"github.com/jobd-dev/jobd/sdk/wire"
	"github.com/nats-io/nats.go/jetstream"
)

// Stream names and subjects.
const (
	// Events captures the trigger subjects of every job.
	Events = wire.StreamEvents
	// Runs holds runs due now: scheduled occurrences and retries.
	Runs = wire.StreamRuns
	// Timers holds pending runs, one subject per time slot.
	Timers = wire.StreamTimers
	// Results keeps every finished run's result and failure reports.
	Results = wire.StreamResults
	// DLQ keeps dead letters for inspection and replay.
	DLQ = wire.StreamDLQ

	// RunsSubjectPrefix + <event> carries runs due now.
	RunsSubjectPrefix = "jobd.runs."
	// TimersSubjectPrefix + <slot start, Unix seconds> holds the pending
	// timers due in that slot.
	TimersSubjectPrefix = "jobd.timers."
	// ResultSubjectPrefix + <event> carries every finished run.
	ResultSubjectPrefix = wire.ResultSubjectPrefix
	// FailedSubjectPrefix + <event> reports a failure that fails the sequence.
	FailedSubjectPrefix = wire.FailedSubjectPrefix
	// DLQSubjectPrefix + <event> holds dead letters.
	DLQSubjectPrefix = wire.DLQSubjectPrefix
	// FeatureResultSubjectPrefix + <feature> carries every ended feature
	// run; FeatureFailedSubjectPrefix + <feature> the failed ones.
	FeatureResultSubjectPrefix = wire.FeatureResultSubjectPrefix
	FeatureFailedSubjectPrefix = wire.FeatureFailedSubjectPrefix

	// EventsConsumer and RunsConsumer are the durable consumers every
	// replica shares.
	EventsConsumer = "jobd-events"
	RunsConsumer   = "jobd-runs"
)

// Options shape the streams.
type Options struct {
	// Subjects are the trigger subjects (without overlaps).
	Subjects []string
	// Replicas of each stream jobd creates; 0 adopts those of jobd's
	// streams that exist (1 when none does). Ensure never changes the
	// replicas of a stream that exists; Apply does, unless it is 0.
	Replicas int
	// ResultsMaxAge bounds how long results and dead letters are kept.
	ResultsMaxAge time.Duration
	// DedupeWindow is every stream's duplicate window (Nats-Msg-Id).
	// Defaults to 2 minutes.
	DedupeWindow time.Duration
	// AckWait is how long a delivered message may stay unacknowledged
	// before redelivery (jobd extends it while runs are in flight).
	AckWait time.Duration
	// Logger receives the settings that differ from what exists. Defaults
	// to slog.Default().
	Logger *slog.Logger
}

// consumerConfig is a durable consumer jobd declares on a stream.
type consumerConfig struct {
	stream string
	cfg    jetstream.ConsumerConfig
}

// configs returns the streams and consumers jobd declares for o.
func configs(o Options) ([]jetstream.StreamConfig, []consumerConfig) {
	if o.AckWait <= 0 {
		o.AckWait = time.Minute
	}
	if o.DedupeWindow <= 0 {
		o.DedupeWindow = 2 * time.Minute
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	cfgs := []jetstream.StreamConfig{
		{
			Name:        Runs,
			Description: "jobd runs due now: scheduled occurrences and retries",
			Subjects:    []string{RunsSubjectPrefix + ">"},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    o.Replicas,
			Duplicates:  o.DedupeWindow,
			AllowDirect: true,
		},
		{
			Name:        Timers,
			Description: "jobd pending runs, one subject per time slot (jobd.timers.<Unix seconds>)",
			Subjects:    []string{TimersSubjectPrefix + ">"},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    o.Replicas,
			Duplicates:  o.DedupeWindow,
		},
		{
			Name:        Results,
			Description: "jobd results (jobd.result.<event>, jobd.feature.result.<feature>) and failure reports (jobd.failed.<event>, jobd.feature.failed.<feature>)",
			Subjects:    []string{ResultSubjectPrefix + ">", FailedSubjectPrefix + ">", FeatureResultSubjectPrefix + ">", FeatureFailedSubjectPrefix + ">"},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    o.Replicas,
			MaxAge:      o.ResultsMaxAge,
			Duplicates:  o.DedupeWindow,
			AllowDirect: true,
		},
		{
			Name:        DLQ,
			Description: "jobd dead letters",
			Subjects:    []string{DLQSubjectPrefix + ">"},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    o.Replicas,
			MaxAge:      o.ResultsMaxAge,
			Duplicates:  o.DedupeWindow,
			AllowDirect: true,
		},
	}
	if len(o.Subjects) > 0 {
		// Events are kept by limits, not as a work queue: a work queue
		// deletes each event as it is acknowledged (a delete and a
		// tombstone written per event, a tenth of the server's work per
		// job); jobd instead purges what the consumer has acknowledged,
		// in bulk (runner.PurgeEvery).
		cfgs = append(cfgs, jetstream.StreamConfig{
			Name:        Events,
			Description: "events that trigger jobd jobs",
			Subjects:    o.Subjects,
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    o.Replicas,
			Duplicates:  o.DedupeWindow,
		})
	}
	consumers := []consumerConfig{
		{Runs, jetstream.ConsumerConfig{
			Durable:       RunsConsumer,
			FilterSubject: RunsSubjectPrefix + ">",
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       o.AckWait,
			MaxAckPending: 10000,
		}},
	}
	if len(o.Subjects) > 0 {
		consumers = append(consumers, consumerConfig{Events, jetstream.ConsumerConfig{
			Durable:       EventsConsumer,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       o.AckWait,
			MaxAckPending: 10000,
		}})
	}
	return cfgs, consumers
}

// When a Purger purges. A purge holds its stream while it removes what is
// below the floor, so new messages wait behind it; whole file-store blocks
// go at once, but messages in a partly finished block are removed one by
// one (a tombstone each).
//   - While fewer than PurgeSmall finished messages wait, it purges at every
//     call (PurgeEvery): each purge stays short. At 5,000 events/s, purging
//     every 5 s showed as a burst of late results after each purge (25,000
//     events, 3-17 ms); every second gave a lower p99 in eight paired runs
//     of eight.
//   - With more waiting, it lets them gather for up to PurgeWait, so that
//     most of a purge is whole blocks: at ~30,000 events/s, purging every
//     second cost 2-5 µs more CPU per event than every 5 s (make bench's
//     throughput case, five pairs of five).
const (
	PurgeEvery = time.Second
	PurgeWait  = 5 * time.Second
	PurgeSmall = 10_000
)

// Purger removes from Stream what its durable Consumer has acknowledged:
// the streams jobd consumes keep messages by limits, so an ack costs no
// per-message delete, and the consumer's ack floor says what every replica
// finished. A purge is idempotent. Call Purge every PurgeEvery.
type Purger struct {
	Stream, Consumer string

	done uint64    // the floor purged up to
	last time.Time // when (at first, the first call)
}

// Purge purges below the consumer's ack floor when it is time to (see
// PurgeSmall).
func (p *Purger) Purge(ctx context.Context, js jetstream.JetStream, now time.Time) error {
	// One request a call while there is nothing to purge: looking the
	// consumer up fetches its state, ack floor included.
	c, err := js.Consumer(ctx, p.Stream, p.Consumer)
	if err != nil {
		return err
	}
	info := c.CachedInfo()
	if p.last.IsZero() {
		p.last = now // a large backlog at start waits too
	}
	floor := info.AckFloor.Stream
	if floor <= p.done || floor-p.done >= PurgeSmall && now.Sub(p.last) < PurgeWait {
		return nil
	}
	st, err := js.Stream(ctx, p.Stream)
	if err != nil {
		return err
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSequence(floor+1)); err != nil {
		return err
	}
	p.done, p.last = floor, now
	return nil
}
