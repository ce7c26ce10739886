package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// Version is the plugin's version.
const Version = "0.1.0"

// ledgerTTL is how long a run's delivered channels are remembered, so a
// retry does not deliver them again.
const ledgerTTL = 24 * time.Hour

// Channel statuses reported in the output.
const (
	// StatusSent is a channel delivered in this attempt or an earlier one.
	StatusSent = "sent"
	// StatusFailed is a channel that failed in this attempt.
	StatusFailed = "failed"
)

// ErrNoProvider is the (permanent) failure of a push_notification or sms
// channel while no provider is configured for it.
var ErrNoProvider = errors.New("no provider configured")

//go:embed sample.conf
var sampleConfig string

//go:embed schema.json
var inputSchema []byte

// Plugin is the notification plugin: it delivers each channel of a job's
// input (push, email, SMS, callback) and reports each outcome.
// The zero value is ready for Configure.
type Plugin struct {
	now      func() time.Time
	cfg      Config
	from     *mail.Address
	outbox   *outbox
	smtp     *smtpTransport
	callback *callbackSender
	push     pushProvider
	sms      smsProvider
	sent     *ledger[ChannelOutcome]
	targets  *ledger[TargetOutcome]
}

// Output is a successful job's result.
type Output struct {
	// Channels maps each channel of the input, by the name it was given, to
	// its outcome.
	Channels map[string]ChannelOutcome `json:"channels"`
}

// ChannelOutcome is one channel's outcome.
type ChannelOutcome struct {
	// Status is StatusSent or StatusFailed.
	Status string `json:"status"`
	// Attempt is the attempt that delivered the channel.
	Attempt int `json:"attempt,omitempty"`
	// Provider is the push or SMS provider, such as "expo" or "twilio".
	Provider string `json:"provider,omitempty"`
	// Transport is the email transport: "outbox" or "smtp".
	Transport string `json:"transport,omitempty"`
	// MessageID is the email's Message-ID, derived from the idempotency key.
	MessageID string `json:"message_id,omitempty"`
	// Recipients are the email's envelope recipients (to, cc, bcc).
	Recipients []string `json:"recipients,omitempty"`
	// File is the outbox file, relative to the plugin's data folder.
	File string `json:"file,omitempty"`
	// ServerResponse is the SMTP server's answer to the message.
	ServerResponse string `json:"server_response,omitempty"`
	// StatusCode is the callback's HTTP status code.
	StatusCode int `json:"status_code,omitempty"`
	// URL is the callback's URL, without query and credentials.
	URL string `json:"url,omitempty"`
	// Results are the push channel's outcome per device token, or the SMS
	// channel's per recipient, in the input's order.
	Results []TargetOutcome `json:"results,omitempty"`
	// Error is why the channel failed.
	Error string `json:"error,omitempty"`
	// Permanent tells whether the failure would fail again on a retry.
	Permanent bool `json:"permanent,omitempty"`
}

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{
		Name:         "notification",
		Version:      Version,
		Description:  "Sends notifications: push (Expo, FCM), email (file outbox or SMTP), SMS (Twilio, Vonage, Plivo) and HTTP callbacks.",
		InputSchema:  json.RawMessage(inputSchema),
		SampleConfig: sampleConfig,
	}
}

