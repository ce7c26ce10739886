// Package feature runs features: ordered sequences of events whose outputs
// pipe into later events. A feature run's state (its input, each event's
// status, the outputs recorded so far, the event in flight) is one entry of
// the key-value bucket JOBD_FEATURES, changed only with compare-and-set.
// Each step is an ordinary run on JOBD_RUNS whose run id is
// <feature run id>/<sequence>/<event> — so the executor (package run)
// dispatches it, retries it behind durable timers and applies the failure
// policy as for any job — and the Manager is told when it ends
// (FinishStep): it records the output in the state, then publishes the
// next event's run with a message id, and only then is the step's message
// acknowledged. A step redelivered after its output was recorded is not run
// again: the next event is published again instead (the message id makes
// it one copy).
package feature

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// MaxStateBytes bounds a feature run's state (its input and every output
// recorded): NATS refuses messages over its max_payload, 1 MiB by default,
// and the state is one message. A step whose output would pass it fails
// the feature run with that reason.
const MaxStateBytes = 900 << 10

// casAttempts bounds the compare-and-set retries of one state change; a
// conflict means another replica changed the same run, which is rare.
const casAttempts = 10

// Publisher records messages asynchronously (a *publish.Publisher).
type Publisher interface {
	Publish(msg *nats.Msg, cb func(error))
}

// Options configure a Manager.
type Options struct {
	Catalog *catalog.Catalog
	// KV is the JOBD_FEATURES bucket.
	KV jetstream.KeyValue
	// Publisher publishes runs and results.
	Publisher Publisher
	// Secret, Variables and Constants are read by when templates and the
	// features' input templates.
	Secret    func(string) (string, error)
	Variables map[string]map[string]any
	Constants map[string]map[string]any
	Logger    *slog.Logger
	// Clock is $Now's time source. Defaults to the real clock.
	Clock clockwork.Clock
	// Ended is told of every feature run that ends (completed or
	// failed), once per run and outcome, for metrics. Optional.
	Ended func(feature, status string)
	// MaxOutputBytes is the largest output of one event recorded; a
	// larger one fails the run (server.max_output_bytes). 0: no limit but
	// MaxStateBytes.
	MaxOutputBytes int
}

// Manager runs features (see the package doc).
type Manager struct {
	o   Options
	log *slog.Logger
}

// New returns a manager.
func New(o Options) *Manager {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	return &Manager{o: o, log: o.Logger}
}

// timeout bounds the state reads and writes of one call.
const timeout = 10 * time.Second

// FromEvent starts a run of f from an event; id is the run's id, the same
// when the event is delivered again. d is settled once the state is
// stored and the first event published (or, for an unusable event, once
// the failed result is).
func (m *Manager) FromEvent(d run.Delivery, f *catalog.Feature, id, subject string, received time.Time, ev *run.Event, perr error) {
	log := m.log.With("feature", f.Tag, "feature_run", id)
	st := newState(f, id, subject, received)
	if perr == nil {
		st.Input, perr = m.input(f, ev)
	}
	if perr != nil {
		class := wire.ClassInvalidEvent
		var pe *piping.EvalError
		if errors.As(perr, &pe) {
			class = wire.ClassPiping
		}
		st.Input = json.RawMessage("{}")
		m.fail(st, "", "", &wire.ErrorInfo{Message: perr.Error(), Class: class})
		log.Error("feature run failed at start", "error", perr)
		m.ended(st)
		d.Settle(m.publish(m.pending(f, st, 0)) == nil) // never nested: no parent
		return
	}
	if err := m.begin(f, st); err != nil {
		log.Error("could not start the feature run; the event will be redelivered", "error", err)
		d.Settle(false)
		return
	}
	d.Settle(true)
}

