package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

func TestPublishesTheFeaturesEvent(t *testing.T) {
	p := newPlugin(t, `{}`)
	for _, c := range []struct{ name, input, data string }{
		{"whole input", `{"user_id": 7, "email": "ada@example.com", "sequence": 1}`,
			`{"input":{"user_id":7,"email":"ada@example.com","sequence":1}}`},
		{"wrapped input", `{"input": {"user_id": 7}, "sequence": {"signup": {"create_user": {"id": 7}}}}`,
			`{"input":{"user_id":7},"sequence":{"signup":{"create_user":{"id":7}}}}`},
		{"wrapped without sequence", `{"input": {"input": "x"}}`, `{"input":{"input":"x"}}`},
		{"wrapped null input", `{"input": null, "sequence": null}`, `{"input":{}}`},
		{"null", `null`, `{"input":{}}`},
		{"empty object", `{}`, `{"input":{}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &fakeHost{}
			res, err := p.Handle(context.Background(), newJob(h, "onboarding", "run-9:a", c.input))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			m := h.last(t)
			if m.Subject != "features.onboarding" || string(m.Data) != c.data {
				t.Errorf("published %s %s, want features.onboarding %s", m.Subject, m.Data, c.data)
			}
			if len(m.Headers) != 2 || m.Headers["Jobd-Envelope"] != "v1" || m.Headers["Nats-Msg-Id"] != "feature:run-9:a" {
				t.Errorf("headers %v", m.Headers)
			}
			if out := res.Output.(Output); out != (Output{Subject: "features.onboarding", MsgID: "feature:run-9:a"}) {
				t.Errorf("output %+v", out)
			}
		})
	}
}

func TestMsgIDIsStableAcrossAttempts(t *testing.T) {
	p := newPlugin(t, `{}`)
	h := &fakeHost{err: errors.New("nats: timeout")}
	job := newJob(h, "onboarding", "key-1", `{"user_id": 7}`)
	for attempt := 1; attempt <= 3; attempt++ {
		job.Attempt = attempt
		if attempt == 3 {
			h.err = nil
		}
		_, _ = p.Handle(context.Background(), job)
	}
	if h.count() != 3 {
		t.Fatalf("%d publishes, want 3", h.count())
	}
	for i, m := range h.msgs {
		if m.Headers["Nats-Msg-Id"] != "feature:key-1" || string(m.Data) != string(h.msgs[0].Data) {
			t.Errorf("attempt %d published %v %s", i+1, m.Headers, m.Data)
		}
	}
	_, _ = p.Handle(context.Background(), newJob(h, "onboarding", "key-2", `{"user_id": 7}`))
	if got := h.last(t).Headers["Nats-Msg-Id"]; got != "feature:key-2" {
		t.Errorf("another run's Msg-Id %q", got)
	}
	t.Run("run id when no key", func(t *testing.T) {
		job := newJob(h, "onboarding", "", `{}`)
		job.RunID = "run-77"
		_, _ = p.Handle(context.Background(), job)
		if got := h.last(t).Headers["Nats-Msg-Id"]; got != "feature:run-77" {
			t.Errorf("Msg-Id %q", got)
		}
	})
}

func TestSubjects(t *testing.T) {
	p := newPlugin(t, `{"subject": "app.start.{tag}.v1", "features": {
		"billing": {"subject": "events.billing.start"},
		"audit": {"subject": "audit.{tag}"},
		"plain": {}}}`)
	for tag, want := range map[string]string{"onboarding": "app.start.onboarding.v1", "billing": "events.billing.start",
		"audit": "audit.audit", "plain": "app.start.plain.v1", "user.signup": "app.start.user.signup.v1"} {
		h := &fakeHost{}
		if _, err := p.Handle(context.Background(), newJob(h, tag, "k", `{}`)); err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		if got := h.last(t).Subject; got != want {
			t.Errorf("%s published on %s, want %s", tag, got, want)
		}
	}
}

func TestFailures(t *testing.T) {
	p := newPlugin(t, `{}`)
	fail := func(t *testing.T, job *sdk.Job, ctx context.Context, permanent bool, want string) error {
		t.Helper()
		_, err := p.Handle(ctx, job)
		if err == nil || sdk.IsPermanent(err) != permanent || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v (permanent %v), want permanent=%v containing %q", err, sdk.IsPermanent(err), permanent, want)
		}
		return err
	}
	bg := context.Background()
	t.Run("host error retries", func(t *testing.T) {
		h := &fakeHost{err: fmt.Errorf("publish features.onboarding: %w", errors.New("nats: no responders"))}
		fail(t, newJob(h, "onboarding", "k", `{}`), bg, false, `feature "onboarding": publish on features.onboarding: publish features.onboarding: nats: no responders`)
	})
	t.Run("host unavailable is permanent", func(t *testing.T) {
		h := &fakeHost{err: sdk.ErrHostUnavailable}
		err := fail(t, newJob(h, "onboarding", "k", `{}`), bg, true, "jobd offered no host services")
		if !errors.Is(err, ErrNoHost) || !errors.Is(err, sdk.ErrHostUnavailable) {
			t.Errorf("error %v does not wrap ErrNoHost and sdk.ErrHostUnavailable", err)
		}
	})
	t.Run("no host is permanent", func(t *testing.T) {
		err := fail(t, newJob(nil, "onboarding", "k", `{}`), bg, true, "jobd offered no host services")
		if !errors.Is(err, ErrNoHost) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("deadline passed", func(t *testing.T) {
		h := &fakeHost{}
		ctx, cancel := context.WithDeadline(bg, time.Now().Add(-time.Second))
		defer cancel()
		fail(t, newJob(h, "onboarding", "k", `{}`), ctx, false, "not published: context deadline exceeded")
		if h.count() != 0 {
			t.Error("published after the deadline")
		}
	})
	for _, c := range []struct{ event, input, want string }{
		{"onboarding", `[1]`, `input: want an object (the feature's input, or {"input": {...}, "sequence": {...}}), got a list`},
		{"onboarding", `"x"`, "got a string"},
		{"onboarding", `{"input": {}, "user": 1}`, `input.user: unknown key beside "input"`},
		{"onboarding", `{"input": [1]}`, "input.input: want an object (the feature's input), got a list"},
		{"onboarding", `{"input": {}, "sequence": []}`, "input.sequence: want an object"},
		{"onboarding", `{"input": {}, "sequence": {"s": 1}}`, "input.sequence.s: want an object of event outputs"},
		{"", `{}`, `feature "": invalid subject "features.": empty token`},
		{"a b", `{}`, "contains white space"},
		{"*", `{}`, "wildcards cannot be published to"},
	} {
		t.Run("permanent "+c.want, func(t *testing.T) {
			h := &fakeHost{}
			err := fail(t, newJob(h, c.event, "k", c.input), bg, true, c.want)
			if h.count() != 0 {
				t.Errorf("published despite %v", err)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"subjct": "x"}`:                                "subjct: unknown key (known: features, subject)",
		`{"subject": "features.>"}`:                      "subject: invalid subject",
		`{"subject": "a..{tag}"}`:                        "empty token",
		`{"features": {"x": {"subject": "a b"}}}`:        "features.x.subject: invalid subject",
		`{"features": {"a b": {}}}`:                      "features.a b: the tag makes no valid subject",
		`{"features": {"x": {"subject": 1, "y": true}}}`: "features.x.y: unknown key (known: subject)",
	} {
		err := (&Plugin{}).Configure(context.Background(), &sdk.ConfigureRequest{Config: []byte(cfg)})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "feature config: ") {
			t.Errorf("%s: error %v, want %q", cfg, err, want)
		}
	}
	if _, err := (&Plugin{}).Handle(context.Background(), newJob(&fakeHost{}, "x", "k", `{}`)); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("Handle before Configure: %v", err)
	}
}
