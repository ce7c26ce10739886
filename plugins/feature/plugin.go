package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// Version is the plugin's version.
const Version = "0.1.0"

//go:embed sample.conf
var sampleConfig string

//go:embed schema.json
var inputSchema []byte

// Plugin is the feature plugin: each job starts another feature by
// publishing its trigger event through jobd. The zero value is ready for
// Configure.
type Plugin struct {
	mu  sync.RWMutex
	cfg *Config
}

// Output is a successful job's result.
type Output struct {
	// Subject is the subject the feature's event was published on.
	Subject string `json:"subject"`
	// MsgID is the event's Nats-Msg-Id.
	MsgID string `json:"msg_id"`
}

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{
		Name:         "feature",
		Version:      Version,
		Description:  "Starts another feature by publishing its trigger event (an envelope with its input) through jobd.",
		InputSchema:  json.RawMessage(inputSchema),
		SampleConfig: sampleConfig,
	}
}

// Configure decodes and checks the configuration (unknown keys are errors).
func (p *Plugin) Configure(_ context.Context, req *sdk.ConfigureRequest) error {
	cfg, err := decodeConfig(req.Config)
	if err != nil {
		return fmt.Errorf("feature config: %w", err)
	}
	p.mu.Lock()
	p.cfg = &cfg
	p.mu.Unlock()
	return nil
}

// Handle publishes the event that starts the feature the job's event names:
// the envelope made from the input, on the feature's subject, with the
// headers Jobd-Envelope: v1 and Nats-Msg-Id: feature:<idempotency key>.
// A failed publish is retryable; bad input, a tag that makes no subject
// and a host without services are permanent.
func (p *Plugin) Handle(ctx context.Context, job *sdk.Job) (*sdk.Result, error) {
	p.mu.RLock()
	cfg := p.cfg
	p.mu.RUnlock()
	if cfg == nil {
		return nil, ErrNotConfigured
	}
	tag := job.Event
	subject := cfg.subject(tag)
	if err := checkSubject(subject); err != nil {
		return nil, sdk.Permanent(fmt.Errorf("feature %q: %w", tag, err))
	}
	env, err := parseEnvelope(job.Input)
	if err != nil {
		return nil, fmt.Errorf("feature %q: %w", tag, err)
	}
	data, err := json.Marshal(env)
	if err != nil {
		return nil, sdk.Permanent(fmt.Errorf("feature %q: encode envelope: %w", tag, err))
	}
	key := job.IdempotencyKey
	if key == "" {
		key = job.RunID
	}
	if key == "" {
		key = rand.Text() // no key: nothing to be idempotent about
	}
	out := Output{Subject: subject, MsgID: msgID(key)}
	if job.Host == nil {
		return nil, sdk.Permanent(fmt.Errorf("feature %q: %w", tag, ErrNoHost))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("feature %q: not published: %w", tag, err)
	}
	headers := map[string]string{wire.EnvelopeHeader: wire.EnvelopeV1, wire.MsgIDHeader: out.MsgID}
	if err := job.Host.Publish(ctx, subject, data, headers); err != nil {
		if errors.Is(err, sdk.ErrHostUnavailable) {
			return nil, sdk.Permanent(fmt.Errorf("feature %q: %w: %w", tag, ErrNoHost, err))
		}
		return nil, fmt.Errorf("feature %q: publish on %s: %w", tag, subject, err)
	}
	jobLog(job).Debug("feature started", "feature", tag, "subject", subject, "msg_id", out.MsgID)
	return &sdk.Result{Output: out}, nil
}

func jobLog(job *sdk.Job) *slog.Logger {
	if job.Log != nil {
		return job.Log
	}
	return slog.New(slog.DiscardHandler)
}
