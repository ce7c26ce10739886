package sdktest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/sdktest"
)

// echo is a small plugin whose input says what to do.
type echo struct {
	greeting string
}

type echoInput struct {
	Text    string `json:"text"`
	Mode    string `json:"mode"` // "", "fail", "permanent", "later", "block", "publish", "ignore_ctx"
	SleepMS int    `json:"sleep_ms"`
}

func (e *echo) Info() sdk.Info {
	return sdk.Info{
		Name: "echo", Version: "1.0.0", Kinds: []string{"echo", "echo_loud"}, Description: "echoes its input",
		InputSchema:  []byte(`{"type":"object","properties":{"text":{"type":"string"}}}`),
		SampleConfig: "[plugins.echo.config]\n  ## Put before every answer.\n  greeting = \"hello\"\n",
	}
}

func (e *echo) Configure(_ context.Context, req *sdk.ConfigureRequest) error {
	var cfg struct {
		Greeting *string `json:"greeting"`
	}
	if err := req.Decode(&cfg); err != nil {
		return err
	}
	if cfg.Greeting != nil && *cfg.Greeting == "" {
		return errors.New("greeting must not be empty")
	}
	e.greeting = "hi"
	if cfg.Greeting != nil {
		e.greeting = *cfg.Greeting
	}
	return nil
}

func (e *echo) Handle(ctx context.Context, job *sdk.Job) (*sdk.Result, error) {
	var in echoInput
	if err := job.Decode(&in); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch in.Mode {
	case "fail":
		return nil, errors.New("downstream unavailable")
	case "permanent":
		return nil, sdk.Permanent(errors.New("no such channel"))
	case "later":
		return nil, sdk.RetryAfter(errors.New("rate limited"), 3*time.Second)
	case "block":
		<-ctx.Done()
		return nil, ctx.Err()
	case "ignore_ctx":
		time.Sleep(time.Duration(in.SleepMS) * time.Millisecond)
	case "publish":
		if err := job.Host.Publish(ctx, "events.echoed", []byte(in.Text), map[string]string{"Run": job.RunID}); err != nil {
			return nil, err
		}
	}
	if in.Text == "" {
		return nil, sdk.Permanent(errors.New("text is required"))
	}
	job.Log.Info("echoing", "text", in.Text)
	text := e.greeting + " " + in.Text
	if job.Kind == "echo_loud" {
		text = strings.ToUpper(text)
	}
	return &sdk.Result{Output: map[string]any{"text": text, "key": job.IdempotencyKey, "attempt": job.Attempt}}, nil
}

func TestRunOutcomes(t *testing.T) {
	h := sdktest.Start(t, &echo{}, sdktest.WithConfig(map[string]any{"greeting": "hey"}))
	cases := []struct {
		name  string
		input string
		want  sdktest.Outcome
		err   string
		after time.Duration
	}{
		{"ok", `{"text":"there"}`, sdktest.OK, "", 0},
		{"retryable", `{"text":"x","mode":"fail"}`, sdktest.Retry, "downstream unavailable", 0},
		{"permanent", `{"text":"x","mode":"permanent"}`, sdktest.Permanent, "no such channel", 0},
		{"retry_after", `{"text":"x","mode":"later"}`, sdktest.Retry, "rate limited", 3 * time.Second},
		{"not_json", `{`, sdktest.Permanent, "decode input", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Run(sdktest.Job{Input: tc.input})
			if r.Outcome != tc.want || !strings.Contains(r.Error, tc.err) || r.RetryAfter != tc.after {
				t.Errorf("result %+v, want %v %q after %v", r, tc.want, tc.err, tc.after)
			}
		})
	}
}

func TestRunOutputAndJobFields(t *testing.T) {
	h := sdktest.Start(t, &echo{}, sdktest.WithKind("echo_loud"))
	r := h.Run(sdktest.Job{Input: map[string]any{"text": "there"}, RunID: "r-7", Attempt: 2, MaxAttempts: 3})
	var out struct {
		Text, Key string
		Attempt   int
	}
	if err := r.Decode(&out); err != nil {
		t.Fatalf("%+v: %v", r, err)
	}
	if out.Text != "HI THERE" || out.Key != "r-7" || out.Attempt != 2 {
		t.Errorf("output = %+v", out)
	}
	if logs := h.Logs(); len(logs) != 1 || logs[0].Message != "echoing" || logs[0].Attrs["text"] != "there" || logs[0].Attrs["run_id"] != "r-7" {
		t.Errorf("logs = %+v", logs)
	}
}

