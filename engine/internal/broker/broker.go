// Package broker gives jobd its NATS connection: it starts the embedded
// NATS server with JetStream when no URL is configured, and connects to it
// or to the configured server or cluster with the configured credentials.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/engine/internal/config"
)

// MaxPayloadEmbedded is the embedded server's largest message: larger than
// server.max_event_bytes by default, so an oversized event reaches jobd and
// is dead-lettered with a reason instead of being refused at publish.
const MaxPayloadEmbedded = 8 << 20

// MinServerVersion is the oldest NATS server jobd supports.
const MinServerVersion = "2.12.0"

// ErrServerVersion means the NATS server is older than MinServerVersion.
var ErrServerVersion = errors.New("NATS server too old")

// Embedded is a running embedded NATS server.
type Embedded struct {
	srv  *server.Server
	lock *DirLock
	// self is jobd's own account when the server has users.
	self *server.User
	opts *server.Options
}

// EnsureJetStream enables JetStream again when the server switched it off
// (it does when it cannot write its store, a full disk among them).
func (e *Embedded) EnsureJetStream() error {
	if e == nil || e.srv.JetStreamEnabled() {
		return nil
	}
	return e.srv.EnableJetStream(&server.JetStreamConfig{StoreDir: e.opts.StoreDir, MaxStore: e.opts.JetStreamMaxStore, MaxMemory: e.opts.JetStreamMaxMemory})
}

// ErrUnprotected means nats.listen reaches beyond this machine and the
// embedded server would ask no one for credentials.
// It wraps config.ErrInvalid: a configuration error (exit 2).
var ErrUnprotected = fmt.Errorf("%w: unprotected nats.listen", config.ErrInvalid)

// StartEmbedded locks server.data_dir (see LockDataDir) and starts a NATS
// server with JetStream stored under <data_dir>/nats, listening on
// nats.listen. Shutdown releases the lock.
func StartEmbedded(cfg *config.Config, log *slog.Logger) (*Embedded, error) {
	return StartEmbeddedWith(cfg, log, EmbedOptions{})
}

// EmbedOptions are the embedded server's settings beyond config.Config.
type EmbedOptions struct {
	// Auth names the users and their roles.
	Auth Auth
	// OnWarning, when not nil, also gets every warning and error of the
	// server, from its start on (damage found while loading the store).
	OnWarning func(string)
	// MaxStore bounds the bytes JetStream may store; 0 leaves it to the
	// server (most of the disk).
	MaxStore int64
}

