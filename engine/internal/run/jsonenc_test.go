package run

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// The hand-written encoder gives a document that decodes to exactly what
// encoding/json's does.
func TestAppendResultMatchesEncodingJSON(t *testing.T) {
	now := time.Date(2026, 12, 24, 9, 0, 0, 123456789, time.UTC)
	started := now.Add(-time.Millisecond)
	for _, r := range []*wire.Result{
		{JobID: "j", RunID: "r", Event: "e", Kind: "k", Status: "completed", Attempts: 1, ReceivedAt: now, FinishedAt: now},
		{JobID: "j\"", RunID: "r", Event: "e:x", Kind: "k", Status: "failed", Attempts: 4, Subject: "events.a", ReceivedAt: now,
			StartedAt: &started, FinishedAt: now, DurationMS: 1.25, QueuedMS: 850.5, Error: &wire.ErrorInfo{Message: "boom\n<x>", Class: wire.ClassTimeout},
			Input: json.RawMessage(`{"a":1}`), Output: json.RawMessage(`{"ok":true}`)},
	} {
		got := AppendResult(nil, r)
		want, _ := json.Marshal(r)
		var g, w map[string]any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("invalid JSON %s: %v", got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		if strings.Contains(string(got), "\n") {
			t.Errorf("raw newline in %s", got)
		}
	}
}
