package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/dispatch"
	"github.com/jobd-dev/jobd/engine/internal/lograte"
	"github.com/jobd-dev/jobd/engine/internal/metrics"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/policy"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/host"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// PublishTimeout is how long a run waits for a stream to acknowledge a
// result, a failure report, a dead letter or a retry's timer; past it the
// run's message is redelivered.
const PublishTimeout = 10 * time.Second

// Dispatcher runs jobs of one kind (a dispatch.Pool).
type Dispatcher interface {
	// Dispatch queues job until one of the plugin's slots is free, then
	// sends it with a deadline timeout from that moment (none when 0);
	// done gets the result and when the slot was taken. It returns an
	// error matching dispatch.ErrQueueTimeout when no slot came free in
	// time, or another when stopping.
	Dispatch(ctx context.Context, job host.Job, timeout time.Duration, done func(res host.Result, started time.Time)) error
}

// RecordKeeper updates the job record of a run that belongs to one
// (scheduled, recurring and dispatched jobs) once the run has ended.
type RecordKeeper interface {
	FinishRecord(ru *Run, res *wire.Result)
}

// StepKeeper advances the feature run a step belongs to (a
// *feature.Manager) once the step has ended and its result is recorded:
// the step's output goes into the feature run's state and the next event
// is started. The step's message is acknowledged only when it returns nil;
// an error asks for redelivery.
type StepKeeper interface {
	FinishStep(ru *Run, res *wire.Result) error
}

// Publisher records messages asynchronously (a *publish.Publisher): cb is
// called once the stream stored msg, or with the reason it did not.
type Publisher interface {
	Publish(msg *nats.Msg, cb func(error))
}

// Timers makes the message of a durable timer (a *timers.Store).
type Timers interface {
	Message(target, id string, at time.Time, body []byte) *nats.Msg
}

// StorageGate learns of writes that storage refused (a *storagegate.Gate):
// Observe returns true when err is such a refusal, which it reports itself.
type StorageGate interface {
	Observe(err error) bool
}

// Options configure an Executor.
type Options struct {
	// Storage, when not nil, is told of every write that failed; a storage
	// refusal is then not logged per run (the gate logs it once a minute).
	Storage StorageGate
	Catalog *catalog.Catalog
	// Dispatchers by kind.
	Dispatchers map[string]Dispatcher
	// Publisher records outcomes (results, failures, dead letters, retries).
	Publisher Publisher
	// Timers makes the durable timer of a retry.
	Timers Timers
	// Records finishes job records; required when runs have records.
	Records RecordKeeper
	// Steps advances feature runs; required when features are configured.
	Steps StepKeeper
	// Secret resolves $Secret{KEY}.
	Secret func(string) (string, error)
	// PluginSecrets are, by kind, the secret values resolved into a plugin's
	// configuration: scrubbed from every run of that plugin.
	PluginSecrets map[string][]string
	// Variables and Constants for piping, by app.
	Variables map[string]map[string]any
	Constants map[string]map[string]any
	// MaxEventBytes is the largest usable event body (for dead letters'
	// copies of events).
	MaxEventBytes int
	// MaxEventDepth is how deeply events and plugin outputs may nest;
	// defaults to config.MaxEventDepthDefault.
	MaxEventDepth int
	Logger        *slog.Logger
	Metrics       *metrics.Metrics
	// Clock is the time source of every decision that depends on time.
	// Defaults to the real clock.
	Clock clockwork.Clock
}

// Executor runs attempts: it resolves a run's input, sends it to its
// plugin, applies the failure policy to the answer and records the
// outcome (or the retry's timer), then settles the run's delivery.
type Executor struct {
	o      Options
	log    *slog.Logger
	pub    Publisher
	ctx    context.Context // cancelled by Stop: attempts not yet sent are left for redelivery
	cancel context.CancelFunc

	// logLimit keeps transient failures (a server restarting) to one
	// WARN per cause per interval.
	logLimit lograte.Limiter
}

