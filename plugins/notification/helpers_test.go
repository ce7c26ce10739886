package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/jobd-dev/jobd/sdk"
)

// fixedNow is the clock of every test plugin.
var fixedNow = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

// seedInput is the job-event family's canonical example, its pipes resolved.
const seedInput = `{
  "push_notification": { "title": "Reminder Alert",
    "body": "This is a reminder for your upcoming event.",
    "data": { "eventId": "evt-42", "reminderType": "upcoming_event" },
    "device_token": "ExponentPushToken[abc]" },
  "email": { "to": "ada@example.com", "subject": "Event Reminder",
    "body": "Hello! This is a reminder for your upcoming event on 2025-03-20." } }`

// newPlugin configures a plugin with cfg (JSON) and a fresh data folder.
func newPlugin(t *testing.T, cfg string) (*Plugin, string) {
	t.Helper()
	dir := t.TempDir()
	p := &Plugin{now: func() time.Time { return fixedNow }}
	err := p.Configure(context.Background(), &sdk.ConfigureRequest{Kind: "notification", Config: json.RawMessage(cfg), DataDir: dir})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p, dir
}

// newJob is attempt 1 of a run whose idempotency key is key.
func newJob(key, input string) *sdk.Job {
	return &sdk.Job{ID: "job-1", RunID: "run-" + key, Event: "send_notification", Kind: "notification",
		Input: json.RawMessage(input), Attempt: 1, MaxAttempts: 4, IdempotencyKey: key}
}

// mustSend runs job and returns its output, failing the test on an error.
func mustSend(t *testing.T, p *Plugin, job *sdk.Job) Output {
	t.Helper()
	res, err := p.Handle(context.Background(), job)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	out, ok := res.Output.(Output)
	if !ok {
		t.Fatalf("output is %T", res.Output)
	}
	return out
}

// mustFail checks that Handle failed with the wanted class.
func mustFail(t *testing.T, res *sdk.Result, err error, permanent bool) {
	t.Helper()
	if err == nil {
		t.Fatalf("Handle succeeded with %+v; want an error", res.Output)
	}
	if got := sdk.IsPermanent(err); got != permanent {
		t.Fatalf("permanent = %v, want %v (error: %v)", got, permanent, err)
	}
}

// selfSigned returns a certificate for 127.0.0.1 and localhost, and the PEM
// of its certificate written to a file (for ca_file).
func selfSigned(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "jobd test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}

// smtpOptions shape a test SMTP server.
type smtpOptions struct {
	tls      *tls.Config // offered with STARTTLS, or from the first byte when implicit
	implicit bool
	user     string // when set, AUTH PLAIN with user/"secret" is required
	// rejectRcpt answers RCPT TO for this address with 550.
	rejectRcpt string
	// dataErr answers the message's end with this error.
	dataErr *smtp.SMTPError
}

// received is one message the test server accepted.
type received struct {
	from string
	to   []string
	data []byte
	tls  bool
	user string
}

// smtpServer is a go-smtp server on 127.0.0.1 recording what it receives.
type smtpServer struct {
	port int
	opts smtpOptions
	mu   sync.Mutex
	msgs []received
}

// startSMTP starts a server for the test's duration.
func startSMTP(t *testing.T, o smtpOptions) *smtpServer {
	t.Helper()
	s := &smtpServer{opts: o}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicit {
		l = tls.NewListener(l, o.tls)
	} else {
		srv.TLSConfig = o.tls
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type testSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	user string
	cur  received
}

func (s *testSession) AuthMechanisms() []string {
	if s.srv.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.opts.user || pass != "secret" {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.srv.opts.rejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if e := s.srv.opts.dataErr; e != nil {
		return e
	}
	s.cur.data = b
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.cur.user = s.user
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

// freePort returns a port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
	return port
}

// quoteJSON writes s as a JSON string.
func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
