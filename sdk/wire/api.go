package wire

import "time"

// Request is what every management endpoint (APIPrefix+"."+<endpoint>)
// takes; each reads the fields it needs.
type Request struct {
	// ID is the job's id (jobs.get, jobs.cancel, jobs.pause, jobs.resume,
	// jobs.retry, jobs.reschedule, jobs.history).
	ID string `json:"id,omitempty"`
	// Status keeps only jobs, or runs, with this status (jobs.list,
	// runs.list).
	Status string `json:"status,omitempty"`
	// Event keeps only jobs or dead letters of this event tag (jobs.list,
	// dlq.list, dlq.purge).
	Event string `json:"event,omitempty"`
	// Recurring keeps only recurring jobs (jobs.list).
	Recurring bool `json:"recurring,omitempty"`
	// Limit is the most entries to return (jobs.list, dlq.list; 100 dead
	// letters by default).
	Limit int `json:"limit,omitempty"`
	// Schedule is the job's new schedule (jobs.reschedule).
	Schedule *Schedule `json:"schedule,omitempty"`
	// Seq is a dead letter's stream sequence (dlq.get, dlq.replay,
	// dlq.purge of one dead letter).
	Seq uint64 `json:"seq,omitempty"`
	// RunID is a run's id (runs.get, runs.cancel).
	RunID string `json:"run_id,omitempty"`
	// Job keeps only runs of this job, by event tag or job id (runs.list).
	Job string `json:"job,omitempty"`
	// Since keeps only runs received at or after it (runs.list).
	Since *time.Time `json:"since,omitempty"`
	// NewKey gives a replayed run a new run id and idempotency key
	// (dlq.replay); by default a replay keeps the dead run's.
	NewKey bool `json:"new_key,omitempty"`
}

// DeadLetterSummary is one dead letter in the reply of dlq.list (one line
// of `jobd dlq ls`).
type DeadLetterSummary struct {
	// Seq is the dead letter's sequence in StreamDLQ.
	Seq uint64 `json:"seq"`
	// Time is when the dead letter was stored.
	Time time.Time `json:"time"`
	// Event is the job's event tag.
	Event string `json:"event"`
	// JobID is the job the dead run belongs to.
	JobID string `json:"job_id"`
	// RunID is the dead run's id.
	RunID string `json:"run_id"`
	// Class is the error class of the run's failure (a Class constant).
	Class string `json:"class"`
	// Reason says why the run is dead.
	Reason string `json:"reason"`
}

// DeadLetterEntry is a dead letter with its place in StreamDLQ: the reply
// of dlq.get. Its JSON is the DeadLetter's fields beside seq and time.
type DeadLetterEntry struct {
	// Seq is the dead letter's sequence in StreamDLQ.
	Seq uint64 `json:"seq"`
	// Time is when the dead letter was stored.
	Time time.Time `json:"time"`
	DeadLetter
}

// ReplayReply answers dlq.replay: the dead run runs again at once and its
// dead letter is removed. The replay keeps the dead run's id and
// idempotency key unless the request asked for NewKey.
type ReplayReply struct {
	// Seq is the replayed dead letter's sequence.
	Seq uint64 `json:"seq"`
	// Event is the job's event tag.
	Event string `json:"event"`
	// RunID is the replay's run id: the dead run's, or with NewKey
	// "<run>-replay<seq>".
	RunID string `json:"run_id"`
	// IdempotencyKey is the key the plugin sees (the run id).
	IdempotencyKey string `json:"idempotency_key"`
	// NewKey is true when the replay got a new run id and key.
	NewKey bool `json:"new_key,omitempty"`
}

// PurgeReply answers dlq.purge.
type PurgeReply struct {
	// Purged is the number of dead letters removed.
	Purged uint64 `json:"purged"`
}

// Stats answers the stats endpoint.
type Stats struct {
	// Jobs counts job records by status.
	Jobs map[string]int `json:"jobs"`
	// Streams counts the messages in each of jobd's streams, by name.
	Streams map[string]uint64 `json:"streams"`
}

// ErrorReply is the body of a refused request; the headers ErrorCodeHeader
// and ErrorHeader carry the same refusal.
type ErrorReply struct {
	// Error says what is wrong.
	Error string `json:"error"`
}
