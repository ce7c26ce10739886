package sdk

import (
	"context"
	"encoding/json"
)

// APIVersion is the version of the plugin API this SDK speaks. jobd refuses a
// plugin whose API version it does not support.
const APIVersion = 1

// Plugin is what a plugin author implements.
//
// Handle is called concurrently for many jobs at once; jobd bounds how many
// (the plugin's concurrency setting). Configure is called once, before the
// first Handle.
type Plugin interface {
	// Info describes the plugin.
	Info() Info
	// Configure accepts the plugin's configuration block. An error refuses
	// the plugin: jobd reports it and runs the other kinds.
	Configure(ctx context.Context, req *ConfigureRequest) error
	// Handle runs one job. The context ends at the job's deadline or when
	// jobd cancels the run. Return a nil error for success; see [Permanent]
	// and [RetryAfter] for the failure classes.
	Handle(ctx context.Context, job *Job) (*Result, error)
}

// Info describes a plugin.
type Info struct {
	// Name of the plugin, such as "notification".
	Name string
	// Version of the plugin, such as "1.2.0".
	Version string
	// Kinds lists the job kinds the plugin serves; defaults to []string{Name}.
	Kinds []string
	// Description is one line for people.
	Description string
	// InputSchema is a JSON Schema of the input the plugin accepts, or nil.
	InputSchema json.RawMessage
	// SampleConfig is a sample configuration block in TOML.
	SampleConfig string
}

// ConfigureRequest carries a plugin's configuration.
type ConfigureRequest struct {
	// Kind is the kind jobd started the plugin for.
	Kind string
	// Config is the plugin's [plugins.<kind>.config] block as a JSON object
	// ("{}" when absent).
	Config json.RawMessage
	// DataDir is a folder the plugin may write to, under jobd's data_dir.
	DataDir string
	// Host lets the plugin publish events through jobd (log through
	// [Job.Log]); its methods return [ErrHostUnavailable] when jobd offers
	// no host services.
	Host Host
}

// Decode unmarshals the configuration into v.
func (r *ConfigureRequest) Decode(v any) error {
	if len(r.Config) == 0 {
		return nil
	}
	return json.Unmarshal(r.Config, v)
}

// Result is what a successful job returns.
type Result struct {
	// Output is recorded in the run's result; any JSON-encodable value, or nil.
	Output any
}
