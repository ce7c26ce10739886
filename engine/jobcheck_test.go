package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/engine"
)

// Start-up asks the plugin to check each of its jobs, and refuses a job
// the plugin says would fail every run; a plugin that does not check jobs
// (built before ValidateJob existed) is skipped.
func TestStartAsksThePluginToCheckItsJobs(t *testing.T) {
	jobs := `
[[jobs]]
event = "good"
kind = "test"
on = ["events.good"]
input = {mode = "ok"}
[[jobs]]
event = "bad"
kind = "test"
on = ["events.bad"]
input = {mode = "nonsense"}
`
	for _, c := range []struct {
		name, plugin string
		refused      bool
	}{
		{"a plugin that checks jobs", `[plugins.test]` + "\n" + `env = ["TESTPLUGIN_VALIDATE=1"]`, true},
		{"a plugin that does not", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.toml")
			body := fmt.Sprintf(header, pluginDir) + c.plugin + jobs
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, cat, err := engine.Load(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			e := engine.New(cfg, cat, engine.Options{Environ: []string{}})
			err = e.Start(context.Background())
			defer e.Stop(context.Background())
			if !c.refused {
				if err != nil {
					t.Fatalf("start: %v", err)
				}
				return
			}
			if !errors.Is(err, engine.ErrInvalidConfig) || !strings.Contains(err.Error(), `jobs[bad]: plugin test: mode "nonsense"`) || strings.Contains(err.Error(), "jobs[good]") {
				t.Fatalf("start: %v, want the bad job refused by its plugin", err)
			}
			// validate says the same.
			err = engine.CheckPlugins(context.Background(), cfg, cat, engine.Options{Environ: []string{}})
			if err == nil || !strings.Contains(err.Error(), `jobs[bad]: plugin test: mode "nonsense"`) {
				t.Fatalf("validate: %v", err)
			}
		})
	}
}