// StartEmbeddedWith is StartEmbedded with users (nats.users, passwords
// resolved), each limited to what its role may do, and the options of o.
// A listen address beyond loopback with no authentication at all is
// refused before anything listens.
func StartEmbeddedWith(cfg *config.Config, log *slog.Logger, o EmbedOptions) (_ *Embedded, err error) {
	auth, onWarning := o.Auth, o.OnWarning
	if !config.IsLoopback(cfg.NATS.Listen) && len(auth.Users) == 0 && cfg.NATS.Token == "" && cfg.NATS.User == "" {
		return nil, fmt.Errorf("%w: nats.listen %q %s", ErrUnprotected, cfg.NATS.Listen, config.UnprotectedListenMsg)
	}
	lock, err := LockDataDir(cfg.Server.DataDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.Release()
		}
	}()
	host, portStr, err := net.SplitHostPort(cfg.NATS.Listen)
	if err != nil {
		return nil, fmt.Errorf("nats.listen %q: %w", cfg.NATS.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("nats.listen %q: bad port", cfg.NATS.Listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: "jobd-embedded",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   filepath.Join(cfg.Server.DataDir, "nats"),
		MaxPayload: MaxPayloadEmbedded,
		NoSigs:     true,
		NoLog:      true,
	}
	if cfg.NATS.Sync == "always" {
		opts.SyncAlways = true
	}
	if o.MaxStore > 0 {
		opts.JetStreamMaxStore = o.MaxStore
	}
	self, err := applyAuth(opts, auth)
	if err != nil {
		return nil, err
	}
	if self == nil && cfg.NATS.Token != "" {
		opts.Authorization = cfg.NATS.Token
	} else if self == nil && cfg.NATS.User != "" {
		opts.Username = cfg.NATS.User
		opts.Password = cfg.NATS.Password
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	srv.SetLoggerV2(&serverLog{log: log.With("component", "nats"), warn: onWarning}, false, false, false)
	go srv.Start()
	if !srv.ReadyForConnections(15 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded NATS server did not start listening on %s (is the port in use? set nats.listen)", cfg.NATS.Listen)
	}
	return &Embedded{srv: srv, lock: lock, self: self, opts: opts}, nil
}

// Connect connects jobd itself to the embedded server: with its own
// account when the server has users, else as Connect does.
func (e *Embedded) Connect(cfg *config.Config, name string, extra ...nats.Option) (*nats.Conn, error) {
	if e.self == nil {
		return Connect(cfg, e.ClientURL(), name, extra...)
	}
	own := *cfg
	own.NATS.Creds, own.NATS.NKeySeed, own.NATS.Token, own.NATS.User, own.NATS.Password = "", "", "", "", ""
	return Connect(&own, e.ClientURL(), name, append([]nats.Option{nats.UserInfo(e.self.Username, e.self.Password)}, extra...)...)
}

// ClientURL is where clients reach the embedded server.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// Stop stops the server and waits for it. Safe to call more than once, or
// on a nil Embedded.
func (e *Embedded) Stop(context.Context) {
	if e == nil || e.srv == nil {
		return
	}
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	e.lock.Release()
}

// URL returns the server jobd's commands talk to: nats.url, or the embedded
// server's listen address.
func URL(cfg *config.Config) string {
	if cfg.NATS.URL != "" {
		return cfg.NATS.URL
	}
	return "nats://" + cfg.NATS.Listen
}

// Connect connects to url with the configured credentials and TLS.
func Connect(cfg *config.Config, url, name string, extra ...nats.Option) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.Timeout(5 * time.Second),
	}
	n := cfg.NATS
	switch {
	case n.Creds != "":
		opts = append(opts, nats.UserCredentials(n.Creds))
	case n.NKeySeed != "":
		o, err := nats.NkeyOptionFromSeed(n.NKeySeed)
		if err != nil {
			return nil, fmt.Errorf("nats.nkey_seed: %w", err)
		}
		opts = append(opts, o)
	case n.Token != "":
		opts = append(opts, nats.Token(n.Token))
	case n.User != "":
		opts = append(opts, nats.UserInfo(n.User, n.Password))
	}
	if n.TLSCA != "" {
		opts = append(opts, nats.RootCAs(n.TLSCA))
	}
	if n.TLSCert != "" || n.TLSKey != "" {
		opts = append(opts, nats.ClientCert(n.TLSCert, n.TLSKey))
	}
	nc, err := nats.Connect(url, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	if err := checkVersion(nc.ConnectedServerVersion()); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}

func checkVersion(v string) error {
	var a, b, c int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &a, &b, &c); err != nil {
		return nil // unknown format: let JetStream calls speak
	}
	if a < 2 || a == 2 && b < 12 {
		return fmt.Errorf("%w: server is %s, jobd needs %s or later", ErrServerVersion, v, MinServerVersion)
	}
	return nil
}

// serverLog sends the embedded server's notices and errors to slog, and
// warnings and errors to warn too.
type serverLog struct {
	log  *slog.Logger
	warn func(string)
}

func (l *serverLog) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLog) Warnf(format string, v ...any) {
	l.problem(slog.LevelWarn, fmt.Sprintf(format, v...))
}
func (l *serverLog) Fatalf(format string, v ...any) {
	l.problem(slog.LevelError, fmt.Sprintf(format, v...))
}
func (l *serverLog) Errorf(format string, v ...any) {
	l.problem(slog.LevelError, fmt.Sprintf(format, v...))
}

func (l *serverLog) problem(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
	if l.warn != nil {
		l.warn(msg)
	}
}
func (l *serverLog) Debugf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLog) Tracef(format string, v ...any) {}
