package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/sdktest"
)

// fakeSlack answers chat.postMessage like Slack: channel "#missing" is not
// found, "#busy" is rate limited, "#down" is a 503, "#hang" never answers.
type fakeSlack struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []Input
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in Input
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	f.requests = append(f.requests, r)
	f.bodies = append(f.bodies, in)
	f.mu.Unlock()
	switch {
	case r.URL.Path != "/api/chat.postMessage":
		http.NotFound(w, r)
	case in.Channel == "#missing":
		w.Write([]byte(`{"ok":false,"error":"channel_not_found"}`))
	case in.Channel == "#busy":
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	case in.Channel == "#down":
		w.WriteHeader(http.StatusServiceUnavailable)
	case in.Channel == "#hang":
		<-r.Context().Done()
	default:
		w.Write([]byte(`{"ok":true,"channel":"C123","ts":"1700000000.000100"}`))
	}
}

func start(t *testing.T) (*fakeSlack, string) {
	f := &fakeSlack{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/api"
}

func TestHandle(t *testing.T) {
	f, url := start(t)
	h := sdktest.Start(t, &Plugin{}, sdktest.WithConfig(Config{BaseURL: url, Token: "xoxb-test"}))

	r := h.Run(sdktest.Job{Input: `{"channel":"#ops","text":"deploy done"}`, RunID: "run-1"})
	var out Output
	if err := r.Decode(&out); err != nil || out.TS != "1700000000.000100" {
		t.Fatalf("result %+v: %v", r, err)
	}
	req := f.requests[0]
	if req.Header.Get("Authorization") != "Bearer xoxb-test" || req.Header.Get("Idempotency-Key") != "run-1" {
		t.Errorf("headers %v", req.Header)
	}
	if f.bodies[0] != (Input{Channel: "#ops", Text: "deploy done"}) {
		t.Errorf("body %+v", f.bodies[0])
	}

	cases := []struct {
		channel string
		want    sdktest.Outcome
		err     string
		after   time.Duration
	}{
		{"#missing", sdktest.Permanent, "channel_not_found", 0},
		{"#busy", sdktest.Retry, "rate limited", 7 * time.Second},
		{"#down", sdktest.Retry, "HTTP 503", 0},
		{"", sdktest.Permanent, "channel and text are required", 0},
	}
	for _, tc := range cases {
		r := h.Run(sdktest.Job{Input: Input{Channel: tc.channel, Text: "x"}})
		if r.Outcome != tc.want || !strings.Contains(r.Error, tc.err) || r.RetryAfter != tc.after {
			t.Errorf("%q: %+v, want %v %q after %v", tc.channel, r, tc.want, tc.err, tc.after)
		}
	}
}

func TestConformance(t *testing.T) {
	_, url := start(t)
	sdktest.Conformance(t, func() sdk.Plugin { return &Plugin{} }, sdktest.Case{
		Config:         Config{BaseURL: url},
		Input:          Input{Channel: "#ops", Text: "hello"},
		BadInput:       Input{Channel: "#missing", Text: "hello"},
		RetryableInput: Input{Channel: "#down", Text: "hello"},
		BlockingInput:  Input{Channel: "#hang", Text: "hello"},
		BadConfig:      Config{BaseURL: "slack.com"},
	})
}
