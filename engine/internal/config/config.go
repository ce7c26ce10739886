// Package config loads and checks jobd's configuration: one TOML file read
// with koanf, every key overridable by an environment variable
// JOBD_<SECTION>__<KEY>, strict about unknown keys, and reporting every
// problem at once with the file, the job and the field.
package config

import "time"

// Defaults for the configuration; each field's doc names the one it uses.
const (
	DataDirDefault         = "data"
	HTTPDefault            = "127.0.0.1:8222"
	EnvDefault             = "development"
	LogLevelDefault        = "info"
	LogFormatDefault       = "text"
	MaxEventBytesDefault   = 1 << 20
	MaxEventDepthDefault   = 100
	MaxOutputBytesDefault  = 512 << 10
	ListenDefault          = "127.0.0.1:4222"
	ReplicasDefault        = 1
	PluginsDirDefault      = "bin/plugins"
	ConcurrencyDefault     = 64
	TimeoutDefault         = 30 * time.Second
	QueueTimeoutDefault    = time.Minute
	ShutdownTimeoutDefault = 30 * time.Second
	StartTimeoutDefault    = 2 * time.Minute
	ResultsMaxAgeDefault   = 7 * 24 * time.Hour
	AckWaitDefault         = 30 * time.Second
	DedupeWindowDefault    = 2 * time.Minute
	TimerHorizonDefault    = time.Minute
	TimerSlotDefault       = 10 * time.Second
	BackoffInitialDefault  = time.Second
	BackoffMaxDefault      = 5 * time.Minute
	BackoffMultiplier      = 2.0
	BackoffJitterDefault   = 0.2
	// BackoffMaxRetryAfterDefault caps a plugin's requested delay.
	BackoffMaxRetryAfterDefault = time.Hour
	GOGCDefault                 = 75
)

// Config is the whole configuration.
type Config struct {
	// File is the path the configuration was read from (not a key).
	File string `koanf:"-"`

	Server    Server                               `koanf:"server"`
	NATS      NATS                                 `koanf:"nats"`
	Plugins   Plugins                              `koanf:"plugins"`
	Constants map[string]map[string]any            `koanf:"constants"`
	Variables map[string]map[string]map[string]any `koanf:"variables"`
	Secrets   Secrets                              `koanf:"secrets"`
	// JobsDir is a folder of JSON job files in the job-event shape (docs/job-events.md),
	// relative to the config file. Defaults to none.
	JobsDir string `koanf:"jobs_dir"`
	Jobs    []Job  `koanf:"jobs"`
	// Features are sequences of events whose outputs pipe into later
	// events (feature.go).
	Features []Feature `koanf:"features"`
}

