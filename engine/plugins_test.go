package engine_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// A plugin sees the variables its configuration lists: by name from jobd's
// environment, or set as NAME=value; nothing else.
func TestPluginEnvironment(t *testing.T) {
	en := newEnv(t, `
[plugins.test]
env = ["JOBD_SECRET_TOKEN", "GOMAXPROCS=1", "GREETING=hello world"]

[[jobs]]
event = "env"
kind = "test"
on = ["events.env"]
input = {env = true}
`)
	en.publish("events.env", `{}`)
	rs := en.results("env", 1, 10*time.Second)
	if len(rs) != 1 || rs[0].Status != "completed" {
		t.Fatalf("results: %+v", rs)
	}
	var out struct{ Environ []string }
	if err := json.Unmarshal(rs[0].Output, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"JOBD_SECRET_TOKEN=s3cret", "GOMAXPROCS=1", "GREETING=hello world"} {
		if !slices.Contains(out.Environ, want) {
			t.Errorf("plugin environment %v lacks %s", out.Environ, want)
		}
	}
	for _, kv := range out.Environ {
		if len(kv) > 5 && kv[:5] == "PATH=" {
			t.Errorf("plugin sees %s, which its configuration does not list", kv)
		}
	}
}
