package host_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk/host"
)

var testPlugin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jobd-host-test")
	if err != nil {
		panic(err)
	}
	testPlugin = filepath.Join(dir, "jobd-test")
	out, err := exec.Command("go", "build", "-o", testPlugin, "github.com/jobd-dev/jobd/sdk/internal/testplugin").CombinedOutput()
	if err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func start(t *testing.T, opts host.Options) *host.Plugin {
	t.Helper()
	if opts.Path == "" {
		opts.Path = testPlugin
	}
	if opts.Kind == "" {
		opts.Kind = "test"
	}
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	p, err := host.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(p.Kill)
	return p
}

// runAll submits jobs in one batch and waits for every result.
func runAll(t *testing.T, p *host.Plugin, jobs []host.Job) []host.Result {
	t.Helper()
	res := make([]host.Result, len(jobs))
	var wg sync.WaitGroup
	wg.Add(len(jobs))
	p.Submit(jobs, func(i int, r host.Result) { res[i] = r; wg.Done() })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("results did not arrive")
	}
	return res
}

func job(run string, input string) host.Job {
	return host.Job{JobID: run, RunID: run, Event: "e", Kind: "test", Input: []byte(input), Attempt: 1, MaxAttempts: 3, IdempotencyKey: run}
}

func TestInfo(t *testing.T) {
	p := start(t, host.Options{})
	info := p.Info()
	if info.Name != "test" || info.APIVersion != 1 || strings.Join(info.Kinds, ",") != "test,test2" {
		t.Fatalf("info = %+v", info)
	}
}

func TestOutcomes(t *testing.T) {
	p := start(t, host.Options{})
	res := runAll(t, p, []host.Job{
		job("ok", `{"mode":"ok"}`),
		job("fail", `{"mode":"fail"}`),
		job("perm", `{"mode":"permanent"}`),
		job("after", `{"mode":"retry_after"}`),
		job("bad", `[1]`),
	})
	want := []host.Outcome{host.OK, host.Retry, host.Permanent, host.Retry, host.Permanent}
	for i, r := range res {
		if r.Outcome != want[i] {
			t.Errorf("job %d: outcome %v (%s), want %v", i, r.Outcome, r.Error, want[i])
		}
	}
	var out struct{ Attempt int }
	if err := json.Unmarshal(res[0].Output, &out); err != nil || out.Attempt != 1 {
		t.Errorf("output %s: %v", res[0].Output, err)
	}
	if res[3].RetryAfter != 1500*time.Millisecond {
		t.Errorf("retry after = %v", res[3].RetryAfter)
	}
	if !strings.Contains(res[4].Error, "decode input") {
		t.Errorf("bad input error = %q", res[4].Error)
	}
}

func TestManyJobsOneBatch(t *testing.T) {
	p := start(t, host.Options{})
	jobs := make([]host.Job, 500)
	for i := range jobs {
		jobs[i] = job("r"+string(rune('a'+i%26))+strings.Repeat("x", i%7), `{"mode":"ok","sleep_ms":5}`)
	}
	for i, r := range runAll(t, p, jobs) {
		if r.Outcome != host.OK {
			t.Fatalf("job %d: %v %s", i, r.Outcome, r.Error)
		}
	}
}

func TestCrashAnswersPending(t *testing.T) {
	p := start(t, host.Options{})
	res := runAll(t, p, []host.Job{job("slow", `{"mode":"ok","sleep_ms":3000}`), job("crash", `{"mode":"crash"}`)})
	for i, r := range res {
		if r.Outcome != host.Retry || !r.Crashed {
			t.Errorf("job %d: %+v, want crash retry", i, r)
		}
	}
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("Done not closed after crash")
	}
	// Later submissions are answered at once.
	if r := runAll(t, p, []host.Job{job("late", `{}`)}); !r[0].Crashed {
		t.Errorf("late job: %+v", r[0])
	}
}

func TestDeadlineAnsweredByHost(t *testing.T) {
	p := start(t, host.Options{DeadlineGrace: 200 * time.Millisecond})
	j := job("hang", `{"mode":"hang"}`)
	j.Deadline = time.Now().Add(300 * time.Millisecond)
	r := runAll(t, p, []host.Job{j})[0]
	if r.Outcome != host.Retry || !strings.Contains(r.Error, "deadline") {
		t.Fatalf("result = %+v", r)
	}
}

