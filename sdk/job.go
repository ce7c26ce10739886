package sdk

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// Job is one run of a job, as a plugin receives it.
type Job struct {
	// ID is the job's id; a recurring series keeps one id across its runs.
	ID string
	// RunID identifies this run; it stays the same across retries.
	RunID string
	// Event is the job's event tag, such as "send_notification".
	Event string
	// Kind is the job's kind, such as "notification".
	Kind string
	// Input is the job's resolved input, a JSON value.
	Input json.RawMessage
	// Attempt is the attempt number, from 1.
	Attempt int
	// MaxAttempts is the most attempts the run gets (retries + 1).
	MaxAttempts int
	// Deadline is when the attempt times out (zero when none).
	Deadline time.Time
	// IdempotencyKey is the same for every attempt of the run: use it to
	// make a side effect happen once (a Message-ID, a database key, an
	// Idempotency-Key header).
	IdempotencyKey string
	// Host lets the handler publish events through jobd.
	Host Host
	// Log writes to jobd's log with the job's ids attached.
	Log *slog.Logger
}

// Decode unmarshals the job's input into v. A failure is a permanent error:
// the same input will not decode on the next attempt either.
func (j *Job) Decode(v any) error {
	if err := json.Unmarshal(j.Input, v); err != nil {
		return Permanent(fmt.Errorf("decode input: %w", err))
	}
	return nil
}

// LastAttempt reports whether this is the run's last attempt.
func (j *Job) LastAttempt() bool { return j.Attempt >= j.MaxAttempts }
