// Package jobstore keeps job records and their run history in JetStream: a
// key-value bucket of records (one per scheduled, recurring or dispatched
// job), updated with compare-and-set so two replicas never both advance a
// series, and a stream of history entries per job.
package jobstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/streamread"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// Names of the bucket and stream.
const (
	Bucket               = wire.BucketJobs
	HistoryStream        = wire.StreamHistory
	HistorySubjectPrefix = wire.HistorySubjectPrefix
)

// ErrNotFound means no job has the id.
var ErrNotFound = errors.New("job not found")

// ErrExists means Create found a record with the id already.
var ErrExists = errors.New("job exists already")

// ErrConflict means the record changed under an update; Update retries it.
var ErrConflict = errors.New("job record changed concurrently")

// Store reads and writes job records and history.
type Store struct {
	js jetstream.JetStream
	kv jetstream.KeyValue
}

// Options shape the bucket and stream.
type Options struct {
	// Replicas of the bucket and stream when Open creates them (0: those
	// of jobd's streams that exist). Open never changes the replicas of
	// what exists; Apply does, unless it is 0.
	Replicas int
	// MaxAge bounds how long history is kept.
	MaxAge time.Duration
	// Logger receives the settings that differ from what exists. Defaults
	// to slog.Default().
	Logger *slog.Logger
}

func (o Options) bucket() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "jobd job records",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
	}
}

func (o Options) history() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        HistoryStream,
		Description: "jobd run history per job",
		Subjects:    []string{HistorySubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
		MaxAge:      o.MaxAge,
		AllowDirect: true,
	}
}

// Open creates the bucket and the history stream when they are missing,
// and opens them. What exists is kept as it is (see streams.Ensure): a
// setting that differs from o is logged at WARN.
func Open(ctx context.Context, js jetstream.JetStream, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	replicasSet := o.Replicas > 0
	if !replicasSet {
		r, err := streams.Adopt(ctx, js)
		if err != nil {
			return nil, err
		}
		o.Replicas = r
	}
	kv, err := js.KeyValue(ctx, Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, o.bucket())
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, Bucket) // another replica created it meanwhile
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", Bucket, err)
	}
	var diffs []streams.Difference
	if replicasSet {
		st, err := js.Stream(ctx, kvStream)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", Bucket, err)
		}
		if have := st.CachedInfo().Config.Replicas; have != o.Replicas {
			diffs = append(diffs, streams.Difference{Name: kvStream, Setting: "nats.replicas", Existing: fmt.Sprint(have), Configured: fmt.Sprint(o.Replicas)})
		}
	}
	d, err := streams.Declare(ctx, js, o.history(), replicasSet)
	if err != nil {
		return nil, err
	}
	streams.LogDifferences(o.Logger, append(diffs, d...))
	return &Store{js: js, kv: kv}, nil
}

// Apply creates or updates the bucket and the history stream to o's
// settings (with o.Replicas 0, each keeps its replicas), and returns what
// it changed: what `jobd streams apply` does.
func Apply(ctx context.Context, js jetstream.JetStream, o Options) ([]streams.Difference, error) {
	var changed []streams.Difference
	bucket := o.bucket()
	if st, err := js.Stream(ctx, kvStream); err == nil {
		have := st.CachedInfo().Config.Replicas
		if o.Replicas <= 0 {
			bucket.Replicas = have
		} else if have != o.Replicas {
			changed = append(changed, streams.Difference{Name: kvStream, Setting: "nats.replicas", Existing: fmt.Sprint(have), Configured: fmt.Sprint(o.Replicas)})
		}
	} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("bucket %s: %w", Bucket, err)
	}
	if bucket.Replicas <= 0 {
		bucket.Replicas = 1
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, bucket); err != nil {
		return nil, fmt.Errorf("bucket %s: %w", Bucket, err)
	}
	hist := o.history()
	d, err := streams.Declare(ctx, js, hist, o.Replicas > 0)
	if err != nil {
		return changed, err
	}
	if len(d) > 0 {
		st, err := js.Stream(ctx, HistoryStream)
		if err != nil {
			return changed, fmt.Errorf("stream %s: %w", HistoryStream, err)
		}
		if o.Replicas <= 0 {
			hist.Replicas = st.CachedInfo().Config.Replicas
		}
		if _, err := js.UpdateStream(ctx, hist); err != nil {
			return changed, fmt.Errorf("stream %s: %w", HistoryStream, err)
		}
	}
	return append(changed, d...), nil
}