func TestPublished(t *testing.T) {
	var mu sync.Mutex
	refuse := false
	h := sdktest.Start(t, &echo{}, sdktest.WithPublish(func(context.Context, string, []byte, map[string]string) error {
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			return errors.New("nats is down")
		}
		return nil
	}))
	if r := h.Run(sdktest.Job{Input: `{"text":"a","mode":"publish"}`, RunID: "r-1"}); r.Outcome != sdktest.OK {
		t.Fatalf("%+v", r)
	}
	mu.Lock()
	refuse = true
	mu.Unlock()
	if r := h.Run(sdktest.Job{Input: `{"text":"b","mode":"publish"}`}); r.Outcome != sdktest.Retry || !strings.Contains(r.Error, "nats is down") {
		t.Fatalf("%+v", r)
	}
	got := h.Published()
	if len(got) != 2 || got[0].Subject != "events.echoed" || string(got[0].Data) != "a" || got[0].Headers["Run"] != "r-1" {
		t.Fatalf("published %+v", got)
	}
}

func TestDeadlineAndCancel(t *testing.T) {
	h := sdktest.Start(t, &echo{})
	start := time.Now()
	r := h.Run(sdktest.Job{Input: `{"text":"x","mode":"block"}`, Deadline: time.Now().Add(200 * time.Millisecond)})
	if r.Outcome != sdktest.Retry || r.TimedOut || !strings.Contains(r.Error, "deadline") {
		t.Errorf("deadline: %+v", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	r = h.RunContext(ctx, sdktest.Job{Input: `{"text":"x","mode":"block"}`})
	if r.Outcome != sdktest.Retry || r.TimedOut || !strings.Contains(r.Error, "canceled") {
		t.Errorf("cancel: %+v", r)
	}
	// A handler that ignores its context is answered for by the harness,
	// about GraceDefault after the deadline, long before the handler's 20 s
	// (the bound leaves a busy machine room).
	r = h.Run(sdktest.Job{Input: `{"text":"x","mode":"ignore_ctx","sleep_ms":20000}`, Deadline: time.Now().Add(100 * time.Millisecond)})
	if !r.TimedOut || r.Outcome != sdktest.Retry {
		t.Errorf("ignored deadline: %+v", r)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestConcurrentRuns(t *testing.T) {
	h := sdktest.Start(t, &echo{})
	var wg sync.WaitGroup
	errs := make(chan string, 50)
	for i := range 50 {
		wg.Go(func() {
			r := h.Run(sdktest.Job{Input: fmt.Sprintf(`{"text":"%d"}`, i)})
			var out struct{ Text string }
			if err := r.Decode(&out); err != nil || out.Text != fmt.Sprintf("hi %d", i) {
				errs <- fmt.Sprintf("job %d: %+v", i, r)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestConfigureRefused(t *testing.T) {
	h, err := sdktest.New(&echo{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Configure(`{"greeting":""}`); err == nil || !strings.Contains(err.Error(), `plugin "echo" refused its configuration: greeting must not be empty`) {
		t.Fatalf("err = %v", err)
	}
	if err := h.Configure(`{"greeting":"yo"}`); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownKind(t *testing.T) {
	_, err := sdktest.New(&echo{}, sdktest.WithKind("slack"))
	if err == nil || !strings.Contains(err.Error(), `does not serve kind "slack"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigFromTOML(t *testing.T) {
	cfg, err := sdktest.ConfigFromTOML("[plugins.x]\nconcurrency = 2\n[plugins.x.config]\na = 1\n[plugins.x.config.b]\nc = \"d\"\n", "x")
	if err != nil || string(cfg) != `{"a":1,"b":{"c":"d"}}` {
		t.Fatalf("%s %v", cfg, err)
	}
	if cfg, err := sdktest.ConfigFromTOML("[plugins.y]\n", "x"); err != nil || string(cfg) != "{}" {
		t.Fatalf("%s %v", cfg, err)
	}
	if _, err := sdktest.ConfigFromTOML("[plugins.x\n", "x"); err == nil {
		t.Fatal("bad TOML accepted")
	}
}

func TestConformance(t *testing.T) {
	sdktest.Conformance(t, func() sdk.Plugin { return &echo{} }, sdktest.Case{
		Input:          map[string]any{"text": "there"},
		BadInput:       map[string]any{"text": ""},
		RetryableInput: map[string]any{"text": "x", "mode": "fail"},
		BlockingInput:  map[string]any{"text": "x", "mode": "block"},
		BadConfig:      map[string]any{"greeting": ""},
	})
}

// The default bad input and the deadline check without a blocking input.
func TestConformanceMinimalCase(t *testing.T) {
	sdktest.Conformance(t, func() sdk.Plugin { return &echo{} }, sdktest.Case{
		Kind:  "echo",
		Input: `{"text":"there"}`,
	})
}
