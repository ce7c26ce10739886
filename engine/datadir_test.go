package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine"
)

// Two engines on one data folder would both write one JetStream store and
// lose data: the second does not start, and says who holds the folder.
func TestOneEnginePerDataFolder(t *testing.T) {
	en := newEnv(t, workJob)
	cfg, cat, err := engine.Load(en.cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	second := engine.New(cfg, cat, engine.Options{Logger: log})
	err = second.Start(context.Background())
	if err == nil {
		second.Stop(context.Background())
		t.Fatal("a second engine started on the same data folder")
	}
	if !errors.Is(err, engine.ErrDataDirInUse) {
		t.Fatalf("second engine: %v, want ErrDataDirInUse", err)
	}
	if want := fmt.Sprintf("data folder %s is in use by jobd pid %d (started ", cfg.Server.DataDir, os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Fatalf("second engine: %q, want %q", err, want)
	}
	// The first one still works, and once it stops the folder is free.
	en.publish("events.work", `{"mode":"ok"}`)
	en.waitCalls(1, 10*time.Second)
	en.stop()
	third := engine.New(cfg, cat, engine.Options{Logger: log})
	if err := third.Start(context.Background()); err != nil {
		t.Fatalf("start after the first stopped: %v", err)
	}
	third.Stop(context.Background())
}
