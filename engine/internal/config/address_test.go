package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestListenAddressesAreChecked(t *testing.T) {
	for _, c := range []struct {
		addr string
		want string // "" for a good address
	}{
		{"127.0.0.1:4222", ""},
		{":8222", ""},
		{"[::1]:0", ""},
		{"localhost:4222", ""},
		{"not-an-address", "not a host:port address"},
		{"127.0.0.1:http", "not a number"},
		{"127.0.0.1:70000", "not a number"},
		{"bad host!:4222", "neither an IP address nor a host name"},
	} {
		ps := &Problems{File: "config.toml"}
		checkAddress(ps, "nats.listen", c.addr, true)
		err := ps.Err()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "config.toml: nats.listen")) {
			t.Errorf("%q: %v, want %q", c.addr, err, c.want)
		}
	}
}

func TestDuplicateJobInJobsDirNamesItsFile(t *testing.T) {
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(jobs, "remind.json")
	if err := os.WriteFile(dup, []byte(`{"type": "job", "event": "remind", "kind": "notification", "input": {}, "retries": 0, "allow_fail": false}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte("jobs_dir = \"jobs\"\n[[jobs]]\nevent = \"remind\"\nkind = \"notification\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p, []string{})
	if err == nil {
		t.Fatal("a duplicate job was loaded")
	}
	want := dup + `: jobs[remind].event: duplicate tag: jobs[0] in ` + p + ` has it too`
	if err.Error() != want {
		t.Fatalf("error:\n%s\nwant:\n%s", err, want)
	}
}

func TestMaxRetryAfterDefaultsAndMustBePositive(t *testing.T) {
	cfg, err := FromMap("config.toml", map[string]any{"jobs": []any{map[string]any{"event": "a", "kind": "k"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Jobs[0].Backoff.MaxRetryAfter.D(); got != BackoffMaxRetryAfterDefault {
		t.Fatalf("max_retry_after defaults to %v", got)
	}
	_, err = FromMap("config.toml", map[string]any{"jobs": []any{map[string]any{"event": "a", "kind": "k",
		"backoff": map[string]any{"max_retry_after": "-1h"}}}})
	if err == nil || !strings.Contains(err.Error(), "jobs[a].backoff.max_retry_after: must be positive") {
		t.Fatalf("negative max_retry_after: %v", err)
	}
}
