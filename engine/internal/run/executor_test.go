package run

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/policy"
	"github.com/jobd-dev/jobd/sdk/host"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// plugin answers every job with its next scripted result.
type plugin struct {
	mu      sync.Mutex
	answers []host.Result
	jobs    []host.Job
}

func (p *plugin) Dispatch(_ context.Context, job host.Job, timeout time.Duration, done func(host.Result, time.Time)) error {
	started := time.Now()
	if timeout > 0 {
		job.Deadline = started.Add(timeout)
	}
	p.mu.Lock()
	p.jobs = append(p.jobs, job)
	res := host.Result{Outcome: host.OK}
	if len(p.answers) > 0 {
		res, p.answers = p.answers[0], p.answers[1:]
	}
	p.mu.Unlock()
	done(res, started)
	return nil
}

// published keeps what the executor records; fail makes every publish fail.
type published struct {
	mu   sync.Mutex
	msgs []*nats.Msg
	fail error
}

func (p *published) Publish(msg *nats.Msg, cb func(error)) {
	p.mu.Lock()
	if p.fail == nil {
		p.msgs = append(p.msgs, msg)
	}
	err := p.fail
	p.mu.Unlock()
	cb(err)
}

func (p *published) subjects() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.msgs {
		out = append(out, m.Subject+" "+m.Header.Get(nats.MsgIdHdr))
	}
	return out
}

// timerMsgs makes timer messages that say where and when they fire.
type timerMsgs struct{}

func (timerMsgs) Message(target, id string, at time.Time, body []byte) *nats.Msg {
	m := nats.NewMsg("timer")
	m.Data = body
	m.Header.Set("target", target)
	m.Header.Set("at", at.UTC().Format(time.RFC3339Nano))
	m.Header.Set(nats.MsgIdHdr, id)
	return m
}

// settlement records how a run's delivery was settled.
type settlement struct {
	mu      sync.Mutex
	settled []bool
}

func (s *settlement) Settle(ok bool) { s.mu.Lock(); s.settled = append(s.settled, ok); s.mu.Unlock() }

func (s *settlement) Msg() jetstream.Msg { return nil }

// get returns the settlements once there is one (a run with a job record
// finishes it in a goroutine of its own), or none after a generous wait.
func (s *settlement) get() []bool {
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		out := append([]bool(nil), s.settled...)
		s.mu.Unlock()
		if len(out) > 0 || time.Now().After(deadline) {
			return out
		}
	}
}

// keeper records the runs whose job records were finished.
type keeper struct {
	mu       sync.Mutex
	finished []string
}

func (k *keeper) FinishRecord(ru *Run, res *wire.Result) {
	k.mu.Lock()
	k.finished = append(k.finished, ru.RunID+" "+res.Status)
	k.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	exec  *Executor
	plug  *plugin
	pub   *published
	keep  *keeper
	clock *clockwork.FakeClock
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, plug: &plugin{}, pub: &published{}, keep: &keeper{},
		clock: clockwork.NewFakeClockAt(time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC))}
	secrets := map[string]string{"TOKEN": "s3cret-t0ken"}
	f.exec = NewExecutor(Options{
		Dispatchers: map[string]Dispatcher{"test": f.plug},
		Publisher:   f.pub,
		Timers:      timerMsgs{},
		Records:     f.keep,
		Secret: func(k string) (string, error) {
			if v, ok := secrets[k]; ok {
				return v, nil
			}
			return "", errors.New("no secret " + k)
		},
		MaxEventBytes: 1 << 20,
		Clock:         f.clock,
	})
	t.Cleanup(func() { f.exec.Stop(context.Background()) })
	return f
}

// job compiles a job of kind test with the input template.
func (f *fixture) job(input any, retries int, allowFail bool) *catalog.Job {
	f.t.Helper()
	tmpl, err := piping.Compile(input, piping.Options{Path: "input"})
	if err != nil {
		f.t.Fatal(err)
	}
	return &catalog.Job{Event: "work", Kind: "test", Input: tmpl, MaxAttempts: retries + 1, AllowFail: allowFail,
		Backoff: policy.Backoff{Initial: time.Minute, Max: time.Hour, Multiplier: 2}}
}

