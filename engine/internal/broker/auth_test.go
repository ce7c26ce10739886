package broker

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/jobd-dev/jobd/engine/internal/config"
)

// An embedded server on every interface with no authentication does not
// start: the refusal comes before the data folder is locked or anything
// listens.
func TestUnprotectedListenRefusedBeforeListening(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{Server: config.Server{DataDir: dir}, NATS: config.NATS{Listen: "0.0.0.0:0"}}
	e, err := StartEmbedded(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		e.Stop(t.Context())
		t.Fatal("started on 0.0.0.0 with no authentication")
	}
	if !errors.Is(err, ErrUnprotected) || !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("error %v, want ErrUnprotected (a config error)", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the data folder was touched: %v", entries)
	}
}
