package main_test

import (
	"strings"
	"testing"
)

// A running jobd keeps its streams' settings when its configuration
// changes; `jobd streams apply` changes them, and says what it changed.
func TestStreamsApply(t *testing.T) {
	s := newSite(t, `
[[jobs]]
event = "work"
kind = "test"
on = ["events.work"]
`)
	d := s.start()
	defer d.stop(t)
	s.env = append(s.env, "JOBD_SERVER__DEDUPE_WINDOW=5m")
	out, errOut, code := s.jobd("streams", "apply")
	if code != 0 || !strings.Contains(out, "JOBD_RESULTS: server.dedupe_window 2m0s -> 5m0s") {
		t.Fatalf("streams apply exited %d:\n%s%s", code, out, errOut)
	}
	out, errOut, code = s.jobd("streams", "apply")
	if code != 0 || !strings.Contains(out, "nothing changed") {
		t.Fatalf("a second streams apply exited %d:\n%s%s", code, out, errOut)
	}
}
