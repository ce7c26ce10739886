package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// stepCalls reads the test plugin's calls: run id -> number of calls, and
// whether every call of a run used the run id as its idempotency key.
func stepCalls(t *testing.T, s *site) (map[string]int, bool) {
	t.Helper()
	f, err := os.Open(filepath.Join(s.dir, "data", "plugins", "test", "calls.jsonl"))
	if err != nil {
		return map[string]int{}, true
	}
	defer f.Close()
	out, keys := map[string]int{}, true
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c struct {
			RunID string `json:"run_id"`
			Key   string `json:"key"`
		}
		if json.Unmarshal(sc.Bytes(), &c) == nil {
			out[c.RunID]++
			keys = keys && c.Key == c.RunID
		}
	}
	return out, keys
}

// kill -9 while feature runs are between and inside their steps: every run
// completes; an event that had finished before the kill (a later event of
// its run had started) never runs again; the one in flight runs at most
// twice, with one idempotency key.
func TestKill9Features(t *testing.T) {
	s := newSite(t, `
[[features]]
tag = "three"
on = ["events.three"]
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "one"
input = { mode = "ok", sleep_ms = 150, n = "$Input{n}" }
[[features.sequence.events]]
type = "test"
event = "two"
input = { mode = "ok", sleep_ms = 150, n = "$Sequence{s}{one}{echo}{n}" }
[[features.sequence.events]]
type = "test"
event = "three"
input = { mode = "ok", sleep_ms = 150, n = "$Sequence{s}{two}{echo}{n}" }
`)
	d := s.start()
	const runs = 20
	var sb strings.Builder
	for i := 0; i < runs; i++ {
		fmt.Fprintf(&sb, "{\"n\": %d}\n", i)
	}
	events := filepath.Join(s.dir, "events.txt")
	if err := os.WriteFile(events, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, e, code := s.jobd("publish", "events.three", "--lines", "@"+events); code != 0 {
		t.Fatalf("publish: %s %s", out, e)
	}
	steps := []string{"one", "two", "three"}
	// finished returns, per run id, the steps that had finished by now:
	// those followed by a call of a later step of the same feature run.
	finished := func(calls map[string]int) map[string]bool {
		done := map[string]bool{}
		for id := range calls {
			for i, st := range steps {
				if !strings.HasSuffix(id, "/s/"+st) {
					continue
				}
				base := strings.TrimSuffix(id, st)
				for _, earlier := range steps[:i] {
					done[base+earlier] = true
				}
			}
		}
		return done
	}
	type snapshot struct {
		calls map[string]int
		done  map[string]bool
	}
	var kills []snapshot
	// Kill while half the runs have reached step two, then step three.
	for _, at := range []string{"two", "three"} {
		waitFor(t, 60*time.Second, fmt.Sprintf("%d calls of step %s", runs/2, at), func() bool {
			c, _ := stepCalls(t, s)
			n := 0
			for id := range c {
				if strings.HasSuffix(id, "/s/"+at) {
					n++
				}
			}
			return n >= runs/2
		})
		d.kill9()
		c, _ := stepCalls(t, s)
		kills = append(kills, snapshot{c, finished(c)})
		d = s.start()
	}

	var results map[string]wire.FeatureResult
	waitFor(t, 120*time.Second, fmt.Sprintf("%d feature results", runs), func() bool {
		results = featureResults(t, s, "three")
		return len(results) >= runs
	})
	if len(results) != runs {
		t.Fatalf("%d feature runs for %d events", len(results), runs)
	}
	for id, r := range results {
		if r.Status != wire.StatusCompleted || len(r.Sequence["s"]) != 3 {
			t.Errorf("run %s: %s, outputs %v", id, r.Status, r.Sequence)
		}
	}
	calls, sameKey := stepCalls(t, s)
	if !sameKey {
		t.Error("a step was called with an idempotency key other than its run id")
	}
	if len(calls) != 3*runs {
		t.Errorf("%d step runs called, want %d", len(calls), 3*runs)
	}
	twice := 0
	for id, n := range calls {
		if n > 1 {
			twice++
		}
		if n > 1+len(kills) {
			t.Errorf("%s called %d times", id, n)
		}
		for k, snap := range kills {
			if snap.done[id] && n != snap.calls[id] {
				t.Errorf("%s had finished before kill %d (%d calls) and was called again (%d calls)", id, k+1, snap.calls[id], n)
			}
		}
	}
	t.Logf("killed twice, with %d and %d steps finished before; %d of %d steps ran again (in flight at a kill)",
		len(kills[0].done), len(kills[1].done), twice, len(calls))
	d.stop(t)
}

// featureResults reads the results of feature tag stored so far, by run id
// (the last one of each run).
func featureResults(t *testing.T, s *site, tag string) map[string]wire.FeatureResult {
	t.Helper()
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", s.natsPort))
	if err != nil {
		return nil
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	out := map[string]wire.FeatureResult{}
	st, err := js.Stream(context.Background(), wire.StreamResults)
	if err != nil {
		return out
	}
	info, err := st.Info(context.Background())
	if err != nil {
		return out
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := st.GetMsg(context.Background(), seq)
		if err != nil || m.Subject != wire.FeatureResultSubjectPrefix+tag {
			continue
		}
		var r wire.FeatureResult
		if json.Unmarshal(m.Data, &r) == nil {
			out[r.ID] = r
		}
	}
	return out
}

// exampleSite runs a configuration under examples/ as its README says, with
// environment overrides for ports, the data folder, the plugins and env.
func exampleSite(t *testing.T, config string, env ...string) *site {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("../../examples", config))
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, dir: t.TempDir(), config: path, natsPort: freePort(t), httpPort: freePort(t)}
	s.env = append([]string{
		fmt.Sprintf("JOBD_NATS__LISTEN=127.0.0.1:%d", s.natsPort),
		fmt.Sprintf("JOBD_SERVER__HTTP=127.0.0.1:%d", s.httpPort),
		"JOBD_SERVER__DATA_DIR=" + filepath.Join(s.dir, "data"),
		"JOBD_PLUGINS__DIR=" + filepath.Join(bin, "plugins"),
	}, env...)
	return s
}

