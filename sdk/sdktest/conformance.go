package sdktest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/jobd-dev/jobd/sdk"
)

// Case tells [Conformance] how to exercise one kind of a plugin.
type Case struct {
	// Kind is the kind to test. Defaults to the plugin's first kind.
	Kind string
	// Config is the configuration for the job checks, as
	// [Harness.Configure] takes it. Defaults to the kind's table in the
	// plugin's sample configuration.
	Config any
	// Options are harness options for every check (a publish function, a
	// data folder).
	Options []Option
	// Input is a valid input the plugin must run with outcome OK. Required.
	Input any
	// BadInput is an input the plugin must refuse with outcome Permanent.
	// Defaults to [] (a JSON array, which no object input decodes from).
	BadInput any
	// RetryableInput, if set, is an input that must fail with outcome Retry
	// (a downstream server that answers 503, say).
	RetryableInput any
	// BlockingInput, if set, is an input whose job blocks until its context
	// ends (a request to a server that never answers, say); it checks that
	// the plugin answers on its own when a job is cancelled and when its
	// deadline passes. Without it, cancellation is skipped and the deadline
	// check sends Input with a deadline already past.
	BlockingInput any
	// BadConfig, if set, is a configuration the plugin must refuse.
	BadConfig any
}

var (
	versionPattern = regexp.MustCompile(`^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$`)
	kindPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Conformance checks what jobd expects of every plugin, one subtest each:
//
//   - info: a name, a semantic version, lowercase kinds (including
//     c.Kind), API version [sdk.APIVersion], an input schema that is a JSON
//     object when given, and a sample configuration in TOML with a
//     [plugins.<kind>] table;
//   - sample_config_accepted: the sample's [plugins.<kind>.config] table
//     configures the plugin;
//   - bad_config_refused (with c.BadConfig);
//   - input_ok: c.Input runs with outcome OK;
//   - bad_input_permanent: c.BadInput fails with outcome Permanent and a
//     message;
//   - retryable_input_retries (with c.RetryableInput): outcome Retry;
//   - deadline_honoured: a job whose deadline passes is answered by the
//     plugin, not by the host's timer, with an outcome other than OK;
//   - cancellation_honoured (with c.BlockingInput): likewise for a job jobd
//     cancels.
//
// newPlugin returns a fresh plugin for each check.
func Conformance(t *testing.T, newPlugin func() sdk.Plugin, c Case) {
	t.Helper()
	if c.Input == nil {
		t.Fatal("sdktest.Conformance: Case.Input is required (a valid input the plugin runs with outcome OK)")
	}
	if c.BadInput == nil {
		c.BadInput = json.RawMessage("[]")
	}
	opts := func(t *testing.T, extra ...Option) []Option {
		o := append([]Option{WithDataDir(t.TempDir())}, c.Options...)
		if c.Kind != "" {
			o = append(o, WithKind(c.Kind))
		}
		return append(o, extra...)
	}
	serve := func(t *testing.T) *Harness {
		t.Helper()
		h, err := New(newPlugin(), opts(t)...)
		if err != nil {
			t.Fatalf("sdktest: %v", err)
		}
		h.logf = t.Logf
		t.Cleanup(h.Close)
		return h
	}
	// configured serves a plugin configured for the job checks.
	configured := func(t *testing.T) *Harness {
		t.Helper()
		h := serve(t)
		cfg := c.Config
		if cfg == nil {
			var err error
			if cfg, err = ConfigFromTOML(h.Info().SampleConfig, h.Kind()); err != nil {
				t.Fatalf("sample configuration: %v", err)
			}
		}
		if err := h.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		return h
	}

	t.Run("info", func(t *testing.T) {
		h := serve(t)
		checkInfo(t, h.Info(), h.Kind())
	})
	t.Run("sample_config_accepted", func(t *testing.T) {
		h := serve(t)
		cfg, err := ConfigFromTOML(h.Info().SampleConfig, h.Kind())
		if err != nil {
			t.Fatalf("sample configuration: %v", err)
		}
		if err := h.Configure(cfg); err != nil {
			t.Errorf("the sample configuration is refused: %v\nconfiguration: %s", err, cfg)
		}
	})
	if c.BadConfig != nil {
		t.Run("bad_config_refused", func(t *testing.T) {
			h := serve(t)
			if err := h.Configure(c.BadConfig); err == nil {
				t.Errorf("configuration %v was accepted", c.BadConfig)
			}
		})
	}
	t.Run("input_ok", func(t *testing.T) {
		h := configured(t)
		r := h.Run(Job{Input: c.Input})
		if r.Outcome != OK {
			t.Errorf("outcome %v (%s), want ok", r.Outcome, r.Error)
		}
		if r.Output != nil && !json.Valid(r.Output) {
			t.Errorf("output is not JSON: %s", r.Output)
		}
	})
	t.Run("bad_input_permanent", func(t *testing.T) {
		h := configured(t)
		r := h.Run(Job{Input: c.BadInput})
		if r.Outcome != Permanent || r.Error == "" {
			t.Errorf("outcome %v (%q), want permanent with a message", r.Outcome, r.Error)
		}
	})
	if c.RetryableInput != nil {
		t.Run("retryable_input_retries", func(t *testing.T) {
			h := configured(t)
			r := h.Run(Job{Input: c.RetryableInput})
			if r.Outcome != Retry || r.Error == "" || r.TimedOut {
				t.Errorf("outcome %v (%q, timed out %v), want retry with a message", r.Outcome, r.Error, r.TimedOut)
			}
		})
	}
	t.Run("deadline_honoured", func(t *testing.T) {
		h := configured(t)
		job := Job{Input: c.Input, Deadline: time.Now().Add(-time.Second)}
		if c.BlockingInput != nil {
			job = Job{Input: c.BlockingInput, Deadline: time.Now().Add(300 * time.Millisecond)}
		}
		r := h.Run(job)
		switch {
		case r.TimedOut:
			t.Errorf("the plugin did not answer within %v of the job's deadline: it must return when its context ends", GraceDefault)
		case r.Outcome == OK:
			t.Errorf("a job past its deadline succeeded; check ctx.Err() before side effects and pass ctx to every call")
		}
	})
	t.Run("cancellation_honoured", func(t *testing.T) {
		if c.BlockingInput == nil {
			t.Skip("no Case.BlockingInput")
		}
		h := configured(t)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		r := h.RunContext(ctx, Job{Input: c.BlockingInput, Deadline: time.Now().Add(time.Minute)})
		switch {
		case r.TimedOut:
			t.Errorf("the plugin did not answer within %v of the job's cancellation: it must return when its context ends", GraceDefault)
		case r.Outcome == OK:
			t.Errorf("a cancelled job succeeded")
		}
	})
}

func checkInfo(t *testing.T, info Info, kind string) {
	t.Helper()
	if info.Name == "" {
		t.Error("name is empty")
	}
	if !versionPattern.MatchString(info.Version) {
		t.Errorf("version %q is not a semantic version (such as 1.2.0)", info.Version)
	}
	if len(info.Kinds) == 0 {
		t.Error("serves no kinds")
	}
	for _, k := range info.Kinds {
		if !kindPattern.MatchString(k) {
			t.Errorf("kind %q is not lowercase letters, digits and _ (starting with a letter)", k)
		}
	}
	if !slices.Contains(info.Kinds, kind) {
		t.Errorf("kinds %v do not include %q", info.Kinds, kind)
	}
	if info.APIVersion != sdk.APIVersion {
		t.Errorf("API version %d, want %d", info.APIVersion, sdk.APIVersion)
	}
	if len(info.InputSchema) > 0 {
		var schema map[string]any
		if err := json.Unmarshal(info.InputSchema, &schema); err != nil {
			t.Errorf("input schema is not a JSON object: %v", err)
		}
	}
	if info.SampleConfig == "" {
		t.Error("sample configuration is empty")
		return
	}
	var doc map[string]any
	if err := toml.Unmarshal([]byte(info.SampleConfig), &doc); err != nil {
		t.Errorf("sample configuration is not TOML: %v", err)
		return
	}
	plugins, _ := doc["plugins"].(map[string]any)
	if _, ok := plugins[kind].(map[string]any); !ok {
		t.Errorf("sample configuration has no [plugins.%s] table", kind)
	}
}

// ConfigFromTOML returns the [plugins.<kind>.config] table of a TOML
// configuration (a plugin's sample, say) as the JSON object jobd hands the
// plugin; {} when the table is absent.
func ConfigFromTOML(doc, kind string) (json.RawMessage, error) {
	var m map[string]any
	if err := toml.Unmarshal([]byte(doc), &m); err != nil {
		return nil, fmt.Errorf("parse TOML: %w", err)
	}
	plugins, _ := m["plugins"].(map[string]any)
	p, _ := plugins[kind].(map[string]any)
	cfg, ok := p["config"]
	if !ok {
		return json.RawMessage("{}"), nil
	}
	if _, isTable := cfg.(map[string]any); !isTable {
		return nil, fmt.Errorf("plugins.%s.config is a %T, not a table", kind, cfg)
	}
	return json.Marshal(cfg)
}
