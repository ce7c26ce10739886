package host

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"
)

// Options configure one plugin process.
type Options struct {
	// Kind is the job kind the plugin is started for.
	Kind string
	// Path is the plugin executable.
	Path string
	// SHA256 pins the executable's hex SHA-256; empty means no pin.
	SHA256 string
	// Config is the plugin's configuration as a JSON object.
	Config json.RawMessage
	// DataDir is the folder the plugin may write to; created when missing.
	DataDir string
	// Env lists the only environment variables the plugin gets, as
	// KEY=VALUE. The plugin does not inherit jobd's environment.
	Env []string
	// Logger receives the plugin's log lines. Defaults to slog.Default().
	Logger *slog.Logger
	// Publish serves the plugin's publish callback; nil refuses it.
	Publish func(ctx context.Context, subject string, data []byte, headers map[string]string) error
	// StartTimeout bounds start, handshake, Info and Configure. Defaults to
	// 30 seconds.
	StartTimeout time.Duration
	// DeadlineGrace is how long after a job's deadline the host waits for
	// the plugin's answer before answering for it. Defaults to 2 seconds.
	DeadlineGrace time.Duration
}

// Info is what a plugin says about itself.
type Info struct {
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Kinds        []string        `json:"kinds"`
	APIVersion   int             `json:"api_version"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"input_schema,omitempty"`
	SampleConfig string          `json:"-"`
}

// Outcome classifies a result.
type Outcome int

// The outcomes of a job.
const (
	// OK means the job succeeded.
	OK Outcome = iota + 1
	// Retry means the job failed and may succeed on another attempt.
	Retry
	// Permanent means the job failed and will fail again.
	Permanent
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Retry:
		return "retry"
	case Permanent:
		return "permanent"
	}
	return "unknown"
}

// Job is one job to run.
type Job struct {
	JobID          string
	RunID          string
	Event          string
	Kind           string
	Input          []byte
	Attempt        int
	MaxAttempts    int
	Deadline       time.Time
	IdempotencyKey string
}

// Result is a plugin's answer for one job, or the host's answer when the
// plugin could not give one (crash, deadline). It is the one result type of
// the host side: jobd's engine and sdk/sdktest both use it.
type Result struct {
	Outcome Outcome
	// Error is the failure message when Outcome is not OK.
	Error string
	// RetryAfter is the delay the plugin asked for (sdk.RetryAfter).
	RetryAfter time.Duration
	// Output is the job's output as JSON, or nil.
	Output json.RawMessage
	// Crashed is true when the plugin process failed rather than the job.
	Crashed bool
	// NoPlugin is true when no plugin could take the job: the plugin was
	// refused at start (sha256 pin, API version, kind, missing executable;
	// Error says which), so the job never reached one. Outcome is
	// Permanent.
	NoPlugin bool
	// TimedOut is true when the plugin did not answer by the job's deadline
	// (or its cancellation) plus the grace period, and the host answered for
	// it: Outcome Retry.
	TimedOut bool
}

// Decode unmarshals the result's output into v.
func (r Result) Decode(v any) error {
	if len(r.Output) == 0 {
		return errors.New("the result has no output")
	}
	return json.Unmarshal(r.Output, v)
}
