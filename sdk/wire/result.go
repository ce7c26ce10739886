package wire

import (
	"encoding/json"
	"time"
)

// Error classes: ErrorInfo.Class in results, dead letters and job records
// says why a run failed.
const (
	// ClassRetryable is the plugin's retryable error, once the attempts are
	// spent.
	ClassRetryable = "retryable"
	// ClassPermanent is an error the plugin said will fail again.
	ClassPermanent = "permanent"
	// ClassTimeout means the plugin gave no answer by the job's deadline.
	ClassTimeout = "timeout"
	// ClassCrash means the plugin process died or was unreachable.
	ClassCrash = "plugin_crash"
	// ClassPiping means the job's input template could not be resolved.
	ClassPiping = "piping"
	// ClassInvalidEvent means the event was not usable input (not JSON, not
	// an object, too large, or a bad envelope).
	ClassInvalidEvent = "invalid_event"
	// ClassNoPlugin means no plugin serves the job's kind.
	ClassNoPlugin = "no_plugin"
	// ClassRedelivered means the run was delivered too often without
	// finishing.
	ClassRedelivered = "redelivered"
)

// Result is what jobd publishes on ResultSubjectPrefix+<event> for every
// finished run, and on FailedSubjectPrefix+<event> for a failure that fails
// the sequence (allow_fail false).
type Result struct {
	// JobID is the job the run belongs to.
	JobID string `json:"job_id"`
	// RunID is the run's id, the same on every attempt of the run.
	RunID string `json:"run_id"`
	// Event is the job's event tag.
	Event string `json:"event"`
	// Kind is the plugin kind that ran the job.
	Kind string `json:"kind"`
	// Status is StatusCompleted, StatusFailedAllowed or StatusFailed.
	Status string `json:"status"`
	// Attempts is the number of attempts the run took.
	Attempts int `json:"attempts"`
	// Subject is the subject of the event that triggered the run.
	Subject string `json:"subject,omitempty"`
	// ReceivedAt is when jobd received the event (or the run fell due).
	ReceivedAt time.Time `json:"received_at"`
	// StartedAt is when the last attempt went to the plugin; nil when no
	// attempt did (the input could not be resolved, no plugin serves the
	// kind).
	StartedAt *time.Time `json:"started_at,omitempty"`
	// FinishedAt is when the run finished.
	FinishedAt time.Time `json:"finished_at"`
	// DurationMS is the last attempt's duration in milliseconds, 0 when
	// StartedAt is nil.
	DurationMS float64 `json:"duration_ms"`
	// QueuedMS is how long the last attempt waited for one of its plugin's
	// concurrency slots before it went to the plugin, in milliseconds; the
	// attempt's timeout starts after this wait. Absent when there was no
	// wait or StartedAt is nil.
	QueuedMS float64 `json:"queued_ms,omitempty"`
	// Error is why the run failed; nil when it completed.
	Error *ErrorInfo `json:"error,omitempty"`
	// Input is the job's resolved input, secrets redacted.
	Input json.RawMessage `json:"input,omitempty"`
	// Output is the plugin's output.
	Output json.RawMessage `json:"output,omitempty"`
	// AttemptLog lists the run's attempts, oldest first, when it took more
	// than one (or was replayed); a run of one attempt is described by the
	// fields above alone.
	AttemptLog []AttemptInfo `json:"attempt_log,omitempty"`
}

// AttemptInfo is one attempt of a run, in Result.AttemptLog.
type AttemptInfo struct {
	// Number is the attempt's number, from 1; a replay is the next
	// attempt of the run it replays.
	Number int `json:"number"`
	// StartedAt is when the attempt went to the plugin; nil when it did
	// not.
	StartedAt *time.Time `json:"started_at,omitempty"`
	// EndedAt is when the attempt ended.
	EndedAt time.Time `json:"ended_at"`
	// DurationMS is the attempt's duration in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Error is why the attempt failed; nil when it succeeded.
	Error *ErrorInfo `json:"error,omitempty"`
	// Delay is the wait before the next attempt (a Go duration), empty
	// for the last attempt.
	Delay string `json:"delay,omitempty"`
	// RetryAfter is the delay the plugin asked for (a Go duration), when
	// it asked.
	RetryAfter string `json:"retry_after,omitempty"`
	// DelayCapped is true when the plugin asked for a longer delay than
	// the job's backoff.max_retry_after, which Delay is then.
	DelayCapped bool `json:"delay_capped,omitempty"`
	// Replay names the dead letter a replay started from
	// ("dlq <seq>"); a replay's first attempt carries it.
	Replay string `json:"replay,omitempty"`
}

// ErrorInfo describes why a run failed.
type ErrorInfo struct {
	// Message is the error's text.
	Message string `json:"message"`
	// Class is one of the Class constants.
	Class string `json:"class"`
}

// DeadLetter is kept in the dead-letter stream (StreamDLQ, subject
// DLQSubjectPrefix+<event>) for a run that failed with allow_fail false: the
// result, the reason, and the event as it arrived, so it can be inspected
// and replayed. Its JSON is the Result's fields beside its own.
type DeadLetter struct {
	Result
	// Reason says in a sentence why the run is dead.
	Reason string `json:"reason"`
	// Trigger is the event the run came from: for a run that waited in the
	// runs stream (a retry, a scheduled or dispatched job), its stored input.
	Trigger *TriggerEvent `json:"trigger,omitempty"`
	// Sequence holds earlier events' outputs the run had, as in Envelope.
	Sequence json.RawMessage `json:"sequence,omitempty"`
	// Step is set when the run was an event of a feature run (JobID):
	// <feature>/<sequence>/<event>. Replaying the dead letter resumes that
	// feature run at this event, with the outputs recorded before it.
	Step string `json:"step,omitempty"`
}

// TriggerEvent is the event a dead run came from.
type TriggerEvent struct {
	// Subject is the event's subject.
	Subject string `json:"subject"`
	// Headers are the event's headers, one value each.
	Headers map[string]string `json:"headers,omitempty"`
	// Data is the event's body when it is JSON.
	Data json.RawMessage `json:"data,omitempty"`
	// Text is the event's body when it is not JSON.
	Text string `json:"text,omitempty"`
	// Size is the body's size in bytes.
	Size int `json:"size"`
	// Truncated is true when Data or Text holds only the start of the body.
	Truncated bool `json:"truncated,omitempty"`
}
