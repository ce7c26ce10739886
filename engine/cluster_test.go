package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// The cluster tests run jobd against a real three-node NATS cluster started
// in the test process. They poll with generous deadlines and assert no
// wall-clock bound: they run on busy two-core machines.

// clusterJobs are the jobs of the cluster tests: one triggered by events,
// one recurring (a job record from the start).
const clusterJobs = `
[[jobs]]
event = "work"
kind = "test"
on = ["events.work"]
input = {mode = "$Input{mode}"}

[[jobs]]
event = "hourly"
kind = "test"
input = {mode = "ok"}
[jobs.schedule]
every = "1h"
`

// clusterReplica is one jobd replica of a cluster test.
type clusterReplica struct {
	e   *engine.Engine
	log *logBuffer
}

// clusterConfig writes and loads a configuration for the cluster with the
// extra [server] and [nats] lines given.
func clusterConfig(t *testing.T, c *natstest.Cluster, natsLines, serverLines string) (*engine.Config, *engine.Catalog) {
	t.Helper()
	cfgText := fmt.Sprintf(`
[server]
data_dir = "data"
http = "127.0.0.1:0"
shutdown_timeout = "10s"
%s
[nats]
url = %q
%s
[plugins]
dir = %q
`, serverLines, c.URLs(), natsLines, pluginDir) + clusterJobs
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, cat, err := engine.Load(path, nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return cfg, cat
}

// newReplica returns jobd for the cluster with the extra [nats] and
// [server] lines given, not started; it stops when the test ends.
func newReplica(t *testing.T, c *natstest.Cluster, natsLines, serverLines string) *clusterReplica {
	t.Helper()
	cfg, cat := clusterConfig(t, c, natsLines, serverLines)
	lb := &logBuffer{t: t}
	log := slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := engine.New(cfg, cat, engine.Options{Logger: log})
	t.Cleanup(func() { e.Stop(context.Background()) })
	return &clusterReplica{e: e, log: lb}
}

// startReplica starts jobd on the cluster with the extra [nats] and
// [server] lines given, and stops it when the test ends.
func startReplica(t *testing.T, c *natstest.Cluster, natsLines, serverLines string) *clusterReplica {
	t.Helper()
	r := newReplica(t, c, natsLines, serverLines)
	ctx, cancel := context.WithTimeout(context.Background(), 2*natstest.ClusterDeadline)
	defer cancel()
	if err := r.e.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	return r
}

// logBuffer keeps a replica's log lines (and shows WARN and ERROR ones in
// the test's output).
type logBuffer struct {
	t     *testing.T
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.lines = append(b.lines, string(p))
	b.mu.Unlock()
	return len(p), nil
}

// Lines returns the lines logged so far.
func (b *logBuffer) Lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// TestClusterManagementReads: on a three-node cluster with R3 streams,
// management reads through sdk/client never fail (a read's consumer leader
// on another server is no error), and they leave no consumers behind.
func TestClusterManagementReads(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	c := natstest.StartCluster(t, 3)
	startReplica(t, c, "replicas = 3", "")
	startReplica(t, c, "replicas = 3", "")

	cl, err := client.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	// A few dispatched jobs, so the reads have records and history to read.
	var ids []string
	for i := range 5 {
		reply, err := cl.Dispatch(ctx, &wire.DispatchRequest{
			Event: "work", Input: json.RawMessage(`{"mode":"ok"}`),
			Schedule: &wire.Schedule{Delay: fmt.Sprintf("%dh", i+1)},
		})
		if err != nil {
			t.Fatalf("dispatch: %v", err)
		}
		ids = append(ids, reply.JobID)
	}

	const reads, parallel = 2000, 4
	var failures atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var next atomic.Int64
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > reads {
					return
				}
				var err error
				switch i % 4 {
				case 0, 1:
					var recs []*wire.Record
					recs, err = cl.Jobs(ctx, wire.Request{})
					if err == nil && len(recs) < len(ids) {
						err = fmt.Errorf("jobs ls: %d records, want at least %d", len(recs), len(ids))
					}
				case 2:
					_, err = cl.JobHistory(ctx, ids[int(i)%len(ids)])
				case 3:
					_, err = cl.Stats(ctx)
				}
				if err != nil {
					failures.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d management reads failed; the first: %v", n, reads, firstErr)
	}
	_, js := c.Connect()
	for stream, n := range natstest.ConsumerCounts(t, js) {
		if n >= 10 {
			t.Errorf("stream %s has %d consumers after %d reads, want fewer than 10", stream, n, reads)
		}
	}
}

// TestClusterReplicaNeverWeakensStreams: a replica started with other
// settings than the cluster's streams (replicas = 1 against R3 streams, a
// shorter duplicate window) leaves them as they are and logs what differs;
// nats.replicas unset adopts what exists; engine.ApplyStreams (jobd
// streams apply) changes them.
func TestClusterReplicaNeverWeakensStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	c := natstest.StartCluster(t, 3)
	startReplica(t, c, "replicas = 3", `dedupe_window = "5m"`)
	_, js := c.Connect()
	check := func(replicas int, dedupe time.Duration) {
		t.Helper()
		ctx := context.Background()
		for _, name := range []string{"JOBD_EVENTS", "JOBD_RUNS", "JOBD_TIMERS", "JOBD_RESULTS", "JOBD_DLQ", "JOBD_HISTORY", "KV_JOBD_JOBS"} {
			st, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatalf("stream %s: %v", name, err)
			}
			cfg := st.CachedInfo().Config
			if cfg.Replicas != replicas {
				t.Errorf("stream %s has %d replicas, want %d", name, cfg.Replicas, replicas)
			}
			if name != "KV_JOBD_JOBS" && name != "JOBD_HISTORY" && cfg.Duplicates != dedupe {
				t.Errorf("stream %s has a duplicate window of %v, want %v", name, cfg.Duplicates, dedupe)
			}
		}
	}
	check(3, 5*time.Minute)

	weak := startReplica(t, c, "replicas = 1", "")
	check(3, 5*time.Minute)
	if !logged(weak.log, "level=WARN", "setting=nats.replicas existing=3 configured=1") {
		t.Errorf("the replica with replicas = 1 did not log the difference")
	}
	if !logged(weak.log, "level=WARN", "setting=server.dedupe_window existing=5m0s configured=2m0s") {
		t.Errorf("the replica with the default dedupe_window did not log the difference")
	}

	adopting := startReplica(t, c, "", `dedupe_window = "5m"`)
	check(3, 5*time.Minute)
	if logged(adopting.log, "level=WARN", "setting=nats.replicas") {
		t.Errorf("a replica with nats.replicas unset logged a difference of replicas")
	}

	cfg, cat := clusterConfig(t, c, "replicas = 3", `dedupe_window = "3m"`)
	ctx, cancel := context.WithTimeout(context.Background(), natstest.ClusterDeadline)
	defer cancel()
	changed, err := engine.ApplyStreams(ctx, cfg, cat)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(changed) == 0 {
		t.Error("apply reported no change")
	}
	check(3, 3*time.Minute)
}

