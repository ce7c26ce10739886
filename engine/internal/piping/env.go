package piping

import (
	"time"
)

// RedactedSecret is what $Secret{...} (and $Auth{...}) evaluate to when
// Env.Redact is set.
const RedactedSecret = "[secret]"

// Env is everything a compiled template can read at run time.
type Env struct {
	// Input is the triggering event's data, usually decoded JSON
	// (map[string]any, []any, string, float64, bool, nil).
	Input any

	// Sequence holds the outputs of earlier events:
	// sequence_tag -> event_tag -> output.
	Sequence map[string]any

	// Variable holds per-environment variables, app -> key -> value.
	Variable map[string]map[string]any

	// Constant holds app constants, app -> key -> value.
	Constant map[string]map[string]any

	// Auth holds stored app credentials for $Auth{auth_tag}{path...},
	// auth_tag -> credentials. Values read through $Auth are treated like
	// secrets: redacted when Redact is set, and counted by UsesSecrets.
	Auth map[string]any

	// Secret resolves $Secret{key}. When nil, $Secret is an error at
	// evaluation (ErrSecret) unless Redact is set.
	Secret func(key string) (string, error)

	// Redact makes $Secret{...} and $Auth{...} evaluate to RedactedSecret
	// without calling Secret, for results and logs.
	Redact bool

	// Taint, when set (and Redact is not), is called with every string of
	// MinTaintLength bytes or more that the template computed from a secret:
	// the value of each sub-expression that reads $Secret or Secret, and the
	// final value of such a string, so that the caller scrubs them all
	// like the secret itself. It may be called more than once per string.
	Taint func(s string)

	// Now is the time of execution, read by $Now and Now in ${ ... }.
	// Defaults to time.Now() when zero.
	Now time.Time

	// Job describes the running job, read by $Var(...) and Job in ${ ... }.
	Job JobInfo
}

// JobInfo describes the running job.
type JobInfo struct {
	// Event is the job's event tag.
	Event string
	// Attempt is the attempt number, from 1.
	Attempt int
	// Execution is how many times a repeating job has run, this run
	// included; $Var(execution_count) reads it.
	Execution int
}

// vmEnv is the environment every compiled program runs against. Its exported
// fields are the names visible in ${ ... } expressions, except Auth and
// Redact, which ${ ... } may not name (checked at compile time).
type vmEnv struct {
	Input    any
	Sequence map[string]any
	Variable map[string]map[string]any
	Constant map[string]map[string]any
	Secret   func(key string) (string, error)
	Now      int64
	Job      JobInfo
	Auth     map[string]any
	Redact   bool
	// Taint receives the values of sub-expressions that read Secret (see
	// secret_taint.go); nil when nobody listens.
	Taint func(any) `expr:"_taint_sink"`
}

// newVMEnv converts an Env (nil allowed) into the program environment.
// Unless secrets is set (the template reads secrets), Env.Secret is not
// wrapped: nothing would call it.
func newVMEnv(e *Env, secrets bool) vmEnv {
	if e == nil {
		e = &Env{}
	}
	now := e.Now
	if now.IsZero() {
		now = time.Now()
	}
	v := vmEnv{
		Input:    e.Input,
		Sequence: e.Sequence,
		Variable: e.Variable,
		Constant: e.Constant,
		Now:      now.UnixMilli(),
		Job:      e.Job,
		Auth:     e.Auth,
		Redact:   e.Redact,
	}
	switch {
	case e.Redact:
		v.Secret = redactedSecret
	case e.Secret == nil || !secrets:
		v.Secret = noSecret
	default:
		get := e.Secret
		v.Secret = func(key string) (string, error) {
			s, err := get(key)
			if err != nil {
				return "", &reason{msg: "secret " + quote(key) + ": " + err.Error(), kind: ErrSecret}
			}
			return s, nil
		}
		if report := e.Taint; report != nil {
			v.Taint = func(x any) { reportStrings(x, report, 0) }
		}
	}
	return v
}

func redactedSecret(string) (string, error) { return RedactedSecret, nil }

func noSecret(key string) (string, error) {
	return "", &reason{msg: "secret " + quote(key) + ": secrets are not available here", kind: ErrSecret}
}
