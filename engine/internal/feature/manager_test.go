package feature

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// fakeKV is the part of a key-value bucket the manager uses, in memory.
type fakeKV struct {
	jetstream.KeyValue
	mu        sync.Mutex
	vals      map[string][]byte
	revs      map[string]uint64
	conflicts int // the next Updates that fail as if another replica wrote first
}

type entry struct {
	jetstream.KeyValueEntry
	val []byte
	rev uint64
}

func (e entry) Value() []byte    { return e.val }
func (e entry) Revision() uint64 { return e.rev }

func newKV() *fakeKV { return &fakeKV{vals: map[string][]byte{}, revs: map[string]uint64{}} }

func (k *fakeKV) Get(_ context.Context, key string) (jetstream.KeyValueEntry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.vals[key]
	if !ok {
		return nil, jetstream.ErrKeyNotFound
	}
	return entry{val: v, rev: k.revs[key]}, nil
}

func (k *fakeKV) Create(_ context.Context, key string, v []byte, _ ...jetstream.KVCreateOpt) (uint64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.vals[key]; ok {
		return 0, jetstream.ErrKeyExists
	}
	k.vals[key], k.revs[key] = v, 1
	return 1, nil
}

func (k *fakeKV) Update(_ context.Context, key string, v []byte, last uint64) (uint64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.conflicts > 0 {
		k.conflicts--
		k.revs[key]++ // someone else wrote the same state
		return 0, jetstream.ErrKeyExists
	}
	if k.revs[key] != last {
		return 0, jetstream.ErrKeyExists
	}
	k.vals[key] = v
	k.revs[key]++
	return k.revs[key], nil
}

func (k *fakeKV) state(t *testing.T, id string) *wire.FeatureRun {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	st := &wire.FeatureRun{}
	if err := json.Unmarshal(k.vals[id], st); err != nil {
		t.Fatal(err)
	}
	return st
}

// fakePub stores every message, or fails while fail is set.
type fakePub struct {
	mu   sync.Mutex
	msgs []*nats.Msg
	fail error
}

func (p *fakePub) Publish(msg *nats.Msg, cb func(error)) {
	p.mu.Lock()
	err := p.fail
	if err == nil {
		p.msgs = append(p.msgs, msg)
	}
	p.mu.Unlock()
	cb(err)
}

// take returns and forgets the messages stored so far, as "subject id".
func (p *fakePub) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.msgs {
		out = append(out, m.Subject+" "+m.Header.Get(nats.MsgIdHdr))
	}
	p.msgs = nil
	return out
}

type fakeDelivery struct{ settled []bool }

func (d *fakeDelivery) Settle(ok bool)     { d.settled = append(d.settled, ok) }
func (d *fakeDelivery) Msg() jetstream.Msg { return nil }

const features = `
[[features]]
tag = "f"
[[features.sequence]]
tag = "main"
[[features.sequence.events]]
type = "k"
event = "a"
[[features.sequence.events]]
type = "job"
kind = "k"
event = "j"
[[features.sequence.events]]
type = "k"
event = "b"
when = "$Input{when}"
input = { prev = "$Sequence{main}{a}" }
`

func setup(t *testing.T) (*Manager, *catalog.Catalog, *fakeKV, *fakePub) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(features), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p, []string{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	kv, pub := newKV(), &fakePub{}
	return New(Options{Catalog: cat, KV: kv, Publisher: pub}), cat, kv, pub
}

func start(t *testing.T, m *Manager, cat *catalog.Catalog, input string) *fakeDelivery {
	t.Helper()
	ev, err := run.DecodeInput([]byte(input), "the body")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDelivery{}
	m.FromEvent(d, cat.Feature("f"), "r1", "features.f", time.Now(), ev, nil)
	return d
}

// step is the run the executor would make of a published step.
func step(cat *catalog.Catalog, event string) *run.Run {
	fe := cat.Step("f/main/" + event)
	return &run.Run{D: &fakeDelivery{}, Job: fe.Job, RunID: "r1/main/" + event, JobID: "r1", Attempt: 1}
}

