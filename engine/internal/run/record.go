package run

import (
	"encoding/json"
	"time"

	"github.com/jobd-dev/jobd/sdk/wire"
)

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
	LastError  *wire.ErrorInfo `json:"last_error,omitempty"`
	// Occurrence is set on the first attempt of a scheduled occurrence:
	// firing it advances the job's series.
	Occurrence  int       `json:"occurrence,omitempty"`
	ScheduledAt time.Time `json:"scheduled_at,omitempty"`
	Execution   int       `json:"execution,omitempty"`
	// Record is true when a job record tracks the run.
	Record    bool      `json:"record,omitempty"`
	Overrides Overrides `json:"overrides,omitempty"`
	// AttemptLog holds the run's attempts so far, for its result.
	AttemptLog []wire.AttemptInfo `json:"attempt_log,omitempty"`
	// Replay is the dead letter's sequence when the run is a replay under
	// its own run id: its messages get ids of their own.
	Replay uint64 `json:"replay,omitempty"`
	// Step is set on a feature's event: its key (catalog.StepKey), by which
	// the job is found, while Event is what the plugin is asked to run.
	Step string `json:"step,omitempty"`
}
