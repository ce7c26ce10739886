package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

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

// startReplica starts jobd on the cluster with the extra [nats] and
// [server] lines given, and stops it when the test ends.
func startReplica(t *testing.T, c *natstest.Cluster, natsLines, serverLines string) *clusterReplica {
	t.Helper()
	dir := t.TempDir()
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
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, cat, err := engine.Load(path, nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	lb := &logBuffer{t: t}
	log := slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := engine.New(cfg, cat, engine.Options{Logger: log})
	ctx, cancel := context.WithTimeout(context.Background(), 2*natstest.ClusterDeadline)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	return &clusterReplica{e: e, log: lb}
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
