package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/jobd-dev/jobd/sdk"
)

// Defaults of the configuration, applied by [Config.withDefaults].
const (
	// FromDefault is the sender when email.from is not set.
	FromDefault = "jobd <jobd@localhost>"
	// TransportDefault is the email transport when email.transport is not set.
	TransportDefault = TransportOutbox
	// OutboxDirDefault is the outbox folder, relative to the plugin's data folder.
	OutboxDirDefault = "outbox"
	// MessageIDDomainDefault is the right-hand side of every Message-ID.
	MessageIDDomainDefault = "jobd"
	// SMTPPortDefault is the SMTP port for tls = "starttls" or "none".
	SMTPPortDefault = 587
	// SMTPSPortDefault is the SMTP port for tls = "tls" (implicit TLS).
	SMTPSPortDefault = 465
	// SMTPTLSDefault is the SMTP security mode when email.smtp.tls is not set.
	SMTPTLSDefault = TLSStartTLS
	// SMTPTimeoutDefault bounds one SMTP delivery, from connect to QUIT.
	SMTPTimeoutDefault = 30 * time.Second
	// CallbackMethodDefault is the callback's HTTP method when not set.
	CallbackMethodDefault = "POST"
	// CallbackTimeoutDefault bounds one callback request.
	CallbackTimeoutDefault = 10 * time.Second
)

// Email transports and SMTP security modes.
const (
	// TransportOutbox writes each message as an .eml file.
	TransportOutbox = "outbox"
	// TransportSMTP sends each message to an SMTP server.
	TransportSMTP = "smtp"
	// TLSStartTLS upgrades a plain connection with STARTTLS and fails when
	// the server does not offer it.
	TLSStartTLS = "starttls"
	// TLSImplicit connects with TLS from the first byte (port 465).
	TLSImplicit = "tls"
	// TLSNone sends in the clear, credentials included.
	TLSNone = "none"
)

// Config is the plugin's [plugins.notification.config] block.
type Config struct {
	// Email configures the email channel.
	Email EmailConfig `json:"email"`
	// Callback configures the callback (webhook) channel.
	Callback CallbackConfig `json:"callback"`
	// Push configures the push_notification channel's provider.
	Push PushConfig `json:"push"`
	// SMS configures the sms channel's provider.
	SMS SMSConfig `json:"sms"`
	// Messages are the stored messages, by notification tag then message
	// tag.
	Messages map[string]map[string]MessageTemplate `json:"messages"`
}

// EmailConfig is the [plugins.notification.config.email] table.
type EmailConfig struct {
	// From is the sender of every message. Defaults to FromDefault.
	From string `json:"from"`
	// Transport is "outbox" or "smtp". Defaults to TransportDefault.
	Transport string `json:"transport"`
	// OutboxDir is the outbox folder; a relative path is relative to the
	// plugin's data folder. Defaults to OutboxDirDefault.
	OutboxDir string `json:"outbox_dir"`
	// MessageIDDomain is the right-hand side of Message-IDs. Defaults to
	// MessageIDDomainDefault.
	MessageIDDomain string `json:"message_id_domain"`
	// SMTP configures the smtp transport.
	SMTP SMTPConfig `json:"smtp"`
}

// SMTPConfig is the [plugins.notification.config.email.smtp] table.
type SMTPConfig struct {
	// Host is the server's host name; required with transport "smtp".
	Host string `json:"host"`
	// Port is the server's port. Defaults to SMTPPortDefault, or
	// SMTPSPortDefault with tls = "tls".
	Port int `json:"port"`
	// Username turns on AUTH PLAIN when set.
	Username string `json:"username"`
	// Password goes with Username.
	Password string `json:"password"`
	// TLS is "starttls", "tls" or "none". Defaults to SMTPTLSDefault.
	TLS string `json:"tls"`
	// CAFile is a PEM file of extra certificate authorities to trust.
	CAFile string `json:"ca_file"`
	// InsecureSkipVerify accepts any server certificate (tests only).
	InsecureSkipVerify bool `json:"insecure_skip_verify"`
	// Timeout bounds one delivery. Defaults to SMTPTimeoutDefault.
	Timeout Duration `json:"timeout"`
}

// CallbackConfig is the [plugins.notification.config.callback] table.
type CallbackConfig struct {
	// URL is the callback's address; ":name" path segments are filled from
	// the input's params.
	URL string `json:"url"`
	// Method is the HTTP method. Defaults to CallbackMethodDefault.
	Method string `json:"method"`
	// Headers are sent with every request; the input's headers win.
	Headers map[string]string `json:"headers"`
	// Timeout bounds one request. Defaults to CallbackTimeoutDefault.
	Timeout Duration `json:"timeout"`
}