// Create stores a new record; it fails with ErrExists when the id is
// taken.
func (s *Store) Create(ctx context.Context, r *wire.Record) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.kv.Create(ctx, r.ID, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("%w: %s", ErrExists, r.ID)
	}
	return err
}

// Get returns a record and its revision.
func (s *Store) Get(ctx context.Context, id string) (*wire.Record, uint64, error) {
	e, err := s.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, 0, err
	}
	var r wire.Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("job %s: %w", id, err)
	}
	return &r, e.Revision(), nil
}

// Update applies change to the record with compare-and-set, retrying when
// another writer got there first. change may be called more than once and
// must decide from the record it is given.
func (s *Store) Update(ctx context.Context, id string, change func(*wire.Record) error) (*wire.Record, error) {
	r, _, err := s.UpdateAt(ctx, id, nil, 0, change)
	return r, err
}

// UpdateAt is Update starting from a record the caller read at revision
// rev (nil: read it first), which saves a read when nobody changed it
// since. It also returns the new revision. known is not modified.
func (s *Store) UpdateAt(ctx context.Context, id string, known *wire.Record, rev uint64, change func(*wire.Record) error) (*wire.Record, uint64, error) {
	for i := 0; i < 50; i++ {
		var r *wire.Record
		if i == 0 && known != nil {
			c := *known
			r = &c
		} else {
			var err error
			if r, rev, err = s.Get(ctx, id); err != nil {
				return nil, 0, err
			}
		}
		if err := change(r); err != nil {
			return r, rev, err
		}
		r.UpdatedAt = time.Now().UTC()
		b, err := json.Marshal(r)
		if err != nil {
			return nil, 0, err
		}
		next, err := s.kv.Update(ctx, id, b, rev)
		if err == nil {
			return r, next, nil
		}
		if !isWrongSequence(err) {
			return nil, 0, err
		}
	}
	return nil, 0, fmt.Errorf("%w: %s", ErrConflict, id)
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
		return true
	}
	return errors.Is(err, jetstream.ErrKeyExists) || strings.Contains(err.Error(), "wrong last sequence")
}

// Filter selects records in List.
type Filter struct {
	Status    string
	Event     string
	Recurring bool
	Limit     int
}

