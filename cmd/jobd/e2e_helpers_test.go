package main_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
)

// bin holds the binaries built for the end-to-end tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jobd-e2e")
	if err != nil {
		panic(err)
	}
	bin = dir
	builds := [][2]string{
		{"jobd", "github.com/jobd-dev/jobd/cmd/jobd"},
		{"plugins/jobd-notification", "github.com/jobd-dev/jobd/plugins/notification"},
		{"plugins/jobd-db_action", "github.com/jobd-dev/jobd/plugins/dbaction"},
		{"plugins/jobd-action", "github.com/jobd-dev/jobd/plugins/action"},
		{"plugins/jobd-feature", "github.com/jobd-dev/jobd/plugins/feature"},
		{"plugins/jobd-test", "github.com/jobd-dev/jobd/sdk/internal/testplugin"},
	}
	for _, b := range builds {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, b[0]), b[1]).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b[1], err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// site is a folder with a config.toml for jobd, and the ports it uses.
type site struct {
	t        *testing.T
	dir      string
	config   string // path of the config file
	env      []string
	natsPort int
	httpPort int
}

// newSite writes config.toml: the given body after a [server]/[nats]/
// [plugins] header pointing at fresh ports and the built plugins.
func newSite(t *testing.T, body string) *site {
	t.Helper()
	s := &site{t: t, dir: t.TempDir(), natsPort: freePort(t), httpPort: freePort(t)}
	cfg := fmt.Sprintf(`
[server]
data_dir = "data"
http = "127.0.0.1:%d"
ack_wait = "3s"
shutdown_timeout = "10s"
[nats]
listen = "127.0.0.1:%d"
[plugins]
dir = %q
`, s.httpPort, s.natsPort, filepath.Join(bin, "plugins")) + body
	s.config = filepath.Join(s.dir, "config.toml")
	if err := os.WriteFile(s.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// rootSite uses the repository's own config.toml, as a new user runs it,
// with environment overrides for ports, the data folder and the plugins.
func rootSite(t *testing.T, env ...string) *site {
	t.Helper()
	root, err := filepath.Abs("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, dir: t.TempDir(), config: root, natsPort: freePort(t), httpPort: freePort(t)}
	s.env = append([]string{
		fmt.Sprintf("JOBD_NATS__LISTEN=127.0.0.1:%d", s.natsPort),
		fmt.Sprintf("JOBD_SERVER__HTTP=127.0.0.1:%d", s.httpPort),
		"JOBD_SERVER__DATA_DIR=" + filepath.Join(s.dir, "data"),
		"JOBD_PLUGINS__DIR=" + filepath.Join(bin, "plugins"),
	}, env...)
	return s
}

func (s *site) command(args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(bin, "jobd"), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	return cmd
}

// jobd runs a jobd command in the site's folder and returns its output and
// exit code.
func (s *site) jobd(args ...string) (string, string, int) {
	s.t.Helper()
	cmd := s.command(append(args, "-c", s.config)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// daemon is a running `jobd run`.
type daemon struct {
	cmd *exec.Cmd
	log *bytes.Buffer
	mu  *sync.Mutex
}

// start runs `jobd run` and waits until /readyz answers 200.
func (s *site) start() *daemon {
	s.t.Helper()
	cmd := s.command("run", "-c", s.config)
	d := &daemon{cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	w := &lockedWriter{w: d.log, mu: d.mu}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if s.t.Failed() {
			s.t.Logf("jobd log:\n%s", d.output())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", s.httpPort))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return d
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("jobd did not become ready:\n%s", d.output())
	return nil
}

func (d *daemon) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("jobd exited with %v:\n%s", err, d.output())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("jobd did not stop on SIGTERM:\n%s", d.output())
	}
}

// kill9 kills jobd with SIGKILL.
func (d *daemon) kill9() {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// mailbox is a real SMTP server (go-smtp) on loopback that keeps every
// message it receives.
type mailbox struct {
	port int
	mu   sync.Mutex
	msgs []*mail.Message
	raw  [][]byte
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

// messages returns what arrived so far.
func (mb *mailbox) messages() []*mail.Message {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]*mail.Message(nil), mb.msgs...)
}

// distinctIDs counts distinct Message-IDs.
func (mb *mailbox) distinctIDs() (distinct, total int) {
	seen := map[string]bool{}
	msgs := mb.messages()
	for _, m := range msgs {
		seen[m.Header.Get("Message-ID")] = true
	}
	return len(seen), len(msgs)
}

type mailSession struct{ mb *mailbox }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Reset()                               {}
func (s *mailSession) Logout() error                        { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, m)
	s.mb.raw = append(s.mb.raw, b)
	s.mb.mu.Unlock()
	return nil
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func body(t *testing.T, m *mail.Message) string {
	t.Helper()
	b, err := io.ReadAll(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		if b, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b))); err != nil {
			t.Fatal(err)
		}
	}
	return string(b)
}
