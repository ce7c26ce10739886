package wire

import (
	"encoding/json"
	"time"
)

// DispatchRequest asks, on DispatchSubject, to run a job defined in jobd's
// configuration with this input and schedule (field names as in
// docs/job-events.md). jobd refuses unknown fields.
type DispatchRequest struct {
	// Event is the tag of the configured job to run.
	Event string `json:"event"`
	// Input is the data for the job's input template (never itself a
	// template), a JSON object. Defaults to {}.
	Input json.RawMessage `json:"input,omitempty"`
	// Sequence holds earlier events' outputs,
	// {"<sequence_tag>": {"<event_tag>": <output>}}, as in Envelope.
	Sequence json.RawMessage `json:"sequence,omitempty"`
	// Retries overrides the job's retries when not nil.
	Retries *int `json:"retries,omitempty"`
	// AllowFail overrides the job's allow_fail when not nil.
	AllowFail *bool `json:"allow_fail,omitempty"`
	// Schedule overrides the job's schedule when not nil. Without it, the
	// job follows its configured schedule (a piped start_at evaluated
	// against Input, as for an event), or runs once, now, when it has none.
	Schedule *Schedule `json:"schedule,omitempty"`
	// Now runs the job once, at once, whatever its configured schedule.
	// It excludes Schedule.
	Now bool `json:"now,omitempty"`
}

// DispatchReply answers a DispatchRequest.
type DispatchReply struct {
	// JobID is the new job's id, for the management calls.
	JobID string `json:"job_id"`
	// Status is the job's status, StatusScheduled or StatusQueued.
	Status string `json:"status"`
	// ScheduledAt is when the job's first run is due.
	ScheduledAt time.Time `json:"scheduled_at"`
	// Recurring is true when the schedule repeats.
	Recurring bool `json:"recurring"`
	// NextRunAt is when the next run is due; nil when none is.
	NextRunAt *time.Time `json:"next_run_at,omitempty"`
	// Schedule is the job's schedule as stored (empty for a run now).
	Schedule *RecordSchedule `json:"schedule,omitempty"`
	// Configured is true when the job follows the schedule in jobd's
	// configuration (the request named none).
	Configured bool `json:"configured,omitempty"`
}

// Schedule is a schedule as a user writes it: in a dispatch request, a
// reschedule request, or a job's [jobs.schedule] table. Its JSON is that of
// the configuration's schedule, field for field. The time and duration
// fields are any so that a string and a number of milliseconds both pass
// through unchanged; jobd parses and checks them.
type Schedule struct {
	// StartAt is when to run first: Unix milliseconds, or an RFC 3339 or
	// ISO-8601 string.
	StartAt any `json:"start_at"`
	// Delay is how long after the request (or the triggering event) to run
	// first: a duration string ("90s", "1h30m") or milliseconds.
	Delay any `json:"delay"`
	// Every repeats at an interval: a duration string or milliseconds.
	Every any `json:"every"`
	// Cron repeats on a 5-field cron expression (or @hourly, @daily, …).
	Cron string `json:"cron"`
	// TZ is the IANA time zone of Cron. Defaults to UTC.
	TZ string `json:"tz"`
	// Limit is the most runs in the series; 0 means no limit.
	Limit int `json:"limit"`
	// Executions is the older name of Limit.
	Executions int `json:"executions"`
	// EndDate is a time after which no run starts: Unix milliseconds, or an
	// RFC 3339 or ISO-8601 string.
	EndDate any `json:"end_date"`
	// Misfire says what to do with occurrences missed while jobd was down:
	// "once" (run once, then continue; the default), "skip" or "all".
	Misfire string `json:"misfire"`
}
