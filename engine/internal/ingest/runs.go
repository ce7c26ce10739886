package ingest

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// onEvent handles a trigger event: one run per matching job.
func (r *Consumer) onEvent(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		r.log.Error("event without metadata", "subject", msg.Subject(), "error", err)
		_ = msg.Term()
		return
	}
	jobs := r.o.Catalog.Match(msg.Subject())
	var features []*catalog.Feature
	if r.o.Features != nil {
		features = r.o.Catalog.MatchFeatures(msg.Subject())
	}
	if len(jobs)+len(features) == 0 {
		_ = msg.Ack() // no job triggers on it any more
		return
	}
	d := r.tracker.add(msg, len(jobs)+len(features), time.Now()) // real time, as the server counts ack_wait
	ev, perr := r.parseEventLimited(msg.Data(), msg.Headers())
	if perr == nil && int(meta.NumDelivered) > r.o.MaxDeliveries {
		perr = fmt.Errorf("delivered %d times without finishing (each time jobd stopped or crashed before the end, or NATS did not store the outcome; its log says which); giving up", meta.NumDelivered)
	}
	msgID := msg.Headers().Get(nats.MsgIdHdr)
	received := meta.Timestamp
	for _, j := range jobs {
		id := RunID(meta.Stream, r.epoch, meta.Sequence.Stream, msgID, j.Event)
		ru := run.New(&run.Run{
			D: d, RunID: id, JobID: id, Attempt: 1,
			Subject: msg.Subject(), ReceivedAt: received, Ev: ev,
		}, j, run.Overrides{})
		if perr != nil {
			class := wire.ClassInvalidEvent
			if ev != nil {
				class = wire.ClassRedelivered
			}
			r.o.Exec.FailNow(ru, class, "%s", perr.Error())
			continue
		}
		if j.Scheduled() {
			r.o.Jobs.FromEvent(ru)
			continue
		}
		r.o.Exec.Attempt(ru)
	}
	for _, f := range features {
		id := RunID(meta.Stream, r.epoch, meta.Sequence.Stream, msgID, "features/"+f.Tag)
		r.o.Features.FromEvent(d, f, id, msg.Subject(), received, ev, perr)
	}
}

// onRun handles a run that is due: a retry, a scheduled occurrence or a
// dispatched job.
func (r *Consumer) onRun(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		_ = msg.Term()
		return
	}
	var rec run.Record
	if err := json.Unmarshal(msg.Data(), &rec); err != nil {
		r.log.Error("unreadable run record; dropped", "subject", msg.Subject(), "error", err)
		_ = msg.Term()
		return
	}
	d := r.tracker.add(msg, 1, time.Now())
	ru := &run.Run{
		D: d, RunID: rec.RunID, JobID: rec.JobID, Attempt: rec.Attempt,
		Subject: rec.Subject, ReceivedAt: rec.ReceivedAt,
		Execution: rec.Execution, HasRecord: rec.Record, ScheduledAt: rec.ScheduledAt,
		FromRun: true, Ev: &run.Event{RawInput: rec.Input, RawSeq: rec.Sequence},
		AttemptLog: rec.AttemptLog, Replay: rec.Replay,
	}
	j := r.o.Catalog.Job(rec.Event)
	if rec.Step != "" {
		j = nil
		if fe := r.o.Catalog.Step(rec.Step); fe != nil {
			j = fe.Job
		}
	}
	if j == nil && rec.Step != "" && r.o.Features != nil {
		// A feature's event left the configuration: its run ends too.
		r.o.Features.Orphaned(rec.JobID, rec.Step)
	}
	if j == nil {
		// The job left the configuration while its run waited. A job with
		// a record is cancelled (start-up cancels them too); a retry of an
		// event's run has nothing to cancel and fails.
		if rec.Record && r.o.Jobs.CancelRemovedJob(rec.JobID) {
			d.Settle(true)
			return
		}
		run.New(ru, &catalog.Job{Event: rec.Event, Kind: "unknown", MaxAttempts: rec.Attempt}, rec.Overrides)
		r.o.Exec.FailNow(ru, wire.ClassNoPlugin, "job %q is no longer configured", rec.Event)
		return
	}
	run.New(ru, j, rec.Overrides)
	ev := ru.Ev
	if err := json.Unmarshal(rec.Input, &ev.Input); err != nil || ev.Input == nil {
		ev.Input = map[string]any{}
	}
	if len(rec.Sequence) > 0 {
		_ = json.Unmarshal(rec.Sequence, &ev.Sequence)
	}
	if int(meta.NumDelivered) > r.o.MaxDeliveries {
		r.o.Exec.FailNow(ru, wire.ClassRedelivered, "delivered %d times without finishing (each time jobd stopped or crashed before the end, or NATS did not store the outcome; its log says which); giving up", meta.NumDelivered)
		return
	}
	if rec.Attempt > 1 && r.o.Jobs.RunCancelled(&rec) {
		ru.D.Settle(true) // a retry of a run or job cancelled since
		return
	}
	if rec.Step != "" && r.o.Features != nil && !r.o.Features.BeforeStep(ru) {
		return
	}
	if rec.Occurrence > 0 && rec.Attempt == 1 {
		if !r.o.Jobs.Advance(ru, &rec, int(meta.NumDelivered)) {
			return
		}
	}
	r.o.Exec.Attempt(ru)
}
