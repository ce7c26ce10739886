package main_test

import (
	"strings"
	"testing"
	"time"
)

// An event-triggered run is visible from the command line alone.
func TestRunsCommands(t *testing.T) {
	s := newSite(t, `
[[jobs]]
event = "work"
kind = "test"
on = ["events.work"]
input = {mode = "$Input{mode}"}
`)
	d := s.start()
	defer d.stop(t)
	if out, errOut, code := s.jobd("publish", "events.work", `{"mode":"ok"}`); code != 0 {
		t.Fatalf("publish: %s %s", out, errOut)
	}
	var out string
	waitFor(t, 20*time.Second, "the run in runs ls", func() bool {
		out, _, _ = s.jobd("runs", "ls", "--job", "work", "--since", "1h")
		return strings.Contains(out, "completed")
	})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "RUN") {
		t.Fatalf("runs ls:\n%s", out)
	}
	runID := strings.Fields(lines[1])[0]
	show, errOut, code := s.jobd("runs", "show", runID)
	if code != 0 || !strings.Contains(show, `"status": "completed"`) || !strings.Contains(show, `"mode": "ok"`) {
		t.Fatalf("runs show: exit %d\n%s\n%s", code, show, errOut)
	}
	if _, errOut, code = s.jobd("runs", "cancel", runID); code == 0 || !strings.Contains(errOut, "finished") {
		t.Fatalf("runs cancel of a finished run: exit %d %s", code, errOut)
	}
}
