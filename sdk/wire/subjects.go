package wire

// Subjects of the request–reply interface. Every replica of jobd serves them
// in a NATS micro service named ServiceName.
const (
	// DispatchSubject takes a DispatchRequest and answers a DispatchReply.
	DispatchSubject = "jobd.dispatch"
	// APIPrefix starts the subject of every management endpoint:
	// APIPrefix+"."+<endpoint>, see APISubject.
	APIPrefix = "jobd.api"
	// ServiceName is the name of jobd's NATS micro service (`nats micro ls`).
	ServiceName = "jobd"
)

// Management endpoints. Each takes a Request; the reply is named beside it.
const (
	// EndpointJobsList answers the matching jobs, []Record.
	EndpointJobsList = "jobs.list"
	// EndpointJobsGet answers one job, Record.
	EndpointJobsGet = "jobs.get"
	// EndpointJobsCancel cancels a job and answers its Record.
	EndpointJobsCancel = "jobs.cancel"
	// EndpointJobsPause pauses a job and answers its Record.
	EndpointJobsPause = "jobs.pause"
	// EndpointJobsResume continues a paused job and answers its Record.
	EndpointJobsResume = "jobs.resume"
	// EndpointJobsRetry runs a finished job once more, now, and answers its
	// Record.
	EndpointJobsRetry = "jobs.retry"
	// EndpointJobsReschedule gives a job Request.Schedule and answers its
	// Record.
	EndpointJobsReschedule = "jobs.reschedule"
	// EndpointJobsHistory answers a job's runs, []HistoryEntry.
	EndpointJobsHistory = "jobs.history"
	// EndpointStats answers Stats.
	EndpointStats = "stats"
	// EndpointDLQList answers the latest dead letters, []DeadLetterSummary.
	EndpointDLQList = "dlq.list"
	// EndpointDLQGet answers one dead letter, DeadLetterEntry.
	EndpointDLQGet = "dlq.get"
	// EndpointDLQReplay runs a dead letter's event again and answers
	// ReplayReply.
	EndpointDLQReplay = "dlq.replay"
	// EndpointDLQPurge removes dead letters (one by Request.Seq, an event's
	// by Request.Event, or all) and answers PurgeReply.
	EndpointDLQPurge = "dlq.purge"
	// EndpointRunsList answers the latest runs that match Request.Job,
	// Status and Since, newest first, []RunSummary: finished runs from the
	// results stream and runs waiting for a retry.
	EndpointRunsList = "runs.list"
	// EndpointRunsGet answers one run by Request.RunID, RunInfo.
	EndpointRunsGet = "runs.get"
	// EndpointRunsCancel cancels a run waiting for a retry (Request.RunID)
	// and answers RunCancelReply.
	EndpointRunsCancel = "runs.cancel"
)

// APISubject returns the subject of a management endpoint, for example
// APISubject(EndpointJobsList) is "jobd.api.jobs.list".
func APISubject(endpoint string) string { return APIPrefix + "." + endpoint }

// Headers of a refused request (those of NATS micro services); the body is
// an ErrorReply.
const (
	// ErrorCodeHeader holds the refusal's code: "400" for a bad request,
	// "404" for an unknown job or dead letter, "500" otherwise.
	ErrorCodeHeader = "Nats-Service-Error-Code"
	// ErrorHeader holds the refusal's reason.
	ErrorHeader = "Nats-Service-Error"
)

// Subjects jobd publishes on; each prefix is followed by an event tag, or
// by a job id for HistorySubjectPrefix.
const (
	// ResultSubjectPrefix + <event> carries a Result for every finished run.
	ResultSubjectPrefix = "jobd.result."
	// FailedSubjectPrefix + <event> carries a Result for a run that failed
	// with allow_fail false.
	FailedSubjectPrefix = "jobd.failed."
	// DLQSubjectPrefix + <event> holds a DeadLetter in StreamDLQ.
	DLQSubjectPrefix = "jobd.dlq."
	// HistorySubjectPrefix + <job id> holds a HistoryEntry per run in
	// StreamHistory.
	HistorySubjectPrefix = "jobd.history."
	// FeatureResultSubjectPrefix + <feature tag> carries a FeatureResult
	// for every feature run that ended, in StreamResults.
	FeatureResultSubjectPrefix = "jobd.feature.result."
	// FeatureFailedSubjectPrefix + <feature tag> carries the FeatureResult
	// of a feature run that failed.
	FeatureFailedSubjectPrefix = "jobd.feature.failed."
)

// Streams and buckets jobd keeps its state in (JetStream).
const (
	// StreamEvents captures the trigger subjects of every job.
	StreamEvents = "JOBD_EVENTS"
	// StreamRuns holds runs due now: scheduled occurrences and retries.
	StreamRuns = "JOBD_RUNS"
	// StreamTimers holds pending runs until they fall due.
	StreamTimers = "JOBD_TIMERS"
	// StreamResults keeps every finished run's Result and failure reports.
	StreamResults = "JOBD_RESULTS"
	// StreamDLQ keeps dead letters for inspection and replay.
	StreamDLQ = "JOBD_DLQ"
	// StreamHistory keeps the runs of each job, HistoryEntry values.
	StreamHistory = "JOBD_HISTORY"
	// BucketJobs is the key-value bucket of job records, Record values
	// keyed by job id.
	BucketJobs = "JOBD_JOBS"
	// BucketFeatures is the key-value bucket of feature runs' state,
	// FeatureRun values keyed by feature run id.
	BucketFeatures = "JOBD_FEATURES"
)
