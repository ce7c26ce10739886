package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startNATS starts a NATS server with JetStream that several jobd processes
// share, as a cluster of replicas would.
func startNATS(t *testing.T) string {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats did not start")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv.ClientURL()
}

// countCalls counts the lines the test plugin recorded under a site.
func countCalls(t *testing.T, s *site) int {
	t.Helper()
	f, err := os.Open(filepath.Join(s.dir, "data", "plugins", "test", "calls.jsonl"))
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}

// Three replicas on one NATS server run a recurring job's occurrences
// exactly once in all.
func TestThreeReplicasOneRunPerTick(t *testing.T) {
	url := startNATS(t)
	job := fmt.Sprintf(`
[nats]
url = %q
[[jobs]]
event = "tick"
kind = "test"
input = {mode = "ok"}
[jobs.schedule]
every = "1s"
limit = 10
`, url)
	var sites []*site
	for i := 0; i < 3; i++ {
		s := newSite(t, "")
		// The shared header has a [nats] table already: write the job's own config.
		cfg, _ := os.ReadFile(s.config)
		text := strings.Replace(string(cfg), "[nats]\n", fmt.Sprintf("[nats]\nurl = %q\n", url), 1)
		text += strings.SplitN(job, "[[jobs]]", 2)[0][len(fmt.Sprintf("\n[nats]\nurl = %q\n", url)):] + "[[jobs]]" + strings.SplitN(job, "[[jobs]]", 2)[1]
		if err := os.WriteFile(s.config, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		sites = append(sites, s)
	}
	var daemons []*daemon
	for _, s := range sites {
		daemons = append(daemons, s.start())
	}
	total := func() int {
		n := 0
		for _, s := range sites {
			n += countCalls(t, s)
		}
		return n
	}
	waitFor(t, 30*time.Second, "10 runs", func() bool { return total() >= 10 })
	time.Sleep(3 * time.Second) // an 11th run, or a doubled one, would show by now
	per := []int{}
	for _, s := range sites {
		per = append(per, countCalls(t, s))
	}
	if total() != 10 {
		t.Fatalf("%d runs in all (per replica %v), want exactly 10", total(), per)
	}
	t.Logf("runs per replica: %v", per)
	for i, d := range daemons {
		d.stop(t)
		_ = i
	}
}

// Dispatch and job management through the command line, as a user runs them.
func TestDispatchAndJobsCommands(t *testing.T) {
	s := newSite(t, `
[[jobs]]
event = "work"
kind = "test"
on = ["events.work"]
input = {mode = "$Input{mode}"}
`)
	d := s.start()
	out, errOut, code := s.jobd("dispatch", "work", "--input", `{"mode":"ok"}`, "--start-at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if code != 0 {
		t.Fatalf("dispatch: %s %s", out, errOut)
	}
	id := strings.TrimSpace(out)
	out, _, _ = s.jobd("jobs", "ls")
	if !strings.Contains(out, id) || !strings.Contains(out, "scheduled") {
		t.Fatalf("jobs ls:\n%s", out)
	}
	out, _, _ = s.jobd("jobs", "show", id)
	if !strings.Contains(out, `"status": "scheduled"`) || !strings.Contains(out, `"mode": "ok"`) {
		t.Fatalf("jobs show:\n%s", out)
	}
	if out, errOut, code = s.jobd("jobs", "reschedule", id, "--start-at", time.Now().Add(2*time.Second).UTC().Format(time.RFC3339)); code != 0 {
		t.Fatalf("reschedule: %s %s", out, errOut)
	}
	waitFor(t, 15*time.Second, "the rescheduled run", func() bool { return countCalls(t, s) == 1 })
	waitFor(t, 5*time.Second, "a completed record", func() bool {
		out, _, _ = s.jobd("jobs", "show", id)
		return strings.Contains(out, `"status": "completed"`)
	})
	out, _, _ = s.jobd("jobs", "history", id)
	if !strings.Contains(out, "completed") || strings.Count(out, "\n") != 2 {
		t.Fatalf("history:\n%s", out)
	}
	// A recurring dispatch, paused and cancelled.
	out, errOut, code = s.jobd("dispatch", "work", "--input", `{"mode":"ok"}`, "--every", "1h", "--start-at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if code != 0 {
		t.Fatalf("dispatch --every: %s", errOut)
	}
	rid := strings.TrimSpace(out)
	for _, op := range []string{"pause", "resume", "cancel"} {
		if out, errOut, code = s.jobd("jobs", op, rid); code != 0 {
			t.Fatalf("jobs %s: %s %s", op, out, errOut)
		}
	}
	if _, errOut, code = s.jobd("jobs", "resume", rid); code != 1 || !strings.Contains(errOut, "cancelled") {
		t.Fatalf("resume of a cancelled job: exit %d, %s", code, errOut)
	}
	// Requests jobd refuses fail the operation (exit 1) with the reason.
	_, errOut, code = s.jobd("dispatch", "work", "--cron", "61 * * * *")
	if code != 1 || !strings.Contains(errOut, "cron") {
		t.Fatalf("bad cron: exit %d, %s", code, errOut)
	}
	_, errOut, code = s.jobd("dispatch", "nope")
	if code != 1 || !strings.Contains(errOut, `no job with event "nope"`) {
		t.Fatalf("unknown event: exit %d, %s", code, errOut)
	}
	_, errOut, code = s.jobd("jobs", "show", "no-such-job")
	if code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("a job that does not exist: exit %d, %s", code, errOut)
	}
	// What the command line gets wrong is bad usage (exit 2).
	if _, errOut, code = s.jobd("dispatch", "work", "--input", "{"); code != 2 {
		t.Fatalf("--input that is not JSON: exit %d, %s", code, errOut)
	}
	// A dead letter, listed and replayed.
	if _, errOut, code = s.jobd("dispatch", "work", "--input", `{"mode":"permanent"}`); code != 0 {
		t.Fatal(errOut)
	}
	var seq string
	waitFor(t, 10*time.Second, "a dead letter", func() bool {
		out, _, _ = s.jobd("dlq", "ls")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) < 2 {
			return false
		}
		seq = strings.Fields(lines[1])[0]
		return strings.Contains(out, "permanent")
	})
	if out, errOut, code = s.jobd("dlq", "show", seq); code != 0 || !strings.Contains(out, `"reason"`) {
		t.Fatalf("dlq show: %s %s", out, errOut)
	}
	if out, errOut, code = s.jobd("dlq", "replay", seq); code != 0 {
		t.Fatalf("dlq replay: %s %s", out, errOut)
	}
	waitFor(t, 10*time.Second, "the replayed run", func() bool { return countCalls(t, s) == 3 })
	if out, _, code = s.jobd("dlq", "purge"); code != 0 || !strings.HasPrefix(out, "purged") {
		t.Fatalf("dlq purge: %s", out)
	}
	d.stop(t)
}

