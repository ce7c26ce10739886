package engine_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jobd-dev/jobd/engine"
)

// Every goroutine the engine starts (embedded NATS server, consumers,
// timers, plugins, publisher, HTTP, management service, record sweeper) is
// joined before Stop returns, after a start that ran jobs and after one
// that failed half-way.
func TestStopLeavesNoGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	en := newEnv(t, `
[[jobs]]
event = "echo"
kind = "test"
on = ["events.echo"]
input = { say = "$Input{say}" }
`)
	en.publish("events.echo", `{"say":"hi"}`)
	en.results("echo", 1, 60*time.Second)
	en.stop()
	en.e = nil
	goleak.VerifyNone(t, before)
	en.start()
	en.e.Stop(context.Background())
	en.e.Stop(context.Background()) // a second Stop is a no-op
	en.nc.Close()
	en.e, en.nc = nil, nil
	goleak.VerifyNone(t, before)
}

// An engine stopped without a start, or stopped after a start that failed,
// leaves nothing behind either.
func TestStopWithoutStart(t *testing.T) {
	before := goleak.IgnoreCurrent()
	en := newEnv(t, ``)
	en.stop()
	cfg, cat, err := engine.Load(en.cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(cfg, cat, engine.Options{})
	e.Stop(context.Background())
	cfg.Server.HTTP = "256.0.0.1:1" // cannot listen: Start fails after NATS started
	e = engine.New(cfg, cat, engine.Options{})
	if err := e.Start(context.Background()); err == nil {
		t.Fatal("Start with a bad server.http succeeded")
	}
	e.Stop(context.Background())
	goleak.VerifyNone(t, before)
}