// Server configures the jobd process.
type Server struct {
	// DataDir holds the embedded NATS server's storage and the plugins'
	// folders, relative to the config file. Defaults to "data".
	DataDir string `koanf:"data_dir"`
	// HTTP is the address of /healthz, /readyz and /metrics; "" disables it.
	// Defaults to "127.0.0.1:8222".
	HTTP string `koanf:"http"`
	// Env selects which [variables.<app>.<env>] $Variable reads. Defaults to
	// "development".
	Env string `koanf:"env"`
	// LogLevel is debug, info, warn or error. Defaults to "info".
	LogLevel string `koanf:"log_level"`
	// LogFormat is text or json. Defaults to "text".
	LogFormat string `koanf:"log_format"`
	// MaxEventBytes is the largest event body jobd runs jobs for; a larger
	// one is dead-lettered. Defaults to 1 MiB.
	MaxEventBytes int `koanf:"max_event_bytes"`
	// MaxEventDepth is how deeply an event's JSON may nest objects and
	// arrays; a deeper one is dead-lettered as invalid_event before it is
	// decoded. The same limit applies to dispatch inputs, envelope
	// sequences and plugins' outputs. Defaults to 100.
	MaxEventDepth int `koanf:"max_event_depth"`
	// MaxOutputBytes is the largest output of one event of a feature that
	// jobd records for later events to read; a larger one fails the
	// feature run. A run's recorded outputs are one NATS message, at most
	// 1 MiB by default, so the limit keeps room for the others. Defaults
	// to 512 KiB.
	MaxOutputBytes int `koanf:"max_output_bytes"`
	// ShutdownTimeout bounds the drain of in-flight runs on SIGTERM.
	// Defaults to 30s.
	ShutdownTimeout Duration `koanf:"shutdown_timeout"`
	// StartTimeout bounds how long start-up waits for NATS and JetStream
	// while they fail with transient errors (no leader yet, a server
	// restarting, no quorum); a configuration error fails at once.
	// Defaults to 2m.
	StartTimeout Duration `koanf:"start_timeout"`
	// AckWait is how long a message handed to jobd may stay unacknowledged
	// before NATS hands it out again; it bounds how soon the work of a
	// crashed jobd is picked up. Runs in flight send progress acks, so a long
	// run is not handed out twice. Defaults to 30s.
	AckWait Duration `koanf:"ack_wait"`
	// DedupeWindow is how long JetStream remembers a message id in jobd's
	// streams: an event re-published with the same Nats-Msg-Id within it is
	// a duplicate, and so is a result, retry or timer that jobd writes
	// again after a redelivery. Each id costs the server ~200 bytes of
	// memory for the window, so at a sustained rate the ids held are the
	// rate times the window. Defaults to 2m; at least server.ack_wait.
	DedupeWindow Duration `koanf:"dedupe_window"`
	// TimerHorizon is how far ahead pending runs are held in memory, ready
	// to start on time; runs due later cost no memory. Defaults to 1m.
	TimerHorizon Duration `koanf:"timer_horizon"`
	// TimerSlot is the width of the time slots pending runs are stored in
	// (one subject of JOBD_TIMERS each). Defaults to 10s.
	TimerSlot Duration `koanf:"timer_slot"`
	// JobsMaxAge is how long the record and history of a job that ended
	// (completed, failed, cancelled) are kept. Defaults to 7 days.
	JobsMaxAge Duration `koanf:"jobs_max_age"`
	// ResultsMaxAge is how long results and dead letters are kept.
	// Defaults to 7 days.
	ResultsMaxAge Duration `koanf:"results_max_age"`
	// GOGC is the Go garbage collector's target for the jobd process (and
	// the embedded NATS server in it): the heap may grow this many percent
	// over the live data before a collection. The GOGC environment
	// variable, when set, wins. Defaults to 75 (Go's own default is 100),
	// which trades a few percent of CPU for a smaller peak heap.
	GOGC int `koanf:"gogc"`
}

// NATS configures the connection, or the embedded server when URL is empty.
type NATS struct {
	// URL of the NATS server or cluster; empty starts an embedded server.
	URL string `koanf:"url"`
	// Listen is the embedded server's client address. Defaults to
	// "127.0.0.1:4222".
	Listen   string `koanf:"listen"`
	Creds    string `koanf:"creds"`
	NKeySeed string `koanf:"nkey_seed"`
	Token    string `koanf:"token"`
	User     string `koanf:"user"`
	Password string `koanf:"password"`
	TLSCA    string `koanf:"tls_ca"`
	TLSCert  string `koanf:"tls_cert"`
	TLSKey   string `koanf:"tls_key"`
	// Replicas of every jobd stream (1 on a single node, 3 in a cluster),
	// for the streams jobd creates: a replica never changes the streams
	// that exist (jobd streams apply does). Unset (0), jobd adopts the
	// replicas of the streams that exist and creates missing ones with
	// ReplicasDefault. Defaults to unset.
	Replicas int `koanf:"replicas"`
	// Sync is "always" to fsync every write of the embedded server, or ""
	// for the server default (every two minutes).
	Sync string `koanf:"sync"`
	// Users are the embedded server's client accounts, each with a role
	// (see natsauth.go). Defaults to none: with no users, token or user,
	// the server asks for no credentials, which only a loopback Listen
	// allows.
	Users []NATSUser `koanf:"users"`
}

// Plugins configures plugin discovery and each plugin.
type Plugins struct {
	// Dir is where jobd-<kind> executables are found, relative to the config
	// file. Defaults to "bin/plugins".
	Dir string `koanf:"dir"`
	// Kinds holds [plugins.<kind>] blocks.
	Kinds map[string]Plugin `koanf:",remain"`
}