// logged reports whether a line of the log holds every part.
func logged(b *logBuffer, parts ...string) bool {
	for _, line := range b.Lines() {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestClusterStartWaitsForJetStream: a replica started while the cluster
// has no quorum (one server of three), or while no server answers, waits,
// saying what for, and starts once the servers are back; with a short
// server.start_timeout it gives up and says so.
func TestClusterStartWaitsForJetStream(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	c := natstest.StartCluster(t, 3)
	c.Stop(1)
	c.Stop(2)

	t.Run("gives up after server.start_timeout", func(t *testing.T) {
		r := newReplica(t, c, "replicas = 3", `start_timeout = "2s"`)
		err := r.e.Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), "server.start_timeout") {
			t.Fatalf("start = %v, want it to give up after server.start_timeout", err)
		}
	})

	t.Run("waits while there is no quorum", func(t *testing.T) {
		r := newReplica(t, c, "replicas = 3", `start_timeout = "5m"`)
		started := make(chan error, 1)
		go func() { started <- r.e.Start(context.Background()) }()
		waitUntil(t, "start-up says what it waits for", func() bool {
			return logged(r.log, "level=WARN", "start-up waits for NATS")
		})
		select {
		case err := <-started:
			t.Fatalf("start returned without quorum: %v", err)
		default:
		}
		c.Start(1)
		c.Start(2)
		select {
		case err := <-started:
			if err != nil {
				t.Fatalf("start: %v", err)
			}
		case <-time.After(3 * natstest.ClusterDeadline):
			t.Fatal("start did not return after the servers came back")
		}
		if !r.e.Ready() {
			t.Fatal("started but not ready")
		}
	})

	t.Run("waits while no server answers", func(t *testing.T) {
		for i := range c.Servers {
			c.Stop(i)
		}
		r := newReplica(t, c, "replicas = 3", `start_timeout = "5m"`)
		started := make(chan error, 1)
		go func() { started <- r.e.Start(context.Background()) }()
		waitUntil(t, "start-up says it waits to connect", func() bool {
			return logged(r.log, "level=WARN", "start-up waits for NATS", "for=connect")
		})
		for i := range c.Servers {
			c.Start(i)
		}
		select {
		case err := <-started:
			if err != nil {
				t.Fatalf("start: %v", err)
			}
		case <-time.After(3 * natstest.ClusterDeadline):
			t.Fatal("start did not return after the servers came back")
		}
	})
}

