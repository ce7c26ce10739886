package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk/host"
)

// buildNodePlugin copies examples/plugin-node to a temporary folder and
// installs its locked dependencies there with npm ci; it returns plugin.js.
func buildNodePlugin(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the Node.js example plugin needs Node.js 18 or later with npm", tool)
		}
	}
	dir := t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json", "plugin.js", "proto"} {
		if out, err := exec.Command("cp", "-R", filepath.Join("plugin-node", name), dir).CombinedOutput(); err != nil {
			t.Fatalf("cp %s: %v\n%s", name, err, out)
		}
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	plugin := filepath.Join(dir, "plugin.js")
	if err := os.Chmod(plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	return plugin
}

// The example's copy of the wire protocol is the SDK's.
func TestNodePluginProtoIsCurrent(t *testing.T) {
	sdk, err := os.ReadFile("../sdk/proto/jobd/plugin/v1/plugin.proto")
	if err != nil {
		t.Fatal(err)
	}
	copied, err := os.ReadFile("plugin-node/proto/jobd/plugin/v1/plugin.proto")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sdk, copied) {
		t.Fatal("examples/plugin-node/proto/jobd/plugin/v1/plugin.proto differs from sdk/proto/jobd/plugin/v1/plugin.proto: copy it again")
	}
}

// A plugin in Node.js, started by jobd's host side as jobd starts any
// plugin: the handshake, automatic mutual TLS, Info, Configure, the host
// services over the broker, jobs and their outcomes, and Kill.
func TestNodePlugin(t *testing.T) {
	plugin := buildNodePlugin(t)
	var mu sync.Mutex
	var published []string
	p, err := host.Start(context.Background(), host.Options{
		Kind:    "wordcount",
		Path:    plugin,
		Config:  json.RawMessage(`{"min_length": 2}`),
		DataDir: t.TempDir(),
		Env:     []string{"PATH=" + os.Getenv("PATH")},
		Publish: func(_ context.Context, subject string, data []byte, _ map[string]string) error {
			mu.Lock()
			defer mu.Unlock()
			published = append(published, subject+" "+string(data))
			return nil
		},
		DeadlineGrace: time.Second,
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(p.Kill)
	if info := p.Info(); info.Name != "wordcount" || info.APIVersion != 1 || info.Version != "0.1.0" || !strings.Contains(info.SampleConfig, "[plugins.wordcount.config]") {
		t.Fatalf("info = %+v", info)
	}
	// It does not implement ValidateJob: jobd skips the check.
	if _, err := p.ValidateJob(context.Background(), "wordcount", "count", []byte(`{}`)); !errors.Is(err, host.ErrValidateUnsupported) {
		t.Fatalf("ValidateJob of a plugin without it: %v, want ErrValidateUnsupported", err)
	}

	job := func(run, input string) host.Job {
		return host.Job{JobID: run, RunID: run, Event: "count", Kind: "wordcount", Input: []byte(input),
			Attempt: 1, MaxAttempts: 3, IdempotencyKey: run, Deadline: time.Now().Add(10 * time.Second)}
	}
	hang := job("hang", `{"text":"x","sleep_ms":60000}`)
	hang.Deadline = time.Now().Add(300 * time.Millisecond)
	jobs := []host.Job{
		job("ok", `{"text":"a bb ccc  dddd"}`),
		job("publish", `{"text":"one two","publish":"events.counted"}`),
		job("empty", `{"text":""}`),
		job("not_json", `{`),
		job("retry", `{"text":"x","fail":"retry"}`),
		hang,
	}
	results := make([]host.Result, len(jobs))
	var wg sync.WaitGroup
	wg.Add(len(jobs))
	p.Submit(jobs, func(i int, r host.Result) { results[i] = r; wg.Done() })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("results did not arrive")
	}

	var out struct {
		Words, Characters int
		Key               string
	}
	if err := json.Unmarshal(results[0].Output, &out); err != nil || results[0].Outcome != host.OK || out.Words != 3 || out.Characters != 14 || out.Key != "ok" {
		t.Errorf("ok: %+v (%s) %+v", results[0], results[0].Output, out)
	}
	want := []struct {
		outcome host.Outcome
		err     string
	}{{host.OK, ""}, {host.OK, ""}, {host.Permanent, "text is required"}, {host.Permanent, "decode input"}, {host.Retry, "asked to fail"}, {host.Retry, "deadline passed"}}
	for i, w := range want {
		if r := results[i]; r.Outcome != w.outcome || !strings.Contains(r.Error, w.err) {
			t.Errorf("job %s: %+v, want %v %q", jobs[i].RunID, r, w.outcome, w.err)
		}
	}
	if results[4].RetryAfter != 2*time.Second {
		t.Errorf("retry after = %v", results[4].RetryAfter)
	}
	mu.Lock()
	if len(published) != 1 || !strings.HasPrefix(published[0], `events.counted {"words":2,`) {
		t.Errorf("published %q", published)
	}
	mu.Unlock()

	p.Kill()
	waitFor(t, 5*time.Second, "the Node plugin to exit", p.Exited)

	// A configuration the plugin cannot use is refused, and jobd says why.
	_, err = host.Start(context.Background(), host.Options{
		Kind: "wordcount", Path: plugin, Config: json.RawMessage(`{"min_length": 0}`),
		DataDir: t.TempDir(), Env: []string{"PATH=" + os.Getenv("PATH")},
	})
	if err == nil || !strings.Contains(err.Error(), "wordcount config: min_length 0 is not a positive integer") || !errors.Is(err, host.ErrConfigure) {
		t.Fatalf("refused configuration: err = %v", err)
	}
}