// begin stores a new feature run, moved to its first step, and publishes
// that step's run. When the run is stored already (its event was delivered
// again) it publishes what the stored run says comes next.
func (m *Manager) begin(f *catalog.Feature, st *wire.FeatureRun) error {
	m.advance(f, st, 0)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	body, _ := json.Marshal(st)
	if _, err := m.o.KV.Create(ctx, st.ID, body); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return err
		}
		stored, _, err := m.load(ctx, st.ID)
		if err != nil {
			return err
		}
		st = stored
	} else {
		m.ended(st) // every event skipped, or a when failed
	}
	return m.follow(ctx, f, st, 0)
}

// Dispatch starts a run of the feature tagged tag with ev as its trigger
// (a dispatch request's input and sequence) and returns the run's id. An
// input the feature's input template cannot use is an error wrapping
// run.ErrInvalidEvent.
func (m *Manager) Dispatch(_ context.Context, tag string, ev *run.Event) (string, error) {
	f := m.o.Catalog.Feature(tag)
	if f == nil {
		return "", fmt.Errorf("%w: no feature %q", run.ErrInvalidEvent, tag)
	}
	in, err := m.input(f, ev)
	if err != nil {
		return "", fmt.Errorf("%w: %v", run.ErrInvalidEvent, err)
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	st := newState(f, "f"+hex.EncodeToString(b[:]), wire.DispatchSubject, m.o.Clock.Now())
	st.Input = in
	if err := m.begin(f, st); err != nil {
		return "", fmt.Errorf("feature %q: %w", tag, err)
	}
	return st.ID, nil
}

// input builds a feature run's $Input from its event.
func (m *Manager) input(f *catalog.Feature, ev *run.Event) (json.RawMessage, error) {
	if f.Input == nil {
		if len(ev.RawInput) == 0 {
			return json.RawMessage("{}"), nil
		}
		return ev.RawInput, nil
	}
	v, err := f.Input.Eval(&piping.Env{
		Input: ev.Input, Sequence: ev.Sequence, Variable: m.o.Variables, Constant: m.o.Constants,
		Now: m.o.Clock.Now(), Job: piping.JobInfo{Event: f.Tag, Attempt: 1, Execution: 1},
	})
	if err != nil {
		return nil, fmt.Errorf("feature %q: %w", f.Tag, err)
	}
	return json.Marshal(v)
}

// BeforeStep reports whether the step ru should be attempted: yes while the
// feature run is at it. Otherwise (the feature run moved past it, ended, or
// is gone) it publishes again what followed the step and settles ru.
func (m *Manager) BeforeStep(ru *run.Run) bool {
	fe := m.o.Catalog.Step(ru.Job.Step)
	if fe == nil || fe.Void {
		return true // void job events are runs of their own
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, rev, err := m.load(ctx, ru.JobID)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		m.log.Warn("feature run not found (expired or removed); its step is dropped", "feature_run", ru.JobID, "run_id", ru.RunID)
		ru.D.Settle(true)
		return false
	case err != nil:
		m.log.Error("could not read the feature run; the step will be redelivered", "feature_run", ru.JobID, "error", err)
		ru.D.Settle(false)
		return false
	}
	if !sameEvents(fe.Feature, st) {
		ru.D.Settle(m.abandon(ctx, fe.Feature, st, rev) == nil)
		return false
	}
	if st.Status == wire.StatusRunning && st.Position == fe.Index {
		ru.StepState = &seen{st: st, rev: rev}
		return m.attempt(ctx, fe, st, ru)
	}
	if replay(fe, st, ru) {
		// jobd dlq replay of the event that failed the run: it resumes
		// here, with the outputs recorded before.
		st.Status, st.Error, st.FinishedAt = wire.StatusRunning, nil, nil
		st.Replays++
		es := &st.Events[fe.Index]
		es.Status, es.Error, es.RunID, es.FinishedAt = wire.StatusRunning, nil, ru.RunID, nil
		body, _ := json.Marshal(st)
		if _, err := m.o.KV.Update(ctx, st.ID, body, rev); err != nil {
			m.log.Warn("could not resume the feature run; the replay will be redelivered", "feature_run", st.ID, "error", err)
			ru.D.Settle(false)
			return false
		}
		m.log.Info("feature run resumed at its failed event", "feature", fe.Feature.Tag, "feature_run", st.ID, "sequence", fe.Sequence, "event", fe.Event, "run_id", ru.RunID)
		return m.attempt(ctx, fe, st, ru)
	}
	// Its output is recorded already (or the run ended): only what comes
	// next is published again.
	ru.D.Settle(m.follow(ctx, fe.Feature, st, fe.Index+1) == nil)
	return false
}

// attempt says the step ru is to run: by the executor (true), or, for a
// step of a configured feature, by starting the nested feature run, which
// finishes the step when it ends (false; ru is settled once it started).
func (m *Manager) attempt(ctx context.Context, fe *catalog.FeatureEvent, st *wire.FeatureRun, ru *run.Run) bool {
	if fe.Nested == nil {
		return true
	}
	v, err := fe.Job.Input.Eval(&piping.Env{
		Input: ru.Ev.Input, Sequence: ru.Ev.Sequence, Variable: m.o.Variables, Constant: m.o.Constants,
		Now: m.o.Clock.Now(), Job: piping.JobInfo{Event: fe.Event, Attempt: 1, Execution: 1},
	})
	if err != nil {
		res := stepFailure(fe, &wire.ErrorInfo{Message: fmt.Sprintf("job %q: %v", fe.Event, err), Class: wire.ClassPiping})
		ru.D.Settle(m.finish(ctx, st.ID, fe, res) == nil)
		return false
	}
	child := newState(fe.Nested, nestedID(ru.RunID), config.FeatureSubjectPrefix+fe.Nested.Tag, m.o.Clock.Now())
	child.Input, _ = json.Marshal(v)
	child.Parent = &wire.FeatureParent{ID: st.ID, Step: fe.Job.Step, RunID: ru.RunID}
	if err := m.begin(fe.Nested, child); err != nil {
		m.log.Error("could not start the nested feature run; the step will be redelivered", "feature_run", st.ID, "run_id", ru.RunID, "error", err)
		ru.D.Settle(false)
		return false
	}
	ru.D.Settle(true)
	return false
}

// nestedID is the id of the nested feature run a step's run starts: the
// same for every delivery of the run.
func nestedID(stepRunID string) string {
	sum := sha256.Sum256([]byte("nested\x00" + stepRunID))
	return "n" + hex.EncodeToString(sum[:16])
}

// stepFailure is the outcome of a step that failed without an attempt,
// under its allow_fail.
func stepFailure(fe *catalog.FeatureEvent, info *wire.ErrorInfo) *wire.Result {
	status := wire.StatusFailed
	if fe.Job.AllowFail {
		status = wire.StatusFailedAllowed
	}
	return &wire.Result{Status: status, Attempts: 1, Error: info}
}

// follow publishes what follows from st from event from on (see pending)
// and, once a nested run has ended, finishes its parent's step.
func (m *Manager) follow(ctx context.Context, f *catalog.Feature, st *wire.FeatureRun, from int) error {
	if err := m.publish(m.pending(f, st, from)); err != nil {
		return err
	}
	if st.Status == wire.StatusRunning || st.Parent == nil {
		return nil
	}
	pfe := m.o.Catalog.Step(st.Parent.Step)
	if pfe == nil {
		m.log.Warn("the parent step of a nested feature run is no longer configured", "feature_run", st.ID, "step", st.Parent.Step)
		return nil
	}
	var res *wire.Result
	switch st.Status {
	case wire.StatusCompleted:
		out, _ := json.Marshal(st.Sequence)
		res = &wire.Result{Status: wire.StatusCompleted, Attempts: 1, Output: out}
	default:
		info := wire.ErrorInfo{Message: st.Status, Class: wire.ClassPermanent}
		where := ""
		if st.Error != nil {
			info = st.Error.ErrorInfo
			if st.Error.Event != "" {
				where = " at " + st.Error.Sequence + "/" + st.Error.Event
			}
		}
		info.Message = fmt.Sprintf("nested feature %q (run %s) %s%s: %s", f.Tag, st.ID, st.Status, where, info.Message)
		res = stepFailure(pfe, &info)
	}
	return m.finish(ctx, st.Parent.ID, pfe, res)
}

// FinishStep records a step's outcome in its feature run (compare-and-set)
// and starts what comes next: the following events up to the next step,
// or the feature run's result. It returns once those messages are stored;
// an error leaves the step's message for redelivery.
func (m *Manager) FinishStep(ru *run.Run, res *wire.Result) error {
	fe := m.o.Catalog.Step(ru.Job.Step)
	if fe == nil || fe.Void {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, _ := ru.StepState.(*seen)
	ru.StepState = nil
	return m.finishFrom(ctx, ru.JobID, fe, res, s)
}

// seen is a feature run as BeforeStep read it: FinishStep writes its
// outcome against that revision first, and reads again only when the run
// changed meanwhile, so a step costs one read fewer.
type seen struct {
	st  *wire.FeatureRun
	rev uint64
}

// finish records the outcome of step fe in feature run id and starts what
// comes next.
func (m *Manager) finish(ctx context.Context, id string, fe *catalog.FeatureEvent, res *wire.Result) error {
	return m.finishFrom(ctx, id, fe, res, nil)
}

// finishFrom is finish starting from the state s when it is not nil.
func (m *Manager) finishFrom(ctx context.Context, id string, fe *catalog.FeatureEvent, res *wire.Result, s *seen) error {
	f := fe.Feature
	for range casAttempts {
		var (
			st  *wire.FeatureRun
			rev uint64
			err error
		)
		if s != nil {
			st, rev, s = s.st, s.rev, nil
		} else {
			st, rev, err = m.load(ctx, id)
		}
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			m.log.Warn("feature run not found (expired or removed); the step's outcome is dropped", "feature_run", id, "step", fe.Job.Step)
			return nil
		}
		if err != nil {
			return err
		}
		if !sameEvents(f, st) {
			return m.abandon(ctx, f, st, rev)
		}
		if st.Status != wire.StatusRunning || st.Position != fe.Index {
			return m.follow(ctx, f, st, fe.Index+1) // recorded already
		}
		if max := m.o.MaxOutputBytes; max > 0 && len(res.Output) > max && res.Status == wire.StatusCompleted {
			res = &wire.Result{Status: wire.StatusFailed, Attempts: res.Attempts, Error: &wire.ErrorInfo{
				Class:   wire.ClassPermanent,
				Message: fmt.Sprintf("the output of %s/%s is %d bytes, more than server.max_output_bytes (%d)", fe.Sequence, fe.Event, len(res.Output), max),
			}}
		}
		m.record(f, st, fe, res)
		body, _ := json.Marshal(st)
		if len(body) > MaxStateBytes {
			st, _, err = m.load(ctx, id)
			if err != nil {
				return err
			}
			es := &st.Events[fe.Index]
			es.Status, es.Attempts = wire.StatusFailed, res.Attempts
			m.fail(st, fe.Sequence, fe.Event, &wire.ErrorInfo{
				Class:   wire.ClassPermanent,
				Message: fmt.Sprintf("the feature run's recorded outputs would be %d bytes with this event's output, more than %d", len(body), MaxStateBytes),
			})
			body, _ = json.Marshal(st)
		}
		if _, err := m.o.KV.Update(ctx, id, body, rev); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // changed meanwhile: look again
			}
			return err
		}
		if st.Status == wire.StatusFailed {
			m.log.Error("feature run failed", "feature", f.Tag, "feature_run", st.ID, "sequence", fe.Sequence, "event", fe.Event, "error", st.Error.Message)
		}
		m.ended(st)
		return m.follow(ctx, f, st, fe.Index+1)
	}
	return fmt.Errorf("feature run %s: changed by others %d times in a row", id, casAttempts)
}

