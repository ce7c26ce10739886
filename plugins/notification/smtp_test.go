package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/jobd-dev/jobd/sdk"
)

// smtpConfig is a plugin configuration sending to 127.0.0.1:port.
func smtpConfig(port int, extra string) string {
	return fmt.Sprintf(`{"email": {"from": "jobd <jobd@example.org>", "transport": "smtp",
		"smtp": {"host": "127.0.0.1", "port": %d, "timeout": "5s" %s}}}`, port, extra)
}

func TestSMTPSeedEmailOverSTARTTLSWithAuth(t *testing.T) {
	cert, caFile := selfSigned(t)
	srv := startSMTP(t, smtpOptions{tls: &tls.Config{Certificates: []tls.Certificate{cert}}, user: "jobd"})
	p, _ := newPlugin(t, smtpConfig(srv.port, fmt.Sprintf(`, "username": "jobd", "password": "secret", "ca_file": %q`, caFile)))

	out := mustSend(t, p, newJob("run:01J/attempts", seedInput))

	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if !got.tls || got.user != "jobd" {
		t.Errorf("tls = %v, user = %q; want STARTTLS and AUTH PLAIN as jobd", got.tls, got.user)
	}
	if got.from != "jobd@example.org" || strings.Join(got.to, ",") != "ada@example.com" {
		t.Errorf("envelope from %q to %v", got.from, got.to)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got.data))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	wantID := messageID("run:01J/attempts", "jobd")
	for h, want := range map[string]string{
		"To": "ada@example.com", "Subject": "Event Reminder", "From": `"jobd" <jobd@example.org>`,
		"Message-Id": wantID, "Mime-Version": "1.0", "Date": "Fri, 14 Mar 2025 09:30:00 +0000",
	} {
		if v := msg.Header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	if !strings.HasPrefix(wantID, "<run-01J-attempts-") || !strings.HasSuffix(wantID, "@jobd>") {
		t.Errorf("Message-ID %q is not sanitized from the key", wantID)
	}
	body, _ := io.ReadAll(msg.Body)
	if want := "Hello! This is a reminder for your upcoming event on 2025-03-20."; !strings.Contains(string(body), want) {
		t.Errorf("body %q lacks %q", body, want)
	}

	email := out.Channels["email"]
	if email.Status != StatusSent || email.MessageID != wantID || email.Transport != "smtp" || email.ServerResponse == "" {
		t.Errorf("email outcome %+v", email)
	}
	push := out.Channels["push_notification"]
	if push.Status != StatusFailed || !push.Permanent || push.Error != "push_notification: no provider configured: set provider in [plugins.notification.config.push]" {
		t.Errorf("push outcome %+v", push)
	}

	// A retry of the run (the first answer was lost) sends nothing again.
	retry := newJob("run:01J/attempts", seedInput)
	retry.Attempt = 2
	out2 := mustSend(t, p, retry)
	if n := len(srv.messages()); n != 1 {
		t.Errorf("after a retry the server holds %d messages, want 1", n)
	}
	if e := out2.Channels["email"]; e.MessageID != wantID || e.Attempt != 1 {
		t.Errorf("retry outcome %+v, want the first attempt's", e)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	cert, _ := selfSigned(t)
	srv := startSMTP(t, smtpOptions{tls: &tls.Config{Certificates: []tls.Certificate{cert}}, implicit: true})
	p, _ := newPlugin(t, smtpConfig(srv.port, `, "tls": "tls", "insecure_skip_verify": true`))
	mustSend(t, p, newJob("k1", `{"email": {"to": ["a@example.com", "b@example.com"], "cc": "c@example.com", "bcc": "d@example.com", "subject": "s", "body": "b"}}`))
	msgs := srv.messages()
	if len(msgs) != 1 || !msgs[0].tls {
		t.Fatalf("messages %+v, want one over TLS", msgs)
	}
	if got := strings.Join(msgs[0].to, ","); got != "a@example.com,b@example.com,c@example.com,d@example.com" {
		t.Errorf("envelope recipients %s", got)
	}
	if bytes.Contains(msgs[0].data, []byte("d@example.com")) {
		t.Errorf("the Bcc address is in the sent message:\n%s", msgs[0].data)
	}
}

func TestSMTPErrors(t *testing.T) {
	cert, _ := selfSigned(t)
	withTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	input := `{"email": {"to": ["ok@example.com", "nobody@example.com"], "subject": "s", "body": "b"}}`
	tests := []struct {
		name      string
		opts      *smtpOptions // nil: nothing listens
		extra     string
		permanent bool
		contains  string
	}{
		{"550 mailbox unavailable is permanent", &smtpOptions{tls: withTLS, rejectRcpt: "nobody@example.com"}, `, "insecure_skip_verify": true`, true, "550"},
		{"451 on data is retryable", &smtpOptions{tls: withTLS, dataErr: &smtp.SMTPError{Code: 451, Message: "try later"}}, `, "insecure_skip_verify": true`, false, "451"},
		{"server down is retryable", nil, "", false, "connect"},
		{"no STARTTLS offered is permanent", &smtpOptions{}, "", true, "does not offer STARTTLS"},
		{"untrusted certificate is retryable", &smtpOptions{tls: withTLS}, "", false, "certificate"},
		{"wrong password is permanent", &smtpOptions{tls: withTLS, user: "jobd"}, `, "insecure_skip_verify": true, "username": "jobd", "password": "wrong"`, true, "535"},
		{"auth over a server without AUTH is permanent", &smtpOptions{}, `, "tls": "none", "username": "jobd", "password": "secret"`, true, "AUTH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := freePort(t)
			if tt.opts != nil {
				port = startSMTP(t, *tt.opts).port
			}
			p, _ := newPlugin(t, smtpConfig(port, tt.extra))
			res, err := p.Handle(context.Background(), newJob("k-"+tt.name, input))
			mustFail(t, res, err, tt.permanent)
			if !strings.Contains(err.Error(), tt.contains) || !strings.HasPrefix(err.Error(), "email: smtp") {
				t.Errorf("error %q lacks %q", err, tt.contains)
			}
		})
	}
}

func TestSMTPClearTextWhenAsked(t *testing.T) {
	srv := startSMTP(t, smtpOptions{})
	p, _ := newPlugin(t, smtpConfig(srv.port, `, "tls": "none"`))
	mustSend(t, p, newJob("k", `{"email": {"to": "a@example.com", "subject": "s", "body": "b"}}`))
	if msgs := srv.messages(); len(msgs) != 1 || msgs[0].tls {
		t.Fatalf("messages %+v, want one in the clear", msgs)
	}
}

func TestSMTPCancelledJobIsRetryable(t *testing.T) {
	srv := startSMTP(t, smtpOptions{})
	p, _ := newPlugin(t, smtpConfig(srv.port, `, "tls": "none"`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := p.Handle(ctx, newJob("k", `{"email": {"to": "a@example.com", "subject": "s", "body": "b"}}`))
	mustFail(t, res, err, false)
	if sdk.IsPermanent(err) {
		t.Fatal("a cancelled delivery must stay retryable")
	}
}
