package sdk

import (
	"context"
	"encoding/json"
	"strings"
)

// JobValidator is implemented by a Plugin that can check a configured job
// before it runs: that the action, stored statement, message or subject it
// names exists, and that its static input makes sense. jobd asks it for
// every job of the plugin's kinds in `jobd validate` and at start, after
// Configure, so a job that would fail every run (an action named
// "purge_olde") is refused before 03:00. Optional: a plugin without it is
// not asked.
type JobValidator interface {
	// ValidateJob returns what is wrong with the job: nil when nothing
	// is, else an error whose text says what (errors.Join for several).
	ValidateJob(ctx context.Context, req *ValidateJobRequest) error
}

// ValidateJobRequest is one configured job.
type ValidateJobRequest struct {
	// Kind is the job's kind.
	Kind string
	// Event is the job's event tag.
	Event string
	// Input is the job's input as configured, a JSON object ("{}" when
	// none). Strings in it may be templates that jobd resolves for each
	// run (see IsTemplate): only the other values are known in advance.
	Input json.RawMessage
}

// Decode unmarshals the configured input into v.
func (r *ValidateJobRequest) Decode(v any) error {
	if len(r.Input) == 0 {
		return nil
	}
	return json.Unmarshal(r.Input, v)
}

// IsTemplate reports whether a configured string is resolved per run
// ($Input{…}, an operator, ${ … }) rather than known in advance.
func IsTemplate(s string) bool { return strings.Contains(s, "$") }

// Target returns what a job names in the input field key (for example
// "action": "app_tag:action_tag"), or its event tag when the field is
// absent or empty. ok is false when the input pipes the field (a template,
// or a value that is not a string): it is known only per run.
func (r *ValidateJobRequest) Target(key string) (target string, ok bool) {
	var in map[string]any
	_ = r.Decode(&in)
	switch v := in[key].(type) {
	case nil:
		return r.Event, true
	case string:
		if v == "" {
			return r.Event, true
		}
		return v, !IsTemplate(v)
	}
	return "", false
}
