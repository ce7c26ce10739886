package feature

import (
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// newState returns the state of a new run of f, every event pending.
func newState(f *catalog.Feature, id, subject string, received time.Time) *wire.FeatureRun {
	st := &wire.FeatureRun{
		ID: id, Feature: f.Tag, Status: wire.StatusRunning, Subject: subject, ReceivedAt: received,
		Events:   make([]wire.FeatureEventState, len(f.Events)),
		Sequence: map[string]map[string]json.RawMessage{},
	}
	for i, fe := range f.Events {
		st.Events[i] = wire.FeatureEventState{
			Sequence: fe.Sequence, Event: fe.Event, Kind: fe.Job.Kind, Job: fe.Void,
			RunID: id + "/" + fe.Sequence + "/" + fe.Event, Status: wire.StatusPending,
		}
	}
	return st
}

// skippedOutput is what $Sequence reads for a skipped event.
var skippedOutput = json.RawMessage(`{"status":"skipped"}`)

// record writes a step's outcome into st and moves it on: past the step
// when it completed or failed with allow_fail, to a failed run otherwise.
func (m *Manager) record(f *catalog.Feature, st *wire.FeatureRun, fe *catalog.FeatureEvent, res *wire.Result) {
	now := m.o.Clock.Now()
	es := &st.Events[fe.Index]
	es.Status, es.Attempts, es.Error, es.FinishedAt = res.Status, res.Attempts, res.Error, &now
	switch res.Status {
	case wire.StatusCompleted:
		out := res.Output
		if len(out) == 0 {
			out = json.RawMessage("null")
		}
		setOutput(st, fe, out)
	case wire.StatusFailedAllowed:
		out, _ := json.Marshal(map[string]any{"status": wire.StatusFailedAllowed, "error": res.Error})
		setOutput(st, fe, out)
	default:
		info := res.Error
		if info == nil {
			info = &wire.ErrorInfo{Message: "failed", Class: wire.ClassRetryable}
		}
		m.fail(st, fe.Sequence, fe.Event, info)
		return
	}
	m.advance(f, st, fe.Index+1)
}

func setOutput(st *wire.FeatureRun, fe *catalog.FeatureEvent, out json.RawMessage) {
	if st.Sequence[fe.Sequence] == nil {
		st.Sequence[fe.Sequence] = map[string]json.RawMessage{}
	}
	st.Sequence[fe.Sequence][fe.Event] = out
}

// fail ends st as failed at the event named (none for a run that failed
// before its first event).
func (m *Manager) fail(st *wire.FeatureRun, seq, event string, info *wire.ErrorInfo) {
	now := m.o.Clock.Now()
	st.Status, st.FinishedAt = wire.StatusFailed, &now
	st.Error = &wire.FeatureError{Sequence: seq, Event: event, ErrorInfo: *info}
}

// advance moves st from event from to the next step to run: events whose
// when is false are skipped, job events are marked started (pending
// publishes them), and the first step left is marked running. With none
// left the run has completed.
func (m *Manager) advance(f *catalog.Feature, st *wire.FeatureRun, from int) {
	now := m.o.Clock.Now()
	for i := from; i < len(f.Events); i++ {
		fe := f.Events[i]
		es := &st.Events[i]
		if fe.When != nil {
			run, err := m.when(fe, st)
			if err != nil {
				es.Status, es.FinishedAt = wire.StatusFailed, &now
				es.Error = &wire.ErrorInfo{Message: err.Error(), Class: wire.ClassPiping}
				st.Position = i
				m.fail(st, fe.Sequence, fe.Event, es.Error)
				return
			}
			if !run {
				es.Status, es.FinishedAt = wire.StatusSkipped, &now
				if !fe.Void {
					setOutput(st, fe, skippedOutput)
				}
				continue
			}
		}
		if fe.Void {
			es.Status, es.FinishedAt = wire.StatusStarted, &now
			continue
		}
		es.Status = wire.StatusRunning
		st.Position = i
		return
	}
	st.Position = len(f.Events)
	st.Status, st.FinishedAt = wire.StatusCompleted, &now
}

// when evaluates an event's when against the feature run so far.
func (m *Manager) when(fe *catalog.FeatureEvent, st *wire.FeatureRun) (bool, error) {
	var input any
	if err := json.Unmarshal(st.Input, &input); err != nil || input == nil {
		input = map[string]any{}
	}
	var seq map[string]any
	b, _ := json.Marshal(st.Sequence)
	_ = json.Unmarshal(b, &seq)
	v, err := fe.When.Eval(&piping.Env{
		Input: input, Sequence: seq, Variable: m.o.Variables, Constant: m.o.Constants, Secret: m.o.Secret,
		Now: m.o.Clock.Now(), Job: piping.JobInfo{Event: fe.Event, Attempt: 1, Execution: 1},
	})
	if err != nil {
		return false, fmt.Errorf("when of %s/%s: %w", fe.Sequence, fe.Event, err)
	}
	b2, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("when of %s/%s must be true or false, got %v (%T)", fe.Sequence, fe.Event, v, v)
	}
	return b2, nil
}

// pending returns the messages that follow from st for the events from
// index from on: the runs of job events started there, the run of the
// step in flight, or, once the run ended, its result. Each has a message
// id, so publishing them again after a redelivery stores one copy.
func (m *Manager) pending(f *catalog.Feature, st *wire.FeatureRun, from int) []*nats.Msg {
	var msgs []*nats.Msg
	for i := from; i < len(f.Events) && i < len(st.Events); i++ {
		es := st.Events[i]
		if es.Status == wire.StatusStarted {
			msgs = append(msgs, runMessage(f.Events[i], st))
		}
		if i == st.Position && st.Status == wire.StatusRunning {
			msgs = append(msgs, runMessage(f.Events[i], st))
			break
		}
	}
	if st.Status != wire.StatusRunning {
		body, _ := json.Marshal(st)
		id := st.ID
		if st.Replays > 0 {
			id += "/replay" + strconv.Itoa(st.Replays) // a resumed run ends again
		}
		msgs = append(msgs, newMsg(streams.FeatureResultSubjectPrefix+f.Tag, body, id+"/result"))
		if st.Status == wire.StatusFailed {
			msgs = append(msgs, newMsg(streams.FeatureFailedSubjectPrefix+f.Tag, body, id+"/failed"))
		}
	}
	return msgs
}

func newMsg(subject string, data []byte, id string) *nats.Msg {
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(nats.MsgIdHdr, id)
	return msg
}