// Plugin configures one plugin kind.
type Plugin struct {
	// Path of the executable; defaults to <plugins.dir>/jobd-<kind>.
	Path string `koanf:"path"`
	// SHA256 pins the executable; a mismatch refuses the plugin.
	SHA256 string `koanf:"sha256"`
	// Concurrency bounds the jobs in flight on the plugin. Defaults to 64.
	Concurrency int `koanf:"concurrency"`
	// QueueTimeout bounds how long an attempt waits for one of the
	// plugin's concurrency slots; past it the attempt fails (retryable)
	// without running. The wait is not part of the job's timeout, which
	// starts at the slot. Defaults to 1m.
	QueueTimeout Duration `koanf:"queue_timeout"`
	// Env lists the environment variables passed to the plugin: a NAME
	// takes its value from jobd's environment, NAME=value sets it.
	Env []string `koanf:"env"`
	// Config is handed to the plugin as it starts.
	Config map[string]any `koanf:"config"`
}

// Secrets configures where $Secret{KEY} reads from. The environment variable
// JOBD_SECRET_<KEY> always works; File adds a TOML or JSON file of keys.
type Secrets struct {
	File string `koanf:"file"`
}

// Job is one [[jobs]] entry.
type Job struct {
	// Source is the file under jobs_dir the job came from; empty for a job
	// in the configuration file itself. Problems with the job name it.
	Source string `koanf:"-" json:"-"`
	// Type is "job" when given (the job-event shape).
	Type string `koanf:"type"`
	// Event is the job's tag, unique.
	Event string `koanf:"event"`
	// Kind is the plugin kind that runs the job.
	Kind string `koanf:"kind"`
	// On lists trigger subjects; wildcards * and > allowed.
	On []string `koanf:"on"`
	// Input is the job's input template.
	Input map[string]any `koanf:"input"`
	// Retries is the number of attempts after the first failure. Defaults
	// to 0.
	Retries *int `koanf:"retries"`
	// AllowFail lets the sequence go on after the last attempt fails.
	AllowFail bool `koanf:"allow_fail"`
	// Timeout is one attempt's deadline. Defaults to 30s.
	Timeout  Duration  `koanf:"timeout"`
	Schedule *Schedule `koanf:"schedule"`
	Backoff  Backoff   `koanf:"backoff"`
}

// Schedule is when a job runs (see docs/job-events.md, Schedules); values are kept as
// written and checked by package schedule when the jobs compile.
type Schedule struct {
	// StartAt is when to run first: Unix milliseconds, an RFC 3339 or
	// ISO-8601 string, or a piping template ("$Input{remind_at}").
	StartAt any `koanf:"start_at" json:"start_at"`
	// Delay after the triggering event: a duration string or milliseconds.
	Delay any `koanf:"delay" json:"delay"`
	// Every repeats at an interval: a duration string or milliseconds.
	Every any `koanf:"every" json:"every"`
	// Cron repeats on a 5-field cron expression (or @hourly, @daily, …).
	Cron string `koanf:"cron" json:"cron"`
	// TZ is the IANA time zone of Cron. Defaults to UTC.
	TZ string `koanf:"tz" json:"tz"`
	// Limit is the most runs in the series; 0 means no limit.
	Limit int `koanf:"limit" json:"limit"`
	// Executions is the older name of Limit.
	Executions int `koanf:"executions" json:"executions"`
	// EndDate: no run after this time.
	EndDate any `koanf:"end_date" json:"end_date"`
	// Misfire says what to do with occurrences missed while jobd was down:
	// "once" (default: run once, then continue), "skip" or "all".
	Misfire string `koanf:"misfire" json:"misfire"`
}

// Backoff shapes the delay between attempts.
type Backoff struct {
	// Initial delay. Defaults to 1s.
	Initial Duration `koanf:"initial"`
	// Max delay. Defaults to 5m.
	Max Duration `koanf:"max"`
	// Multiplier per attempt. Defaults to 2.
	Multiplier float64 `koanf:"multiplier"`
	// Jitter as a fraction of the delay, 0 to 1. Defaults to 0.2.
	Jitter *float64 `koanf:"jitter"`
	// MaxRetryAfter caps the delay a plugin asks for (an API's
	// Retry-After): a longer request waits this long, and the run's result
	// says the delay was capped. Defaults to 1h.
	MaxRetryAfter Duration `koanf:"max_retry_after"`
}

// MaxAttempts returns retries + 1.
func (j *Job) MaxAttempts() int {
	if j.Retries == nil {
		return 1
	}
	return *j.Retries + 1
}