// attempt runs attempt n of a run of j on the event input.
func (f *fixture) attempt(j *catalog.Job, n int, input string, hasRecord bool) *settlement {
	f.t.Helper()
	ev, err := DecodeInput([]byte(input), "the body")
	if err != nil {
		f.t.Fatal(err)
	}
	d := &settlement{}
	ru := New(&Run{D: d, RunID: "r1", JobID: "r1", Attempt: n, Subject: "events.work", Ev: ev, FromRun: true, HasRecord: hasRecord}, j, Overrides{})
	f.exec.Attempt(ru)
	return d
}

// result decodes the body of the message on subject.
func (f *fixture) message(prefix string) *nats.Msg {
	f.t.Helper()
	f.pub.mu.Lock()
	defer f.pub.mu.Unlock()
	for _, m := range f.pub.msgs {
		if strings.HasPrefix(m.Subject, prefix) {
			return m
		}
	}
	f.t.Fatalf("nothing published on %s*; published %v", prefix, f.pub.msgs)
	return nil
}

func decode[T any](t *testing.T, m *nats.Msg) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(m.Data, &v); err != nil {
		t.Fatalf("%s: %v", m.Data, err)
	}
	return v
}

func TestSuccessRecordsTheResultThenSettles(t *testing.T) {
	f := newFixture(t)
	f.plug.answers = []host.Result{{Outcome: host.OK, Output: json.RawMessage(`{"sent":true}`)}}
	d := f.attempt(f.job(map[string]any{"to": "$Input{email}", "now": "$Var(execution_count)"}, 3, false), 1, `{"email":"ada@example.com"}`, true)
	if got := f.pub.subjects(); len(got) != 1 || got[0] != "jobd.result.work r1/result" {
		t.Fatalf("published %v, want the result only", got)
	}
	res := decode[wire.Result](t, f.message("jobd.result."))
	if res.Status != wire.StatusCompleted || res.Attempts != 1 || string(res.Output) != `{"sent":true}` || string(res.Input) != `{"now":1,"to":"ada@example.com"}` {
		t.Fatalf("result = %+v (input %s)", res, res.Input)
	}
	job := f.plug.jobs[0]
	if job.IdempotencyKey != "r1" || job.MaxAttempts != 4 || job.Attempt != 1 || string(job.Input) != `{"now":1,"to":"ada@example.com"}` {
		t.Fatalf("plugin got %+v", job)
	}
	s := d.get()
	f.keep.mu.Lock()
	defer f.keep.mu.Unlock()
	if len(s) != 1 || !s[0] || len(f.keep.finished) != 1 || f.keep.finished[0] != "r1 completed" {
		t.Fatalf("settled %v, records finished %v", s, f.keep.finished)
	}
}

func TestRetryableErrorStoresTheNextAttemptOnTheClock(t *testing.T) {
	f := newFixture(t)
	f.plug.answers = []host.Result{{Outcome: host.Retry, Error: "busy"}}
	d := f.attempt(f.job(map[string]any{}, 3, false), 2, `{}`, false)
	m := f.message("timer")
	// Attempt 2 failed: the third waits initial × multiplier = 2 minutes.
	want := f.clock.Now().Add(2 * time.Minute).UTC().Format(time.RFC3339Nano)
	if m.Header.Get("target") != "jobd.runs.work" || m.Header.Get("at") != want || m.Header.Get(nats.MsgIdHdr) != "r1/3" {
		t.Fatalf("timer %v, want jobd.runs.work at %s id r1/3", m.Header, want)
	}
	rec := decode[Record](t, m)
	if rec.Attempt != 3 || rec.LastError == nil || rec.LastError.Message != "busy" || rec.LastError.Class != wire.ClassRetryable {
		t.Fatalf("run record %+v", rec)
	}
	if got := f.pub.subjects(); len(got) != 1 {
		t.Fatalf("published %v, want only the timer", got)
	}
	if s := d.get(); len(s) != 1 || !s[0] {
		t.Fatalf("settled %v", s)
	}
	// A plugin's Retry-After wins over the backoff.
	f2 := newFixture(t)
	f2.plug.answers = []host.Result{{Outcome: host.Retry, Error: "429", RetryAfter: 10 * time.Minute}}
	f2.attempt(f2.job(map[string]any{}, 3, false), 1, `{}`, false)
	if at := f2.message("timer").Header.Get("at"); at != f2.clock.Now().Add(10*time.Minute).UTC().Format(time.RFC3339Nano) {
		t.Fatalf("retry after 10m stored for %s", at)
	}
}

