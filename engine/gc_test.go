package engine_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine"
)

// gcPercent reads the process's GC target as the runtime reports it.
func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// startWithGC starts an engine with server.gogc set through the
// environment override and stops it again.
func startWithGC(t *testing.T, gogc string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	cfg := "[server]\ndata_dir = \"data\"\nhttp = \"\"\n[nats]\nlisten = \"127.0.0.1:0\"\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, cat, err := engine.Load(path, []string{"JOBD_SERVER__GOGC=" + gogc})
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(c, cat, engine.Options{Environ: []string{}, Logger: slog.New(slog.DiscardHandler)})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.Stop(ctx)
}

func TestGCTargetFromConfig(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	startWithGC(t, "60")
	if got := gcPercent(); got != 60 {
		t.Errorf("GC target after start with server.gogc = 60: %d", got)
	}
}

func TestGCTargetFromEnvironmentWins(t *testing.T) {
	t.Setenv("GOGC", "150") // as an operator would; the runtime applied it at start
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	startWithGC(t, "60")
	if got := gcPercent(); got != 150 {
		t.Errorf("GC target with GOGC=150 in the environment and server.gogc = 60: %d, want GOGC to win", got)
	}
}
