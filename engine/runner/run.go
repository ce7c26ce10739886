package runner

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/catalog"
	"github.com/jobd-dev/jobd/engine/jobstore"
	"github.com/jobd-dev/jobd/engine/piping"
	"github.com/jobd-dev/jobd/engine/policy"
	"github.com/jobd-dev/jobd/engine/streams"
	"github.com/jobd-dev/jobd/sdk/host"
)

// run is one run of one job, through its current attempt.
type run struct {
	d          *delivery
	job        *catalog.Job
	runID      string
	jobID      string
	attempt    int
	subject    string
	receivedAt time.Time
	ev         *event
	// fromRun is true when the run came from a run record (a retry, a
	// scheduled occurrence, a dispatch) rather than straight from its event.
	fromRun bool

	// Policy for this run: the job's, or a dispatch request's overrides.
	maxAttempts int
	allowFail   bool
	// execution is the run's number in its series (from 1).
	execution int
	// record is true when the run belongs to a job record (scheduled,
	// recurring or dispatched jobs), which it updates as it finishes.
	record      bool
	scheduledAt time.Time
	// jobRecord is the job record as this run last wrote it, at revision
	// jobRev (nil when it has not), so finishing it needs no second read.
	jobRecord *jobstore.Record
	jobRev    uint64
	overrides overrides

	startedAt time.Time
	input     json.RawMessage // resolved input as sent, secrets redacted
	// secrets are the secret values the input used; they are scrubbed from
	// the plugin's output and errors before anything is recorded.
	secrets []string
}

// scrub replaces every secret value in b with [redacted].
func scrub(b []byte, secrets []string) []byte { return scrubWith(b, secrets, Redacted) }

func scrubWith(b []byte, secrets []string, with string) []byte {
	for _, s := range scrubOrder(secrets) {
		b = bytes.ReplaceAll(b, []byte(s), []byte(with))
		if q, err := json.Marshal(s); err == nil && len(q) > 2 {
			b = bytes.ReplaceAll(b, q[1:len(q)-1], []byte(with))
		}
	}
	return b
}

// overrides are a dispatch request's retries and allow_fail.
type overrides struct {
	Retries   *int  `json:"retries,omitempty"`
	AllowFail *bool `json:"allow_fail,omitempty"`
}

// newRun fills a run's policy from its job and overrides.
func newRun(ru *run, j *catalog.Job, o overrides) *run {
	ru.job = j
	ru.overrides = o
	ru.maxAttempts, ru.allowFail = j.MaxAttempts, j.AllowFail
	if o.Retries != nil {
		ru.maxAttempts = *o.Retries + 1
	}
	if o.AllowFail != nil {
		ru.allowFail = *o.AllowFail
	}
	if ru.execution == 0 {
		ru.execution = 1
	}
	return ru
}

// failNow ends a run at once with a permanent failure under its policy.
func (r *Runner) failNow(ru *run, class, format string, args ...any) {
	r.finish(ru, policy.Decide(policy.Attempt{Outcome: policy.Permanent, AllowFail: ru.allowFail}, ru.job.Backoff), host.Result{},
		&ErrorInfo{Message: fmt.Sprintf(format, args...), Class: class})
}

// onEvent handles a trigger event: one run per matching job.
func (r *Runner) onEvent(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		r.log.Error("event without metadata", "subject", msg.Subject(), "error", err)
		_ = msg.Term()
		return
	}
	jobs := r.o.Catalog.Match(msg.Subject())
	if len(jobs) == 0 {
		_ = msg.Ack() // no job triggers on it any more
		return
	}
	now := r.o.Now()
	d := r.tracker.add(msg, len(jobs), now)
	ev, perr := r.parseEventLimited(msg.Data(), msg.Headers())
	if perr == nil && int(meta.NumDelivered) > r.o.MaxDeliveries {
		perr = fmt.Errorf("delivered %d times without finishing (jobd stopped or crashed during each); giving up", meta.NumDelivered)
	}
	msgID := msg.Headers().Get(nats.MsgIdHdr)
	received := meta.Timestamp
	for _, j := range jobs {
		id := RunID(meta.Stream, r.epoch, meta.Sequence.Stream, msgID, j.Event)
		ru := newRun(&run{
			d: d, runID: id, jobID: id, attempt: 1,
			subject: msg.Subject(), receivedAt: received, ev: ev,
		}, j, overrides{})
		if perr != nil {
			class := ClassInvalidEvent
			if ev != nil {
				class = ClassRedelivered
			}
			r.failNow(ru, class, "%s", perr.Error())
			continue
		}
		if j.Scheduled() {
			r.scheduleFromEvent(ru)
			continue
		}
		r.attempt(ru)
	}
}

