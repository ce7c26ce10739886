package main_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected output of golden tests")

// Each testdata/config/invalid_*.toml is refused by `jobd validate` with
// exit code 2 and the messages in the .txt beside it: file, job, field and
// reason on every line.
func TestValidateGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/config/invalid_*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden configs: %v", err)
	}
	plugins := filepath.Join(bin, "plugins")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".toml")
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(bin, "jobd"), "validate", "-c", filepath.Base(f))
			cmd.Dir = "testdata/config"
			cmd.Env = append(os.Environ(), "JOBD_PLUGINS__DIR="+plugins)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			got := strings.ReplaceAll(string(out), plugins, "$PLUGINS") + fmt.Sprintf("exit=%d\n", code)
			golden := strings.TrimSuffix(f, ".toml") + ".txt"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("jobd validate -c %s\n got:\n%s\nwant:\n%s", filepath.Base(f), got, want)
			}
		})
	}
}

// The example config passes validate: plugins found and answering.
func TestValidateRootConfig(t *testing.T) {
	s := rootSite(t)
	out, errOut, code := s.jobd("validate")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("validate exited %d: %s%s", code, out, errOut)
	}
}

// A plugin that refuses its configuration fails validate with the job, the
// field and the plugin's reason.
func TestValidatePluginRefusesConfig(t *testing.T) {
	s := newSite(t, `
[plugins.notification.config.email]
transport = "carrier-pigeon"
[[jobs]]
event = "n"
kind = "notification"
on = ["events.n"]
input = {email = {to = "a@b.c", subject = "s", body = "b"}}
`)
	_, errOut, code := s.jobd("validate")
	if code != 2 || !strings.Contains(errOut, "plugins.notification.config: ") || !strings.Contains(errOut, "carrier-pigeon") {
		t.Fatalf("validate exited %d: %s", code, errOut)
	}
}

// `jobd plugins` lists the four built-in plugins of the example
// configuration with their version and health.
func TestPluginsCommandListsBuiltIns(t *testing.T) {
	s := rootSite(t)
	out, errOut, code := s.jobd("plugins")
	if code != 0 {
		t.Fatalf("plugins exited %d: %s%s", code, out, errOut)
	}
	for _, kind := range []string{"action", "db_action", "feature", "notification"} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) >= 6 && f[0] == kind && f[1] != "-" && f[3] == "1" && f[4] == "1" && f[5] == "ok" {
				found = true
			}
		}
		if !found {
			t.Errorf("no healthy %s with a version in:\n%s", kind, out)
		}
	}
}

// A plugin block that no job uses is checked all the same: its unknown
// keys are errors, as everywhere else, and a block for a plugin that does
// not exist is named.
func TestValidateChecksUnusedPluginBlocks(t *testing.T) {
	s := newSite(t, `
[plugins.action.config.apps.crm]
base_url = "https://crm.example.com"
tokn = "typo"
`)
	_, errOut, code := s.jobd("validate")
	if code != 2 || !strings.Contains(errOut, "plugins.action.config: ") || !strings.Contains(errOut, "tokn") {
		t.Errorf("an unknown key in an unused block: exit %d: %s", code, errOut)
	}
	s = newSite(t, `
[plugins.nosuch.config]
x = 1
`)
	_, errOut, code = s.jobd("validate")
	if code != 2 || !strings.Contains(errOut, "plugins.nosuch: ") || !strings.Contains(errOut, "no job uses the plugin") {
		t.Errorf("a block for a missing plugin: exit %d: %s", code, errOut)
	}
}
