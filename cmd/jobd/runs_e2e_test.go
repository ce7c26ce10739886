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

[[jobs]]
event = "daily"
kind = "test"
input = {mode = "ok"}
[jobs.schedule]
cron = "0 9 * * *"
tz = "Europe/Berlin"
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

	// A cron job dispatched with no schedule flags follows its schedule and
	// says so; --now runs it once, at once.
	out, errOut, code = s.jobd("dispatch", "daily")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, `scheduled (the configured schedule: cron "0 9 * * *" Europe/Berlin), next run `) {
		t.Fatalf("dispatch of a cron job: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = s.jobd("dispatch", "daily", "--now")
	if code != 0 || !strings.Contains(errOut, "queued, runs now") {
		t.Fatalf("dispatch --now: exit %d\n%s\n%s", code, out, errOut)
	}
	waitFor(t, 20*time.Second, "the --now run", func() bool {
		out, _, _ = s.jobd("runs", "ls", "--job", "daily")
		return strings.Contains(out, "completed")
	})
}
