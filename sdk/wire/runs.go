package wire

import (
	"encoding/json"
	"time"
)

// Run statuses beside a Result's: a run that is not finished.
const (
	// StatusWaiting is a run waiting in a durable timer for its next
	// attempt (a retry).
	StatusWaiting = "waiting"
)

// RunSummary is one run in the reply of runs.list (one line of `jobd runs
// ls`): a finished run from its Result, or a run waiting for a retry.
type RunSummary struct {
	// RunID is the run's id, its idempotency key.
	RunID string `json:"run_id"`
	// JobID is the job the run belongs to (the run id for a run an event
	// started straight away).
	JobID string `json:"job_id"`
	// Event is the job's event tag.
	Event string `json:"event"`
	// Kind is the plugin kind; empty for a waiting run.
	Kind string `json:"kind,omitempty"`
	// Status is StatusCompleted, StatusFailedAllowed, StatusFailed,
	// StatusWaiting, or StatusCancelled for a waiting run that was
	// cancelled (its retry will be dropped).
	Status string `json:"status"`
	// Attempts is the number of attempts made (for a waiting run, so far).
	Attempts int `json:"attempts"`
	// Subject is the subject of the event that started the run.
	Subject string `json:"subject,omitempty"`
	// ReceivedAt is when jobd received the event.
	ReceivedAt time.Time `json:"received_at"`
	// FinishedAt is when the run finished; nil while it waits.
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// NextAttemptAt is when a waiting run's next attempt is due.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	// DurationMS is the last attempt's duration in milliseconds.
	DurationMS float64 `json:"duration_ms,omitempty"`
	// Error is the run's (or, while it waits, its last attempt's) error.
	Error *ErrorInfo `json:"error,omitempty"`
}

// RunInfo answers runs.get (`jobd runs show`): a run's final result, or
// the attempt it waits for.
type RunInfo struct {
	RunSummary
	// Result is the finished run's result (input redacted, output,
	// timings, the attempt log of a run that retried).
	Result *Result `json:"result,omitempty"`
	// Waiting is the next attempt of a run waiting for a retry.
	Waiting *WaitingRun `json:"waiting,omitempty"`
	// Cancelled is true when the run was cancelled while it waited: its
	// next attempt will not run.
	Cancelled bool `json:"cancelled,omitempty"`
}

// WaitingRun is a run's next attempt, waiting in a durable timer.
type WaitingRun struct {
	// Attempt is the number of the attempt that waits.
	Attempt int `json:"attempt"`
	// At is when it is due.
	At time.Time `json:"at"`
	// Input is the event's data the run resolves its input from.
	Input json.RawMessage `json:"input,omitempty"`
	// AttemptLog lists the attempts so far.
	AttemptLog []AttemptInfo `json:"attempt_log,omitempty"`
}

// RunCancelReply answers runs.cancel.
type RunCancelReply struct {
	// RunID is the cancelled run.
	RunID string `json:"run_id"`
	// JobID is the job record that now says cancelled (the run's own for
	// a run an event started).
	JobID string `json:"job_id"`
	// Attempt is the attempt that will not run.
	Attempt int `json:"attempt"`
}
