package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
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
	// RetryAfter is the delay the error asks for, if any ("7s").
	RetryAfter string `json:"retry_after,omitempty"`
	// Message is the whole error text.
	Message string `json:"message"`
}

// startEcho starts the golden cases' server: /status/<code> answers that
// status with a JSON error (and Retry-After: <retry_after query>); any
// other path answers 200 with the request as JSON: method, escaped path,
// query, body, and the headers Authorization, Content-Type,
// Idempotency-Key and X-*.
func startEcho(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.Header().Set("Content-Type", "application/json")
		if code, ok := strings.CutPrefix(r.URL.Path, "/status/"); ok {
			n, _ := strconv.Atoi(code)
			if ra := r.URL.Query().Get("retry_after"); ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			w.WriteHeader(n)
			_, _ = io.WriteString(w, `{"error": "status `+code+`"}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		headers := map[string]string{}
		for k := range r.Header {
			if k == "Authorization" || k == "Content-Type" || k == "Idempotency-Key" || strings.HasPrefix(k, "X-") {
				headers[k] = r.Header.Get(k)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.EscapedPath(),
			"query": r.URL.RawQuery, "headers": headers, "body": string(body)})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestGolden runs every folder under testdata/cases: the plugin configured
// with config.json (default: testdata/config.json) handles input.json as
// attempt 1 of a run whose idempotency key is the folder's name and whose
// event is event.txt (default "echo:post_note"). The case holds
// expected.json (the output) or expected_error.json. "{{server_url}}" in
// any file stands for the echo server of startEcho. Run with -update to
// rewrite the expectations.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases (%v)", err)
	}
	srv := startEcho(t)
	read := func(t *testing.T, dir, file string) ([]byte, bool) {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false
		}
		if err != nil {
			t.Fatal(err)
		}
		return bytes.ReplaceAll(b, []byte("{{server_url}}"), []byte(srv.URL)), true
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			write := func(file string, b []byte) {
				b = bytes.ReplaceAll(b, []byte(srv.URL), []byte("{{server_url}}"))
				if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			config, ok := read(t, dir, "config.json")
			if !ok {
				config, _ = read(t, "testdata", "config.json")
			}
			input, ok := read(t, dir, "input.json")
			if !ok {
				t.Fatal("input.json missing")
			}
			event := "echo:post_note"
			if b, ok := read(t, dir, "event.txt"); ok {
				event = strings.TrimSpace(string(b))
			}
			gotErr, gotOut := runCase(name, event, config, input)

			if *update {
				for _, f := range []string{"expected.json", "expected_error.json"} {
					_ = os.Remove(filepath.Join(dir, f))
				}
				if gotErr != nil {
					b, _ := json.MarshalIndent(gotErr, "", "  ")
					write("expected_error.json", append(b, '\n'))
				} else {
					write("expected.json", gotOut)
				}
				return
			}
			if wantB, ok := read(t, dir, "expected_error.json"); ok {
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
			wantB, ok := read(t, dir, "expected.json")
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

// runCase configures a plugin and runs one job, returning its error or its
// output as indented JSON.
func runCase(key, event string, config, input []byte) (*goldenError, []byte) {
	p := &Plugin{now: func() time.Time { return fixedNow }}
	if err := p.Configure(context.Background(), &sdk.ConfigureRequest{Kind: "action", Config: config}); err != nil {
		return &goldenError{Stage: "configure", Permanent: sdk.IsPermanent(err), Message: err.Error()}, nil
	}
	res, err := p.Handle(context.Background(), newJob(event, key, string(input)))
	if err != nil {
		g := &goldenError{Stage: "handle", Permanent: sdk.IsPermanent(err), Message: err.Error()}
		if d, ok := sdk.RetryDelay(err); ok {
			g.RetryAfter = d.String()
		}
		return g, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(res.Output)
	return nil, buf.Bytes()
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
