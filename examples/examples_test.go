// Package examples_test builds and runs the example plugins under examples/
// the way their READMEs and docs/plugins.md say to. The examples are modules
// of their own, so the root module's `go test ./...` reaches them only
// through these tests.
package examples_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// forbiddenDeps must never reach a plugin's build: the SDK is small.
var forbiddenDeps = []string{
	"github.com/jobd-dev/jobd/engine",
	"github.com/nats-io/nats-server",
	"github.com/expr-lang/expr",
	"github.com/jackc/pgx",
	"github.com/go-sql-driver/mysql",
	"modernc.org/sqlite",
	"github.com/mattn/go-sqlite3",
}

// The SDK drags no NATS server, expression engine or database driver into a
// plugin, nor into the plugin's tests (which use sdk/sdktest).
func TestPluginDependencies(t *testing.T) {
	for _, args := range [][]string{{"list", "-deps", "."}, {"list", "-deps", "-test", "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = "plugin-slack"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 || !contains(deps, "github.com/jobd-dev/jobd/sdk") {
			t.Fatalf("go %s listed %d packages, without the sdk: %s", strings.Join(args, " "), len(deps), out)
		}
		for _, d := range deps {
			for _, bad := range forbiddenDeps {
				if strings.HasPrefix(d, bad) {
					t.Errorf("go %s: the example plugin depends on %s", strings.Join(args, " "), d)
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// goBuild builds a main package (dir is the module folder to run in) into out.
func goBuild(t *testing.T, dir, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// slackServer records the chat.postMessage requests it gets.
type slackServer struct {
	*httptest.Server
	mu   sync.Mutex
	msgs []map[string]string
	auth []string
}

func newSlackServer(t *testing.T) *slackServer {
	s := &slackServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]string
		_ = json.NewDecoder(r.Body).Decode(&msg)
		s.mu.Lock()
		s.msgs = append(s.msgs, msg)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.mu.Unlock()
		if r.URL.Path != "/api/chat.postMessage" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"channel":"C1","ts":"1.%d"}`, time.Now().UnixNano())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *slackServer) messages() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]string(nil), s.msgs...)
}

// jobd is a folder with a config.toml and the binaries built for it.
type jobd struct {
	t        *testing.T
	dir      string
	bin      string
	httpPort int
}

// The walk-through of docs/plugins.md and examples/plugin-slack/README.md:
// build the plugin in its own module, drop it into plugins.dir, reference
// its kind in a job, run jobd, publish an event, see the message arrive.
func TestSlackPluginEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds jobd and runs it")
	}
	slack := newSlackServer(t)
	dir := t.TempDir()
	pluginsDir := filepath.Join(dir, "plugins")
	goBuild(t, "..", filepath.Join(dir, "jobd"), "./cmd/jobd")
	goBuild(t, "plugin-slack", filepath.Join(pluginsDir, "jobd-slack"), ".")

	j := &jobd{t: t, dir: dir, bin: filepath.Join(dir, "jobd"), httpPort: freePort(t)}
	j.writeConfig(fmt.Sprintf(`
[server]
data_dir = "data"
http = "127.0.0.1:%d"
[nats]
listen = "127.0.0.1:%d"
[plugins]
dir = "plugins"
[plugins.slack.config]
token = "$Secret{SLACK_TOKEN}"
base_url = %q

[[jobs]]
type = "job"
event = "announce_deploy"
kind = "slack"
on = ["events.deploy.finished"]
retries = 2
[jobs.input]
channel = "#ops"
text = "Deployed $Input{service} $Input{version}"
`, j.httpPort, freePort(t), slack.URL+"/api"))

	env := []string{"JOBD_SECRET_SLACK_TOKEN=xoxb-e2e"}
	if out, code := j.run(env, "validate"); code != 0 {
		t.Fatalf("jobd validate exited %d:\n%s", code, out)
	}
	out, code := j.run(env, "plugins")
	if code != 0 || !strings.Contains(out, "slack") || !strings.Contains(out, "0.1.0") {
		t.Fatalf("jobd plugins exited %d:\n%s", code, out)
	}

	stop := j.start(env)
	if out, code := j.run(nil, "publish", "events.deploy.finished", `{"service":"api","version":"1.2.3"}`); code != 0 {
		t.Fatalf("jobd publish exited %d:\n%s", code, out)
	}
	waitFor(t, 20*time.Second, "the Slack message", func() bool { return len(slack.messages()) > 0 })
	msg := slack.messages()[0]
	if msg["channel"] != "#ops" || msg["text"] != "Deployed api 1.2.3" {
		t.Errorf("message %v", msg)
	}
	if slack.auth[0] != "Bearer xoxb-e2e" {
		t.Errorf("Authorization %q", slack.auth[0])
	}
	stop()
}

func (j *jobd) writeConfig(cfg string) {
	if err := os.WriteFile(filepath.Join(j.dir, "config.toml"), []byte(cfg), 0o644); err != nil {
		j.t.Fatal(err)
	}
}

func (j *jobd) command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(j.bin, append(args, "-c", filepath.Join(j.dir, "config.toml"))...)
	cmd.Dir = j.dir
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// run runs a jobd command and returns its combined output and exit code.
func (j *jobd) run(env []string, args ...string) (string, int) {
	j.t.Helper()
	out, err := j.command(env, args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		j.t.Fatal(err)
	}
	return string(out), 0
}

// start runs `jobd run` until /readyz answers 200, and returns a function
// that stops it with SIGTERM and checks it exits cleanly.
func (j *jobd) start(env []string) (stop func()) {
	j.t.Helper()
	cmd := j.command(env, "run")
	var log bytes.Buffer
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return log.Write(p) })
	cmd.Stdout, cmd.Stderr = w, w
	output := func() string { mu.Lock(); defer mu.Unlock(); return log.String() }
	if err := cmd.Start(); err != nil {
		j.t.Fatal(err)
	}
	j.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if j.t.Failed() {
			j.t.Logf("jobd log:\n%s", output())
		}
	})
	waitFor(j.t, 60*time.Second, "jobd to be ready", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", j.httpPort))
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return func() {
		j.t.Helper()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				j.t.Errorf("jobd exited with %v", err)
			}
		case <-time.After(30 * time.Second):
			j.t.Errorf("jobd did not stop on SIGTERM")
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
