package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const oneJob = `
[[jobs]]
event = "a"
kind = "k"
on = ["events.a"]
[plugins.k.config]
port = 587
name = "x"
`

func TestEnvironmentOverrides(t *testing.T) {
	p := writeConfig(t, oneJob)
	cfg, err := Load(p, []string{
		"JOBD_NATS__URL=nats://example:4222",
		"JOBD_SERVER__MAX_EVENT_BYTES=2048",
		"JOBD_PLUGINS__K__CONFIG__PORT=2525",  // keeps the file's type: a number
		"JOBD_PLUGINS__K__CONFIG__NAME=0042",  // keeps the file's type: a string
		"JOBD_PLUGINS__K__CONFIG__NEW=true",   // a new key: read as a boolean
		"JOBD_TEST_POSTGRES_DSN=postgres://x", // no section: not an override
		"JOBD_SECRET_API_KEY=k",               // a secret, not a key
		"OTHER=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.URL != "nats://example:4222" || cfg.Server.MaxEventBytes != 2048 {
		t.Errorf("overrides not applied: %+v %+v", cfg.NATS, cfg.Server)
	}
	pc := cfg.Plugins.Kinds["k"].Config
	if pc["port"] != int64(2525) || pc["name"] != "0042" || pc["new"] != true {
		t.Errorf("plugin config = %#v", pc)
	}
}

func TestUnknownEnvironmentKeyIsNamed(t *testing.T) {
	p := writeConfig(t, oneJob)
	_, err := Load(p, []string{"JOBD_SERVER__HTPP=1"})
	if err == nil || !strings.Contains(err.Error(), "server.htpp: unknown key (from environment variable JOBD_SERVER__HTPP)") {
		t.Fatalf("error = %v", err)
	}
}

func TestDefaultsAndPaths(t *testing.T) {
	p := writeConfig(t, oneJob)
	cfg, err := Load(p, []string{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(p)
	if cfg.Server.DataDir != filepath.Join(dir, "data") || cfg.Plugins.Dir != filepath.Join(dir, "bin/plugins") {
		t.Errorf("paths not resolved against the config's folder: %s %s", cfg.Server.DataDir, cfg.Plugins.Dir)
	}
	if cfg.Server.HTTP != HTTPDefault || cfg.Plugins.Kinds["k"].Path != filepath.Join(dir, "bin/plugins/jobd-k") || cfg.Jobs[0].MaxAttempts() != 1 {
		t.Errorf("defaults: http %q, path %q, attempts %d", cfg.Server.HTTP, cfg.Plugins.Kinds["k"].Path, cfg.Jobs[0].MaxAttempts())
	}
	if cfg.Server.MaxEventDepth != MaxEventDepthDefault {
		t.Errorf("server.max_event_depth defaults to %d, want %d", cfg.Server.MaxEventDepth, MaxEventDepthDefault)
	}
	if _, err := Load(writeConfig(t, "[server]\nmax_event_depth = -1\n"+oneJob), []string{}); err == nil || !strings.Contains(err.Error(), "server.max_event_depth: must be positive") {
		t.Errorf("max_event_depth = -1: %v", err)
	}
	p = writeConfig(t, "[server]\nhttp = \"\"\n"+oneJob)
	if cfg, err = Load(p, []string{}); err != nil || cfg.Server.HTTP != "" {
		t.Errorf("http = \"\" should turn the endpoint off: %q %v", cfg.Server.HTTP, err)
	}
}

func TestJobsDirInJobEventShape(t *testing.T) {
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	seed := `{ "type": "job", "event": "send_notification", "kind": "notification", "on": "events.booking.created",
  "input": { "email": { "to": "$Input{email}", "subject": "Event Reminder", "body": "on $Input{date}." } },
  "retries": 3, "allow_fail": false, "timeout": 5000 }`
	if err := os.WriteFile(filepath.Join(jobs, "seed.json"), []byte(seed), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(`jobs_dir = "jobs"`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p, []string{})
	if err != nil {
		t.Fatal(err)
	}
	j := cfg.Jobs[0]
	if j.Event != "send_notification" || j.MaxAttempts() != 4 || j.On[0] != "events.booking.created" || j.Timeout.D().Seconds() != 5 {
		t.Fatalf("job = %+v", j)
	}
	if j.Input["email"].(map[string]any)["to"] != "$Input{email}" {
		t.Fatalf("input = %v", j.Input)
	}
}

func TestPluginEnvEntriesAreChecked(t *testing.T) {
	p := writeConfig(t, oneJob+`
[plugins.k]
env = ["HOME", "GOMAXPROCS=1", "=x", "BAD NAME"]
`)
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{"plugins.k.env[2]", "plugins.k.env[3]", `"BAD NAME": give a variable NAME, or NAME=value`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "env[0]") || strings.Contains(err.Error(), "env[1]") {
		t.Errorf("error %q names a good entry", err)
	}
}

func TestDedupeWindow(t *testing.T) {
	cfg, err := Load(writeConfig(t, oneJob), []string{})
	if err != nil || cfg.Server.DedupeWindow.D() != DedupeWindowDefault {
		t.Fatalf("default server.dedupe_window: %v %v", cfg.Server.DedupeWindow.D(), err)
	}
	cfg, err = Load(writeConfig(t, "[server]\ndedupe_window = \"45s\"\n"+oneJob), []string{})
	if err != nil || cfg.Server.DedupeWindow.D() != 45*time.Second {
		t.Fatalf("dedupe_window = 45s: %v %v", cfg.Server.DedupeWindow.D(), err)
	}
	for conf, want := range map[string]string{
		"[server]\ndedupe_window = \"10s\"\n":                          "must be at least server.ack_wait (30s)",
		"[server]\ndedupe_window = \"2h\"\nresults_max_age = \"1h\"\n": "must be at most server.results_max_age (1h0m0s)",
	} {
		_, err := Load(writeConfig(t, conf+oneJob), []string{})
		if err == nil || !strings.Contains(err.Error(), "server.dedupe_window") || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming server.dedupe_window: %q", conf, err, want)
		}
	}
}

func TestGCTarget(t *testing.T) {
	cfg, err := Load(writeConfig(t, oneJob), []string{})
	if err != nil || cfg.Server.GOGC != GOGCDefault {
		t.Fatalf("default server.gogc: %v %v", cfg, err)
	}
	_, err = Load(writeConfig(t, "[server]\ngogc = 5\n"+oneJob), []string{})
	if err == nil || !strings.Contains(err.Error(), "server.gogc") || !strings.Contains(err.Error(), "at least 10") {
		t.Errorf("gogc = 5 should be refused, naming the key: %v", err)
	}
}
