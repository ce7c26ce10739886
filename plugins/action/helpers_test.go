package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// fixedNow is the clock of every test plugin.
var fixedNow = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

// seen is one request a test server received.
type seen struct {
	Method   string
	RawPath  string // escaped, as sent
	RawQuery string
	Query    map[string][]string
	Header   http.Header
	Body     string
}

// answer is what a test server replies.
type answer struct {
	status  int
	headers map[string]string
	body    string
}

// recorder is a loopback HTTP server that records each request and
// answers with its current answer.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
	ans  answer
}

// startRecorder starts a recorder answering 200 with a JSON body.
func startRecorder(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{ans: answer{status: 200, headers: map[string]string{"Content-Type": "application/json"}, body: `{"ok":true}`}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, seen{Method: req.Method, RawPath: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery,
			Query: req.URL.Query(), Header: req.Header.Clone(), Body: string(b)})
		a := r.ans
		r.mu.Unlock()
		w.Header()["Date"] = nil
		for k, v := range a.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(r.Close)
	return r
}

// reply sets the answer of the following requests.
func (r *recorder) reply(status int, body string, headers ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ans = answer{status: status, body: body, headers: map[string]string{}}
	for i := 0; i+1 < len(headers); i += 2 {
		r.ans.headers[headers[i]] = headers[i+1]
	}
}

// last returns the last request received, failing the test when none was.
func (r *recorder) last(t *testing.T) seen {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("the server received no request")
	}
	return r.reqs[len(r.reqs)-1]
}

// count returns how many requests the server received.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// appConfig is the JSON of a config with one app "crm" at baseURL; extra
// is spliced into the app's table (such as `"auth": {...},`).
func appConfig(baseURL, extra string) string {
	return fmt.Sprintf(`{"apps": {"crm": {"base_url": %q, %s
		"actions": {
			"post_note": {"method": "POST", "path": "/notes/:id"},
			"get_note": {"method": "get", "path": "/notes/:id"},
			"search": {"method": "GET", "path": "/search?type=note"},
			"form": {"method": "POST", "path": "/forms/:form_id/submit", "body_format": "form"}
		}}}}`, baseURL, extra)
}

// newPlugin configures a plugin with cfg (JSON).
func newPlugin(t *testing.T, cfg string) *Plugin {
	t.Helper()
	p := &Plugin{now: func() time.Time { return fixedNow }}
	if err := p.Configure(context.Background(), &sdk.ConfigureRequest{Kind: "action", Config: json.RawMessage(cfg)}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p
}

// newJob is attempt 1 of a run whose idempotency key is key.
func newJob(event, key, input string) *sdk.Job {
	return &sdk.Job{ID: "job-1", RunID: "run-" + key, Event: event, Kind: "action",
		Input: json.RawMessage(input), Attempt: 1, MaxAttempts: 4, IdempotencyKey: key}
}

// mustRun runs job and returns its output, failing the test on an error.
func mustRun(t *testing.T, p *Plugin, job *sdk.Job) Output {
	t.Helper()
	res, err := p.Handle(context.Background(), job)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	out, ok := res.Output.(Output)
	if !ok {
		t.Fatalf("output is %T", res.Output)
	}
	return out
}

// mustFail runs job and checks that it failed with the wanted class and a
// message holding every want.
func mustFail(t *testing.T, p *Plugin, job *sdk.Job, permanent bool, want ...string) error {
	t.Helper()
	res, err := p.Handle(context.Background(), job)
	if err == nil {
		t.Fatalf("Handle succeeded with %+v; want an error", res.Output)
	}
	if got := sdk.IsPermanent(err); got != permanent {
		t.Fatalf("permanent = %v, want %v (error: %v)", got, permanent, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	return err
}