// replay reports whether ru is a replay of the event that failed st (jobd
// dlq replay): under the same run id and key, or a new one (--new-key).
func replay(fe *catalog.FeatureEvent, st *wire.FeatureRun, ru *run.Run) bool {
	return st.Status == wire.StatusFailed && st.Error != nil && st.Position == fe.Index &&
		st.Error.Sequence == fe.Sequence && st.Error.Event == fe.Event &&
		(ru.Replay != 0 || ru.RunID != st.Events[fe.Index].RunID)
}

// sameEvents reports whether st was made for f's events as configured now:
// a configuration that changed while the run was in flight may have moved,
// added or removed events.
func sameEvents(f *catalog.Feature, st *wire.FeatureRun) bool {
	if len(st.Events) != len(f.Events) {
		return false
	}
	for i, fe := range f.Events {
		if st.Events[i].Sequence != fe.Sequence || st.Events[i].Event != fe.Event {
			return false
		}
	}
	return true
}

// abandon fails a running feature run whose feature's events changed
// since it started, and publishes its result.
func (m *Manager) abandon(ctx context.Context, f *catalog.Feature, st *wire.FeatureRun, rev uint64) error {
	if st.Status == wire.StatusRunning {
		m.fail(st, "", "", &wire.ErrorInfo{Class: wire.ClassPermanent,
			Message: fmt.Sprintf("the events of feature %q changed in the configuration while this run was in flight; start it again", f.Tag)})
		body, _ := json.Marshal(st)
		if _, err := m.o.KV.Update(ctx, st.ID, body, rev); err != nil {
			return err
		}
		m.log.Error("feature run abandoned", "feature", f.Tag, "feature_run", st.ID, "error", st.Error.Message)
		m.ended(st)
	}
	return m.follow(ctx, f, st, len(f.Events))
}

