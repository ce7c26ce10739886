package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/jobd-dev/jobd/sdk"
)

// smtpTransport sends messages to one SMTP server, a connection per message.
type smtpTransport struct {
	cfg SMTPConfig
	tls *tls.Config
}

// newSMTPTransport prepares the transport (it does not connect).
func newSMTPTransport(cfg SMTPConfig) (*smtpTransport, error) {
	tc, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	return &smtpTransport{cfg: cfg, tls: tc}, nil
}

// send delivers msg from the envelope sender to the recipients and returns
// the server's answer to the message (often a queue id). A 5xx reply is a
// permanent error; a 4xx reply, a network failure or a timeout is retryable.
func (t *smtpTransport) send(ctx context.Context, from string, rcpts []string, msg []byte) (string, error) {
	timeout := time.Duration(t.cfg.Timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(t.cfg.Host, strconv.Itoa(t.cfg.Port))
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("smtp: connect to %s: %w", addr, err)
	}
	// The client has no context: closing the connection ends whatever it
	// waits for when the job's deadline or the timeout comes.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	resp, err := t.session(conn, from, rcpts, msg)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
	}
	if err != nil {
		return "", err
	}
	return resp, nil
}

// session runs one SMTP session on conn and closes it.
func (t *smtpTransport) session(conn net.Conn, from string, rcpts []string, msg []byte) (string, error) {
	var c *smtp.Client
	switch t.cfg.TLS {
	case TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, t.tls))
	case TLSNone:
		c = smtp.NewClient(conn)
	default:
		var err error
		c, err = smtp.NewClientStartTLS(conn, t.tls)
		if err != nil {
			_ = conn.Close()
			// go-smtp has no sentinel for a server without STARTTLS; the
			// other failures here are replies or network errors.
			var se *smtp.SMTPError
			if !errors.As(err, &se) && !isNetErr(err) && strings.Contains(err.Error(), "STARTTLS") {
				return "", sdk.Permanent(fmt.Errorf("smtp: %s does not offer STARTTLS (set email.smtp.tls = %q to send in the clear): %w", conn.RemoteAddr(), TLSNone, err))
			}
			return "", classifySMTP("starttls", err)
		}
	}
	defer c.Close()
	c.CommandTimeout = time.Duration(t.cfg.Timeout)
	c.SubmissionTimeout = time.Duration(t.cfg.Timeout)

	if t.cfg.Username != "" {
		if err := c.Hello("localhost"); err != nil {
			return "", classifySMTP("hello", err)
		}
		if !c.SupportsAuth(sasl.Plain) {
			return "", sdk.Permanent(errors.New("smtp: server does not offer AUTH PLAIN (a username is configured)"))
		}
		if err := c.Auth(sasl.NewPlainClient("", t.cfg.Username, t.cfg.Password)); err != nil {
			return "", classifySMTP("auth", err)
		}
	}
	var opts *smtp.MailOptions
	if !isASCII(from) || !isASCII(strings.Join(rcpts, "")) {
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.Mail(from, opts); err != nil {
		return "", classifySMTP("MAIL FROM:<"+from+">", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			return "", classifySMTP("RCPT TO:<"+r+">", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return "", classifySMTP("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return "", classifySMTP("DATA", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", classifySMTP("DATA", err)
	}
	_ = c.Quit() // the message is accepted; a failed goodbye changes nothing
	return resp.StatusText, nil
}

// classifySMTP wraps err with the SMTP step it came from: a 5xx reply is
// permanent, anything else (4xx, network, timeout) retryable.
func classifySMTP(step string, err error) error {
	err = fmt.Errorf("smtp %s: %w", step, err)
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return sdk.Permanent(err)
	}
	return err
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

func isASCII(s string) bool {
	return bytes.IndexFunc([]byte(s), func(r rune) bool { return r >= 0x80 }) < 0
}
