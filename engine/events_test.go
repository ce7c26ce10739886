package engine_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const echoJobs = `
[[jobs]]
event = "echo"
kind = "test"
on = ["events.user.*"]
retries = 2
[jobs.input]
to = "$Input{email}"
greeting = "Hello $Input{name}, your order #$Input{order}{id} of $Input{order}{items}{[0]}{sku}"
count = "$Input{order}{count}"
order = "$Input{order}"
last_step = "$Sequence{checkout}{pay}{receipt}{id}"
`

func TestPipingFromEventAndEnvelope(t *testing.T) {
	en := newEnv(t, echoJobs)
	en.publish("events.user.signup",
		`{"input": {"email": "ada@example.com", "name": "Ada", "order": {"id": 42, "count": 3, "items": [{"sku": "A-1"}]}},
		  "sequence": {"checkout": {"pay": {"receipt": {"id": "rc-9"}}}}}`,
		"Jobd-Envelope", "v1")
	r := en.results("echo", 1, 10*time.Second)[0]
	if r.Status != "completed" {
		t.Fatalf("result = %+v", r)
	}
	got := []byte(r.Input)
	want := `{"count":3,"greeting":"Hello Ada, your order #42 of A-1","last_step":"rc-9","order":{"count":3,"id":42,"items":[{"sku":"A-1"}]},"to":"ada@example.com"}`
	if string(got) != want {
		t.Fatalf("resolved input\n got %s\nwant %s", got, want)
	}
	calls := en.calls("test")
	if len(calls) != 1 || string(calls[0].Input) != want {
		t.Fatalf("plugin received %s", calls[0].Input)
	}
}

func TestEventDataIsNeverEvaluated(t *testing.T) {
	en := newEnv(t, echoJobs)
	en.publish("events.user.signup", `{"input": {"email": "$Input{name}", "name": "${ Secret }", "order": {"id": "$Sequence{x}{y}", "count": 1, "items": [{"sku": "$Now"}]}}, "sequence": {"checkout": {"pay": {"receipt": {"id": "$Secret{TOKEN}"}}}}}`, "Jobd-Envelope", "v1")
	r := en.results("echo", 1, 10*time.Second)[0]
	var in map[string]any
	_ = json.Unmarshal(r.Input, &in)
	if in["to"] != "$Input{name}" || in["greeting"] != "Hello ${ Secret }, your order #$Sequence{x}{y} of $Now" || in["last_step"] != "$Secret{TOKEN}" {
		t.Fatalf("event text was evaluated: %v", in)
	}
}

func TestBadEventsAreDeadLettered(t *testing.T) {
	en := newEnv(t, echoJobs+`
[server]
`[:0])
	big := `{"email": "x@example.com", "pad": "` + strings.Repeat("x", 2<<20) + `"}`
	cases := []struct {
		subject, body string
		hdr           []string
		reason        []string
		class         string
	}{
		{"events.user.a", `hello there`, nil, []string{"not JSON", "JSON object"}, "invalid_event"},
		{"events.user.b", `[1, 2, 3]`, nil, []string{"JSON array", "JSON object"}, "invalid_event"},
		{"events.user.c", `{"email": "x@example.com"}`, nil, []string{"input.greeting", "$Input{name}"}, "piping"},
		{"events.user.d", big, nil, []string{"2097", "more than server.max_event_bytes (1048576)"}, "invalid_event"},
		{"events.user.e", `{"input": 5}`, []string{"Jobd-Envelope", "v1"}, []string{"envelope's input is a JSON number"}, "invalid_event"},
		{"events.user.f", `{}`, []string{"Jobd-Envelope", "v9"}, []string{`"v9"`, `"v1"`}, "invalid_event"},
	}
	for _, c := range cases {
		en.publish(c.subject, c.body, c.hdr...)
	}
	// The next good event still runs.
	en.publish("events.user.ok", `{"input": {"email": "a@b.c", "name": "A", "order": {"id": 1, "count": 1, "items": [{"sku": "s"}]}}, "sequence": {"checkout": {"pay": {"receipt": {"id": "r"}}}}}`, "Jobd-Envelope", "v1")
	rs := en.results("echo", len(cases)+1, 15*time.Second)
	dead := en.deadLetters("echo")
	if len(dead) != len(cases) {
		t.Fatalf("%d dead letters, want %d", len(dead), len(cases))
	}
	bySubject := map[string]int{}
	for i, d := range dead {
		bySubject[d.Subject] = i
	}
	for _, c := range cases {
		i, ok := bySubject[c.subject]
		if !ok {
			t.Errorf("%s: no dead letter", c.subject)
			continue
		}
		d := dead[i]
		for _, w := range c.reason {
			if !strings.Contains(d.Reason, w) {
				t.Errorf("%s: reason %q does not mention %q", c.subject, d.Reason, w)
			}
		}
		if d.Error.Class != c.class || d.Attempts > 1 {
			t.Errorf("%s: class %s after %d attempts, want %s at once", c.subject, d.Error.Class, d.Attempts, c.class)
		}
		if d.Trigger == nil || d.Trigger.Subject != c.subject {
			t.Errorf("%s: trigger = %+v", c.subject, d.Trigger)
		}
	}
	if d := dead[bySubject["events.user.d"]]; !d.Trigger.Truncated || len(d.Trigger.Text) > 4096 {
		t.Errorf("oversized event kept whole in the dead letter (%d bytes)", len(d.Trigger.Text))
	}
	completed := 0
	for _, r := range rs {
		if r.Status == "completed" {
			completed++
		}
	}
	if completed != 1 || len(en.calls("test")) != 1 {
		t.Fatalf("%d completed, %d plugin calls; want the good event alone to run", completed, len(en.calls("test")))
	}
}