// onRun handles a run that is due: a retry, a scheduled occurrence or a
// dispatched job.
func (r *Runner) onRun(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		_ = msg.Term()
		return
	}
	var rec runRecord
	if err := json.Unmarshal(msg.Data(), &rec); err != nil {
		r.log.Error("unreadable run record; dropped", "subject", msg.Subject(), "error", err)
		_ = msg.Term()
		return
	}
	d := r.tracker.add(msg, 1, r.o.Now())
	ru := &run{
		d: d, runID: rec.RunID, jobID: rec.JobID, attempt: rec.Attempt,
		subject: rec.Subject, receivedAt: rec.ReceivedAt,
		execution: rec.Execution, record: rec.Record, scheduledAt: rec.ScheduledAt,
		fromRun: true, ev: &event{rawInput: rec.Input, rawSeq: rec.Sequence},
	}
	j := r.o.Catalog.Job(rec.Event)
	if j == nil {
		// The job left the configuration while its run waited.
		newRun(ru, &catalog.Job{Event: rec.Event, Kind: "unknown", MaxAttempts: rec.Attempt}, rec.Overrides)
		r.failNow(ru, ClassNoPlugin, "job %q is no longer configured", rec.Event)
		return
	}
	newRun(ru, j, rec.Overrides)
	ev := ru.ev
	if err := json.Unmarshal(rec.Input, &ev.input); err != nil || ev.input == nil {
		ev.input = map[string]any{}
	}
	if len(rec.Sequence) > 0 {
		_ = json.Unmarshal(rec.Sequence, &ev.sequence)
	}
	if int(meta.NumDelivered) > r.o.MaxDeliveries {
		r.failNow(ru, ClassRedelivered, "delivered %d times without finishing; giving up", meta.NumDelivered)
		return
	}
	if rec.Record && rec.Attempt > 1 && r.cancelled(rec.JobID) {
		ru.d.settle(true) // a retry of a job cancelled since
		return
	}
	if rec.Occurrence > 0 && rec.Attempt == 1 {
		if !r.advance(ru, &rec, int(meta.NumDelivered)) {
			return
		}
	}
	r.attempt(ru)
}

// attempt resolves the input and sends the job to its plugin.
func (r *Runner) attempt(ru *run) {
	j := ru.job
	now := r.o.Now()
	env := &piping.Env{
		Input:    ru.ev.input,
		Sequence: ru.ev.sequence,
		Variable: r.o.Variables,
		Constant: r.o.Constants,
		Secret:   r.o.Secret,
		Now:      now,
		Job:      piping.JobInfo{Event: j.Event, Attempt: ru.attempt, Execution: ru.execution},
	}
	r.startSecrets(ru)
	if j.Input.UsesSecrets() && r.o.Secret != nil {
		env.Secret = func(key string) (string, error) {
			v, err := r.o.Secret(key)
			if err == nil {
				ru.secrets = append(ru.secrets, v)
			}
			return v, err
		}
		env.Taint = ru.taint
	}
	body, err := j.Input.AppendJSON(make([]byte, 0, 512), env)
	if err != nil {
		r.failNow(ru, ClassPiping, "job %q: %v", j.Event, err)
		return
	}
	// The result records the input as sent, encoded once; with secrets, as
	// resolved with every secret shown as [secret].
	ru.input = body
	if j.Input.UsesSecrets() {
		env.Redact = true
		red, err := j.Input.AppendJSON(nil, env)
		ru.input = inputShown(body, red, err, ru.secrets)
	}
	disp := r.o.Dispatchers[j.Kind]
	if disp == nil {
		r.failNow(ru, ClassNoPlugin, "job %q: no plugin serves kind %q", j.Event, j.Kind)
		return
	}
	ru.startedAt = now
	hj := host.Job{
		JobID: ru.jobID, RunID: ru.runID, Event: j.Event, Kind: j.Kind, Input: body,
		Attempt: ru.attempt, MaxAttempts: ru.maxAttempts, IdempotencyKey: ru.runID,
	}
	if j.Timeout > 0 {
		hj.Deadline = now.Add(j.Timeout)
	}
	if err := disp.Run(r.ctx, hj, func(res host.Result) { r.complete(ru, res) }); err != nil {
		// Stopping: leave the message for redelivery.
		ru.d.settle(false)
	}
}