// Configure decodes and checks the configuration (unknown keys are errors)
// and prepares the email transport, the push and SMS providers and the
// callback client.
func (p *Plugin) Configure(_ context.Context, req *sdk.ConfigureRequest) error {
	cfg, err := decodeConfig(req.Config)
	if err != nil {
		return fmt.Errorf("notification config: %w", err)
	}
	from, err := mail.ParseAddress(cfg.Email.From)
	if err != nil {
		return fmt.Errorf("notification config: email.from: %w", err)
	}
	p.cfg, p.from = cfg, from
	switch cfg.Email.Transport {
	case TransportOutbox:
		dir, err := cfg.Email.outboxPath(req.DataDir)
		if err != nil {
			return fmt.Errorf("notification config: %w", err)
		}
		if p.outbox, err = newOutbox(dir, req.DataDir); err != nil {
			return fmt.Errorf("notification config: email.outbox_dir: %w", err)
		}
	case TransportSMTP:
		if p.smtp, err = newSMTPTransport(cfg.Email.SMTP); err != nil {
			return fmt.Errorf("notification config: %w", err)
		}
	}
	p.callback = newCallbackSender(cfg.Callback, Version)
	if p.now == nil {
		p.now = time.Now
	}
	if p.push, err = newPushProvider(cfg.Push, p.now); err != nil {
		return fmt.Errorf("notification config: %w", err)
	}
	if p.sms, err = newSMSProvider(cfg.SMS); err != nil {
		return fmt.Errorf("notification config: %w", err)
	}
	p.sent = newLedger(ledgerTTL, p.now)
	p.targets = newLedgerOf[TargetOutcome](ledgerTTL, p.now)
	return nil
}

// Handle delivers every channel of the job's input, concurrently. The job
// succeeds when at least one channel does; when all fail it is retryable if
// any failure is, else permanent. Channels an earlier attempt of the same
// run delivered are not delivered again. A stored message named by the
// input gives each channel's missing title, body, subject and template.
func (p *Plugin) Handle(ctx context.Context, job *sdk.Job) (*sdk.Result, error) {
	if p.sent == nil {
		return nil, errors.New("notification: Handle called before Configure")
	}
	chans, ref, err := parseInput(job.Input)
	if err != nil {
		return nil, err
	}
	msg, err := ref.resolve(p.cfg.Messages)
	if err != nil {
		return nil, err
	}
	key := runKey(job)
	outs := make([]ChannelOutcome, len(chans))
	errs := make([]error, len(chans))
	var wg sync.WaitGroup
	for i, ch := range chans {
		wg.Go(func() { outs[i], errs[i] = p.deliver(ctx, job, key, ch, msg) })
	}
	wg.Wait()

	log := jobLog(job)
	out := Output{Channels: map[string]ChannelOutcome{}}
	var failures []error
	ok := false
	for i, ch := range chans {
		out.Channels[ch.name] = outs[i]
		if errs[i] == nil {
			ok = true
			continue
		}
		failures = append(failures, errs[i])
		log.Warn("channel failed", "channel", ch.name, "error", errs[i], "permanent", sdk.IsPermanent(errs[i]))
	}
	if ok {
		return &sdk.Result{Output: out}, nil
	}
	return nil, joinFailures(failures)
}

// joinFailures is the job's error when every channel failed: retryable
// (after the longest Retry-After asked) if any channel's failure is,
// otherwise permanent.
func joinFailures(failures []error) error {
	return joinErrors("every channel failed", failures)
}

// joinErrors joins failures under msg: retryable (after the longest
// Retry-After asked) if any of them is, otherwise permanent. One failure is
// returned as it is.
func joinErrors(msg string, failures []error) error {
	if len(failures) == 1 {
		return failures[0]
	}
	msgs := make([]string, len(failures))
	retry, delay := false, time.Duration(0)
	for i, f := range failures {
		msgs[i] = f.Error()
		if !sdk.IsPermanent(f) {
			retry = true
			if d, ok := sdk.RetryDelay(f); ok {
				delay = max(delay, d)
			}
		}
	}
	err := fmt.Errorf("%s: %s", msg, strings.Join(msgs, "; "))
	switch {
	case !retry:
		return sdk.Permanent(err)
	case delay > 0:
		return sdk.RetryAfter(err, delay)
	}
	return err
}