// runIDs returns the distinct run ids the test plugin saw, and all calls.
func runIDs(t *testing.T, s *site) (map[string]int, int) {
	t.Helper()
	f, err := os.Open(filepath.Join(s.dir, "data", "plugins", "test", "calls.jsonl"))
	if err != nil {
		return map[string]int{}, 0
	}
	defer f.Close()
	ids := map[string]int{}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c struct {
			RunID string `json:"run_id"`
		}
		if json.Unmarshal(sc.Bytes(), &c) == nil {
			ids[c.RunID]++
			n++
		}
	}
	return ids, n
}

// kill -9 with a series in flight and a delayed run pending: after a
// restart every occurrence and the delayed run fire once, none is lost.
func TestKill9KeepsSchedules(t *testing.T) {
	s := newSite(t, `
[[jobs]]
event = "tick"
kind = "test"
input = {mode = "ok"}
[jobs.schedule]
every = "1s"
limit = 6

[[jobs]]
event = "later"
kind = "test"
on = ["events.later"]
input = {mode = "ok"}
[jobs.schedule]
delay = "4s"
`)
	d := s.start()
	if _, e, code := s.jobd("publish", "events.later", `{}`); code != 0 {
		t.Fatal(e)
	}
	waitFor(t, 15*time.Second, "two occurrences", func() bool { ids, _ := runIDs(t, s); return len(ids) >= 2 })
	d.kill9()
	time.Sleep(1500 * time.Millisecond) // occurrences fall due while jobd is down
	d = s.start()
	waitFor(t, 30*time.Second, "six occurrences and the delayed run", func() bool { ids, _ := runIDs(t, s); return len(ids) >= 7 })
	time.Sleep(2500 * time.Millisecond)
	ids, total := runIDs(t, s)
	if len(ids) != 7 {
		t.Fatalf("%d distinct runs, want 7 (6 occurrences + 1 delayed): %v", len(ids), ids)
	}
	if total > 8 {
		t.Fatalf("%d calls for 7 runs: runs were doubled beyond a redelivery of the one in flight: %v", total, ids)
	}
	d.stop(t)
}
