package main

import (
	"context"
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

// request is what a test HTTP server saw.
type request struct {
	method, rawPath, rawQuery string
	header                    http.Header
	body                      []byte
}

// hookServer answers every request with status (and Retry-After when set)
// and records the requests.
type hookServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func startHook(t *testing.T, status int, retryAfter string) *hookServer {
	t.Helper()
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, request{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), b})
		h.mu.Unlock()
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "answer %d", status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) requests() []request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]request(nil), h.reqs...)
}

// callbackConfig points the callback channel at base+path.
func callbackConfig(base, path string) string {
	return fmt.Sprintf(`{"callback": {"url": %q, "headers": {"X-Source": "config", "Authorization": "Bearer t"}, "timeout": "5s"}}`, base+path)
}

func TestCallbackRequestIsExact(t *testing.T) {
	h := startHook(t, http.StatusAccepted, "")
	p, _ := newPlugin(t, callbackConfig(h.URL, "/hooks/:kind/:id.json?fixed=1"))
	input := `{"callback": {
		"params": {"kind": "reminder/daily", "id": 42},
		"query": {"tag": ["a", "b c"], "n": 1.5, "ok": true},
		"body": {"event": "$Input{x}", "n": 12345678901234567890},
		"headers": {"X-Source": "input", "X-Extra": "1"}}}`
	out := mustSend(t, p, newJob("idem-1", input))

	reqs := h.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != "POST" || r.rawPath != "/hooks/reminder%2Fdaily/42.json" {
		t.Errorf("%s %s", r.method, r.rawPath)
	}
	if r.rawQuery != "fixed=1&n=1.5&ok=true&tag=a&tag=b+c" {
		t.Errorf("query %q", r.rawQuery)
	}
	if string(r.body) != `{"event":"$Input{x}","n":12345678901234567890}` {
		t.Errorf("body %s", r.body)
	}
	for k, want := range map[string]string{
		"Idempotency-Key": "idem-1", "X-Source": "input", "X-Extra": "1", "Authorization": "Bearer t",
		"Content-Type": "application/json", "User-Agent": "jobd-notification/" + Version,
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	cb := out.Channels["callback"]
	if cb.Status != StatusSent || cb.StatusCode != http.StatusAccepted || cb.URL != h.URL+"/hooks/reminder%2Fdaily/42.json" {
		t.Errorf("outcome %+v", cb)
	}
}

func TestCallbackWebhookAliasAndMethod(t *testing.T) {
	h := startHook(t, http.StatusOK, "")
	p, _ := newPlugin(t, fmt.Sprintf(`{"callback": {"url": %q, "method": "put"}}`, h.URL+"/h"))
	out := mustSend(t, p, newJob("k", `{"webhook": {}}`))
	if out.Channels["webhook"].Status != StatusSent {
		t.Fatalf("outcome %+v", out.Channels)
	}
	r := h.requests()[0]
	if r.method != "PUT" || len(r.body) != 0 || r.header.Get("Content-Type") != "" {
		t.Errorf("%s body %q content-type %q", r.method, r.body, r.header.Get("Content-Type"))
	}
}

func TestCallbackFailures(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		input      string
		permanent  bool
		delay      time.Duration
		contains   string
		sent       int
	}{
		{"503 with Retry-After is retryable with its delay", 503, "7", `{"callback": {"params": {"kind": "x"}}}`, false, 7 * time.Second, "503 Service Unavailable: answer 503", 1},
		{"429 without Retry-After is retryable", 429, "", `{"callback": {"params": {"kind": "x"}}}`, false, 0, "429", 1},
		{"Retry-After as a date", 502, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), `{"callback": {"params": {"kind": "x"}}}`, false, time.Hour, "502", 1},
		{"404 is permanent", 404, "", `{"callback": {"params": {"kind": "x"}}}`, true, 0, "404 Not Found", 1},
		{"missing param is permanent and named", 200, "", `{"callback": {"params": {}}}`, true, 0, "callback.params.kind: required", 0},
		{"param the url lacks is permanent", 200, "", `{"callback": {"params": {"kind": "x", "knd": "y"}}}`, true, 0, "callback.params.knd: the callback url", 0},
		{"object param is permanent", 200, "", `{"callback": {"params": {"kind": {"a": 1}}}}`, true, 0, "callback.params.kind: want a non-empty string or number, got an object", 0},
		{"unknown field is permanent", 200, "", `{"callback": {"params": {"kind": "x"}, "url": "http://evil"}}`, true, 0, "callback.url: unknown key", 0},
		{"bad header is permanent", 200, "", `{"callback": {"params": {"kind": "x"}, "headers": {"X-A": "a\r\nX-B: b"}}}`, true, 0, "callback.headers.X-A", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startHook(t, tt.status, tt.retryAfter)
			p, _ := newPlugin(t, callbackConfig(h.URL, "/hooks/:kind"))
			res, err := p.Handle(context.Background(), newJob("k", tt.input))
			mustFail(t, res, err, tt.permanent)
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q lacks %q", err, tt.contains)
			}
			d, _ := sdk.RetryDelay(err)
			if d < tt.delay-2*time.Second || d > tt.delay {
				t.Errorf("retry delay %v, want %v", d, tt.delay)
			}
			if n := len(h.requests()); n != tt.sent {
				t.Errorf("%d requests, want %d", n, tt.sent)
			}
		})
	}
}

func TestCallbackUnreachableIsRetryable(t *testing.T) {
	p, _ := newPlugin(t, fmt.Sprintf(`{"callback": {"url": "http://127.0.0.1:%d/h?token=secret"}}`, freePort(t)))
	res, err := p.Handle(context.Background(), newJob("k", `{"callback": {"body": [1]}}`))
	mustFail(t, res, err, false)
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the URL's query: %v", err)
	}
}

func TestCallbackWithoutURLIsPermanent(t *testing.T) {
	p, _ := newPlugin(t, `{}`)
	res, err := p.Handle(context.Background(), newJob("k", `{"callback": {"body": {}}}`))
	mustFail(t, res, err, true)
	if !strings.Contains(err.Error(), "no URL configured") {
		t.Errorf("error %v", err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"0": 0, "120": 2 * time.Minute, now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat): 0,
	} {
		if got, ok := retryAfter(h, now); !ok || got != want {
			t.Errorf("retryAfter(%q) = %v, %v; want %v", h, got, ok, want)
		}
	}
	for _, h := range []string{"", "soon", "-1"} {
		if _, ok := retryAfter(h, now); ok {
			t.Errorf("retryAfter(%q) accepted", h)
		}
	}
}
