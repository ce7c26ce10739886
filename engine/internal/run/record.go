package run

import (
	"encoding/json"
	"time"
)

// Error classes in results and dead letters.
const (
	ClassRetryable    = "retryable"     // the plugin's retryable error, attempts spent
	ClassPermanent    = "permanent"     // the plugin said it will fail again
	ClassTimeout      = "timeout"       // no answer by the deadline
	ClassCrash        = "plugin_crash"  // the plugin process died or was unreachable
	ClassPiping       = "piping"        // the input template could not be resolved
	ClassInvalidEvent = "invalid_event" // the event was not usable input
	ClassNoPlugin     = "no_plugin"     // no plugin serves the job's kind
	ClassRedelivered  = "redelivered"   // delivered too often without finishing
)

// Result is what jobd publishes on jobd.result.<event> for every finished
// run, and on jobd.failed.<event> for a failure that fails the sequence.
type Result struct {
	JobID      string          `json:"job_id"`
	RunID      string          `json:"run_id"`
	Event      string          `json:"event"`
	Kind       string          `json:"kind"`
	Status     string          `json:"status"`
	Attempts   int             `json:"attempts"`
	Subject    string          `json:"subject,omitempty"`
	ReceivedAt time.Time       `json:"received_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt time.Time       `json:"finished_at"`
	DurationMS float64         `json:"duration_ms"`
	Error      *ErrorInfo      `json:"error,omitempty"`
	Input      json.RawMessage `json:"input,omitempty"`
	Output     json.RawMessage `json:"output,omitempty"`
}

// ErrorInfo describes why a run failed.
type ErrorInfo struct {
	Message string `json:"message"`
	Class   string `json:"class"`
}

// DeadLetter is kept in the dead-letter stream (jobd.dlq.<event>) for a run
// that failed with allow_fail false: the result, the reason, and the event
// as it arrived, so it can be inspected and replayed.
type DeadLetter struct {
	Result
	Reason   string          `json:"reason"`
	Trigger  *TriggerEvent   `json:"trigger,omitempty"`
	Sequence json.RawMessage `json:"sequence,omitempty"`
}

// TriggerEvent is the event a dead run came from.
type TriggerEvent struct {
	Subject   string            `json:"subject"`
	Headers   map[string]string `json:"headers,omitempty"`
	Data      json.RawMessage   `json:"data,omitempty"`
	Text      string            `json:"text,omitempty"`
	Size      int               `json:"size"`
	Truncated bool              `json:"truncated,omitempty"`
}

// Record is a run waiting for its next attempt, as stored behind a timer
// in the runs stream.
type Record struct {
	RunID      string          `json:"run_id"`
	JobID      string          `json:"job_id"`
	Event      string          `json:"event"`
	Attempt    int             `json:"attempt"`
	Subject    string          `json:"subject"`
	ReceivedAt time.Time       `json:"received_at"`
	Input      json.RawMessage `json:"input"`
	Sequence   json.RawMessage `json:"sequence,omitempty"`
	LastError  *ErrorInfo      `json:"last_error,omitempty"`
	// Occurrence is set on the first attempt of a scheduled occurrence:
	// firing it advances the job's series.
	Occurrence  int       `json:"occurrence,omitempty"`
	ScheduledAt time.Time `json:"scheduled_at,omitempty"`
	Execution   int       `json:"execution,omitempty"`
	// Record is true when a job record tracks the run.
	Record    bool      `json:"record,omitempty"`
	Overrides Overrides `json:"overrides,omitempty"`
}
