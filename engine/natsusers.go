package engine

import (
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/engine/internal/broker"
	"github.com/jobd-dev/jobd/engine/internal/config"
)

// natsAuth returns the embedded server's users ([[nats.users]]) with their
// passwords' $Secret{KEY} resolved, and the subjects producers may publish
// on.
func (e *Engine) natsAuth() (broker.Auth, error) {
	a := broker.Auth{Triggers: e.cat.Subjects()}
	ps := &config.Problems{File: e.cfg.File}
	for i, u := range e.cfg.NATS.Users {
		pw, _ := resolveValue(fmt.Sprintf("nats.users[%d].password", i), u.Password, e.secrets, ps).(string)
		a.Users = append(a.Users, broker.User{Name: u.User, Password: pw, NKey: u.NKey, Role: u.Role})
	}
	return a, ps.Err()
}

// withNATSSecrets returns cfg with $Secret{KEY} resolved in the client
// credentials nats.password and nats.token, so a password kept out of the
// file works for jobd and its commands alike.
func withNATSSecrets(cfg *config.Config, s *Secrets) (*config.Config, error) {
	n := cfg.NATS
	if !secretRef.MatchString(n.Password) && !secretRef.MatchString(n.Token) {
		return cfg, nil
	}
	ps := &config.Problems{File: cfg.File}
	out := *cfg
	out.NATS.Password, _ = resolveValue("nats.password", n.Password, s, ps).(string)
	out.NATS.Token, _ = resolveValue("nats.token", n.Token, s, ps).(string)
	return &out, ps.Err()
}

// ErrPermissionDenied means the NATS server refused what the connection's
// user tried (a subject its role does not allow).
var ErrPermissionDenied = errors.New("permission denied by the NATS server")

// ConnectWatch is Connect for a command: refused is called (once per
// refusal, from the connection's goroutine) with an error matching
// ErrPermissionDenied when the server refuses a publish or subscription
// of this user, so the command can stop at once instead of waiting for a
// reply that cannot come.
func ConnectWatch(cfg *Config, name string, refused func(error)) (*nats.Conn, error) {
	secrets, err := LoadSecrets(os.Environ(), cfg.Secrets.File)
	if err != nil {
		return nil, err
	}
	if cfg, err = withNATSSecrets(cfg, secrets); err != nil {
		return nil, err
	}
	user := cfg.NATS.User
	if user == "" {
		user = "this connection's user"
	}
	return broker.Connect(cfg, broker.URL(cfg), name, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			refused(fmt.Errorf("%w: %v (the role of %s does not allow it; see the README's roles)", ErrPermissionDenied, err, user))
		}
	}))
}