func TestStepsAdvanceOnceEach(t *testing.T) {
	m, cat, kv, pub := setup(t)
	d := start(t, m, cat, `{"when": true}`)
	if got := strings.Join(pub.take(), ","); got != "jobd.runs.a r1/main/a/1" || len(d.settled) != 1 || !d.settled[0] {
		t.Fatalf("start published %s, settled %v", got, d.settled)
	}
	// Delivered again before step a ended: the same message again, one state.
	start(t, m, cat, `{"when": true}`)
	if got := strings.Join(pub.take(), ","); got != "jobd.runs.a r1/main/a/1" {
		t.Fatalf("redelivered start published %s", got)
	}

	a := step(cat, "a")
	if !m.BeforeStep(a) {
		t.Fatal("step a not attempted while the run is at it")
	}
	kv.conflicts = 1 // another replica wrote between the read and the write
	if err := m.FinishStep(a, &wire.Result{Status: wire.StatusCompleted, Attempts: 1, Output: json.RawMessage(`{"n":1}`)}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(pub.take(), ","); got != "jobd.runs.j r1/main/j/1,jobd.runs.b r1/main/b/1" {
		t.Fatalf("after a: %s", got)
	}
	st := kv.state(t, "r1")
	if st.Position != 2 || string(st.Sequence["main"]["a"]) != `{"n":1}` || st.Events[1].Status != wire.StatusStarted {
		t.Fatalf("state after a: %+v", st)
	}

	// Step a delivered again after its output was recorded: not attempted;
	// what follows it is published again (the message ids keep one copy).
	a2 := step(cat, "a")
	if m.BeforeStep(a2) {
		t.Fatal("a finished step was attempted again")
	}
	if got := strings.Join(pub.take(), ","); got != "jobd.runs.j r1/main/j/1,jobd.runs.b r1/main/b/1" || !a2.D.(*fakeDelivery).settled[0] {
		t.Fatalf("redelivered a: %s", got)
	}
	// Its outcome reported twice changes nothing.
	if err := m.FinishStep(a, &wire.Result{Status: wire.StatusCompleted, Output: json.RawMessage(`{"n":2}`)}); err != nil {
		t.Fatal(err)
	}
	pub.take()
	if st := kv.state(t, "r1"); string(st.Sequence["main"]["a"]) != `{"n":1}` {
		t.Fatalf("a second outcome overwrote the first: %s", st.Sequence["main"]["a"])
	}
	// The void job is a run of its own: attempted, and its end moves nothing.
	j := step(cat, "j")
	if !m.BeforeStep(j) || m.FinishStep(j, &wire.Result{Status: wire.StatusFailed}) != nil {
		t.Fatal("void job handled as a step")
	}

	// Recording b fails to publish the result: the step is redelivered and
	// then publishes it.
	b := step(cat, "b")
	pub.fail = errors.New("stream unavailable")
	if err := m.FinishStep(b, &wire.Result{Status: wire.StatusFailedAllowed, Attempts: 2, Error: &wire.ErrorInfo{Message: "x", Class: "retryable"}}); err == nil {
		t.Fatal("no error while the result could not be published")
	}
	pub.fail = nil
	b2 := step(cat, "b")
	if m.BeforeStep(b2) {
		t.Fatal("b attempted again after its outcome was recorded")
	}
	if got := strings.Join(pub.take(), ","); got != "jobd.feature.result.f r1/result" {
		t.Fatalf("after b: %s", got)
	}
	st = kv.state(t, "r1")
	if st.Status != wire.StatusCompleted || string(st.Sequence["main"]["b"]) != `{"error":{"message":"x","class":"retryable"},"status":"failed_allowed"}` {
		t.Fatalf("final state: %s %s", st.Status, st.Sequence["main"]["b"])
	}
}

func TestFailuresEndTheRun(t *testing.T) {
	t.Run("a failed step", func(t *testing.T) {
		m, cat, kv, pub := setup(t)
		start(t, m, cat, `{"when": true}`)
		pub.take()
		if err := m.FinishStep(step(cat, "a"), &wire.Result{Status: wire.StatusFailed, Error: &wire.ErrorInfo{Message: "boom", Class: "permanent"}}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(pub.take(), ","); got != "jobd.feature.result.f r1/result,jobd.feature.failed.f r1/failed" {
			t.Fatalf("published %s", got)
		}
		st := kv.state(t, "r1")
		if st.Status != wire.StatusFailed || st.Error.Event != "a" || st.Error.Message != "boom" || st.Events[1].Status != wire.StatusPending {
			t.Fatalf("state %+v", st)
		}
	})
	t.Run("a when that is not true or false", func(t *testing.T) {
		m, cat, kv, pub := setup(t)
		start(t, m, cat, `{"when": "yes"}`)
		pub.take()
		if err := m.FinishStep(step(cat, "a"), &wire.Result{Status: wire.StatusCompleted, Output: json.RawMessage(`1`)}); err != nil {
			t.Fatal(err)
		}
		st := kv.state(t, "r1")
		if st.Status != wire.StatusFailed || st.Error.Event != "b" || st.Error.Class != wire.ClassPiping || !strings.Contains(st.Error.Message, "must be true or false") {
			t.Fatalf("state %s %+v", st.Status, st.Error)
		}
		// The job event before b was started all the same.
		if got := strings.Join(pub.take(), ","); got != "jobd.runs.j r1/main/j/1,jobd.feature.result.f r1/result,jobd.feature.failed.f r1/failed" {
			t.Fatalf("published %s", got)
		}
	})
	t.Run("outputs past the state's limit", func(t *testing.T) {
		m, cat, kv, pub := setup(t)
		start(t, m, cat, `{"when": true}`)
		pub.take()
		big := json.RawMessage(`"` + strings.Repeat("x", MaxStateBytes) + `"`)
		if err := m.FinishStep(step(cat, "a"), &wire.Result{Status: wire.StatusCompleted, Output: big}); err != nil {
			t.Fatal(err)
		}
		st := kv.state(t, "r1")
		if st.Status != wire.StatusFailed || !strings.Contains(st.Error.Message, "more than") || len(st.Sequence["main"]) != 0 {
			t.Fatalf("state %s %+v", st.Status, st.Error)
		}
	})
	t.Run("an unusable event", func(t *testing.T) {
		m, cat, kv, pub := setup(t)
		d := &fakeDelivery{}
		m.FromEvent(d, cat.Feature("f"), "r1", "features.f", time.Now(), nil, errors.New("invalid event: not JSON"))
		if got := strings.Join(pub.take(), ","); got != "jobd.feature.result.f r1/result,jobd.feature.failed.f r1/failed" || !d.settled[0] {
			t.Fatalf("published %s", got)
		}
		if _, err := kv.Get(context.Background(), "r1"); err == nil {
			t.Error("a run that never started was stored")
		}
	})
}

// A run whose feature's events changed in the configuration while it was in
// flight fails with that reason instead of running the wrong event.
func TestChangedFeatureAbandonsRun(t *testing.T) {
	m, cat, kv, pub := setup(t)
	start(t, m, cat, `{"when": true}`)
	pub.take()
	st := kv.state(t, "r1")
	st.Events = st.Events[:2] // as stored by a configuration with two events
	b, _ := json.Marshal(st)
	kv.vals["r1"] = b
	a := step(cat, "a")
	if m.BeforeStep(a) {
		t.Fatal("attempted a step of a changed feature")
	}
	if got := strings.Join(pub.take(), ","); got != "jobd.feature.result.f r1/result,jobd.feature.failed.f r1/failed" {
		t.Fatalf("published %s", got)
	}
	if st := kv.state(t, "r1"); st.Status != wire.StatusFailed || !strings.Contains(st.Error.Message, "changed in the configuration") {
		t.Fatalf("state %s %+v", st.Status, st.Error)
	}
	if err := m.FinishStep(a, &wire.Result{Status: wire.StatusCompleted}); err != nil {
		t.Fatal(err)
	}
}

func TestOutputPastMaxOutputBytesFailsTheRun(t *testing.T) {
	m, cat, kv, pub := setup(t)
	m.o.MaxOutputBytes = 10
	start(t, m, cat, `{"when": true}`)
	pub.take()
	if err := m.FinishStep(step(cat, "a"), &wire.Result{Status: wire.StatusCompleted, Attempts: 1, Output: json.RawMessage(`"0123456789"`)}); err != nil {
		t.Fatal(err)
	}
	st := kv.state(t, "r1")
	if st.Status != wire.StatusFailed || st.Error.Event != "a" || !strings.Contains(st.Error.Message, "12 bytes, more than server.max_output_bytes (10)") {
		t.Fatalf("state %s %+v", st.Status, st.Error)
	}
}

// A due event that left the configuration ends its feature run.
func TestOrphanedStepEndsTheRun(t *testing.T) {
	m, cat, kv, pub := setup(t)
	start(t, m, cat, `{"when": true}`)
	pub.take()
	m.Orphaned("r1", "f/main/gone")
	if st := kv.state(t, "r1"); st.Status != wire.StatusFailed {
		t.Fatalf("feature still configured: %s", st.Status)
	}
	// A run of a feature that is gone altogether.
	st := newState(cat.Feature("f"), "r2", "x", time.Now())
	st.Feature = "removed"
	b, _ := json.Marshal(st)
	kv.vals["r2"], kv.revs["r2"] = b, 1
	pub.take()
	m.Orphaned("r2", "removed/s/e")
	if st := kv.state(t, "r2"); st.Status != wire.StatusFailed || !strings.Contains(st.Error.Message, `feature "removed" is no longer configured`) {
		t.Fatalf("feature gone: %s %+v", st.Status, st.Error)
	}
	if got := strings.Join(pub.take(), ","); got != "jobd.feature.result.removed r2/result,jobd.feature.failed.removed r2/failed" {
		t.Errorf("published %s", got)
	}
}
