package engine_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
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