// TestStartFailsAtOnceOnAConfigurationError: what waiting cannot fix
// (three replicas on a single server) fails start-up at once, whatever
// server.start_timeout says.
func TestStartFailsAtOnceOnAConfigurationError(t *testing.T) {
	s := natstest.Start(t)
	cfg := fmt.Sprintf(`
[server]
data_dir = "data"
http = ""
start_timeout = "1h"
[nats]
url = %q
replicas = 3
[plugins]
dir = %q
`, s.URL(), pluginDir) + clusterJobs
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, cat, err := engine.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(c, cat, engine.Options{Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	defer e.Stop(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), natstest.ClusterDeadline)
	defer cancel()
	err = e.Start(ctx)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("start = %v (context: %v), want a configuration error at once", err, ctx.Err())
	}
}

// waitUntil polls cond until it holds, for up to natstest.ClusterDeadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(natstest.ClusterDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s: not yet", natstest.ClusterDeadline, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestClusterReadyzFollowsJetStream: /readyz turns 503, with the reason,
// when two servers of three stop (no quorum: nothing can be stored), and
// 200 again when they are back.
func TestClusterReadyzFollowsJetStream(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	c := natstest.StartCluster(t, 3)
	r := startReplica(t, c, "replicas = 3", "")
	url := "http://" + r.e.HTTPAddr() + "/readyz"
	readyz := func() (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var body string
	var code int
	waitUntil(t, "/readyz 200 on a healthy cluster", func() bool { code, body = readyz(); return code == 200 })

	c.Stop(1)
	c.Stop(2)
	waitUntil(t, "/readyz 503 without quorum", func() bool { code, body = readyz(); return code == 503 })
	if !strings.Contains(body, `"jetstream":`) || strings.Contains(body, `"jetstream":"ok"`) {
		t.Errorf("/readyz without quorum does not say why: %s", body)
	}

	c.Start(1)
	c.Start(2)
	waitUntil(t, "/readyz 200 with the servers back", func() bool { code, body = readyz(); return code == 200 })
}

// TestClusterStoppedReplicaLeavesNoConsumers: the consumers a replica
// creates for itself (following the timers) go when it stops, so replicas
// restarted many times do not pile them up.
func TestClusterStoppedReplicaLeavesNoConsumers(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	c := natstest.StartCluster(t, 3)
	_, js := c.Connect()
	for range 3 {
		r := startReplica(t, c, "replicas = 3", "")
		r.e.Stop(context.Background())
	}
	waitUntil(t, "no consumers left on JOBD_TIMERS", func() bool {
		return natstest.ConsumerCounts(t, js)["JOBD_TIMERS"] == 0
	})
}
