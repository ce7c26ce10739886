package feature

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/nats-io/nats.go/jetstream"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// ErrNotFound is returned for a feature run that does not exist (or has
// expired, server.results_max_age after its last change).
var ErrNotFound = errors.New("feature run not found")

// ErrEnded is returned when cancelling a feature run that has ended.
var ErrEnded = errors.New("feature run has ended")

// ListLimitDefault bounds List when no limit is given.
const ListLimitDefault = 100

// Get returns a feature run.
func (m *Manager) Get(ctx context.Context, id string) (*wire.FeatureRun, error) {
	st, _, err := m.load(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return st, err
}

// List returns the feature runs of feature (all when ""), with status (any
// when ""), newest first, at most limit (ListLimitDefault when 0). It
// reads every run in the bucket.
func (m *Manager) List(ctx context.Context, feature, status string, limit int) ([]*wire.FeatureRun, error) {
	if limit <= 0 {
		limit = ListLimitDefault
	}
	lister, err := m.o.KV.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = lister.Stop() }()
	out := []*wire.FeatureRun{}
	for key := range lister.Keys() {
		e, err := m.o.KV.Get(ctx, key)
		if err != nil {
			continue // removed meanwhile
		}
		st := &wire.FeatureRun{}
		if json.Unmarshal(e.Value(), st) != nil {
			continue
		}
		if (feature == "" || st.Feature == feature) && (status == "" || st.Status == status) {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ReceivedAt.After(out[j].ReceivedAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Cancel ends a running feature run as cancelled: no event starts after
// it (the step in flight finishes, and its outcome is not recorded), and
// its result is published.
func (m *Manager) Cancel(ctx context.Context, id string) (*wire.FeatureRun, error) {
	for range casAttempts {
		st, rev, err := m.load(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
		}
		if err != nil {
			return nil, err
		}
		if st.Status != wire.StatusRunning {
			return nil, fmt.Errorf("%w: %q is %s", ErrEnded, id, st.Status)
		}
		f := m.o.Catalog.Feature(st.Feature)
		now := m.o.Clock.Now()
		st.Status, st.FinishedAt = wire.StatusCancelled, &now
		if st.Position < len(st.Events) && st.Events[st.Position].Status == wire.StatusRunning {
			st.Events[st.Position].Status = wire.StatusCancelled
		}
		body, _ := json.Marshal(st)
		if _, err := m.o.KV.Update(ctx, id, body, rev); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
			return nil, err
		}
		m.log.Info("feature run cancelled", "feature", st.Feature, "feature_run", id)
		m.ended(st)
		if f != nil {
			if err := m.follow(ctx, f, st, len(f.Events)); err != nil {
				return nil, err
			}
		}
		return st, nil
	}
	return nil, fmt.Errorf("feature run %s: changed by others %d times in a row", id, casAttempts)
}

// Orphaned ends a running feature run whose event step (a key that is no
// longer in the configuration) was due: the feature or its events changed
// while the run was in flight. Failures are logged: the step's own run
// is dead-lettered all the same.
func (m *Manager) Orphaned(id, step string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, rev, err := m.load(ctx, id)
	if err != nil || st.Status != wire.StatusRunning {
		return
	}
	if f := m.o.Catalog.Feature(st.Feature); f != nil {
		err = m.abandon(ctx, f, st, rev)
	} else {
		m.fail(st, "", "", &wire.ErrorInfo{Class: wire.ClassPermanent,
			Message: fmt.Sprintf("feature %q is no longer configured (event %s was due)", st.Feature, step)})
		body, _ := json.Marshal(st)
		if _, err = m.o.KV.Update(ctx, id, body, rev); err == nil {
			m.ended(st)
			result := &catalog.Feature{Tag: st.Feature}
			err = m.publish(m.pending(result, st, 0))
		}
	}
	if err != nil {
		m.log.Warn("could not end a feature run whose event left the configuration", "feature_run", id, "step", step, "error", err)
	}
}