// deliver runs one channel, unless an earlier attempt of the run delivered it.
func (p *Plugin) deliver(ctx context.Context, job *sdk.Job, key string, ch channelInput, msg rendered) (ChannelOutcome, error) {
	lkey := key + "\x00" + ch.name
	if o, ok := p.sent.get(lkey); ok && key != "" {
		return o, nil
	}
	var (
		o   ChannelOutcome
		err error
	)
	switch ch.kind {
	case ChannelEmail:
		o, err = p.sendEmail(ctx, job, key, ch, msg)
	case ChannelPush:
		o, err = p.sendPush(ctx, job, key, ch, msg)
	case ChannelSMS:
		o, err = p.sendSMS(ctx, job, key, ch, msg)
	case ChannelCallback:
		var r *callbackResult
		if r, err = p.callback.send(ctx, ch.name, ch.raw, key); err == nil {
			o.StatusCode, o.URL = r.statusCode, r.url
		}
		if err != nil {
			var se *statusError
			if errors.As(err, &se) {
				o.StatusCode = se.Code
			}
		}
	default:
		err = sdk.Permanent(fmt.Errorf("%s: unknown channel", ch.name))
	}
	if err != nil {
		o.Status, o.Error, o.Permanent = StatusFailed, err.Error(), sdk.IsPermanent(err)
		return o, err
	}
	o.Status, o.Attempt = StatusSent, job.Attempt
	if key != "" {
		p.sent.put(lkey, o)
	}
	return o, nil
}

// sendEmail validates the email channel, renders the message and hands it
// to the configured transport.
func (p *Plugin) sendEmail(ctx context.Context, job *sdk.Job, key string, ch channelInput, msg rendered) (ChannelOutcome, error) {
	m, err := parseEmail(ch.name, ch.raw, msg)
	if err != nil {
		return ChannelOutcome{}, err
	}
	token := key
	if token == "" {
		token = rand.Text() // no key: nothing to be idempotent about
	}
	id := messageID(token, p.cfg.Email.MessageIDDomain)
	o := ChannelOutcome{Transport: p.cfg.Email.Transport, MessageID: id, Recipients: m.envelope()}
	switch p.cfg.Email.Transport {
	case TransportSMTP:
		msg := m.render(p.from, id, p.now(), false)
		resp, err := p.smtp.send(ctx, p.from.Address, o.Recipients, msg)
		if err != nil {
			return o, fmt.Errorf("%s: %w", ch.name, err)
		}
		o.ServerResponse = resp
	default:
		msg := m.render(p.from, id, p.now(), true)
		file, existed, err := p.outbox.deliver(token, msg)
		if err != nil {
			return o, fmt.Errorf("%s: %w", ch.name, err)
		}
		o.File = file
		if existed {
			jobLog(job).Info("email already in the outbox from an earlier attempt", "file", file)
		}
	}
	return o, nil
}

// runKey is what makes a run's side effects happen once: the idempotency
// key, or the run id when jobd gave none.
func runKey(job *sdk.Job) string {
	if job.IdempotencyKey != "" {
		return job.IdempotencyKey
	}
	return job.RunID
}

func jobLog(job *sdk.Job) *slog.Logger {
	if job.Log != nil {
		return job.Log
	}
	return slog.New(slog.DiscardHandler)
}

// ledger remembers, per run and channel (or per run, channel and target),
// what was delivered, for ttl. A nil ledger remembers nothing.
type ledger[V any] struct {
	mu     sync.Mutex
	ttl    time.Duration
	now    func() time.Time
	m      map[string]ledgerEntry[V]
	pruned time.Time
}

type ledgerEntry[V any] struct {
	v  V
	at time.Time
}

// newLedger remembers channel outcomes.
func newLedger(ttl time.Duration, now func() time.Time) *ledger[ChannelOutcome] {
	return newLedgerOf[ChannelOutcome](ttl, now)
}

func newLedgerOf[V any](ttl time.Duration, now func() time.Time) *ledger[V] {
	return &ledger[V]{ttl: ttl, now: now, m: map[string]ledgerEntry[V]{}}
}

func (l *ledger[V]) get(key string) (V, bool) {
	var zero V
	if l == nil {
		return zero, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[key]
	if !ok || l.now().Sub(e.at) > l.ttl {
		return zero, false
	}
	return e.v, true
}

func (l *ledger[V]) put(key string, v V) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.pruned) > time.Minute {
		l.pruned = now
		for k, e := range l.m {
			if now.Sub(e.at) > l.ttl {
				delete(l.m, k)
			}
		}
	}
	l.m[key] = ledgerEntry[V]{v: v, at: now}
}
