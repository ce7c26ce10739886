package engine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/wire"
)

var pluginDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jobd-engine-test")
	if err != nil {
		panic(err)
	}
	pluginDir = dir
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "jobd-test"), "github.com/jobd-dev/jobd/sdk/internal/testplugin").CombinedOutput()
	if err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is one engine under test, with a connection to its NATS server.
type env struct {
	t       *testing.T
	dir     string
	cfgPath string
	e       *engine.Engine
	nc      *nats.Conn
	js      jetstream.JetStream
	// clock is the engine's clock: nil for the real one.
	clock clockwork.Clock
	// logs keeps what the engine logged (WARN and above).
	logs logSink
}

// header is the configuration every test shares; jobs are appended.
const header = `
[server]
data_dir = "data"
http = "127.0.0.1:0"
shutdown_timeout = "10s"
[nats]
listen = "127.0.0.1:0"
[plugins]
dir = %q
`

// newEnv writes a config with the given jobs and starts an engine on it.
func newEnv(t *testing.T, jobs string) *env {
	t.Helper()
	return newEnvClock(t, jobs, nil)
}

// newEnvClock is newEnv with the engine on clock (a fake clock for tests of
// scheduling logic).
func newEnvClock(t *testing.T, jobs string, clock clockwork.Clock) *env {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(header, pluginDir)+jobs), 0o644); err != nil {
		t.Fatal(err)
	}
	en := &env{t: t, dir: dir, cfgPath: path, clock: clock}
	en.start()
	t.Cleanup(en.stop)
	return en
}

func (en *env) start() {
	t := en.t
	t.Helper()
	cfg, cat, err := engine.Load(en.cfgPath, []string{"JOBD_SECRET_TOKEN=s3cret"})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, &en.logs), &slog.HandlerOptions{Level: slog.LevelWarn}))
	en.e = engine.New(cfg, cat, engine.Options{Logger: log, Environ: []string{"JOBD_SECRET_TOKEN=s3cret"}, Clock: en.clock})
	if err := en.e.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	nc, err := nats.Connect(en.e.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	en.nc = nc
	en.js, _ = jetstream.New(nc)
}

func (en *env) stop() {
	if en.nc != nil {
		en.nc.Close()
		en.nc = nil
	}
	if en.e != nil {
		en.e.Stop(context.Background())
		en.e = nil
	}
}

func (en *env) restart() {
	en.stop()
	en.start()
}

// publish publishes an event and waits for the stream to store it.
func (en *env) publish(subject string, body string, hdr ...string) {
	en.t.Helper()
	msg := nats.NewMsg(subject)
	msg.Data = []byte(body)
	for i := 0; i+1 < len(hdr); i += 2 {
		msg.Header.Set(hdr[i], hdr[i+1])
	}
	if _, err := en.js.PublishMsg(context.Background(), msg); err != nil {
		en.t.Fatalf("publish %s: %v", subject, err)
	}
}

// read returns every message stored in stream under subject filter.
func (en *env) read(stream, filter string) []*nats.Msg {
	en.t.Helper()
	ctx := context.Background()
	s, err := en.js.Stream(ctx, stream)
	if err != nil {
		en.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		en.t.Fatal(err)
	}
	var out []*nats.Msg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue // deleted
		}
		if ok, _ := subjectMatch(filter, m.Subject); ok {
			out = append(out, &nats.Msg{Subject: m.Subject, Data: m.Data, Header: m.Header})
		}
	}
	return out
}

func subjectMatch(filter, subject string) (bool, error) {
	if strings.HasSuffix(filter, ">") {
		return strings.HasPrefix(subject, strings.TrimSuffix(filter, ">")), nil
	}
	return filter == subject, nil
}

// patience multiplies every deadline a test polls with: within is what an
// idle machine needs, and a deadline only bounds a failure, so a machine
// several times slower (shared CI, -race, parallel suites) still passes.
const patience = 6

// results waits until n results exist for event and returns them.
func (en *env) results(event string, n int, within time.Duration) []wire.Result {
	en.t.Helper()
	var rs []wire.Result
	within *= patience
	deadline := time.Now().Add(within)
	for {
		rs = rs[:0]
		for _, m := range en.read(streams.Results, streams.ResultSubjectPrefix+event) {
			var r wire.Result
			if err := json.Unmarshal(m.Data, &r); err != nil {
				en.t.Fatal(err)
			}
			rs = append(rs, r)
		}
		if len(rs) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(rs) < n {
		en.t.Fatalf("%d results for %s after %v, want %d", len(rs), event, within, n)
	}
	return rs
}

func (en *env) deadLetters(event string) []wire.DeadLetter {
	en.t.Helper()
	var out []wire.DeadLetter
	for _, m := range en.read(streams.DLQ, streams.DLQSubjectPrefix+event) {
		var d wire.DeadLetter
		if err := json.Unmarshal(m.Data, &d); err != nil {
			en.t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// call is one line of the test plugin's calls.jsonl.
type call struct {
	RunID   string          `json:"run_id"`
	Event   string          `json:"event"`
	Attempt int             `json:"attempt"`
	Max     int             `json:"max_attempts"`
	Key     string          `json:"key"`
	Input   json.RawMessage `json:"input"`
	At      int64           `json:"at"`
}

// calls returns what the test plugin (kind "test") recorded.
func (en *env) calls(kind string) []call {
	en.t.Helper()
	f, err := os.Open(filepath.Join(en.dir, "data", "plugins", kind, "calls.jsonl"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []call
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var c call
		if err := json.Unmarshal(sc.Bytes(), &c); err == nil {
			out = append(out, c)
		}
	}
	return out
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// logSink keeps log lines for a test to read.
type logSink struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
