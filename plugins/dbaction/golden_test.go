package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/cases from the current behaviour")

// goldenJob is a case's job.json, and an item of its before.json.
type goldenJob struct {
	// Event is the job's event tag, "database_tag:action_tag".
	Event string `json:"event"`
	// Input is the job's input.
	Input json.RawMessage `json:"input"`
	// IdempotencyKey defaults to the case's folder name (before.json: "before-<n>").
	IdempotencyKey string `json:"idempotency_key"`
}

// goldenError is a case's expected_error.json.
type goldenError struct {
	// Stage is "configure" or "handle".
	Stage string `json:"stage"`
	// Permanent is the error's class.
	Permanent bool `json:"permanent"`
	// Message is the whole error text.
	Message string `json:"message"`
}

// TestGolden runs every folder under testdata/cases on SQLite, in a fresh
// data folder: the plugin is configured with the case's config.json
// (default testdata/config.json), runs the jobs of before.json (each must
// succeed), then job.json. The case holds expected.json (the output) or
// expected_error.json. Run with -update to rewrite the expectations.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases (%v)", err)
	}
	defaultConfig, err := os.ReadFile(filepath.Join("testdata", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			read := func(file string) ([]byte, bool) {
				b, err := os.ReadFile(filepath.Join(dir, file))
				if errors.Is(err, fs.ErrNotExist) {
					return nil, false
				}
				if err != nil {
					t.Fatal(err)
				}
				return b, true
			}
			config, ok := read("config.json")
			if !ok {
				config = defaultConfig
			}
			var job goldenJob
			if b, ok := read("job.json"); !ok {
				t.Fatal("job.json missing")
			} else if err := json.Unmarshal(b, &job); err != nil {
				t.Fatalf("job.json: %v", err)
			}
			var before []goldenJob
			if b, ok := read("before.json"); ok {
				if err := json.Unmarshal(b, &before); err != nil {
					t.Fatalf("before.json: %v", err)
				}
			}

			gotErr, gotOut := runCase(t, name, config, before, job)

			if *update {
				for _, f := range []string{"expected.json", "expected_error.json"} {
					_ = os.Remove(filepath.Join(dir, f))
				}
				file, b := "expected.json", gotOut
				if gotErr != nil {
					file, b = "expected_error.json", indent(t, gotErr)
				}
				if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantB, ok := read("expected_error.json"); ok {
				var want goldenError
				if err := json.Unmarshal(wantB, &want); err != nil {
					t.Fatalf("expected_error.json: %v", err)
				}
				if gotErr == nil || *gotErr != want {
					t.Fatalf("error %+v (output %s), want %+v", gotErr, gotOut, want)
				}
				return
			}
			if gotErr != nil {
				t.Fatalf("unexpected error %+v", gotErr)
			}
			wantB, ok := read("expected.json")
			if !ok {
				t.Fatal("expected.json or expected_error.json missing")
			}
			var want, got any
			if err := json.Unmarshal(wantB, &want); err != nil {
				t.Fatalf("expected.json: %v", err)
			}
			_ = json.Unmarshal(gotOut, &got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("output:\n%s\nwant:\n%s", gotOut, wantB)
			}
		})
	}
}

// runCase configures a plugin, runs before and then job, and returns the
// job's error or its output as indented JSON.
func runCase(t *testing.T, name string, config []byte, before []goldenJob, job goldenJob) (*goldenError, []byte) {
	t.Helper()
	p := &Plugin{log: silentLog()}
	defer func() { _ = p.Close() }()
	ctx := context.Background()
	if err := p.Configure(ctx, &sdk.ConfigureRequest{Kind: "db_action", Config: config, DataDir: t.TempDir()}); err != nil {
		return &goldenError{Stage: "configure", Permanent: sdk.IsPermanent(err), Message: err.Error()}, nil
	}
	sdkJob := func(j goldenJob, key string) *sdk.Job {
		if j.IdempotencyKey != "" {
			key = j.IdempotencyKey
		}
		return &sdk.Job{ID: "job-" + name, RunID: "run-" + key, Event: j.Event, Kind: "db_action",
			Input: j.Input, Attempt: 1, MaxAttempts: 1, IdempotencyKey: key}
	}
	for i, b := range before {
		if _, err := p.Handle(ctx, sdkJob(b, "before-"+string(rune('0'+i)))); err != nil {
			t.Fatalf("before.json[%d] (%s): %v", i, b.Event, err)
		}
	}
	res, err := p.Handle(ctx, sdkJob(job, name))
	if err != nil {
		return &goldenError{Stage: "handle", Permanent: sdk.IsPermanent(err), Message: err.Error()}, nil
	}
	return nil, indent(t, res.Output)
}

// indent encodes v as indented JSON with a final newline.
func indent(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