// Duration is a duration written as a string such as "10s" (sdk.Duration).
type Duration = sdk.Duration

// decodeConfig decodes raw strictly: every unknown key is reported, with its
// path, and so is every invalid value.
func decodeConfig(raw json.RawMessage) (Config, error) {
	var cfg Config
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := sdk.DecodeStrict("", raw, &cfg); err != nil {
		return cfg, err
	}
	cfg = cfg.withDefaults()
	return cfg, cfg.validate()
}

// withDefaults returns a copy of c with every unset field at its default.
func (c Config) withDefaults() Config {
	e := &c.Email
	if e.From == "" {
		e.From = FromDefault
	}
	if e.Transport == "" {
		e.Transport = TransportDefault
	}
	if e.OutboxDir == "" {
		e.OutboxDir = OutboxDirDefault
	}
	if e.MessageIDDomain == "" {
		e.MessageIDDomain = MessageIDDomainDefault
	}
	s := &e.SMTP
	if s.TLS == "" {
		s.TLS = SMTPTLSDefault
	}
	if s.Port == 0 {
		s.Port = SMTPPortDefault
		if s.TLS == TLSImplicit {
			s.Port = SMTPSPortDefault
		}
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(SMTPTimeoutDefault)
	}
	cb := &c.Callback
	if cb.Method == "" {
		cb.Method = CallbackMethodDefault
	}
	cb.Method = strings.ToUpper(cb.Method)
	if cb.Timeout == 0 {
		cb.Timeout = Duration(CallbackTimeoutDefault)
	}
	c.Push = c.Push.withDefaults()
	c.SMS = c.SMS.withDefaults()
	return c
}

// validate reports every invalid field at once, each named by its key path.
func (c Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	e := c.Email
	if _, err := mail.ParseAddress(e.From); err != nil {
		bad("email.from", "invalid address %q: %v", e.From, err)
	}
	switch e.Transport {
	case TransportOutbox, TransportSMTP:
	default:
		bad("email.transport", "want %q or %q, got %q", TransportOutbox, TransportSMTP, e.Transport)
	}
	if sanitizeToken(e.MessageIDDomain) != e.MessageIDDomain {
		bad("email.message_id_domain", "%q is not a valid domain", e.MessageIDDomain)
	}
	s := e.SMTP
	if e.Transport == TransportSMTP && s.Host == "" {
		bad("email.smtp.host", "required when email.transport is %q", TransportSMTP)
	}
	if s.Port < 1 || s.Port > 65535 {
		bad("email.smtp.port", "%d is out of range 1-65535", s.Port)
	}
	switch s.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		bad("email.smtp.tls", "want %q, %q or %q, got %q", TLSStartTLS, TLSImplicit, TLSNone, s.TLS)
	}
	if s.Password != "" && s.Username == "" {
		bad("email.smtp.username", "required when email.smtp.password is set")
	}
	cb := c.Callback
	if cb.URL != "" {
		u, err := url.Parse(cb.URL)
		switch {
		case err != nil:
			bad("callback.url", "%v", err)
		case u.Scheme != "http" && u.Scheme != "https":
			bad("callback.url", "want an http or https URL, got %q", cb.URL)
		case u.Host == "":
			bad("callback.url", "no host in %q", cb.URL)
		}
	}
	if !httpguts.ValidHeaderFieldName(cb.Method) {
		bad("callback.method", "%q is not an HTTP method", cb.Method)
	}
	for k, v := range cb.Headers {
		if !httpguts.ValidHeaderFieldName(k) || !httpguts.ValidHeaderFieldValue(v) {
			bad("callback.headers."+k, "invalid header")
		}
	}
	c.Push.validate(bad)
	c.SMS.validate(bad)
	validateMessages(c.Messages, bad)
	return errors.Join(errs...)
}

// outboxPath resolves the outbox folder against the plugin's data folder.
func (e EmailConfig) outboxPath(dataDir string) (string, error) {
	if filepath.IsAbs(e.OutboxDir) {
		return e.OutboxDir, nil
	}
	if dataDir == "" {
		return "", fmt.Errorf("email.outbox_dir: %q is relative and jobd gave the plugin no data folder", e.OutboxDir)
	}
	return filepath.Join(dataDir, e.OutboxDir), nil
}

// tlsConfig builds the client TLS configuration for the SMTP server.
func (s SMTPConfig) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{
		ServerName:         s.Host,
		InsecureSkipVerify: s.InsecureSkipVerify, //nolint:gosec // opt-in, for tests
		MinVersion:         tls.VersionTLS12,
	}
	if s.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, fmt.Errorf("email.smtp.ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("email.smtp.ca_file: no PEM certificate in %s", s.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}
