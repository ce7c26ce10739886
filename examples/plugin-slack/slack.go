package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// Version is the plugin's version.
const Version = "0.1.0"

//go:embed sample.conf
var sampleConfig string

// Config is the [plugins.slack.config] block.
type Config struct {
	// Token is the bot token, sent as a bearer token. No header when empty.
	Token string `json:"token,omitempty"`
	// BaseURL is the Web API's base URL. Defaults to "https://slack.com/api".
	BaseURL string `json:"base_url,omitempty"`
	// Timeout limits one request, a duration string such as "10s" (the
	// default); sdk.Duration names the key when the value is not one.
	Timeout sdk.Duration `json:"timeout,omitempty"`
}

// Input is a slack job's input.
type Input struct {
	// Channel is a channel id or name, such as "#ops".
	Channel string `json:"channel"`
	// Text is the message.
	Text string `json:"text"`
}

// Output is what a slack job returns.
type Output struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// Plugin posts messages to Slack.
type Plugin struct {
	cfg    Config
	client *http.Client
}

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{
		Name:         "slack",
		Version:      Version,
		Kinds:        []string{"slack"},
		Description:  "posts a message to a Slack channel",
		InputSchema:  json.RawMessage(`{"type":"object","required":["channel","text"],"properties":{"channel":{"type":"string"},"text":{"type":"string"}}}`),
		SampleConfig: sampleConfig,
	}
}

// Configure checks and keeps the configuration.
func (p *Plugin) Configure(_ context.Context, req *sdk.ConfigureRequest) error {
	cfg := Config{BaseURL: "https://slack.com/api", Timeout: sdk.Duration(10 * time.Second)}
	if err := req.DecodeStrict(&cfg); err != nil { // unknown keys are errors naming their path
		return fmt.Errorf("slack config: %w", err)
	}
	timeout := time.Duration(cfg.Timeout)
	if timeout <= 0 {
		return fmt.Errorf("slack config: timeout must be more than 0s")
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return fmt.Errorf("slack config: base_url %q is not an http(s) URL", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	p.cfg = cfg
	p.client = &http.Client{Timeout: timeout}
	return nil
}

// permanentErrors are Slack error codes that another attempt will not fix.
var permanentErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true,
	"msg_too_long": true, "no_text": true, "invalid_auth": true, "not_authed": true,
	"account_inactive": true, "token_revoked": true, "missing_scope": true,
	"invalid_arguments": true, "restricted_action": true,
}

// Handle posts one message.
func (p *Plugin) Handle(ctx context.Context, job *sdk.Job) (*sdk.Result, error) {
	var in Input
	if err := job.Decode(&in); err != nil {
		return nil, err // already permanent: the same input will not decode next time
	}
	if in.Channel == "" || in.Text == "" {
		return nil, sdk.Permanent(errors.New("channel and text are required"))
	}
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.BaseURL+"/chat.postMessage", bytes.NewReader(body))
	if err != nil {
		return nil, sdk.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	// The same on every attempt of the run; Slack ignores it, a proxy or a
	// test server may use it to drop duplicates.
	req.Header.Set("Idempotency-Key", job.IdempotencyKey)
	if p.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.cfg.Token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post to slack: %w", err) // network trouble: retryable
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))

	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return nil, sdk.RetryAfter(errors.New("slack: rate limited"), time.Duration(max(secs, 1))*time.Second)
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("slack: HTTP %d", resp.StatusCode)
	case resp.StatusCode >= 400:
		return nil, sdk.Permanent(fmt.Errorf("slack: HTTP %d: %.200s", resp.StatusCode, raw))
	}
	var answer struct {
		OK      bool   `json:"ok"`
		Error   string `json:"error"`
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return nil, fmt.Errorf("slack: unreadable answer: %w", err)
	}
	if !answer.OK {
		err := fmt.Errorf("slack: %s", answer.Error)
		if permanentErrors[answer.Error] {
			return nil, sdk.Permanent(err)
		}
		return nil, err
	}
	job.Log.Info("posted to slack", "channel", answer.Channel, "ts", answer.TS)
	return &sdk.Result{Output: Output{Channel: answer.Channel, TS: answer.TS}}, nil
}
