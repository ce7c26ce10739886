package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jobd backup while jobd runs, then jobd restore into a new data folder:
// the scheduled jobs are there again.
func TestBackupAndRestoreCommands(t *testing.T) {
	s := newSite(t, `
[[jobs]]
event = "later"
kind = "test"
on = ["events.later"]
input = {mode = "ok"}
[jobs.schedule]
delay = "1h"
`)
	d := s.start()
	for i := 0; i < 3; i++ {
		if _, errOut, code := s.jobd("publish", "events.later", `{}`); code != 0 {
			t.Fatalf("publish: %s", errOut)
		}
	}
	scheduled := func() int {
		out, _, _ := s.jobd("jobs", "ls", "--status", "scheduled")
		return strings.Count(out, " later ")
	}
	for deadline := time.Now().Add(3 * time.Minute); scheduled() < 3; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the jobs were not scheduled")
		}
	}
	dir := filepath.Join(s.dir, "backup")
	out, errOut, code := s.jobd("backup", dir)
	if code != 0 || !strings.Contains(out, "JOBD_TIMERS") || !strings.Contains(out, "KV_JOBD_JOBS") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	// A restore while jobd holds the data folder is refused.
	if _, errOut, code := s.jobd("restore", dir); code == 0 || !strings.Contains(errOut, "in use") {
		t.Errorf("restore into a running jobd's folder: exit %d %s", code, errOut)
	}
	d.stop(t)
	if err := os.RemoveAll(filepath.Join(s.dir, "data")); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := s.jobd("restore", dir); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := s.jobd("restore", dir); code != 1 || !strings.Contains(errOut, "empty data folder") {
		t.Errorf("second restore: exit %d %s; want 1, the streams exist", code, errOut)
	}
	s.start()
	if n := scheduled(); n != 3 {
		t.Errorf("%d scheduled jobs after the restore, want 3", n)
	}
}
