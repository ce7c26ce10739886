package main

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

// published is one message a fakeHost received.
type published struct {
	Subject string            `json:"subject"`
	Headers map[string]string `json:"headers"`
	Data    json.RawMessage   `json:"data"`
}

// fakeHost is the host boundary for tests: it records every publish and
// answers with err.
type fakeHost struct {
	mu   sync.Mutex
	msgs []published
	err  error
}

// Publish implements sdk.Host.
func (h *fakeHost) Publish(_ context.Context, subject string, data []byte, headers map[string]string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, published{Subject: subject, Headers: maps.Clone(headers), Data: append(json.RawMessage(nil), data...)})
	return h.err
}

// last returns the last message published, failing the test when none was.
func (h *fakeHost) last(t *testing.T) published {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.msgs) == 0 {
		t.Fatal("nothing was published")
	}
	return h.msgs[len(h.msgs)-1]
}

// count returns how many messages were published.
func (h *fakeHost) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.msgs)
}

// newPlugin configures a plugin with cfg (JSON).
func newPlugin(t *testing.T, cfg string) *Plugin {
	t.Helper()
	p := &Plugin{}
	if err := p.Configure(context.Background(), &sdk.ConfigureRequest{Kind: "feature", Config: json.RawMessage(cfg)}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p
}

// newJob is attempt 1 of a run whose idempotency key is key, publishing
// through host.
func newJob(host sdk.Host, event, key, input string) *sdk.Job {
	return &sdk.Job{ID: "job-1", RunID: "run-" + key, Event: event, Kind: "feature",
		Input: json.RawMessage(input), Attempt: 1, MaxAttempts: 4, IdempotencyKey: key, Host: host}
}