// complete applies the failure policy to a plugin's answer.
func (r *Runner) complete(ru *run, res host.Result) {
	j := ru.job
	r.limitOutput(&res)
	if len(ru.secrets) > 0 {
		res.Error = string(scrub([]byte(res.Error), ru.secrets))
	}
	a := policy.Attempt{Number: ru.attempt, MaxAttempts: ru.maxAttempts, AllowFail: ru.allowFail, RetryAfter: res.RetryAfter}
	var info *ErrorInfo
	switch res.Outcome {
	case host.OK:
		a.Outcome = policy.Succeeded
	case host.Permanent:
		a.Outcome = policy.Permanent
		info = &ErrorInfo{Message: res.Error, Class: ClassPermanent}
	default:
		a.Outcome = policy.Retryable
		info = &ErrorInfo{Message: res.Error, Class: ClassRetryable}
		if res.Crashed {
			info.Class = ClassCrash
		} else if !ru.startedAt.IsZero() && j.Timeout > 0 && r.o.Now().Sub(ru.startedAt) >= j.Timeout {
			info.Class = ClassTimeout
		}
	}
	if m := r.o.Metrics; m != nil {
		jm := m.Job(j.Event)
		jm.Attempt(res.Outcome.String())
		jm.Duration.Observe(r.o.Now().Sub(ru.startedAt).Seconds())
	}
	dec := policy.Decide(a, j.Backoff)
	if dec.Action == policy.Retry {
		r.log.Info("attempt failed; will retry", "job_id", ru.jobID, "run_id", ru.runID, "event", j.Event, "kind", j.Kind,
			"attempt", ru.attempt, "delay", dec.Delay, "error", res.Error)
		r.retry(ru, dec.Delay, info)
		return
	}
	r.finish(ru, dec, res, info)
}

// retry stores the run behind a durable timer for its next attempt.
func (r *Runner) retry(ru *run, delay time.Duration, info *ErrorInfo) {
	next := ru.attempt + 1
	rec := runRecord{
		RunID: ru.runID, JobID: ru.jobID, Event: ru.job.Event, Attempt: next,
		Subject: ru.subject, ReceivedAt: ru.receivedAt,
		Input: ru.ev.rawInput, Sequence: ru.ev.rawSeq, LastError: info,
		Execution: ru.execution, Record: ru.record, ScheduledAt: ru.scheduledAt, Overrides: ru.overrides,
	}
	body, _ := json.Marshal(rec)
	at := r.o.Now().Add(delay)
	msg := r.o.Timers.Message(streams.RunsSubjectPrefix+ru.job.Event, ru.runID+"/"+strconv.Itoa(next), at, body)
	r.pub.Publish(msg, func(err error) {
		if err != nil {
			r.log.Error("could not store retry; the event will be redelivered", "run_id", ru.runID, "error", err)
		}
		ru.d.settle(err == nil)
	})
}

