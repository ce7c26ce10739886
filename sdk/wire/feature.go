package wire

import (
	"encoding/json"
	"time"
)

// Statuses of a feature event in FeatureRun.Events, beside
// StatusCompleted, StatusFailedAllowed and StatusFailed.
const (
	// StatusPending is an event that has not started.
	StatusPending = "pending"
	// StatusSkipped is an event whose when was false.
	StatusSkipped = "skipped"
	// StatusStarted is a job event: started, not waited for (void).
	StatusStarted = "started"
)

// FeatureRun is the state of one run of a feature, kept in BucketFeatures
// under its id and updated with compare-and-set as each event ends; its
// last form is the FeatureResult published on
// FeatureResultSubjectPrefix+<feature>.
type FeatureRun struct {
	// ID is the feature run's id; each event's run id is
	// <id>/<sequence>/<event>, its plugin's idempotency key.
	ID string `json:"id"`
	// Feature is the feature's tag.
	Feature string `json:"feature"`
	// Status is StatusRunning, StatusCompleted, StatusFailed or
	// StatusCancelled.
	Status string `json:"status"`
	// Subject is the subject of the event that started the run.
	Subject string `json:"subject,omitempty"`
	// ReceivedAt is when jobd received that event.
	ReceivedAt time.Time `json:"received_at"`
	// FinishedAt is when the run ended; nil while it runs.
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Input is the feature's $Input.
	Input json.RawMessage `json:"input"`
	// Position is the index (in Events) of the event in flight; the number
	// of events once the run ended.
	Position int `json:"position"`
	// Events lists every event of the feature in the order they run.
	Events []FeatureEventState `json:"events"`
	// Sequence holds the recorded outputs, $Sequence{sequence}{event}:
	// a step's output, {"status": "failed_allowed", "error": {…}} for a
	// step that failed with allow_fail, {"status": "skipped"} for a
	// skipped one. Job events are void and have none.
	Sequence map[string]map[string]json.RawMessage `json:"sequence"`
	// Error is why the run failed; nil otherwise.
	Error *FeatureError `json:"error,omitempty"`
	// Replays counts the replays of a failed event (jobd dlq replay) that
	// resumed the run.
	Replays int `json:"replays,omitempty"`
	// Parent is set on a nested run: the run of a feature step of another
	// feature run, which waits for it.
	Parent *FeatureParent `json:"parent,omitempty"`
}

// FeatureParent is the step a nested feature run was started for.
type FeatureParent struct {
	// ID is the parent feature run's id.
	ID string `json:"id"`
	// Step is the step's key, <feature>/<sequence>/<event>.
	Step string `json:"step"`
	// RunID is the step's run id.
	RunID string `json:"run_id"`
}

// FeatureResult is what jobd publishes when a feature run ends.
type FeatureResult = FeatureRun

// FeatureEventState is one event of a feature run.
type FeatureEventState struct {
	// Sequence and Event are the event's tags.
	Sequence string `json:"sequence"`
	Event    string `json:"event"`
	// Kind is the plugin kind that runs it.
	Kind string `json:"kind"`
	// Job is true for a job event (void).
	Job bool `json:"job,omitempty"`
	// RunID is the event's run id (and idempotency key).
	RunID string `json:"run_id"`
	// Status is StatusPending, StatusRunning, StatusCompleted,
	// StatusFailedAllowed, StatusFailed, StatusSkipped or StatusStarted.
	Status string `json:"status"`
	// Attempts is the number of attempts the step took.
	Attempts int `json:"attempts,omitempty"`
	// FinishedAt is when the event ended (or a job event was started).
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Error is why the step failed.
	Error *ErrorInfo `json:"error,omitempty"`
}

// FeatureError says which event failed a feature run, and why.
type FeatureError struct {
	// Sequence and Event name the event that failed; empty when the run
	// failed before any event (a bad triggering event).
	Sequence string `json:"sequence,omitempty"`
	Event    string `json:"event,omitempty"`
	ErrorInfo
}

// Management endpoints of feature runs (see the Endpoint constants in
// subjects.go). Each takes a Request.
const (
	// EndpointFeaturesList answers the feature runs, newest first,
	// []FeatureRun; Request.Event keeps one feature's, Request.Status
	// those with that status, Request.Limit bounds them (100 by default).
	EndpointFeaturesList = "features.list"
	// EndpointFeaturesGet answers one feature run (Request.ID), FeatureRun.
	EndpointFeaturesGet = "features.get"
	// EndpointFeaturesCancel cancels a running feature run (Request.ID):
	// no event starts after it (the step in flight finishes), and its
	// result is published with status StatusCancelled. It answers the
	// FeatureRun.
	EndpointFeaturesCancel = "features.cancel"
)