func TestFinalFailure(t *testing.T) {
	for _, c := range []struct {
		name      string
		answer    host.Result
		attempt   int
		allowFail bool
		status    string
		class     string
		subjects  []string
	}{
		{"retryable, attempts spent", host.Result{Outcome: host.Retry, Error: "down"}, 4, false, wire.StatusFailed, wire.ClassRetryable,
			[]string{"jobd.result.work r1/result", "jobd.failed.work r1/failed", "jobd.dlq.work r1/dlq"}},
		{"allowed", host.Result{Outcome: host.Retry, Error: "down"}, 4, true, wire.StatusFailedAllowed, wire.ClassRetryable,
			[]string{"jobd.result.work r1/result"}},
		{"permanent at once", host.Result{Outcome: host.Permanent, Error: "bad address"}, 1, false, wire.StatusFailed, wire.ClassPermanent,
			[]string{"jobd.result.work r1/result", "jobd.failed.work r1/failed", "jobd.dlq.work r1/dlq"}},
		{"crashed", host.Result{Outcome: host.Retry, Error: "EOF", Crashed: true}, 4, false, wire.StatusFailed, wire.ClassCrash,
			[]string{"jobd.result.work r1/result", "jobd.failed.work r1/failed", "jobd.dlq.work r1/dlq"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.plug.answers = []host.Result{c.answer}
			d := f.attempt(f.job(map[string]any{}, 3, c.allowFail), c.attempt, `{"a":1}`, false)
			if got := strings.Join(f.pub.subjects(), ", "); got != strings.Join(c.subjects, ", ") {
				t.Fatalf("published %s, want %s", got, strings.Join(c.subjects, ", "))
			}
			res := decode[wire.Result](t, f.message("jobd.result."))
			if res.Status != c.status || res.Error == nil || res.Error.Class != c.class || res.Error.Message != c.answer.Error {
				t.Fatalf("result %+v error %+v", res, res.Error)
			}
			if c.status == wire.StatusFailed {
				dl := decode[wire.DeadLetter](t, f.message("jobd.dlq."))
				if dl.Reason != c.answer.Error || dl.Trigger == nil || string(dl.Trigger.Data) != `{"a":1}` {
					t.Fatalf("dead letter %+v", dl)
				}
			}
			if s := d.get(); len(s) != 1 || !s[0] {
				t.Fatalf("settled %v", s)
			}
		})
	}
}

func TestRunsThatNeverReachAPlugin(t *testing.T) {
	f := newFixture(t)
	f.attempt(f.job(map[string]any{"to": "$Input{email}"}, 3, false), 1, `{}`, false)
	res := decode[wire.Result](t, f.message("jobd.result."))
	if res.Error == nil || res.Error.Class != wire.ClassPiping || !strings.Contains(res.Error.Message, "email") || len(f.plug.jobs) != 0 {
		t.Fatalf("piping failure: %+v, %d plugin calls", res.Error, len(f.plug.jobs))
	}
	f = newFixture(t)
	j := f.job(map[string]any{}, 0, false)
	j.Kind = "nobody"
	f.attempt(j, 1, `{}`, false)
	if res := decode[wire.Result](t, f.message("jobd.result.")); res.Error == nil || res.Error.Class != wire.ClassNoPlugin {
		t.Fatalf("no plugin: %+v", res.Error)
	}
}

// Secrets reach the plugin; results show [secret] in the input and never
// the value, in output or error.
func TestSecretsAreScrubbed(t *testing.T) {
	f := newFixture(t)
	f.plug.answers = []host.Result{{Outcome: host.Permanent, Error: "auth s3cret-t0ken refused", Output: json.RawMessage(`{"echo":"Bearer s3cret-t0ken"}`)}}
	f.attempt(f.job(map[string]any{"auth": "Bearer $Secret{TOKEN}"}, 0, false), 1, `{}`, false)
	if in := string(f.plug.jobs[0].Input); in != `{"auth":"Bearer s3cret-t0ken"}` {
		t.Fatalf("plugin got %s", in)
	}
	for _, m := range f.pub.msgs {
		if strings.Contains(string(m.Data), "s3cret-t0ken") {
			t.Fatalf("%s carries the secret: %s", m.Subject, m.Data)
		}
	}
	res := decode[wire.Result](t, f.message("jobd.result."))
	if string(res.Input) != `{"auth":"Bearer [secret]"}` {
		t.Fatalf("recorded input %s", res.Input)
	}
}

