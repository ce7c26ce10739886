package sdk

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

func TestJobLogCarriesTheJobsIDs(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	log := jobLogger(base, &pluginpb.Job{JobId: "j1", RunId: "r1", Event: "send", Kind: "notification", Attempt: 2})

	log.Debug("hidden")
	log.Info("sent", "to", "ada@example.com")
	log.With("smtp", "mx1").WithGroup("reply").Warn("slow", "code", 250)

	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (the debug line is below the level): %s", len(lines), buf.String())
	}
	for _, m := range lines {
		for k, want := range map[string]any{"job_id": "j1", "run_id": "r1", "event": "send", "kind": "notification", "attempt": 2.0} {
			if m[k] != want {
				t.Errorf("%q: %s = %v, want %v", m["msg"], k, m[k], want)
			}
		}
	}
	if lines[0]["to"] != "ada@example.com" {
		t.Errorf("record attribute lost: %v", lines[0])
	}
	if lines[1]["smtp"] != "mx1" || lines[1]["reply"].(map[string]any)["code"] != 250.0 {
		t.Errorf("With and WithGroup: %v", lines[1])
	}
}
