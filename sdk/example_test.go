package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/sdktest"
)

// Config is the example plugin's [plugins.shout.config] block.
type Config struct {
	Suffix  string       `json:"suffix"`
	Timeout sdk.Duration `json:"timeout"`
}

// shout is a whole plugin: it upper-cases the text of its input. Its main
// would be one line, func main() { sdk.Serve(&shout{}) }.
type shout struct{ cfg Config }

func (p *shout) Info() sdk.Info {
	return sdk.Info{Name: "shout", Version: "0.1.0", Description: "shouts the input's text",
		SampleConfig: "[plugins.shout.config]\n  suffix = \"!\"\n"}
}

func (p *shout) Configure(_ context.Context, req *sdk.ConfigureRequest) error {
	p.cfg = Config{Suffix: "!", Timeout: sdk.Duration(10 * time.Second)}
	return req.DecodeStrict(&p.cfg) // unknown keys are errors naming their path
}

func (p *shout) Handle(_ context.Context, job *sdk.Job) (*sdk.Result, error) {
	var in struct {
		Text string `json:"text"`
	}
	if err := job.Decode(&in); err != nil {
		return nil, err // already permanent
	}
	if in.Text == "" {
		return nil, sdk.Permanent(errors.New("text is required"))
	}
	job.Log.Info("shouting", "chars", len(in.Text))
	return &sdk.Result{Output: map[string]string{"text": fmt.Sprintf("%s%s", upper(in.Text), p.cfg.Suffix)}}, nil
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// A plugin implements Info, Configure and Handle, and main calls Serve.
// Here sdktest plays jobd's part, over the real protocol, in this process.
func Example() {
	h, err := sdktest.New(&shout{})
	if err != nil {
		panic(err)
	}
	defer h.Close()
	if err := h.Configure(map[string]any{"suffix": "!!"}); err != nil {
		panic(err)
	}
	r := h.Run(sdktest.Job{Input: `{"text": "hello"}`})
	fmt.Println(r.Outcome, string(r.Output))
	r = h.Run(sdktest.Job{Input: `{}`})
	fmt.Println(r.Outcome, r.Error)
	// Output:
	// ok {"text":"HELLO!!"}
	// permanent text is required
}

// An error tells jobd what to do next: a plain error is retried under the
// job's policy, Permanent ends the run at once, RetryAfter asks for a delay.
func ExamplePermanent() {
	errs := []error{
		errors.New("connection refused"),
		sdk.Permanent(errors.New("no such channel")),
		sdk.RetryAfter(errors.New("rate limited"), 7*time.Second),
	}
	for _, err := range errs {
		d, ok := sdk.RetryDelay(err)
		fmt.Printf("%-18s permanent=%v retry-after=%v (%v)\n", err, sdk.IsPermanent(err), d, ok)
	}
	// Output:
	// connection refused permanent=false retry-after=0s (false)
	// no such channel    permanent=true retry-after=0s (false)
	// rate limited       permanent=false retry-after=7s (true)
}

// DecodeStrict names every unknown key and wrong type at once, with its
// path, so a typo in a configuration or an input is reported instead of
// ignored.
func ExampleDecodeStrict() {
	var cfg struct {
		Smtp struct {
			Host string `json:"host"`
			Port int    `json:"port"`
		} `json:"smtp"`
		Timeout sdk.Duration `json:"timeout"`
	}
	raw := json.RawMessage(`{"smtp": {"hots": "mail", "port": "25"}, "timeout": "10 s"}`)
	fmt.Println(sdk.DecodeStrict("config", raw, &cfg))
	fmt.Println(sdk.DecodeStrict("config", json.RawMessage(`{"smtp": {"host": "mail", "port": 25}, "timeout": "10s"}`), &cfg), cfg.Smtp.Port, cfg.Timeout)
	// Output:
	// config.smtp.hots: unknown key (known: host, port)
	// config.smtp.port: want int, got string
	// config.timeout: want a duration string such as "10s": time: unknown unit " s" in duration "10 s"
	// <nil> 25 10s
}