func TestFanOutAndDuplicates(t *testing.T) {
	en := newEnv(t, `
[[jobs]]
event = "a"
kind = "test"
on = ["orders.>"]
input = {mode = "ok"}
[[jobs]]
event = "b"
kind = "test"
on = ["orders.paid", "refunds.*"]
input = {mode = "ok"}
[[jobs]]
event = "c"
kind = "test2"
on = ["orders.*"]
input = {mode = "ok"}
[plugins.test2]
path = "`+pluginDir+`/jobd-test"
`)
	en.publish("orders.paid", `{}`, "Nats-Msg-Id", "pay-1")
	en.publish("orders.paid", `{}`, "Nats-Msg-Id", "pay-1") // a duplicate, not a second run
	en.publish("refunds.x", `{}`)
	en.publish("orders.eu.shipped", `{}`)
	a := en.results("a", 2, 10*time.Second)
	b := en.results("b", 2, 10*time.Second)
	c := en.results("c", 1, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if len(a) != 2 || len(b) != 2 || len(c) != 1 {
		t.Fatalf("results a=%d b=%d c=%d, want 2 2 1", len(a), len(b), len(c))
	}
	ids := map[string]bool{}
	for _, r := range append(append(a, b...), c...) {
		if ids[r.RunID] {
			t.Errorf("run id %s used twice", r.RunID)
		}
		ids[r.RunID] = true
	}
}

func TestSecretsReachThePluginButNoRecord(t *testing.T) {
	en := newEnv(t, `
[[jobs]]
event = "secretive"
kind = "test"
on = ["events.secretive"]
[jobs.input]
mode = "$Input{mode}"
token = "$Secret{TOKEN}"
auth = "Bearer $Secret{TOKEN}"
`)
	en.publish("events.secretive", `{"mode": "ok"}`)
	en.publish("events.secretive", `{"mode": "permanent"}`)
	rs := en.results("secretive", 2, 10*time.Second)
	for _, c := range en.calls("test") {
		if !strings.Contains(string(c.Input), `"token":"s3cret"`) || !strings.Contains(string(c.Input), `"auth":"Bearer s3cret"`) {
			t.Errorf("the plugin got %s", c.Input)
		}
	}
	for _, r := range rs {
		var in map[string]any
		_ = json.Unmarshal(r.Input, &in)
		if in["token"] != "[secret]" || in["auth"] != "Bearer [secret]" {
			t.Errorf("result input %v shows the secret", in)
		}
	}
	for _, stream := range []string{"JOBD_RESULTS", "JOBD_DLQ"} {
		for _, m := range en.read(stream, ">") {
			if strings.Contains(string(m.Data), "s3cret") {
				t.Errorf("%s on %s holds the secret: %s", stream, m.Subject, m.Data)
			}
		}
	}
}
