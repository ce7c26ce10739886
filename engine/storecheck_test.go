package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/streams"
)

// readyz returns /readyz's status and its checks.
func readyz(t *testing.T, e *engine.Engine) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get("http://" + e.HTTPAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Checks
}

func metricsText(t *testing.T, e *engine.Engine) string {
	t.Helper()
	resp, err := http.Get("http://" + e.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// A stream whose block was cut while jobd was stopped is reported at the
// next start: an ERROR naming it, jobd_store_damaged_total{stream}, and
// /readyz 503 with the detail until the operator accepts it.
func TestDamagedStoreIsReported(t *testing.T) {
	en := newEnv(t, job("ok", `{mode = "ok"}`, ""))
	for i := 0; i < 300; i++ {
		en.publish("events.ok", fmt.Sprintf(`{"i": %d, "pad": "%s"}`, i, strings.Repeat("x", 200)))
	}
	en.results("ok", 300, 60*1e9)
	if code, checks := readyz(t, en.e); code != 200 {
		t.Fatalf("readyz %d %v before any damage", code, checks)
	}
	en.stop()
	blks, _ := filepath.Glob(filepath.Join(en.dir, "data", "nats", "jetstream", "$G", "streams", streams.Results, "msgs", "*.blk"))
	if len(blks) == 0 {
		t.Fatal("no block of JOBD_RESULTS")
	}
	fi, err := os.Stat(blks[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blks[0], fi.Size()/2); err != nil {
		t.Fatal(err)
	}

	en.start()
	code, checks := readyz(t, en.e)
	if code != 503 || !strings.Contains(checks["store"], streams.Results) || !strings.Contains(checks["store"], "--accept-damaged-store") {
		t.Fatalf("readyz %d %v; want 503 naming %s", code, checks, streams.Results)
	}
	if m := metricsText(t, en.e); !strings.Contains(m, `jobd_store_damaged_total{stream="`+streams.Results+`"}`) {
		t.Errorf("no jobd_store_damaged_total for %s in /metrics", streams.Results)
	}

	// A restart alone does not forget it.
	en.restart()
	if code, checks := readyz(t, en.e); code != 503 || !strings.Contains(checks["store"], streams.Results) {
		t.Fatalf("after a restart: readyz %d %v; want 503 until acknowledged", code, checks)
	}

	// Acknowledged: still said, but ready; and forgotten after that.
	en.stop()
	cfg, cat, err := engine.Load(en.cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e := engine.New(cfg, cat, engine.Options{Logger: log, AcceptDamagedStore: true})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, checks := readyz(t, e); code != 200 || !strings.Contains(checks["store"], "accepted") {
		t.Fatalf("accepted: readyz %d %v", code, checks)
	}
	e.Stop(context.Background())
	en.start()
	if code, checks := readyz(t, en.e); code != 200 {
		t.Fatalf("after the acknowledgement: readyz %d %v", code, checks)
	}
}
