package host_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk/host"
)

// A plugin whose API version or wire protocol version jobd does not speak is
// refused with a message naming the plugin, what jobd expected and what the
// plugin said.
func TestVersionRefusals(t *testing.T) {
	// handshake writes a fake plugin that prints line as its handshake.
	handshake := func(t *testing.T, line string) string {
		path := filepath.Join(t.TempDir(), "jobd-fake")
		script := "#!/bin/sh\necho '" + line + "'\nexec /bin/sleep 30\n"
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cases := []struct {
		name string
		opts host.Options
		want []string
		is   error
	}{
		{
			name: "api version",
			opts: host.Options{Kind: "test", Env: []string{"TESTPLUGIN_API_VERSION=2"}},
			want: []string{`plugin "test"`, testPlugin, "plugin speaks API version 2, jobd supports 1"},
			is:   host.ErrAPIVersion,
		},
		{
			name: "protocol version",
			opts: host.Options{Kind: "fake", Path: handshake(t, "1|2|tcp|127.0.0.1:1|grpc")},
			want: []string{`plugin "fake"`, "jobd-fake", "Plugin version: 2, Client versions: [1]"},
			is:   host.ErrStart,
		},
		{
			name: "core protocol version",
			opts: host.Options{Kind: "fake", Path: handshake(t, "2|1|tcp|127.0.0.1:1|grpc")},
			want: []string{`plugin "fake"`, "jobd-fake", "Plugin version: 2, Core version: 1"},
			is:   host.ErrStart,
		},
		{
			name: "net/rpc protocol",
			opts: host.Options{Kind: "fake", Path: handshake(t, "1|1|tcp|127.0.0.1:1|netrpc")},
			want: []string{`plugin "fake"`, `unsupported plugin protocol "netrpc"`},
			is:   host.ErrStart,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Path == "" {
				tc.opts.Path = testPlugin
			}
			tc.opts.DataDir = t.TempDir()
			tc.opts.StartTimeout = 10 * time.Second
			p, err := host.Start(context.Background(), tc.opts)
			if err == nil {
				p.Kill()
				t.Fatal("start succeeded (for the API version: does the test plugin still override Info?)")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}