// An outcome that cannot be recorded leaves the message for redelivery.
func TestUnrecordedOutcomeIsRedelivered(t *testing.T) {
	f := newFixture(t)
	f.pub.fail = errors.New("insufficient resources")
	d := f.attempt(f.job(map[string]any{}, 0, false), 1, `{}`, true)
	if s := d.get(); len(s) != 1 || s[0] {
		t.Fatalf("settled %v, want one settle asking for redelivery", s)
	}
	f.keep.mu.Lock()
	defer f.keep.mu.Unlock()
	if len(f.keep.finished) != 0 {
		t.Fatalf("job record finished although the result was not stored: %v", f.keep.finished)
	}
}

func TestRequestedDelayIsCappedAndTheResultSaysSo(t *testing.T) {
	f := newFixture(t)
	j := f.job(map[string]any{}, 1, true)
	j.Backoff.MaxRetryAfter = 30 * time.Minute
	f.plug.answers = []host.Result{{Outcome: host.Retry, Error: "429", RetryAfter: 3 * time.Hour}}
	f.attempt(j, 1, `{}`, false)
	m := f.message("timer")
	if at := m.Header.Get("at"); at != f.clock.Now().Add(30*time.Minute).UTC().Format(time.RFC3339Nano) {
		t.Fatalf("retry stored for %s, want in 30m (the cap)", at)
	}
	rec := decode[Record](t, m)
	if len(rec.AttemptLog) != 1 || !rec.AttemptLog[0].DelayCapped || rec.AttemptLog[0].RetryAfter != "3h0m0s" || rec.AttemptLog[0].Delay != "30m0s" {
		t.Fatalf("attempt log in the run record: %+v", rec.AttemptLog)
	}
	// The last attempt's result lists both attempts, the first one capped.
	g := newFixture(t)
	g.plug.answers = []host.Result{{Outcome: host.Retry, Error: "down"}}
	ev, _ := DecodeInput([]byte(`{}`), "the body")
	d := &settlement{}
	g.exec.Attempt(New(&Run{D: d, RunID: "r1", JobID: "r1", Attempt: 2, Subject: "events.work", Ev: ev, FromRun: true,
		AttemptLog: rec.AttemptLog}, j, Overrides{}))
	res := decode[wire.Result](t, g.message("jobd.result."))
	if len(res.AttemptLog) != 2 || !res.AttemptLog[0].DelayCapped || res.AttemptLog[1].Number != 2 ||
		res.AttemptLog[1].Error == nil || res.AttemptLog[1].Error.Message != "down" {
		t.Fatalf("result attempt log: %+v", res.AttemptLog)
	}
}

func TestReplayKeepsTheRunIDUnderMessageIDsOfItsOwn(t *testing.T) {
	f := newFixture(t)
	f.plug.answers = []host.Result{{Outcome: host.OK, Output: []byte(`{}`)}}
	ev, _ := DecodeInput([]byte(`{}`), "the body")
	f.exec.Attempt(New(&Run{D: &settlement{}, RunID: "r1", JobID: "r1", Attempt: 2, Ev: ev, FromRun: true, Replay: 7,
		AttemptLog: []wire.AttemptInfo{{Number: 1, Error: &wire.ErrorInfo{Message: "down"}}}}, f.job(map[string]any{}, 0, false), Overrides{}))
	m := f.message("jobd.result.")
	if id := m.Header.Get(nats.MsgIdHdr); id != "r1/replay7/result" {
		t.Fatalf("result message id %q", id)
	}
	res := decode[wire.Result](t, m)
	if res.RunID != "r1" || len(res.AttemptLog) != 2 || res.AttemptLog[1].Replay != "dlq 7" || res.AttemptLog[1].Error != nil {
		t.Fatalf("result %+v", res)
	}
	f.plug.mu.Lock()
	got := f.plug.jobs
	f.plug.mu.Unlock()
	if len(got) != 1 || got[0].IdempotencyKey != "r1" {
		t.Fatalf("plugin saw %+v, want the run's key r1", got)
	}
}
