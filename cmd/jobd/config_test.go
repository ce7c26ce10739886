package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The root config.toml carries every built-in plugin's sample configuration
// word for word, so the docs, the binaries and the example cannot drift.
func TestRootConfigHasEveryPluginSample(t *testing.T) {
	root, err := os.ReadFile("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	samples, _ := filepath.Glob("../../plugins/*/sample.conf")
	if len(samples) == 0 {
		t.Fatal("no plugin samples found")
	}
	for _, s := range samples {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(root), strings.TrimSpace(string(b))) {
			t.Errorf("config.toml does not contain %s verbatim", s)
		}
	}
}
