package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/backup"
	"github.com/jobd-dev/jobd/engine/internal/streams"
)

// 1,000 pending runs survive a backup taken while jobd runs, the loss of
// the data folder, and a restore: each runs once, at its time.
func TestBackupRestorePendingRuns(t *testing.T) {
	const n = 1000
	base := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(base)
	en := newEnvClock(t, `
[[jobs]]
event = "later"
kind = "test"
on = ["events.later"]
input = {mode = "ok", n = "$Input{n}"}
[jobs.schedule]
delay = "1h"
`, clock)
	ctx := context.Background()
	for i := 0; i < n; i++ {
		if _, err := en.js.PublishAsync("events.later", []byte(fmt.Sprintf(`{"n": %d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-en.js.PublishAsyncComplete():
	case <-time.After(60 * patience * time.Second):
		t.Fatal("events not stored")
	}
	// Every event became a pending run.
	for deadline := time.Now().Add(60 * patience * time.Second); ; time.Sleep(50 * time.Millisecond) {
		s, err := en.js.Stream(ctx, streams.Timers)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pending runs, want %d", info.State.Msgs, n)
		}
	}

	dir := filepath.Join(t.TempDir(), "backup")
	m, err := backup.Backup(ctx, en.nc, dir, nil)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	saved := map[string]bool{}
	for _, s := range m.Streams {
		saved[s.Name] = true
	}
	for _, want := range []string{streams.Events, streams.Runs, streams.Timers, streams.Results, streams.DLQ, "KV_JOBD_JOBS"} {
		if !saved[want] {
			t.Errorf("backup lacks %s: %+v", want, m.Streams)
		}
	}

	en.stop()
	if err := os.RemoveAll(filepath.Join(en.dir, "data")); err != nil {
		t.Fatal(err)
	}
	cfg, err := engine.LoadConfig(en.cfgPath, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	// A record of how an older jobd left its streams, longer than the
	// backup's: the restore starts the damage check afresh.
	stale := `{"clean": true, "streams": {"JOBD_TIMERS": {"first": 1, "last": 999999, "msgs": 999999}}}`
	if err := os.MkdirAll(filepath.Join(en.dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(en.dir, "data", "jobd-streams.json"), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := engine.Restore(ctx, cfg, dir, nil); err != nil {
		t.Fatalf("restore: %v", err)
	}
	// A second restore finds the streams there and refuses.
	if err := engine.Restore(ctx, cfg, dir, nil); err == nil {
		t.Error("a restore over existing streams succeeded")
	}
	en.start()
	if code, checks := readyz(t, en.e); code != 200 {
		t.Errorf("after the restore: readyz %d %v", code, checks)
	}

	en.stepTo(clock, base.Add(time.Hour-time.Second), 0)
	calls := en.stepTo(clock, base.Add(time.Hour+time.Minute), n)
	seen := map[string]bool{}
	for _, c := range calls {
		if seen[c.RunID] {
			t.Errorf("run %s ran twice", c.RunID)
		}
		seen[c.RunID] = true
	}
}
