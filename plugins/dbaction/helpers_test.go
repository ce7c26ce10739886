package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

// Environment variables that point the tests at real servers (see
// .ci/databases, which starts both and prints them).
const (
	envPostgres = "JOBD_TEST_POSTGRES_DSN"
	envMySQL    = "JOBD_TEST_MYSQL_DSN"
)

// serverDSN returns the DSN in env, skipping the test when it is unset,
// unless CI=true, where a missing server fails the test.
func serverDSN(t *testing.T, env string) string {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn != "" {
		return dsn
	}
	msg := env + " is not set: run `eval \"$(.ci/databases)\"` to start PostgreSQL and MariaDB and set it"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: these tests must run in CI)")
	}
	t.Skip(msg)
	return ""
}

// logBuffer is a slog handler's target that tests can read.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// configure returns a plugin configured with cfg (a JSON-encodable value)
// and dataDir, and its log; it closes the plugin when the test ends.
func configure(t *testing.T, cfg any, dataDir string) (*Plugin, *logBuffer, error) {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	p := &Plugin{log: slog.New(slog.NewTextHandler(logs, nil))}
	err = p.Configure(context.Background(), &sdk.ConfigureRequest{Kind: "db_action", Config: raw, DataDir: dataDir})
	t.Cleanup(func() { _ = p.Close() })
	return p, logs, err
}

// mustConfigure is configure, failing the test on an error.
func mustConfigure(t *testing.T, cfg any, dataDir string) *Plugin {
	t.Helper()
	p, _, err := configure(t, cfg, dataDir)
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p
}

// newJob is attempt 1 of a run whose idempotency key is key.
func newJob(event, key string, input any) *sdk.Job {
	raw, _ := json.Marshal(input)
	if s, ok := input.(string); ok {
		raw = []byte(s)
	}
	return &sdk.Job{ID: "job-1", RunID: "run-" + key, Event: event, Kind: "db_action",
		Input: raw, Attempt: 1, MaxAttempts: 4, IdempotencyKey: key}
}

// run handles a job and returns its output as JSON-decoded values.
func run(t *testing.T, p *Plugin, event string, input any) (map[string]any, error) {
	t.Helper()
	res, err := p.Handle(context.Background(), newJob(event, "k-"+t.Name(), input))
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(res.Output)
	if err != nil {
		t.Fatalf("encode output: %v", err)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// mustRun is run, failing the test on an error.
func mustRun(t *testing.T, p *Plugin, event string, input any) map[string]any {
	t.Helper()
	out, err := run(t, p, event, input)
	if err != nil {
		t.Fatalf("%s: %v", event, err)
	}
	return out
}

// mustFail checks that the job failed with the wanted class and that the
// message holds every string in contains.
func mustFail(t *testing.T, p *Plugin, event string, input any, permanent bool, contains ...string) error {
	t.Helper()
	out, err := run(t, p, event, input)
	if err == nil {
		t.Fatalf("%s succeeded with %v; want an error", event, out)
	}
	t.Logf("%s: %v", event, err)
	if got := sdk.IsPermanent(err); got != permanent {
		t.Fatalf("%s: permanent = %v, want %v; error: %v", event, got, permanent, err)
	}
	for _, s := range contains {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q does not mention %q", event, err, s)
		}
	}
	return err
}

// num reads a JSON number of an output as int64.
func num(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v is not a whole number", v)
	}
	return i
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// silentLog discards what the plugin logs.
func silentLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
