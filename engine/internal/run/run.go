// Package run is where a run's attempt goes to its plugin and its outcome
// is decided: the Executor resolves the job's input template, sends the job
// to the plugin of its kind, applies the failure policy (package policy) to
// the answer, and records the outcome — a result, a failure report and a
// dead letter, or the durable timer of the next attempt — before it settles
// the run's delivery.
package run

import (
	"bytes"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// Delivery is the stream message a run came from. Settling the last of its
// runs acknowledges it (or asks for redelivery).
type Delivery interface {
	// Settle marks one run settled; ok=false asks for redelivery instead
	// of an ack (the outcome could not be recorded).
	Settle(ok bool)
	// Msg is the message, for a dead letter's copy of the event.
	Msg() jetstream.Msg
}

// Run is one run of one job, through its current attempt.
type Run struct {
	D          Delivery
	Job        *catalog.Job
	RunID      string
	JobID      string
	Attempt    int
	Subject    string
	ReceivedAt time.Time
	Ev         *Event
	// FromRun is true when the run came from a run record (a retry, a
	// scheduled occurrence, a dispatch) rather than straight from its event.
	FromRun bool

	// Policy for this run: the job's, or a dispatch request's overrides.
	MaxAttempts int
	AllowFail   bool
	// Execution is the run's number in its series (from 1).
	Execution int
	// HasRecord is true when the run belongs to a job record (scheduled,
	// recurring or dispatched jobs), which it updates as it finishes.
	HasRecord   bool
	ScheduledAt time.Time
	// JobRecord is the job record as this run last wrote it, at revision
	// JobRev (nil when it has not), so finishing it needs no second read.
	JobRecord *wire.Record
	JobRev    uint64
	Overrides Overrides
	// AttemptLog holds the run's earlier attempts (carried in its run
	// record from retry to retry), or a replay's origin.
	AttemptLog []wire.AttemptInfo
	// Replay is the dead letter's sequence when the run is a replay of a
	// dead run under its own run id (and idempotency key), else 0.
	Replay uint64
	// StepState is the step keeper's own note on a feature step (the
	// feature run as read before the attempt); the executor never reads it.
	StepState any

	startedAt time.Time
	// queued is how long the attempt waited for a plugin slot; queueFull
	// is true when it waited the plugin's queue_timeout in vain.
	queued    time.Duration
	queueFull bool
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

// Overrides are a dispatch request's retries and allow_fail.
type Overrides struct {
	Retries   *int  `json:"retries,omitempty"`
	AllowFail *bool `json:"allow_fail,omitempty"`
}

// New fills a run's policy from its job and overrides.
func New(ru *Run, j *catalog.Job, o Overrides) *Run {
	ru.Job = j
	ru.Overrides = o
	ru.MaxAttempts, ru.AllowFail = j.MaxAttempts, j.AllowFail
	if o.Retries != nil {
		ru.MaxAttempts = *o.Retries + 1
	}
	if o.AllowFail != nil {
		ru.AllowFail = *o.AllowFail
	}
	if ru.Execution == 0 {
		ru.Execution = 1
	}
	return ru
}

// attemptInfo describes the current attempt, ended at end with err.
func (ru *Run) attemptInfo(end time.Time, err *wire.ErrorInfo) wire.AttemptInfo {
	a := wire.AttemptInfo{Number: ru.Attempt, EndedAt: end.UTC(), Error: err}
	// A replay's first attempt follows the dead run's last, the one
	// attempt in the log that led to no retry (no delay).
	if n := len(ru.AttemptLog); ru.Replay > 0 && (n == 0 || ru.AttemptLog[n-1].Delay == "") {
		a.Replay = "dlq " + strconv.FormatUint(ru.Replay, 10)
	}
	if !ru.startedAt.IsZero() {
		s := ru.startedAt
		a.StartedAt = &s
		a.DurationMS = float64(end.Sub(s).Microseconds()) / 1000
	}
	if err != nil {
		e := *err
		a.Error = &e
	}
	return a
}

// msgID names one of the run's messages (a result, a dead letter, a
// retry's timer): "<run>/<what>", or "<run>/replay<seq>/<what>" for a
// replay, so that a replay's messages are not duplicates of the dead run's.
func (ru *Run) msgID(what string) string {
	if ru.Replay > 0 {
		return ru.RunID + "/replay" + strconv.FormatUint(ru.Replay, 10) + "/" + what
	}
	return ru.RunID + "/" + what
}