// finish records a final outcome: the result, and for a failure that fails
// the sequence a failure report and a dead letter.
func (r *Runner) finish(ru *run, dec policy.Decision, res host.Result, info *ErrorInfo) {
	j := ru.job
	now := r.o.Now()
	status := dec.Action.Status()
	result := Result{
		JobID: ru.jobID, RunID: ru.runID, Event: j.Event, Kind: j.Kind, Status: status,
		Attempts: ru.attempt, Subject: ru.subject, ReceivedAt: ru.receivedAt, FinishedAt: now,
		Error: info, Input: ru.input, Output: res.Output,
	}
	if !ru.startedAt.IsZero() {
		s := ru.startedAt
		result.StartedAt = &s
		result.DurationMS = float64(now.Sub(s).Microseconds()) / 1000
	}
	if len(ru.secrets) > 0 {
		result.Output = scrub(result.Output, ru.secrets)
		if info != nil {
			info.Message = string(scrub([]byte(info.Message), ru.secrets))
		}
	}
	if info == nil && status != policy.StatusCompleted {
		result.Error = &ErrorInfo{Message: "failed", Class: ClassRetryable}
	}
	body := result.AppendJSON(make([]byte, 0, 512+len(result.Input)+len(result.Output)))
	msgs := []*nats.Msg{newMsg(streams.ResultSubjectPrefix+j.Event, body, ru.runID+"/result")}
	if dec.Action == policy.Fail {
		msgs = append(msgs, newMsg(streams.FailedSubjectPrefix+j.Event, body, ru.runID+"/failed"))
		dl := DeadLetter{Result: result, Trigger: r.trigger(ru)}
		if result.Error != nil {
			dl.Reason = result.Error.Message
		}
		if ru.ev != nil {
			dl.Sequence = ru.ev.rawSeq
		}
		dlBody, _ := json.Marshal(&dl)
		msgs = append(msgs, newMsg(streams.DLQSubjectPrefix+j.Event, dlBody, ru.runID+"/dlq"))
	}
	switch dec.Action {
	case policy.Complete:
		if r.log.Enabled(context.Background(), slog.LevelDebug) {
			r.runLog(ru, status).Debug("run completed")
		}
	case policy.FailAllowed:
		r.runLog(ru, status).Warn("run failed; allowed", "error", result.Error.Message, "class", result.Error.Class)
	default:
		r.runLog(ru, status).Error("run failed; dead-lettered", "error", result.Error.Message, "class", result.Error.Class)
	}
	if m := r.o.Metrics; m != nil {
		jm := m.Job(j.Event)
		jm.Run(status)
		if dec.Action == policy.Fail {
			jm.DeadLetters.Inc()
		}
	}
	var recorded *Result // a copy, so result itself stays off the heap
	if ru.record {
		cp := result
		recorded = &cp
	}
	publishAll(r.pub, msgs, func(err error) {
		if err != nil {
			r.runLog(ru, status).Error("could not record the outcome; the message will be redelivered", "error", err)
		}
		if recorded != nil && err == nil {
			go func() {
				r.finishRecord(ru, recorded)
				ru.d.settle(true)
			}()
			return
		}
		ru.d.settle(err == nil)
	})
}

// runLog returns the log with a run's ids; built only for a line that is
// written.
func (r *Runner) runLog(ru *run, status string) *slog.Logger {
	return r.log.With("job_id", ru.jobID, "run_id", ru.runID, "event", ru.job.Event, "kind", ru.job.Kind, "attempt", ru.attempt, "status", status)
}

// trigger returns the event a run came from, for its dead letter.
func (r *Runner) trigger(ru *run) *TriggerEvent {
	if ru.fromRun {
		return &TriggerEvent{Subject: ru.subject, Data: ru.ev.rawInput, Size: len(ru.ev.rawInput)}
	}
	msg := ru.d.msg
	return r.triggerOfLimited(msg.Subject(), msg.Data(), msg.Headers())
}

func newMsg(subject string, data []byte, id string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set(nats.MsgIdHdr, id)
	return m
}
