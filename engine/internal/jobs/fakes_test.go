package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// memRecords is an in-memory Records with revisions, as the KV bucket
// keeps them: UpdateAt from a stale revision conflicts and re-reads.
type memRecords struct {
	mu      sync.Mutex
	recs    map[string][]byte
	revs    map[string]uint64
	rev     uint64
	history map[string][]wire.HistoryEntry
	// beforeUpdate, when set, runs before each compare-and-set (a second
	// replica's write slipping in between).
	beforeUpdate func(id string)
}

func newMemRecords() *memRecords {
	return &memRecords{recs: map[string][]byte{}, revs: map[string]uint64{}, history: map[string][]wire.HistoryEntry{}}
}

func (m *memRecords) put(r *wire.Record) {
	b, _ := json.Marshal(r)
	m.rev++
	m.recs[r.ID], m.revs[r.ID] = b, m.rev
}

func (m *memRecords) Create(_ context.Context, r *wire.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.recs[r.ID]; ok {
		return fmt.Errorf("%w: %s", jobstore.ErrExists, r.ID)
	}
	m.put(r)
	return nil
}

func (m *memRecords) Get(_ context.Context, id string) (*wire.Record, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.recs[id]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %s", jobstore.ErrNotFound, id)
	}
	var r wire.Record
	_ = json.Unmarshal(b, &r)
	return &r, m.revs[id], nil
}

func (m *memRecords) Update(ctx context.Context, id string, change func(*wire.Record) error) (*wire.Record, error) {
	r, _, err := m.UpdateAt(ctx, id, nil, 0, change)
	return r, err
}

func (m *memRecords) UpdateAt(ctx context.Context, id string, known *wire.Record, rev uint64, change func(*wire.Record) error) (*wire.Record, uint64, error) {
	for i := 0; i < 10; i++ {
		var r *wire.Record
		if i == 0 && known != nil {
			c := *known
			r = &c
		} else {
			var err error
			if r, rev, err = m.Get(ctx, id); err != nil {
				return nil, 0, err
			}
		}
		if err := change(r); err != nil {
			return r, rev, err
		}
		if m.beforeUpdate != nil {
			m.beforeUpdate(id)
		}
		m.mu.Lock()
		if m.revs[id] == rev {
			m.put(r)
			next := m.rev
			m.mu.Unlock()
			return r, next, nil
		}
		m.mu.Unlock()
	}
	return nil, 0, jobstore.ErrConflict
}

func (m *memRecords) List(_ context.Context, f jobstore.Filter) ([]*wire.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*wire.Record
	for _, b := range m.recs {
		var r wire.Record
		_ = json.Unmarshal(b, &r)
		if f.Event != "" && r.Event != f.Event || f.Status != "" && r.Status != f.Status {
			continue
		}
		out = append(out, &r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memRecords) AppendHistory(_ context.Context, id string, e wire.HistoryEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.history[id] = append(m.history[id], e)
	return nil
}

func (m *memRecords) record(id string) *wire.Record {
	r, _, err := m.Get(context.Background(), id)
	if err != nil {
		panic(err)
	}
	return r
}

// timer is one stored timer.
type timer struct {
	target, id string
	at         time.Time
	rec        run.Record
}

// memTimers keeps the timers added.
type memTimers struct {
	mu  sync.Mutex
	all []timer
	err error // returned by Add when set
}

func (m *memTimers) Add(_ context.Context, target, id string, at time.Time, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	var rec run.Record
	if err := json.Unmarshal(body, &rec); err != nil {
		return err
	}
	m.all = append(m.all, timer{target, id, at, rec})
	return nil
}

func (m *memTimers) list() []timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]timer(nil), m.all...)
}

// delivery records how a run's message was settled.
type delivery struct {
	mu      sync.Mutex
	settled []bool
}

func (d *delivery) Settle(ok bool) {
	d.mu.Lock()
	d.settled = append(d.settled, ok)
	d.mu.Unlock()
}

func (d *delivery) Msg() jetstream.Msg { return nil }

// failures records the runs failed at once.
type failures struct {
	mu   sync.Mutex
	runs []string // class: message
}

func (f *failures) FailNow(ru *run.Run, class, format string, args ...any) {
	f.mu.Lock()
	f.runs = append(f.runs, class+": "+fmt.Sprintf(format, args...))
	f.mu.Unlock()
	ru.D.Settle(true)
}
