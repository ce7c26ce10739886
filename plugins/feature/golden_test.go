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
	"slices"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/cases from the current behaviour")

// goldenError is a case's expected_error.json.
type goldenError struct {
	// Stage is "configure" or "handle".
	Stage string `json:"stage"`
	// Permanent is the error's class.
	Permanent bool `json:"permanent"`
	// Message is the whole error text.
	Message string `json:"message"`
}

// goldenResult is a case's expected.json: the job's output and what it
// published.
type goldenResult struct {
	Output    Output      `json:"output"`
	Published []published `json:"published"`
}

// TestGolden runs every folder under testdata/cases: the plugin configured
// with config.json (default {}) handles input.json as attempt 1 of a run
// whose idempotency key is the folder's name and whose event is event.txt
// (default "onboarding"), publishing through a fakeHost. The case holds
// expected.json (output and published messages, data parsed) or
// expected_error.json. Run with -update to rewrite the expectations.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases (%v)", err)
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
				config = []byte("{}")
			}
			input, ok := read("input.json")
			if !ok {
				t.Fatal("input.json missing")
			}
			event := "onboarding"
			if b, ok := read("event.txt"); ok {
				event = strings.TrimSpace(string(b))
			}
			var gotErr *goldenError
			var got []byte
			p, h := &Plugin{}, &fakeHost{}
			if err := p.Configure(context.Background(), &sdk.ConfigureRequest{Kind: "feature", Config: config}); err != nil {
				gotErr = &goldenError{Stage: "configure", Permanent: sdk.IsPermanent(err), Message: err.Error()}
			} else if res, err := p.Handle(context.Background(), newJob(h, event, name, string(input))); err != nil {
				gotErr = &goldenError{Stage: "handle", Permanent: sdk.IsPermanent(err), Message: err.Error()}
			} else {
				got, _ = json.MarshalIndent(goldenResult{Output: res.Output.(Output), Published: h.msgs}, "", "  ")
				got = append(got, '\n')
			}

			if *update {
				for _, f := range []string{"expected.json", "expected_error.json"} {
					_ = os.Remove(filepath.Join(dir, f))
				}
				out := got
				if gotErr != nil {
					var buf bytes.Buffer
					enc := json.NewEncoder(&buf)
					enc.SetEscapeHTML(false)
					enc.SetIndent("", "  ")
					_ = enc.Encode(gotErr)
					out = buf.Bytes()
				}
				file := map[bool]string{true: "expected_error.json", false: "expected.json"}[gotErr != nil]
				if err := os.WriteFile(filepath.Join(dir, file), out, 0o644); err != nil {
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
					t.Fatalf("error %+v (result %s), want %+v", gotErr, got, want)
				}
				if h.count() != 0 {
					t.Errorf("a failed job published %d messages", h.count())
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
			var want, gotV any
			if err := json.Unmarshal(wantB, &want); err != nil {
				t.Fatalf("expected.json: %v", err)
			}
			_ = json.Unmarshal(got, &gotV)
			if !reflect.DeepEqual(gotV, want) {
				t.Errorf("result:\n%s\nwant:\n%s", got, wantB)
			}
		})
	}
}

// Every golden case folder holds only the files TestGolden reads.
func TestGoldenCaseFiles(t *testing.T) {
	known := []string{"config.json", "event.txt", "input.json", "expected.json", "expected_error.json"}
	files, _ := filepath.Glob(filepath.Join("testdata", "cases", "*", "*"))
	for _, f := range files {
		if !slices.Contains(known, filepath.Base(f)) {
			t.Errorf("%s: unknown golden file (known: %v)", f, known)
		}
	}
}
