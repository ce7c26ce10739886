package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

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

// TestGolden runs every folder under testdata/cases: the plugin configured
// with config.json (default {}) handles input.json as attempt 1 of a run
// whose idempotency key is the folder's name. The case holds either
// expected.json (the output) and optionally message.eml (the outbox file),
// or expected_error.json. "{{callback_url}}" in any file stands for a local
// HTTP server answering 200, "{{provider_url}}" for the fake Expo, Twilio,
// Vonage and Plivo APIs of providers_test.go (credentials there). Run with
// -update to rewrite the expectations.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases (%v)", err)
	}
	h := startHook(t, http.StatusOK, "")
	f := startProviders(t)
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
				b = bytes.ReplaceAll(b, []byte("{{callback_url}}"), []byte(h.URL))
				return bytes.ReplaceAll(b, []byte("{{provider_url}}"), []byte(f.URL)), true
			}
			write := func(file string, b []byte) {
				b = bytes.ReplaceAll(b, []byte(h.URL), []byte("{{callback_url}}"))
				b = bytes.ReplaceAll(b, []byte(f.URL), []byte("{{provider_url}}"))
				if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			config, ok := read("config.json")
			if !ok {
				config = []byte("{}")
			}
			input, ok := read("input.json")
			if !ok {
				t.Fatal("input.json missing")
			}
			var gotErr *goldenError
			var gotOut []byte
			var gotEML []byte
			dataDir := t.TempDir()
			p := &Plugin{now: func() time.Time { return fixedNow }}
			err := p.Configure(context.Background(), &sdk.ConfigureRequest{Kind: "notification", Config: config, DataDir: dataDir})
			if err != nil {
				gotErr = &goldenError{Stage: "configure", Permanent: sdk.IsPermanent(err), Message: err.Error()}
			} else {
				res, err := p.Handle(context.Background(), newJob(name, string(input)))
				if err != nil {
					gotErr = &goldenError{Stage: "handle", Permanent: sdk.IsPermanent(err), Message: err.Error()}
				} else {
					var buf bytes.Buffer
					enc := json.NewEncoder(&buf)
					enc.SetEscapeHTML(false)
					enc.SetIndent("", "  ")
					_ = enc.Encode(res.Output)
					gotOut = buf.Bytes()
					if e, ok := res.Output.(Output).Channels["email"]; ok && e.File != "" {
						gotEML, _ = os.ReadFile(filepath.Join(dataDir, e.File))
					}
				}
			}

			if *update {
				for _, f := range []string{"expected.json", "expected_error.json", "message.eml"} {
					_ = os.Remove(filepath.Join(dir, f))
				}
				if gotErr != nil {
					b, _ := json.MarshalIndent(gotErr, "", "  ")
					write("expected_error.json", append(b, '\n'))
					return
				}
				write("expected.json", gotOut)
				if gotEML != nil {
					write("message.eml", gotEML)
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
			if wantEML, ok := read("message.eml"); ok {
				// Compare line by line: a checkout may turn CRLF into LF.
				norm := func(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") }
				if norm(gotEML) != norm(wantEML) {
					t.Errorf("outbox message:\n%s\nwant:\n%s", gotEML, wantEML)
				}
				if !bytes.Contains(gotEML, []byte("\r\n")) {
					t.Error("the outbox message does not use CRLF line ends")
				}
			}
		})
	}
}