// ended tells Options.Ended of a run that has just ended.
func (m *Manager) ended(st *wire.FeatureRun) {
	if m.o.Ended != nil && st.Status != wire.StatusRunning {
		m.o.Ended(st.Feature, st.Status)
	}
}

// load reads a feature run's state and its revision.
func (m *Manager) load(ctx context.Context, id string) (*wire.FeatureRun, uint64, error) {
	e, err := m.o.KV.Get(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	st := &wire.FeatureRun{}
	if err := json.Unmarshal(e.Value(), st); err != nil {
		return nil, 0, fmt.Errorf("feature run %s: unreadable state: %w", id, err)
	}
	return st, e.Revision(), nil
}

// publish publishes msgs and waits until every one is stored.
func (m *Manager) publish(msgs []*nats.Msg) error {
	if len(msgs) == 0 {
		return nil
	}
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	wg.Add(len(msgs))
	for _, msg := range msgs {
		m.o.Publisher.Publish(msg, func(err error) {
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	return first
}

// runMessage is the run of event fe of feature run st, as the executor
// takes it from JOBD_RUNS: the feature's input and the outputs so far.
func runMessage(fe *catalog.FeatureEvent, st *wire.FeatureRun) *nats.Msg {
	seq, _ := json.Marshal(st.Sequence)
	rec := run.Record{
		RunID: st.Events[fe.Index].RunID, JobID: st.ID, Event: fe.Event, Step: fe.Job.Step, Attempt: 1,
		Subject: st.Subject, ReceivedAt: st.ReceivedAt, Input: st.Input, Sequence: seq,
	}
	body, _ := json.Marshal(&rec)
	msg := nats.NewMsg(streams.RunsSubjectPrefix + fe.Event)
	msg.Data = body
	msg.Header.Set(nats.MsgIdHdr, rec.RunID+"/1")
	return msg
}
