package engine_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine"
)

// When NATS refuses to store jobd's outcomes (its store is full), jobd
// stops taking work (no handler runs a run more than twice), /readyz says
// why, and once space is back every run finishes without a restart.
func TestFullStorePausesAndResumes(t *testing.T) {
	const n = 200
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	cfgText := fmt.Sprintf(`
[server]
data_dir = "data"
http = "127.0.0.1:0"
ack_wait = "3s"
shutdown_timeout = "10s"
[nats]
listen = "127.0.0.1:0"
[plugins]
dir = %q
[plugins.test]
concurrency = 4
[[jobs]]
event = "work"
kind = "test"
on = ["events.work"]
input = {mode = "ok", sleep_ms = 20, pad = "$Input{pad}"}
`, pluginDir)
	if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, cat, err := engine.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e := engine.New(cfg, cat, engine.Options{Logger: log, MaxStoreBytes: 8 << 20})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(context.Background())
	nc, err := nats.Connect(e.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	en := &env{t: t, dir: dir, e: e, nc: nc, js: js}

	// The events are stored; then a stream of the test's own takes the
	// rest of the store, so the runs' results cannot be.
	pad := strings.Repeat("p", 2000)
	for i := 0; i < n; i++ {
		if _, err := js.PublishAsync("events.work", []byte(fmt.Sprintf(`{"i": %d, "pad": %q}`, i, pad))); err != nil {
			t.Fatal(err)
		}
	}
	<-js.PublishAsyncComplete()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "FILLER", Subjects: []string{"filler"}}); err != nil {
		t.Fatal(err)
	}
	fill := func(size int) {
		chunk := make([]byte, size)
		for {
			if _, err := js.Publish(ctx, "filler", chunk); err != nil {
				if !strings.Contains(err.Error(), "insufficient resources") {
					t.Errorf("filling the store: %v", err)
				}
				return
			}
		}
	}
	fill(256 << 10)
	// The store stays full, as a full disk would: what jobd's own purges
	// free (acknowledged events) is taken again at once.
	topUp, toppedUp := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(toppedUp)
		for {
			select {
			case <-topUp:
				return
			case <-time.After(10 * time.Millisecond):
				fill(4 << 10)
			}
		}
	}()

	// jobd notices and says so.
	for deadline := time.Now().Add(30 * patience * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, checks := readyz(t, e)
		if code == 503 && strings.Contains(checks["storage"], "insufficient resources") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz %d %v; want 503 naming the refusal", code, checks)
		}
	}
	// Paused: the handler calls stop growing (those in flight end).
	before := len(en.calls("test"))
	time.Sleep(2 * time.Second)
	settled := len(en.calls("test"))
	time.Sleep(3 * time.Second) // past ack_wait: nothing is pulled again meanwhile
	if after := len(en.calls("test")); after != settled {
		t.Fatalf("handler calls went on while storage refused writes: %d, then %d, then %d", before, settled, after)
	}

	// Space is back: everything finishes, without a restart.
	close(topUp)
	<-toppedUp
	if err := js.DeleteStream(ctx, "FILLER"); err != nil {
		t.Fatal(err)
	}
	en.results("work", n, 60*time.Second)
	perRun := map[string]int{}
	for _, c := range en.calls("test") {
		perRun[c.RunID]++
	}
	if len(perRun) != n {
		t.Errorf("%d runs reached the handler, want %d", len(perRun), n)
	}
	for id, k := range perRun {
		if k > 2 {
			t.Errorf("run %s ran %d times", id, k)
		}
	}
	for deadline := time.Now().Add(30 * patience * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if code, _ := readyz(t, e); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still not ready with space back")
		}
	}
}