// List returns the records that match f, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]*wire.Record, error) {
	var out []*wire.Record
	err := s.scan(ctx, func(r *wire.Record) {
		if f.Status != "" && r.Status != f.Status || f.Event != "" && r.Event != f.Event || f.Recurring && !r.Recurring {
			return
		}
		out = append(out, r)
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// kvStream and kvPrefix name the bucket's stream and its subjects;
// kvOperation is the header that marks a deletion.
const (
	kvStream    = "KV_" + Bucket
	kvPrefix    = "$KV." + Bucket + "."
	kvOperation = "KV-Operation"
)

// scan reads every record once, in one pass over the bucket's stream (no
// read per key, no consumer: batched direct gets), and calls fn with each.
// The bucket keeps one message per key, its value or its deletion mark.
func (s *Store) scan(ctx context.Context, fn func(*wire.Record)) error {
	err := streamread.Direct(ctx, s.js.Conn(), kvStream, kvPrefix+">", func(m *nats.Msg) {
		if op := m.Header.Get(kvOperation); op == "DEL" || op == "PURGE" || len(m.Data) == 0 {
			return
		}
		var r wire.Record
		if json.Unmarshal(m.Data, &r) == nil {
			fn(&r)
		}
	})
	if err != nil {
		return fmt.Errorf("scan %s: %w", Bucket, err)
	}
	return nil
}

// AppendHistory records a finished run of a job.
func (s *Store) AppendHistory(ctx context.Context, id string, e wire.HistoryEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(HistorySubjectPrefix + id)
	msg.Data = b
	msgID := e.RunID + "/history"
	if e.Replay != "" {
		msgID += "/" + strings.ReplaceAll(e.Replay, " ", "") // a replay of the run is an entry of its own
	}
	msg.Header.Set(nats.MsgIdHdr, msgID)
	_, err = s.js.PublishMsg(ctx, msg)
	return err
}

// History returns a job's runs, oldest first.
func (s *Store) History(ctx context.Context, id string) ([]wire.HistoryEntry, error) {
	var out []wire.HistoryEntry
	err := streamread.Direct(ctx, s.js.Conn(), HistoryStream, HistorySubjectPrefix+id, func(m *nats.Msg) {
		var e wire.HistoryEntry
		if json.Unmarshal(m.Data, &e) == nil {
			out = append(out, e)
		}
	})
	if err != nil {
		return out, err
	}
	if len(out) == 0 {
		// A job that ran once keeps its only entry in its record.
		if r, _, err := s.Get(ctx, id); err == nil && r.LastRun != nil {
			out = append(out, *r.LastRun)
		}
	}
	return out, nil
}

// Delete removes a job record.
func (s *Store) Delete(ctx context.Context, id string) error {
	return s.kv.Delete(ctx, id)
}

// Sweep deletes the records of jobs that ended (completed, failed or
// cancelled) longer than maxAge before now, with their history, and
// returns how many it deleted. The bucket keeps one value per job, in the
// order they were written, so the sweep reads from the oldest and stops at
// the first written after now − maxAge: its cost grows with what is that
// old, not with every record. Deletion marks that old are removed too.
func (s *Store) Sweep(ctx context.Context, maxAge time.Duration, now time.Time) (int, error) {
	cutoff := now.Add(-maxAge)
	st, err := s.js.Stream(ctx, kvStream)
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{InactiveThreshold: streamread.InactiveThreshold})
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	defer streamread.Delete(s.js, kvStream, cons)
	n := 0
	for {
		batch, err := cons.FetchNoWait(streamread.Batch)
		if err != nil {
			return n, fmt.Errorf("sweep: %w", err)
		}
		k := 0
		for m := range batch.Messages() {
			k++
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			if meta.Timestamp.After(cutoff) {
				return n, nil // the rest was written later
			}
			if op := m.Headers().Get(kvOperation); op == "DEL" || op == "PURGE" {
				// (The bucket denies single deletes; a purge of the key up
				// to the mark is allowed.)
				_ = st.Purge(ctx, jetstream.WithPurgeSubject(m.Subject()), jetstream.WithPurgeSequence(meta.Sequence.Stream+1))
				continue
			}
			var r wire.Record
			if json.Unmarshal(m.Data(), &r) != nil || !r.Final() {
				continue // a job with runs ahead stays, whatever its age
			}
			id := strings.TrimPrefix(m.Subject(), kvPrefix)
			if err := s.kv.Purge(ctx, id); err != nil {
				return n, fmt.Errorf("delete job %s: %w", id, err)
			}
			_ = s.purgeHistory(ctx, id)
			n++
		}
		if k == 0 {
			return n, nil
		}
	}
}

// purgeHistory removes a job's history entries.
func (s *Store) purgeHistory(ctx context.Context, id string) error {
	st, err := s.js.Stream(ctx, HistoryStream)
	if err != nil {
		return err
	}
	return st.Purge(ctx, jetstream.WithPurgeSubject(HistorySubjectPrefix+id))
}