// NewExecutor returns an executor; it runs until Stop.
func NewExecutor(o Options) *Executor {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Executor{o: o, log: o.Logger, pub: o.Publisher, ctx: ctx, cancel: cancel}
}

// Start does nothing: an executor runs attempts as they are given to it.
// It is here so the executor has the lifecycle of every part.
func (r *Executor) Start(context.Context) error { return nil }

// SetRecords sets the record keeper (the jobs manager, which is built
// after the executor).
func (r *Executor) SetRecords(k RecordKeeper) { r.o.Records = k }

// SetSteps sets the step keeper (the feature manager, which is built
// after the executor).
func (r *Executor) SetSteps(k StepKeeper) { r.o.Steps = k }

// Stop makes attempts that have not reached their plugin yet fail over to
// redelivery. It does not wait: the deliveries' tracker does. Safe to call
// more than once.
func (r *Executor) Stop(context.Context) { r.cancel() }

// FailNow ends a run at once with a permanent failure under its policy.
func (r *Executor) FailNow(ru *Run, class, format string, args ...any) {
	r.finish(ru, policy.Decide(policy.Attempt{Outcome: policy.Permanent, AllowFail: ru.AllowFail}, ru.Job.Backoff), host.Result{},
		&wire.ErrorInfo{Message: fmt.Sprintf(format, args...), Class: class})
}

// Attempt resolves the input and sends the job to its plugin.
func (r *Executor) Attempt(ru *Run) {
	j := ru.Job
	now := r.o.Clock.Now()
	env := &piping.Env{
		Input:    ru.Ev.Input,
		Sequence: ru.Ev.Sequence,
		Variable: r.o.Variables,
		Constant: r.o.Constants,
		Secret:   r.o.Secret,
		Now:      now,
		Job:      piping.JobInfo{Event: j.Event, Attempt: ru.Attempt, Execution: ru.Execution},
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
		r.FailNow(ru, wire.ClassPiping, "job %q: %v", j.Event, err)
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
		r.FailNow(ru, wire.ClassNoPlugin, "job %q: no plugin serves kind %q", j.Event, j.Kind)
		return
	}
	// The attempt's deadline and duration are real time, whatever the
	// clock says: the plugin enforces the deadline with its own. The
	// deadline starts when the job has one of the plugin's slots, so the
	// wait for a slot never eats the plugin's time.
	hj := host.Job{
		JobID: ru.JobID, RunID: ru.RunID, Event: j.Event, Kind: j.Kind, Input: body,
		Attempt: ru.Attempt, MaxAttempts: ru.MaxAttempts, IdempotencyKey: ru.RunID,
	}
	queuedAt := time.Now()
	err = disp.Dispatch(r.ctx, hj, j.Timeout, func(res host.Result, started time.Time) {
		ru.startedAt, ru.queued = started, started.Sub(queuedAt)
		r.observeQueue(j.Kind, ru.queued)
		r.complete(ru, res)
	})
	switch {
	case err == nil:
	case errors.Is(err, dispatch.ErrQueueTimeout):
		// Every slot stayed busy: a retryable failure of this attempt,
		// which never reached the plugin.
		ru.queueFull = true
		r.observeQueue(j.Kind, time.Since(queuedAt))
		r.complete(ru, host.Result{Outcome: host.Retry, Error: err.Error()})
	default:
		// Stopping: leave the message for redelivery.
		ru.D.Settle(false)
	}
}

// observeQueue records an attempt's wait for a plugin slot.
func (r *Executor) observeQueue(kind string, d time.Duration) {
	if m := r.o.Metrics; m != nil {
		m.Queue.WithLabelValues(kind).Observe(d.Seconds())
	}
}

