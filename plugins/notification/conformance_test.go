package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/sdktest"
)

// The plugin passes the SDK's conformance suite: email to the file outbox,
// callbacks to a local server that answers 503 on /down and never on /hang.
func TestConformance(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hooks/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/hooks/hang":
			<-r.Context().Done()
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	sdktest.Conformance(t, func() sdk.Plugin { return &Plugin{} }, sdktest.Case{
		Config: map[string]any{
			"email":    map[string]any{"from": "jobd <jobd@localhost>", "transport": "outbox"},
			"callback": map[string]any{"url": srv.URL + "/hooks/:path", "timeout": "1m"},
		},
		Input: map[string]any{
			"email": map[string]any{"to": "ada@example.com", "subject": "Hello", "body": "Hello Ada"},
		},
		BadInput:       map[string]any{"email": map[string]any{"to": "not an address", "subject": "x", "body": "x"}},
		RetryableInput: map[string]any{"callback": map[string]any{"params": map[string]any{"path": "down"}}},
		BlockingInput:  map[string]any{"callback": map[string]any{"params": map[string]any{"path": "hang"}}},
		BadConfig:      map[string]any{"email": map[string]any{"transport": "carrier pigeon"}},
	})
}
