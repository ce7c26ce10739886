package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/api"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// nested returns a JSON array nested depth levels deep.
func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// An event of 1 MiB nested as deep as it can be is refused by a scan of its
// bytes, before the decoder (which took 50 s on 40,000 levels) sees it: the
// ordinary event published after it runs, and the deep one is a dead letter
// whose reason names server.max_event_depth.
func TestDeepEventDoesNotStallOthers(t *testing.T) {
	en := newEnv(t, workJob)
	const prefix, suffix = `{"a":`, `}`
	deep := prefix + nested((1<<20-len(prefix)-len(suffix))/2) + suffix // server.max_event_bytes
	en.publish("events.work", deep)
	en.publish("events.work", `{"mode":"ok"}`)
	// A deadline only bounds a failure: an idle machine takes milliseconds.
	rs := en.results("work", 2, 5*time.Second)
	var ok, refused *wire.Result
	for i := range rs {
		switch rs[i].Status {
		case "completed":
			ok = &rs[i]
		case "failed":
			refused = &rs[i]
		}
	}
	if ok == nil || refused == nil {
		t.Fatalf("results = %+v, want one completed and one failed", rs)
	}
	const reason = "more than 100 levels deep (server.max_event_depth)"
	if refused.Error == nil || refused.Error.Class != wire.ClassInvalidEvent || !strings.Contains(refused.Error.Message, reason) {
		t.Fatalf("the deep event's result: %+v", refused.Error)
	}
	dead := en.deadLetters("work")
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, reason) {
		t.Fatalf("dead letters = %+v", dead)
	}
	if tr := dead[0].Trigger; tr == nil || tr.Size != len(deep) || !tr.Truncated || len(tr.Data) != 0 || !strings.HasPrefix(tr.Text, prefix+"[[[") {
		t.Fatalf("the dead letter keeps the deep event as data, not as its first bytes: %+v", dead[0].Trigger)
	}
}

// The limit is inclusive, and applies the same way to an envelope's
// sequence, a dispatch's input and a plugin's output.
func TestDepthLimitEverywhere(t *testing.T) {
	en := newEnv(t, workJob+`
[[jobs]]
event = "echo"
kind = "test"
on = ["events.echo"]
input = {mode = "ok", d = "$Input{d}"}
`)
	const reason = "more than 100 levels deep (server.max_event_depth)"
	// At the limit, an event runs; the test plugin echoes its input one
	// level deeper, past the limit: a permanent failure without the output.
	en.publish("events.echo", `{"d":`+nested(99)+`}`)
	r := en.results("echo", 1, 10*time.Second)[0]
	if len(en.calls("test")) != 1 {
		t.Fatalf("an event at the limit did not run")
	}
	if r.Status != "failed" || r.Error == nil || r.Error.Class != wire.ClassPermanent || !strings.Contains(r.Error.Message, "the plugin's output nests objects and arrays "+reason) || len(r.Output) != 0 {
		t.Fatalf("a too deep output: status %s, error %+v, output %d bytes", r.Status, r.Error, len(r.Output))
	}

	// An envelope's sequence past the limit.
	en.publish("events.work", `{"input":{"mode":"ok"},"sequence":{"s":{"e":`+nested(200)+`}}}`, wire.EnvelopeHeader, wire.EnvelopeV1)
	rs := en.results("work", 1, 10*time.Second)
	if rs[0].Error == nil || rs[0].Error.Class != wire.ClassInvalidEvent || !strings.Contains(rs[0].Error.Message, "the envelope's input or sequence nests objects and arrays "+reason) {
		t.Fatalf("a too deep envelope: %+v", rs[0])
	}

	// A dispatch's input and sequence past the limit are refused.
	for _, req := range []string{
		`{"event":"work","input":{"mode":` + nested(101) + `}}`,
		`{"event":"work","input":{"mode":"ok"},"sequence":{"s":{"e":` + nested(200) + `}}}`,
	} {
		msg, err := en.nc.Request(api.DispatchSubject, []byte(req), 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(msg.Data)+msg.Header.Get("Nats-Service-Error"), reason) {
			t.Errorf("dispatch %.60s…: reply %s %v, want it refused", req, msg.Data, msg.Header)
		}
	}
	if n := len(en.calls("test")); n != 1 {
		t.Fatalf("%d calls, want only the one at the limit", n)
	}
}