// complete applies the failure policy to a plugin's answer.
func (r *Executor) complete(ru *Run, res host.Result) {
	j := ru.Job
	r.limitOutput(&res)
	if len(ru.secrets) > 0 {
		res.Error = string(scrub([]byte(res.Error), ru.secrets))
	}
	a := policy.Attempt{Number: ru.Attempt, MaxAttempts: ru.MaxAttempts, AllowFail: ru.AllowFail, RetryAfter: res.RetryAfter}
	var info *wire.ErrorInfo
	switch res.Outcome {
	case host.OK:
		a.Outcome = policy.Succeeded
	case host.Permanent:
		a.Outcome = policy.Permanent
		info = &wire.ErrorInfo{Message: res.Error, Class: wire.ClassPermanent}
		if res.NoPlugin {
			info.Class = wire.ClassNoPlugin
		}
	default:
		a.Outcome = policy.Retryable
		info = &wire.ErrorInfo{Message: res.Error, Class: wire.ClassRetryable}
		if res.Crashed {
			info.Class = wire.ClassCrash
		} else if ru.queueFull {
			info.Class = wire.ClassTimeout
		} else if !ru.startedAt.IsZero() && j.Timeout > 0 && time.Since(ru.startedAt) >= j.Timeout {
			info.Class = wire.ClassTimeout
		}
	}
	if m := r.o.Metrics; m != nil {
		jm := m.Job(j.Event)
		jm.Attempt(res.Outcome.String())
		if !ru.startedAt.IsZero() {
			jm.Duration.Observe(time.Since(ru.startedAt).Seconds())
		}
	}
	dec := policy.Decide(a, j.Backoff)
	if dec.Action == policy.Retry {
		if dec.Capped {
			r.log.Warn("attempt failed; the plugin asked for a longer delay than backoff.max_retry_after: capped",
				"job_id", ru.JobID, "run_id", ru.RunID, "event", j.Event, "kind", j.Kind, "attempt", ru.Attempt,
				"retry_after", res.RetryAfter, "delay", dec.Delay, "error", res.Error)
		} else {
			r.log.Info("attempt failed; will retry", "job_id", ru.JobID, "run_id", ru.RunID, "event", j.Event, "kind", j.Kind,
				"attempt", ru.Attempt, "delay", dec.Delay, "error", res.Error)
		}
		at := ru.attemptInfo(time.Now(), info)
		at.Delay = dec.Delay.String()
		if res.RetryAfter > 0 {
			at.RetryAfter = res.RetryAfter.String()
		}
		at.DelayCapped = dec.Capped
		ru.AttemptLog = append(ru.AttemptLog, at)
		r.retry(ru, dec.Delay, info)
		return
	}
	r.finish(ru, dec, res, info)
}

// retry stores the run behind a durable timer for its next attempt.
func (r *Executor) retry(ru *Run, delay time.Duration, info *wire.ErrorInfo) {
	next := ru.Attempt + 1
	rec := Record{
		RunID: ru.RunID, JobID: ru.JobID, Event: ru.Job.Event, Attempt: next,
		Subject: ru.Subject, ReceivedAt: ru.ReceivedAt,
		Input: ru.Ev.RawInput, Sequence: ru.Ev.RawSeq, LastError: info,
		Execution: ru.Execution, Record: ru.HasRecord, ScheduledAt: ru.ScheduledAt, Overrides: ru.Overrides,
		AttemptLog: ru.AttemptLog, Replay: ru.Replay,
		Step: ru.Job.Step,
	}
	body, _ := json.Marshal(rec)
	at := r.o.Clock.Now().Add(delay)
	msg := r.o.Timers.Message(streams.RunsSubjectPrefix+ru.Job.Event, ru.msgID(strconv.Itoa(next)), at, body)
	r.pub.Publish(msg, func(err error) {
		if err != nil && !r.refused(err) {
			r.logLimit.Problem(r.log, slog.LevelError, "could not store retry; the event will be redelivered", err, "run_id", ru.RunID)
		}
		ru.D.Settle(err == nil)
	})
}

