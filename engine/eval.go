package engine

import (
	"time"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/piping"
)

// TemplateError is Eval's error for a template that does not compile; its
// text says where and why.
type TemplateError struct{ Err error }

func (e *TemplateError) Error() string { return e.Err.Error() }

// Unwrap returns the compiler's error.
func (e *TemplateError) Unwrap() error { return e.Err }

// EvalRequest is a piping template and the data it reads.
type EvalRequest struct {
	// Template is a string ("Hello $Input{name}") or a decoded JSON object
	// or list whose strings are templates.
	Template any
	// Input is $Input: decoded JSON.
	Input any
	// Sequence is $Sequence: sequence_tag -> event_tag -> output.
	Sequence map[string]any
	// Reveal resolves $Secret; otherwise secrets evaluate to "[secret]".
	Reveal bool
	// Environ is the environment $Secret reads (JOBD_SECRET_<KEY>).
	Environ []string
	// Now is $Now. Defaults to time.Now().
	Now time.Time
}

// Eval compiles and evaluates a template as a job's input would be, with
// cfg's variables, constants and secrets, and returns the value.
func Eval(cfg *Config, req EvalRequest) (any, error) {
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	env := &piping.Env{Now: req.Now, Input: req.Input, Sequence: req.Sequence,
		Variable: catalog.Variables(cfg), Constant: cfg.Constants, Redact: !req.Reveal,
		Job: piping.JobInfo{Event: "eval", Attempt: 1, Execution: 1}}
	secrets, err := LoadSecrets(req.Environ, cfg.Secrets.File)
	if err != nil {
		return nil, err
	}
	env.Secret = secrets.Lookup
	t, err := piping.Compile(req.Template, piping.Options{Path: "template", Variables: env.Variable, Constants: cfg.Constants})
	if err != nil {
		return nil, &TemplateError{Err: err}
	}
	return t.Eval(env)
}
