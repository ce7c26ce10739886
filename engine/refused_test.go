package engine_test

import (
	"strings"
	"testing"
	"time"
)

func TestRefusedPluginIsAnErrorAndItsRunsFailAsNoPlugin(t *testing.T) {
	en := newEnv(t, `
[plugins.test]
sha256 = "`+strings.Repeat("0", 64)+`"

[[jobs]]
event = "pinned"
kind = "test"
on = ["events.pinned"]
retries = 3
`)
	logs := en.logs.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "plugin refused") || !strings.Contains(logs, "kind=test") ||
		!strings.Contains(logs, "sha256 pin does not match") {
		t.Fatalf("start-up log does not name the refused plugin and its pin:\n%s", logs)
	}
	if !strings.Contains(logs, "not ready") {
		t.Fatalf("start-up log says nothing of the engine not being ready:\n%s", logs)
	}
	en.publish("events.pinned", `{}`)
	rs := en.results("pinned", 1, 30*time.Second)
	if r := rs[0]; r.Status != "failed" || r.Attempts != 1 || r.Error == nil || r.Error.Class != "no_plugin" ||
		!strings.Contains(r.Error.Message, "sha256 pin does not match") {
		t.Fatalf("result %+v error %+v, want failed at once with class no_plugin and the pin", r, r.Error)
	}
}