func TestPublishCallback(t *testing.T) {
	var mu sync.Mutex
	var got []string
	p := start(t, host.Options{Publish: func(_ context.Context, subject string, data []byte, _ map[string]string) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, subject+" "+string(data))
		return nil
	}})
	r := runAll(t, p, []host.Job{job("pub", `{"publish":{"subject":"events.x","data":{"a":1}}}`)})[0]
	if r.Outcome != host.OK {
		t.Fatalf("result = %+v", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != `events.x {"a":1}` {
		t.Fatalf("published %q", got)
	}
}

func TestRefusals(t *testing.T) {
	sum, err := host.FileSHA256(testPlugin)
	if err != nil {
		t.Fatal(err)
	}
	notPlugin := filepath.Join(t.TempDir(), "jobd-sh")
	if err := os.WriteFile(notPlugin, []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opts host.Options
		want []string
		is   error
	}{
		{"pin", host.Options{Kind: "test", SHA256: strings.Repeat("0", 64)}, []string{"expected 0000", "found " + sum}, host.ErrPinMismatch},
		{"kind", host.Options{Kind: "slack"}, []string{`expected kind "slack"`, "[test test2]"}, host.ErrKind},
		{"configure", host.Options{Kind: "test", Config: []byte(`{"refuse":true}`)}, []string{"refused its configuration: refused by configuration"}, host.ErrConfigure},
		{"not a plugin", host.Options{Kind: "test", Path: notPlugin}, []string{"jobd-sh"}, host.ErrStart},
		{"missing", host.Options{Kind: "test", Path: "/nonexistent/jobd-x"}, []string{"/nonexistent/jobd-x"}, host.ErrStart},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Path == "" {
				tc.opts.Path = testPlugin
			}
			tc.opts.DataDir = t.TempDir()
			tc.opts.StartTimeout = 5 * time.Second
			p, err := host.Start(context.Background(), tc.opts)
			if err == nil {
				p.Kill()
				t.Fatal("start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

func TestEnvironmentIsolated(t *testing.T) {
	t.Setenv("JOBD_SECRET_LEAK", "x")
	p := start(t, host.Options{Env: []string{"ONLY=1"}})
	r := runAll(t, p, []host.Job{job("env", `{"env":true}`)})[0]
	if r.Outcome != host.OK {
		t.Fatalf("result = %+v", r)
	}
	var out struct{ Environ []string }
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatal(err)
	}
	env := strings.Join(out.Environ, " ")
	if !strings.Contains(env, "ONLY=1") || strings.Contains(env, "JOBD_SECRET_LEAK") || strings.Contains(env, "PATH=") {
		t.Fatalf("plugin environment = %v", out.Environ)
	}
}

// A handler that waits on its context sees the job's deadline pass, and
// answers before the host has to.
func TestHandlerContextEndsAtDeadline(t *testing.T) {
	p := start(t, host.Options{DeadlineGrace: 20 * time.Second})
	j := job("slow", `{"mode":"ok","sleep_ms":60000}`)
	j.Deadline = time.Now().Add(300 * time.Millisecond)
	begin := time.Now()
	r := runAll(t, p, []host.Job{j})[0]
	if r.Outcome != host.Retry || !strings.Contains(r.Error, "context deadline exceeded") {
		t.Fatalf("result = %+v, want the handler's own deadline error", r)
	}
	if took := time.Since(begin); took > 10*time.Second {
		t.Errorf("answered after %v", took)
	}
}

// TestLargeBatches sends one batch of jobs whose inputs add up to several
// times gRPC's default message limit (4 MiB) and its flow-control window,
// and checks every job's output echoes its input byte for byte: large
// messages cross both ways in many frames, through pooled buffers that are
// not cleared between uses.
func TestLargeBatches(t *testing.T) {
	t.Run("plugin with this SDK", func(t *testing.T) { largeBatches(t, start(t, host.Options{})) })
	// A plugin that keeps gRPC's default receive limit (an older SDK, or
	// another language): jobd splits the batch into messages under it.
	t.Run("plugin taking 4 MiB at most", func(t *testing.T) {
		largeBatches(t, start(t, host.Options{Env: []string{"TESTPLUGIN_MAX_RECV=4194304"}}))
	})
}

func largeBatches(t *testing.T, p *host.Plugin) {
	jobs := make([]host.Job, 12)
	for i := range jobs {
		pad := strings.Repeat(string(rune('a'+i)), 1<<20+i*4099)
		jobs[i] = job(fmt.Sprintf("big-%d", i), fmt.Sprintf(`{"mode":"ok","pad":%q}`, pad))
	}
	for round := range 2 {
		for i, r := range runAll(t, p, jobs) {
			if r.Outcome != host.OK {
				t.Fatalf("round %d, job %d: %v %s", round, i, r.Outcome, r.Error)
			}
			var out struct{ Echo json.RawMessage }
			if err := json.Unmarshal(r.Output, &out); err != nil {
				t.Fatalf("round %d, job %d: output: %v", round, i, err)
			}
			if !bytes.Equal(out.Echo, jobs[i].Input) {
				t.Fatalf("round %d, job %d: echo of %d bytes differs from the %d-byte input", round, i, len(out.Echo), len(jobs[i].Input))
			}
		}
	}
}
