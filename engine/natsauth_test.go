package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/backup"
	"github.com/jobd-dev/jobd/sdk/wire"
)

const usersConfig = `
[server]
data_dir = "data"
http = ""
[nats]
listen = "127.0.0.1:0"
[[nats.users]]
user = "prod"
password = "$Secret{PROD_PW}"
role = "producer"
[[nats.users]]
user = "view"
password = "view-pw"
role = "viewer"
[[nats.users]]
user = "ops"
password = "ops-pw"
role = "operator"
[plugins]
dir = %q
[[jobs]]
event = "hello"
kind = "test"
on = ["events.hello"]
input = {mode = "ok"}
`

// startWithUsers starts an engine whose embedded server has a producer, a
// viewer and an operator.
func startWithUsers(t *testing.T) *engine.Engine {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(usersConfig, pluginDir)), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := []string{"JOBD_SECRET_PROD_PW=prod-pw"}
	cfg, cat, err := engine.Load(path, environ)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e := engine.New(cfg, cat, engine.Options{Logger: log, Environ: environ})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	return e
}

// natsUser connects as user and records the permission violations the
// server reports.
type natsUser struct {
	nc         *nats.Conn
	violations chan string
}

func connectAs(t *testing.T, url, user, pw string) *natsUser {
	t.Helper()
	c := &natsUser{violations: make(chan string, 16)}
	nc, err := nats.Connect(url, nats.UserInfo(user, pw), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			c.violations <- err.Error()
		}
	}))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	c.nc = nc
	return c
}

// call makes a management call and says whether jobd answered.
func (c *natsUser) call(endpoint string) error {
	_, err := c.nc.Request(wire.APISubject(endpoint), []byte(`{}`), 5*patience*time.Second)
	return err
}

// refused checks that publishing on subject is refused as a permission
// violation, and that no answer came.
func (c *natsUser) refused(t *testing.T, subject string) {
	t.Helper()
	_, err := c.nc.Request(subject, []byte(`{}`), 2*time.Second)
	if err == nil {
		t.Errorf("%s answered; want it refused", subject)
		return
	}
	select {
	case v := <-c.violations:
		if !strings.Contains(v, subject) {
			t.Errorf("violation %q, want one for %s", v, subject)
		}
	case <-time.After(10 * patience * time.Second):
		t.Errorf("%s: no permission violation reported (error %v)", subject, err)
	}
}

func TestRolesOfNATSUsers(t *testing.T) {
	e := startWithUsers(t)
	url := e.NATSURL()

	t.Run("no credentials are refused", func(t *testing.T) {
		if nc, err := nats.Connect(url); err == nil {
			nc.Close()
			t.Fatal("connected without credentials")
		}
	})
	t.Run("a producer publishes events and cannot manage", func(t *testing.T) {
		p := connectAs(t, url, "prod", "prod-pw") // the password came from $Secret{PROD_PW}
		js, _ := jetstream.New(p.nc)
		if _, err := js.Publish(context.Background(), "events.hello", []byte(`{}`)); err != nil {
			t.Fatalf("publish event: %v", err)
		}
		p.refused(t, wire.APISubject(wire.EndpointJobsList))
		p.refused(t, wire.DispatchSubject)
	})
	t.Run("a viewer reads and cannot cancel or purge", func(t *testing.T) {
		v := connectAs(t, url, "view", "view-pw")
		for _, ep := range []string{wire.EndpointJobsList, wire.EndpointStats, wire.EndpointDLQList} {
			if err := v.call(ep); err != nil {
				t.Errorf("%s: %v", ep, err)
			}
		}
		v.refused(t, wire.APISubject(wire.EndpointJobsCancel))
		v.refused(t, wire.APISubject(wire.EndpointDLQPurge))
		v.refused(t, "events.hello")
		if _, err := v.nc.SubscribeSync(wire.ResultSubjectPrefix + "hello"); err != nil {
			t.Errorf("subscribe to results: %v", err)
		}
	})
	t.Run("an operator manages", func(t *testing.T) {
		o := connectAs(t, url, "ops", "ops-pw")
		for _, ep := range []string{wire.EndpointJobsList, wire.EndpointDLQPurge} {
			if err := o.call(ep); err != nil {
				t.Errorf("%s: %v", ep, err)
			}
		}
		if _, err := backup.Backup(context.Background(), o.nc, filepath.Join(t.TempDir(), "b"), nil); err != nil {
			t.Errorf("operator: backup: %v", err)
		}
		select {
		case v := <-o.violations:
			t.Errorf("operator refused: %s", v)
		default:
		}
	})
	t.Run("a viewer cannot take a backup", func(t *testing.T) {
		v := connectAs(t, url, "view", "view-pw")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := backup.Backup(ctx, v.nc, filepath.Join(t.TempDir(), "b"), nil); err == nil {
			t.Error("a viewer took a backup")
		}
	})
}

// A listen address beyond loopback with no authentication is refused
// before the server listens, as a configuration error.
func TestUnprotectedListenRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	body := strings.Replace(strings.Split(fmt.Sprintf(usersConfig, pluginDir), "[[nats.users]]")[0], "127.0.0.1:0", "0.0.0.0:0", 1) +
		fmt.Sprintf("[plugins]\ndir = %q\n", pluginDir)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := engine.Load(path, nil)
	if !errors.Is(err, engine.ErrInvalidConfig) || !strings.Contains(err.Error(), "[[nats.users]]") {
		t.Fatalf("load: %v, want a config error that says how to add users", err)
	}
}
