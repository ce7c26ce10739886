package main

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// Version is the plugin's version.
const Version = "0.1.0"

//go:embed sample.conf
var sampleConfig string

//go:embed schema.json
var inputSchema []byte

// Plugin is the action plugin: each job is one HTTP call to a configured
// app's API. The zero value is ready for Configure.
type Plugin struct {
	now    func() time.Time
	client *http.Client

	mu   sync.RWMutex
	apps map[string]*app
}

// app is a configured app, resolved.
type app struct {
	tag     string
	cfg     AppConfig
	base    *url.URL
	policy  retryPolicy
	secrets []string
	actions map[string]*action
}

// action is a configured action, resolved.
type action struct {
	ref   string // "app_tag:action_tag"
	app   *app
	cfg   ActionConfig
	path  string     // the escaped path, without its query
	query url.Values // the path's fixed query
}

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{
		Name:         "action",
		Version:      Version,
		Description:  "Calls third-party HTTP APIs: configured apps (base URL, auth, retry policy per status) and actions (method, path with :params).",
		InputSchema:  json.RawMessage(inputSchema),
		SampleConfig: sampleConfig,
	}
}

// Configure decodes and checks the configuration (unknown keys are
// errors) and resolves every app and action. It makes no network call.
func (p *Plugin) Configure(_ context.Context, req *sdk.ConfigureRequest) error {
	cfg, err := decodeConfig(req.Config)
	if err != nil {
		return fmt.Errorf("action config: %w", err)
	}
	apps := make(map[string]*app, len(cfg.Apps))
	for tag, ac := range cfg.Apps {
		base, _ := url.Parse(ac.BaseURL) // validated
		a := &app{tag: tag, cfg: ac, base: base, policy: newRetryPolicy(ac.Retry), actions: map[string]*action{}}
		switch au := ac.Auth; au.Type {
		case AuthBearer:
			a.secrets = []string{au.Token}
		case AuthBasic:
			a.secrets = []string{au.Password, base64.StdEncoding.EncodeToString([]byte(au.Username + ":" + au.Password))}
		case AuthAPIKey:
			a.secrets = []string{au.Value}
		}
		for name, act := range ac.Actions {
			u, _ := url.Parse(act.Path) // validated
			a.actions[name] = &action{ref: tag + ":" + name, app: a, cfg: act, path: u.EscapedPath(), query: u.Query()}
		}
		apps[tag] = a
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.client == nil {
		p.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	p.mu.Lock()
	p.apps = apps
	p.mu.Unlock()
	return nil
}

// Handle makes the HTTP call the job's event (or the input's "action")
// names, with the input's params, query, body and headers, and returns the
// answer. A 2xx answer is success; any other status fails the job as the
// app's retry policy says (by default 429 and 5xx retry, after Retry-After
// when given, and the rest is permanent); network errors and timeouts are
// retryable; mistakes in the input are permanent.
func (p *Plugin) Handle(ctx context.Context, job *sdk.Job) (*sdk.Result, error) {
	p.mu.RLock()
	apps := p.apps
	p.mu.RUnlock()
	if apps == nil {
		return nil, ErrNotConfigured
	}
	in, err := parseInput(job.Input)
	if err != nil {
		return nil, err
	}
	ref := job.Event
	if in.Action != "" {
		ref = in.Action
	}
	a, err := resolve(apps, ref)
	if err != nil {
		return nil, err
	}
	key := job.IdempotencyKey
	if key == "" {
		key = job.RunID
	}
	req, err := buildRequest(ctx, a, in, key, "jobd-action/"+Version)
	if err != nil {
		return nil, sdk.Permanent(fmt.Errorf("%s: %w", a.ref, err))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: not sent: %w", a.ref, err)
	}
	target := redactURL(req.URL)
	rctx, cancel := context.WithTimeout(ctx, time.Duration(a.cfg.Timeout))
	defer cancel()
	start := time.Now()
	resp, err := p.client.Do(req.WithContext(rctx))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, query (and API key) included
		}
		if ctx.Err() == nil && rctx.Err() != nil {
			err = fmt.Errorf("timed out after %s: %w", time.Duration(a.cfg.Timeout), err)
		}
		return nil, fmt.Errorf("%s: %s %s: %w", a.ref, req.Method, target, err)
	}
	defer resp.Body.Close()
	jobLog(job).Debug("action answered", "action", a.ref, "method", req.Method, "url", target,
		"status", resp.StatusCode, "duration", time.Since(start))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		out, err := readOutput(resp, a.app.cfg.MaxResponseBytes, a.cfg.ResponseHeaders)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", a.ref, req.Method, target, err)
		}
		return &sdk.Result{Output: out}, nil
	}
	return nil, p.failure(a, req.Method, target, resp)
}

// failure classifies a non-2xx answer by the app's retry policy.
func (p *Plugin) failure(a *action, method, target string, resp *http.Response) error {
	code := resp.StatusCode
	err := error(&StatusError{Action: a.ref, Method: method, URL: target, Code: code, Body: snippet(resp.Body, a.app.secrets)})
	retry, after := a.app.policy.decide(code)
	if !retry {
		return sdk.Permanent(err)
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), p.now()); ok {
		return sdk.RetryAfter(err, d)
	}
	if after > 0 {
		return sdk.RetryAfter(err, after)
	}
	return err
}

// resolve finds the app and action "app_tag:action_tag" names.
func resolve(apps map[string]*app, ref string) (*action, error) {
	appTag, actTag, ok := strings.Cut(ref, ":")
	if !ok || appTag == "" || actTag == "" {
		return nil, sdk.Permanent(fmt.Errorf("%w %q: want \"app_tag:action_tag\"", ErrUnknownAction, ref))
	}
	a, ok := apps[appTag]
	if !ok {
		return nil, sdk.Permanent(fmt.Errorf("%w %q: no app %q (configured: %s)", ErrUnknownAction, ref, appTag, known(apps)))
	}
	act, ok := a.actions[actTag]
	if !ok {
		return nil, sdk.Permanent(fmt.Errorf("%w %q: app %q has no action %q (configured: %s)", ErrUnknownAction, ref, appTag, actTag, known(a.actions)))
	}
	return act, nil
}

func known[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

func jobLog(job *sdk.Job) *slog.Logger {
	if job.Log != nil {
		return job.Log
	}
	return slog.New(slog.DiscardHandler)
}
