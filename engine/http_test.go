package engine_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadinessMetrics(t *testing.T) {
	en := newEnv(t, job("fine", `{mode = "ok"}`, "")+`
[[jobs]]
event = "broken"
kind = "test2"
on = ["events.broken"]
input = {}
[plugins.test2]
path = "`+pluginDir+`/jobd-test"
config = {refuse = true}
`)
	base := "http://" + en.e.HTTPAddr()
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	code, body := get(t, base+"/readyz")
	if code != 503 || !strings.Contains(body, `"plugin test2"`) || !strings.Contains(body, "refused by configuration") || !strings.Contains(body, `"plugin test":"ok"`) {
		t.Fatalf("/readyz with a refused plugin = %d %s", code, body)
	}
	// The other kind runs.
	en.publish("events.fine", `{}`)
	en.results("fine", 1, 10*time.Second)
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`jobd_plugin_healthy{kind="test"} 1`,
		`jobd_plugin_healthy{kind="test2"} 0`,
		`jobd_runs_total{event="fine",status="completed"} 1`,
		`jobd_attempts_total{event="fine",outcome="ok"} 1`,
		`jobd_attempt_duration_seconds_count{event="fine"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Scraping /readyz and /metrics while the engine starts and stops is safe:
// the endpoint reads nothing that start-up still writes (run with -race).
func TestScrapeDuringStartAndStop(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	cfg := fmt.Sprintf(header, pluginDir) + job("fine", `{mode = "ok"}`, "") + `
[[jobs]]
event = "other"
kind = "test2"
on = ["events.other"]
input = {}
[plugins.test2]
path = "` + pluginDir + `/jobd-test"
`
	cfg = strings.Replace(cfg, `http = "127.0.0.1:0"`, `http = "`+addr+`"`, 1)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, cat, err := engine.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	scraped := make(chan int)
	go func() {
		n := 0
		defer func() { scraped <- n }()
		client := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, p := range []string{"/readyz", "/metrics"} {
				if resp, err := client.Get("http://" + addr + p); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					n++
				}
			}
		}
	}()
	for i := 0; i < 2; i++ {
		e := engine.New(c, cat, engine.Options{Logger: slog.New(slog.DiscardHandler), Environ: []string{}})
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.Stop(context.Background())
	}
	close(stop)
	if n := <-scraped; n == 0 {
		t.Fatal("no scrape reached the endpoint while the engine ran")
	}
}