// finish records a final outcome: the result, and for a failure that fails
// the sequence a failure report and a dead letter.
func (r *Executor) finish(ru *Run, dec policy.Decision, res host.Result, info *wire.ErrorInfo) {
	j := ru.Job
	now := time.Now() // a result's timings are real time, like the stream's received_at
	status := dec.Action.Status()
	result := wire.Result{
		JobID: ru.JobID, RunID: ru.RunID, Event: j.Event, Kind: j.Kind, Status: status,
		Attempts: ru.Attempt, Subject: ru.Subject, ReceivedAt: ru.ReceivedAt, FinishedAt: now,
		Error: info, Input: ru.input, Output: res.Output,
	}
	if !ru.startedAt.IsZero() {
		s := ru.startedAt
		result.StartedAt = &s
		result.DurationMS = float64(now.Sub(s).Microseconds()) / 1000
		result.QueuedMS = float64(ru.queued.Microseconds()) / 1000
	}
	if len(ru.secrets) > 0 {
		result.Output = scrub(result.Output, ru.secrets)
		if info != nil {
			info.Message = string(scrub([]byte(info.Message), ru.secrets))
		}
	}
	if info == nil && status != policy.StatusCompleted {
		result.Error = &wire.ErrorInfo{Message: "failed", Class: wire.ClassRetryable}
	}
	if len(ru.AttemptLog) > 0 {
		result.AttemptLog = append(ru.AttemptLog[:len(ru.AttemptLog):len(ru.AttemptLog)], ru.attemptInfo(now, result.Error))
	}
	body := AppendResult(make([]byte, 0, 512+len(result.Input)+len(result.Output)), &result)
	msgs := []*nats.Msg{newMsg(streams.ResultSubjectPrefix+j.Event, body, ru.msgID("result"))}
	if dec.Action == policy.Fail {
		msgs = append(msgs, newMsg(streams.FailedSubjectPrefix+j.Event, body, ru.msgID("failed")))
		dl := wire.DeadLetter{Result: result, Trigger: r.trigger(ru), Step: j.Step}
		if result.Error != nil {
			dl.Reason = result.Error.Message
		}
		if ru.Ev != nil {
			dl.Sequence = ru.Ev.RawSeq
		}
		dlBody, _ := json.Marshal(&dl)
		msgs = append(msgs, newMsg(streams.DLQSubjectPrefix+j.Event, dlBody, ru.msgID("dlq")))
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
	step := ru.Job.Step != "" && r.o.Steps != nil
	var recorded *wire.Result // a copy, so result itself stays off the heap
	if ru.HasRecord || step {
		cp := result
		recorded = &cp
	}
	publishAll(r.pub, msgs, func(err error) {
		if err != nil && !r.refused(err) {
			r.logLimit.Problem(r.runLog(ru, status), slog.LevelError, "could not record the outcome; the message will be redelivered", err)
		}
		if recorded != nil && err == nil {
			go func() {
				if ru.HasRecord {
					r.o.Records.FinishRecord(ru, recorded)
				}
				ok := true
				if step {
					// A feature's step: its output is recorded in the
					// feature run before its message is acknowledged.
					if err := r.o.Steps.FinishStep(ru, recorded); err != nil {
						r.runLog(ru, status).Error("could not advance the feature run; the step will be redelivered", "error", err)
						ok = false
					}
				}
				ru.D.Settle(ok)
			}()
			return
		}
		ru.D.Settle(err == nil)
	})
}

// refused tells the storage gate of a failed write; true when storage
// refused it (the gate has reported it).
func (r *Executor) refused(err error) bool {
	return r.o.Storage != nil && r.o.Storage.Observe(err)
}

// runLog returns the log with a run's ids; built only for a line that is
// written.
func (r *Executor) runLog(ru *Run, status string) *slog.Logger {
	return r.log.With("job_id", ru.JobID, "run_id", ru.RunID, "event", ru.Job.Event, "kind", ru.Job.Kind, "attempt", ru.Attempt, "status", status)
}

// trigger returns the event a run came from, for its dead letter.
func (r *Executor) trigger(ru *Run) *wire.TriggerEvent {
	if ru.FromRun {
		return &wire.TriggerEvent{Subject: ru.Subject, Data: ru.Ev.RawInput, Size: len(ru.Ev.RawInput)}
	}
	msg := ru.D.Msg()
	return r.triggerOfLimited(msg.Subject(), msg.Data(), msg.Headers())
}

func newMsg(subject string, data []byte, id string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set(nats.MsgIdHdr, id)
	return m
}
