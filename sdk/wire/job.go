package wire

import (
	"encoding/json"
	"time"
)

// Statuses. A job record's Status is one of StatusScheduled, StatusQueued,
// StatusRunning, StatusCompleted, StatusFailed, StatusCancelled and
// StatusPaused (docs/job-events.md, Schedules). A run's status, in a Result and a
// HistoryEntry, is StatusCompleted, StatusFailedAllowed or StatusFailed.
const (
	// StatusScheduled is a job waiting for its next run's time.
	StatusScheduled = "scheduled"
	// StatusQueued is a job whose run is due now.
	StatusQueued = "queued"
	// StatusRunning is a job whose run has fired and not finished.
	StatusRunning = "running"
	// StatusCompleted is a job that will not run again and whose last run
	// succeeded, or a run that succeeded.
	StatusCompleted = "completed"
	// StatusFailed is a job that will not run again and whose last run
	// failed, or a run that failed with allow_fail false (it has a dead
	// letter and a report on FailedSubjectPrefix+<event>).
	StatusFailed = "failed"
	// StatusFailedAllowed is a run that failed with allow_fail true: the
	// sequence goes on.
	StatusFailedAllowed = "failed_allowed"
	// StatusCancelled is a job cancelled through the management API.
	StatusCancelled = "cancelled"
	// StatusPaused is a job paused through the management API until it is
	// resumed.
	StatusPaused = "paused"
)

// Origins: Record.Origin says what created a job.
const (
	// OriginEvent is a scheduled job created by an event on a trigger
	// subject.
	OriginEvent = "event"
	// OriginDispatch is a job created by a DispatchRequest.
	OriginDispatch = "dispatch"
	// OriginConfig is a job created from a job's schedule in the
	// configuration, with no trigger.
	OriginConfig = "config"
	// OriginRun is the record of one run of a series cancelled while it
	// waited for a retry (`jobd runs cancel`): its id is the run's.
	OriginRun = "run"
)

// Record is one job as jobd keeps it in the BucketJobs bucket and as the
// management API returns it (`jobd jobs show`).
type Record struct {
	// ID is the job's id.
	ID string `json:"id"`
	// Event is the job's event tag.
	Event string `json:"event"`
	// Kind is the plugin kind that runs the job.
	Kind string `json:"kind"`
	// Status is one of the job statuses (StatusScheduled …).
	Status string `json:"status"`
	// Reason says why a cancelled job was cancelled ("removed from
	// configuration", "schedule changed in the configuration", "cancelled
	// through the management API").
	Reason string `json:"reason,omitempty"`
	// Origin is OriginEvent, OriginDispatch or OriginConfig.
	Origin string `json:"origin"`
	// Recurring is true when the schedule repeats.
	Recurring bool `json:"recurring"`

	// Schedule is the job's schedule as stored.
	Schedule *RecordSchedule `json:"schedule,omitempty"`
	// ScheduledAt is when the current (or first) run is due.
	ScheduledAt time.Time `json:"scheduled_at"`
	// NextRunAt is when the next run is due; nil when none is.
	NextRunAt *time.Time `json:"next_run_at,omitempty"`
	// StartedAt is when the latest run fired.
	StartedAt *time.Time `json:"started_at,omitempty"`
	// EndedAt is when the latest run finished.
	EndedAt *time.Time `json:"ended_at,omitempty"`

	// ExecutionCount is the number of runs fired so far.
	ExecutionCount int `json:"execution_count"`
	// RetriesUsed is the number of retries spent over all runs.
	RetriesUsed int `json:"retries_used"`
	// LastError is the latest run's error; nil when it succeeded.
	LastError *ErrorInfo `json:"last_error,omitempty"`
	// LastRun is the latest run's history entry. It is the whole history
	// of a job that ran once (no entry on the history stream then).
	LastRun *HistoryEntry `json:"last_run,omitempty"`

	// Occurrence is the number of the next occurrence a timer waits for.
	Occurrence int `json:"occurrence"`
	// Fired is the last occurrence that fired.
	Fired int `json:"fired"`

	// Retries is the job's retries when the request overrode them.
	Retries *int `json:"retries,omitempty"`
	// AllowFail is the job's allow_fail when the request overrode it.
	AllowFail *bool `json:"allow_fail,omitempty"`

	// Subject is the subject of the event that created the job
	// (DispatchSubject for a dispatched job, "config" for a configured one).
	Subject string `json:"subject,omitempty"`
	// Input is the event's input: the data for the job's input template.
	Input json.RawMessage `json:"input,omitempty"`
	// Sequence holds earlier events' outputs, as in Envelope.
	Sequence json.RawMessage `json:"sequence,omitempty"`
	// Result is the output of the latest run that returned one.
	Result json.RawMessage `json:"result,omitempty"`

	// CreatedAt is when the job was created.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when the record last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// Final reports whether the job will not run again by itself: its status
// is StatusCompleted, StatusFailed or StatusCancelled.
func (r *Record) Final() bool {
	switch r.Status {
	case StatusCompleted, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// RecordSchedule is a job's schedule as stored in its Record: the user's
// Schedule parsed, enough to compute every next occurrence again.
type RecordSchedule struct {
	// StartAt is the first occurrence.
	StartAt *time.Time `json:"start_at,omitempty"`
	// Delay is the delay before the first run, as a Go duration string.
	Delay string `json:"delay,omitempty"`
	// Every is the interval, as a Go duration string.
	Every string `json:"every,omitempty"`
	// Cron is the cron expression.
	Cron string `json:"cron,omitempty"`
	// TZ is the IANA time zone of Cron.
	TZ string `json:"tz,omitempty"`
	// Limit is the most runs in the series; 0 means no limit.
	Limit int `json:"limit,omitempty"`
	// EndDate is the time after which no run starts.
	EndDate *time.Time `json:"end_date,omitempty"`
	// Misfire is "once", "skip" or "all" (see Schedule.Misfire).
	Misfire string `json:"misfire,omitempty"`
}

// HistoryEntry is one run in a job's history, on the StreamHistory stream
// (subject HistorySubjectPrefix+<job id>) and in Record.LastRun.
type HistoryEntry struct {
	// Number is the run's execution number in the job's series, from 1.
	Number int `json:"number"`
	// RunID is the run's id.
	RunID string `json:"run_id"`
	// Attempts is the number of attempts the run took.
	Attempts int `json:"attempts"`
	// Status is StatusCompleted, StatusFailedAllowed or StatusFailed.
	Status string `json:"status"`
	// StartedAt is when the last attempt went to the plugin.
	StartedAt *time.Time `json:"started_at,omitempty"`
	// EndedAt is when the run finished.
	EndedAt time.Time `json:"ended_at"`
	// DurationMS is the last attempt's duration in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Error is why the run failed; nil when it succeeded.
	Error *ErrorInfo `json:"error,omitempty"`
	// Replay names the dead letter ("dlq <seq>") when the entry is a
	// replay of a dead run.
	Replay string `json:"replay,omitempty"`
}
