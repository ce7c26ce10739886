package runner

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The hand-written encoders give documents that decode to exactly what
// encoding/json's do.
func TestAppendValueMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, "", "plain", "quote \" backslash \\ tab \t newline \n cr \r bell \a", "<html> & 'x'", "ünïcødé ✓ 🎉",
		"line\u2028sep\u2029", string([]byte{0xff, 'a'}), true, false, int64(-42), 0, 3.5, float64(1e21), 1e-7, float64(77), -0.0,
		map[string]any{"b": int64(1), "a": []any{"x", 2.5, nil, map[string]any{}}, "c": map[string]any{"z": true}},
		[]any{}, json.RawMessage(`{"k":[1,2]}`), []string{"fallback"},
	}
	for _, v := range values {
		got, err := appendValue(nil, v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		want, _ := json.Marshal(v)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%#v encoded as invalid JSON %s: %v", v, got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%#v: got %s, encoding/json %s", v, got, want)
		}
	}
}

func TestAppendResultMatchesEncodingJSON(t *testing.T) {
	now := time.Date(2026, 12, 24, 9, 0, 0, 123456789, time.UTC)
	started := now.Add(-time.Millisecond)
	for _, r := range []*Result{
		{JobID: "j", RunID: "r", Event: "e", Kind: "k", Status: "completed", Attempts: 1, ReceivedAt: now, FinishedAt: now},
		{JobID: "j\"", RunID: "r", Event: "e:x", Kind: "k", Status: "failed", Attempts: 4, Subject: "events.a", ReceivedAt: now,
			StartedAt: &started, FinishedAt: now, DurationMS: 1.25, Error: &ErrorInfo{Message: "boom\n<x>", Class: ClassTimeout},
			Input: json.RawMessage(`{"a":1}`), Output: json.RawMessage(`{"ok":true}`)},
	} {
		got := appendResult(nil, r)
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
