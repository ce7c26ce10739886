package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// Names lists every stream jobd keeps its state in, the job bucket's and
// the history's included.
var Names = []string{Events, Runs, Timers, Results, DLQ, "KV_" + wire.BucketJobs, wire.StreamHistory}

// Difference is a setting of a stream or consumer that exists and differs
// from this replica's configuration.
type Difference struct {
	// Name is the stream, or stream/consumer.
	Name string
	// Setting is the configuration key: nats.replicas,
	// server.dedupe_window, server.results_max_age or server.ack_wait.
	Setting string
	// Existing and Configured are the values.
	Existing, Configured string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s: %s is %s, configured %s", d.Name, d.Setting, d.Existing, d.Configured)
}

// Ensure creates the streams and consumers that are missing. One that
// exists is kept as it is, except for its subjects (a new job's trigger
// subject): a replica never changes the settings the replicas share
// (replicas, duplicate window, max age, ack wait), so a replica started
// with other settings cannot weaken the cluster's streams; each
// difference is logged at WARN, and Apply changes them. With o.Replicas 0
// the streams it creates get the replicas of those that exist.
func Ensure(ctx context.Context, js jetstream.JetStream, o Options) error {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	replicasSet := o.Replicas > 0
	if !replicasSet {
		r, err := Adopt(ctx, js)
		if err != nil {
			return err
		}
		o.Replicas = r
	}
	cfgs, consumers := configs(o)
	var diffs []Difference
	for _, c := range cfgs {
		d, err := Declare(ctx, js, c, replicasSet)
		if err != nil {
			return err
		}
		diffs = append(diffs, d...)
	}
	for _, c := range consumers {
		d, err := declareConsumer(ctx, js, c)
		if err != nil {
			return err
		}
		diffs = append(diffs, d...)
	}
	LogDifferences(log, diffs)
	return nil
}

// LogDifferences logs each difference at WARN.
func LogDifferences(log *slog.Logger, diffs []Difference) {
	for _, d := range diffs {
		log.Warn("stream setting differs from this configuration; keeping the existing one (jobd streams apply changes it)",
			"stream", d.Name, "setting", d.Setting, "existing", d.Existing, "configured", d.Configured)
	}
}

// Adopt returns the replicas of jobd's streams that exist (the most, when
// they differ), or 1 when none does.
func Adopt(ctx context.Context, js jetstream.JetStream) (int, error) {
	r := 0
	for _, name := range Names {
		st, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("stream %s: %w", name, err)
		}
		r = max(r, st.CachedInfo().Config.Replicas)
	}
	return max(r, 1), nil
}

// Declare creates stream want when it does not exist. When it exists, it
// keeps its configuration, updating only its subjects to want's, and
// returns the shared settings that differ from want (replicas only when
// replicasSet).
func Declare(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig, replicasSet bool) ([]Difference, error) {
	st, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, want)
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			if err != nil {
				return nil, fmt.Errorf("stream %s (subjects %v): %w", want.Name, want.Subjects, err)
			}
			return nil, nil
		}
		st, err = js.Stream(ctx, want.Name) // another replica created it meanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", want.Name, err)
	}
	have := st.CachedInfo().Config
	if !slices.Equal(have.Subjects, want.Subjects) {
		upd := have
		upd.Subjects = want.Subjects
		if _, err := js.UpdateStream(ctx, upd); err != nil {
			return nil, fmt.Errorf("stream %s (subjects %v): %w", want.Name, want.Subjects, err)
		}
	}
	var diffs []Difference
	if replicasSet && have.Replicas != want.Replicas {
		diffs = append(diffs, Difference{want.Name, "nats.replicas", fmt.Sprint(have.Replicas), fmt.Sprint(want.Replicas)})
	}
	if have.Duplicates != want.Duplicates && want.Duplicates > 0 {
		diffs = append(diffs, Difference{want.Name, "server.dedupe_window", have.Duplicates.String(), want.Duplicates.String()})
	}
	if have.MaxAge != want.MaxAge {
		diffs = append(diffs, Difference{want.Name, "server.results_max_age", duration(have.MaxAge), duration(want.MaxAge)})
	}
	return diffs, nil
}

func duration(d time.Duration) string {
	if d == 0 {
		return "unlimited"
	}
	return d.String()
}

// declareConsumer creates a durable consumer when it does not exist; one
// that exists keeps its ack wait, and a difference is returned.
func declareConsumer(ctx context.Context, js jetstream.JetStream, c consumerConfig) ([]Difference, error) {
	cons, err := js.Consumer(ctx, c.stream, c.cfg.Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		if _, err := js.CreateOrUpdateConsumer(ctx, c.stream, c.cfg); err != nil {
			return nil, fmt.Errorf("consumer %s on %s: %w", c.cfg.Durable, c.stream, err)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("consumer %s on %s: %w", c.cfg.Durable, c.stream, err)
	}
	if have := cons.CachedInfo().Config.AckWait; have != c.cfg.AckWait {
		return []Difference{{c.stream + "/" + c.cfg.Durable, "server.ack_wait", have.String(), c.cfg.AckWait.String()}}, nil
	}
	return nil, nil
}

// Apply creates or updates the streams and consumers to o's settings:
// what `jobd streams apply` does. With o.Replicas 0, each stream keeps its
// replicas. It returns what it changed.
func Apply(ctx context.Context, js jetstream.JetStream, o Options) ([]Difference, error) {
	cfgs, consumers := configs(o)
	var changed []Difference
	for _, c := range cfgs {
		d, err := Declare(ctx, js, c, o.Replicas > 0)
		if err != nil {
			return changed, err
		}
		if len(d) == 0 {
			continue
		}
		st, err := js.Stream(ctx, c.Name)
		if err != nil {
			return changed, fmt.Errorf("stream %s: %w", c.Name, err)
		}
		// What cannot change stays: the retention of a JOBD_EVENTS from
		// the first versions (a work queue), the message schedules of a
		// JOBD_RUNS from before timers moved to JOBD_TIMERS.
		old := st.CachedInfo().Config
		c.Retention = old.Retention
		c.AllowMsgSchedules = c.AllowMsgSchedules || old.AllowMsgSchedules
		if o.Replicas <= 0 {
			c.Replicas = old.Replicas
		}
		if _, err := js.UpdateStream(ctx, c); err != nil {
			return changed, fmt.Errorf("stream %s: %w", c.Name, err)
		}
		changed = append(changed, d...)
	}
	for _, c := range consumers {
		d, err := declareConsumer(ctx, js, c)
		if err != nil {
			return changed, err
		}
		if len(d) == 0 {
			continue
		}
		if _, err := js.UpdateConsumer(ctx, c.stream, c.cfg); err != nil {
			return changed, fmt.Errorf("consumer %s on %s: %w", c.cfg.Durable, c.stream, err)
		}
		changed = append(changed, d...)
	}
	return changed, nil
}