// examples/features/cleanup-report: the first run deletes the two old demo
// rows and posts the count to the webhook; the second deletes nothing and
// skips the report.
func TestExampleCleanupReport(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies []string
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, r.URL.Path+" "+string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	s := exampleSite(t, "features/cleanup-report/config.toml", "JOBD_PLUGINS__NOTIFICATION__CONFIG__CALLBACK__URL="+hook.URL+"/hooks/chat")
	d := s.start()
	dispatch := func() {
		t.Helper()
		if out, e, code := s.jobd("dispatch", "cleanup_report"); code != 0 {
			t.Fatalf("dispatch: %s %s", out, e)
		}
	}
	dispatch()
	var results map[string]wire.FeatureResult
	waitFor(t, 60*time.Second, "the first report", func() bool {
		results = featureResults(t, s, "cleanup_report")
		return len(results) == 1
	})
	dispatch()
	waitFor(t, 60*time.Second, "the second run", func() bool {
		results = featureResults(t, s, "cleanup_report")
		return len(results) == 2
	})
	got := map[string]int{}
	for _, r := range results {
		var sts []string
		for _, e := range r.Events {
			sts = append(sts, e.Status)
		}
		got[r.Status+": "+strings.Join(sts, " ")]++
	}
	if got["completed: completed completed"] != 1 || got["completed: completed skipped"] != 1 {
		t.Errorf("runs: %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || bodies[0] != `/hooks/chat {"text":"Deleted 2 audit_log rows older than 30 days."}` {
		t.Errorf("webhook got %q", bodies)
	}
	out, _, code := s.jobd("features", "ls", "--feature", "cleanup_report")
	if code != 0 || strings.Count(out, "completed") != 2 {
		t.Errorf("jobd features ls:\n%s", out)
	}
	d.stop(t)
}
