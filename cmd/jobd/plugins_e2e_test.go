package main_test

import (
	"strings"
	"testing"
)

func TestPluginsExitsOneWhenAPluginIsUnhealthy(t *testing.T) {
	s := newSite(t, `
[plugins.test]
sha256 = "`+strings.Repeat("0", 64)+`"
`)
	out, errOut, code := s.jobd("plugins")
	if code != 1 || !strings.Contains(out, "sha256 pin does not match") || !strings.Contains(errOut, "unhealthy") {
		t.Fatalf("jobd plugins: exit %d\n%s\n%s", code, out, errOut)
	}
}
