package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// featureResults waits until n results of feature tag exist and returns them.
func (en *env) featureResults(tag string, n int, within time.Duration) []wire.FeatureResult {
	en.t.Helper()
	var rs []wire.FeatureResult
	deadline := time.Now().Add(within)
	for {
		rs = rs[:0]
		for _, m := range en.read(streams.Results, streams.FeatureResultSubjectPrefix+tag) {
			var r wire.FeatureResult
			if err := json.Unmarshal(m.Data, &r); err != nil {
				en.t.Fatal(err)
			}
			rs = append(rs, r)
		}
		if len(rs) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(rs) < n {
		en.t.Fatalf("%d results for feature %s after %v, want %d", len(rs), tag, within, n)
	}
	return rs
}

// callsOf returns the test plugin's calls for one event, by run id.
func (en *env) callsOf(event string) []call {
	var out []call
	for _, c := range en.calls("test") {
		if c.Event == event {
			out = append(out, c)
		}
	}
	return out
}

// waitEventCalls waits until the test plugin has been called n times for event.
func (en *env) waitEventCalls(event string, n int, within time.Duration) []call {
	en.t.Helper()
	deadline := time.Now().Add(within)
	for {
		cs := en.callsOf(event)
		if len(cs) >= n {
			return cs
		}
		if time.Now().After(deadline) {
			en.t.Fatalf("%d calls of %s after %v, want %d", len(cs), event, within, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func statuses(r wire.FeatureResult) string {
	var s []string
	for _, e := range r.Events {
		s = append(s, e.Event+"="+e.Status)
	}
	return strings.Join(s, " ")
}

func inputOf(t *testing.T, c call) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Input, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const threeSteps = `
[[features]]
tag = "report"
on = ["events.report"]
[[features.sequence]]
tag = "main"
[[features.sequence.events]]
type = "test"
event = "fetch"
input = { mode = "ok", total = "$Input{total}" }
[[features.sequence.events]]
type = "test"
event = "count"
input = { mode = "ok", n = "$Add($Sequence{main}{fetch}{echo}{total}, 1)" }
[[features.sequence]]
tag = "tail"
[[features.sequence.events]]
type = "job"
kind = "test"
event = "mail"
input = { mode = "ok", body = "Rows: $Sequence{main}{count}{echo}{n}" }
`

// A step reads the output of the step before it; the last event is a void
// job started with the data piped so far; every event runs once, with its
// run id as idempotency key.
func TestFeatureThreeSteps(t *testing.T) {
	en := newEnv(t, threeSteps)
	en.publish("events.report", `{"total": 3}`)
	r := en.featureResults("report", 1, 30*time.Second)[0]
	if r.Status != wire.StatusCompleted || statuses(r) != "fetch=completed count=completed mail=started" {
		t.Fatalf("feature result %s: %s, error %+v", r.Status, statuses(r), r.Error)
	}
	if string(r.Input) != `{"total":3}` {
		t.Errorf("input = %s", r.Input)
	}
	var count map[string]any
	_ = json.Unmarshal(r.Sequence["main"]["count"], &count)
	if echo, _ := count["echo"].(map[string]any); echo["n"] != float64(4) {
		t.Errorf("recorded output of count = %s", r.Sequence["main"]["count"])
	}
	if _, ok := r.Sequence["tail"]["mail"]; ok {
		t.Error("a job event has a recorded output; job events are void")
	}
	mail := en.waitEventCalls("mail", 1, 30*time.Second)
	if got := inputOf(t, mail[0])["body"]; got != "Rows: 4" {
		t.Errorf("the job got body %v", got)
	}
	for _, ev := range []string{"fetch", "count", "mail"} {
		cs := en.callsOf(ev)
		if len(cs) != 1 {
			t.Fatalf("%s called %d times", ev, len(cs))
		}
		seq := "main"
		if ev == "mail" {
			seq = "tail"
		}
		if want := r.ID + "/" + seq + "/" + ev; cs[0].RunID != want || cs[0].Key != want {
			t.Errorf("%s: run id %s, key %s; want %s", ev, cs[0].RunID, cs[0].Key, want)
		}
	}
	if rs := en.results("mail", 1, 30*time.Second); rs[0].Status != wire.StatusCompleted || rs[0].JobID != r.ID {
		t.Errorf("the job's result: %+v", rs[0])
	}
	resp, err := http.Get("http://" + en.e.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if want := `jobd_feature_runs_total{feature="report",status="completed"} 1`; !strings.Contains(string(body), want) {
		t.Errorf("/metrics does not say %s", want)
	}
}

const allowFail = `
[[features]]
tag = "lenient"
on = ["events.lenient"]
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "flaky"
retries = 1
allow_fail = true
backoff = { initial = "50ms", max = "50ms" }
input = { mode = "fail" }
[[features.sequence.events]]
type = "test"
event = "after_flaky"
input = { mode = "ok", prev = "$Sequence{s}{flaky}{status}", why = "$Sequence{s}{flaky}{error}{class}" }

[[features]]
tag = "strict"
on = ["events.strict"]
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "broken"
input = { mode = "permanent" }
[[features.sequence.events]]
type = "test"
event = "after_broken"
input = { mode = "ok" }
`

func TestFeatureAllowFail(t *testing.T) {
	en := newEnv(t, allowFail)
	en.publish("events.lenient", `{}`)
	en.publish("events.strict", `{}`)

	t.Run("true: the failure is the output and the sequence goes on", func(t *testing.T) {
		r := en.featureResults("lenient", 1, 30*time.Second)[0]
		if r.Status != wire.StatusCompleted || statuses(r) != "flaky=failed_allowed after_flaky=completed" {
			t.Fatalf("%s: %s", r.Status, statuses(r))
		}
		if r.Events[0].Attempts != 2 || len(en.callsOf("flaky")) != 2 {
			t.Errorf("flaky: %d attempts, %d calls; want 2 (retries = 1)", r.Events[0].Attempts, len(en.callsOf("flaky")))
		}
		in := inputOf(t, en.waitEventCalls("after_flaky", 1, 10*time.Second)[0])
		if in["prev"] != "failed_allowed" || in["why"] != "retryable" {
			t.Errorf("the next step read %v", in)
		}
	})
	t.Run("false: the run fails, later events do not run, the failure is published and dead-lettered", func(t *testing.T) {
		r := en.featureResults("strict", 1, 30*time.Second)[0]
		if r.Status != wire.StatusFailed || statuses(r) != "broken=failed after_broken=pending" {
			t.Fatalf("%s: %s", r.Status, statuses(r))
		}
		if r.Error == nil || r.Error.Event != "broken" || r.Error.Class != wire.ClassPermanent {
			t.Errorf("error = %+v", r.Error)
		}
		if n := len(en.read(streams.Results, streams.FeatureFailedSubjectPrefix+"strict")); n != 1 {
			t.Errorf("%d failure reports on %sstrict", n, streams.FeatureFailedSubjectPrefix)
		}
		if dl := en.deadLetters("broken"); len(dl) != 1 || !strings.HasPrefix(dl[0].RunID, r.ID+"/") {
			t.Errorf("dead letters of broken: %+v", dl)
		}
		if n := len(en.callsOf("after_broken")); n != 0 {
			t.Errorf("after_broken ran %d times after the run failed", n)
		}
	})
}

func TestFeatureWhen(t *testing.T) {
	en := newEnv(t, `
[[features]]
tag = "cond"
on = ["events.cond"]
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "maybe"
when = "${ Input.go }"
input = { mode = "ok" }
[[features.sequence.events]]
type = "test"
event = "always"
input = { mode = "ok", maybe = "$Sequence{s}{maybe}" }
[[features.sequence.events]]
type = "job"
kind = "test"
event = "notify"
when = "${ Input.go && Sequence.s.maybe.attempt == 1 }"
input = { mode = "ok" }
`)
	en.publish("events.cond", `{"go": false}`, "Nats-Msg-Id", "no")
	en.publish("events.cond", `{"go": true}`, "Nats-Msg-Id", "yes")
	rs := en.featureResults("cond", 2, 30*time.Second)
	got := map[string]string{}
	for _, r := range rs {
		got[string(r.Input)] = r.Status + ": " + statuses(r)
	}
	if g := got[`{"go":false}`]; g != "completed: maybe=skipped always=completed notify=skipped" {
		t.Errorf("go=false: %s", g)
	}
	if g := got[`{"go":true}`]; g != "completed: maybe=completed always=completed notify=started" {
		t.Errorf("go=true: %s", g)
	}
	en.waitEventCalls("notify", 1, 30*time.Second)
	if n := len(en.callsOf("maybe")); n != 1 {
		t.Errorf("maybe ran %d times, want once (skipped once)", n)
	}
	skipped := false
	for _, c := range en.waitEventCalls("always", 2, 10*time.Second) {
		if m, _ := inputOf(t, c)["maybe"].(map[string]any); m["status"] == "skipped" {
			skipped = true
		}
	}
	if !skipped {
		t.Error("no step read the skipped event as {\"status\": \"skipped\"}")
	}
}

// The engine stops while the second step is in flight and starts again:
// the finished step does not run again, the feature completes, and a step
// delivered again after its output was recorded does not run.
func TestFeatureSurvivesRestart(t *testing.T) {
	en := newEnv(t, `
[[features]]
tag = "durable"
on = ["events.durable"]
[[features.sequence]]
tag = "main"
[[features.sequence.events]]
type = "test"
event = "one"
input = { mode = "ok", v = "$Input{v}" }
[[features.sequence.events]]
type = "test"
event = "two"
input = { mode = "ok", sleep_ms = 1500, v = "$Sequence{main}{one}{echo}{v}" }
[[features.sequence.events]]
type = "test"
event = "three"
input = { mode = "ok", v = "$Sequence{main}{two}{echo}{v}" }
`)
	en.publish("events.durable", `{"v": "x"}`)
	en.waitEventCalls("two", 1, 30*time.Second)
	en.restart()
	r := en.featureResults("durable", 1, 60*time.Second)[0]
	if r.Status != wire.StatusCompleted || statuses(r) != "one=completed two=completed three=completed" {
		t.Fatalf("%s: %s", r.Status, statuses(r))
	}
	if n := len(en.callsOf("one")); n != 1 {
		t.Errorf("one ran %d times", n)
	}
	if n := len(en.callsOf("two")); n < 1 || n > 2 {
		t.Errorf("two ran %d times; want once, twice at most when it was in flight", n)
	}
	if c := en.callsOf("three"); len(c) != 1 || inputOf(t, c[0])["v"] != "x" {
		t.Errorf("three: %+v", c)
	}

	// A redelivery of step one, long after: it is not run again.
	rec, _ := json.Marshal(map[string]any{
		"run_id": r.ID + "/main/one", "job_id": r.ID, "event": "one", "step": "durable/main/one",
		"attempt": 1, "input": json.RawMessage(r.Input),
	})
	en.publish(streams.RunsSubjectPrefix+"one", string(rec), "Nats-Msg-Id", "late-redelivery")
	en.publish("events.durable", `{"v": "y"}`) // a later run, to know the first was handled
	en.featureResults("durable", 2, 60*time.Second)
	if n := len(en.callsOf("one")); n != 2 {
		t.Errorf("one ran %d times for two feature runs and a late redelivery; want 2", n)
	}
}

// A job of kind feature (the feature plugin) publishes the feature's input
// on features.<tag> in an envelope; the feature jobd runs starts from it.
func TestFeatureStartsFromFeaturesSubject(t *testing.T) {
	en := newEnv(t, `
[[features]]
tag = "hello"
input = { name = "$Input{name}", from = "$Sequence{caller}{step}{id}" }
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "greet"
input = { mode = "ok", text = "Hello $Input{name} from $Input{from}" }
`)
	en.publish("features.hello", `{"input": {"name": "Ada"}, "sequence": {"caller": {"step": {"id": "c-1"}}}}`,
		"Jobd-Envelope", "v1", "Nats-Msg-Id", "feature-hello-1")
	r := en.featureResults("hello", 1, 30*time.Second)[0]
	if r.Status != wire.StatusCompleted || r.Subject != "features.hello" {
		t.Fatalf("%s on %s: %s", r.Status, r.Subject, statuses(r))
	}
	if got := inputOf(t, en.waitEventCalls("greet", 1, 10*time.Second)[0])["text"]; got != "Hello Ada from c-1" {
		t.Errorf("text = %v", got)
	}
}

// jobd dispatch <feature> (a request on jobd.dispatch) starts a feature
// run now and answers with its id.
func TestFeatureDispatch(t *testing.T) {
	en := newEnv(t, `
[[features]]
tag = "hello"
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "greet"
input = { mode = "ok", text = "Hello $Input{name}" }
`)
	ask := func(req string) (*wire.DispatchReply, string, string) {
		t.Helper()
		msg, err := en.nc.Request(wire.DispatchSubject, []byte(req), 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if code := msg.Header.Get(wire.ErrorCodeHeader); code != "" {
			return nil, code, msg.Header.Get(wire.ErrorHeader)
		}
		var reply wire.DispatchReply
		if err := json.Unmarshal(msg.Data, &reply); err != nil {
			t.Fatalf("reply %s: %v", msg.Data, err)
		}
		return &reply, "", ""
	}
	reply, code, why := ask(`{"event": "hello", "input": {"name": "Grace"}}`)
	if reply == nil {
		t.Fatalf("refused: %s %s", code, why)
	}
	r := en.featureResults("hello", 1, 30*time.Second)[0]
	if r.ID != reply.JobID || r.Status != wire.StatusCompleted || r.Subject != wire.DispatchSubject {
		t.Fatalf("reply %+v, result %s %s on %s", reply, r.ID, r.Status, r.Subject)
	}
	if got := inputOf(t, en.waitEventCalls("greet", 1, 10*time.Second)[0])["text"]; got != "Hello Grace" {
		t.Errorf("text = %v", got)
	}
	if _, code, why := ask(`{"event": "hello", "schedule": {"delay": "1h"}}`); code != "400" || !strings.Contains(why, "is a feature") {
		t.Errorf("a scheduled feature dispatch: %s %s", code, why)
	}
}

// jobd dlq replay of the step that failed a feature run resumes the run at
// that step, with the outputs recorded before it; earlier steps do not run
// again.
func TestFeatureReplayResumesAtTheFailedEvent(t *testing.T) {
	en := newEnv(t, `
[[features]]
tag = "replayable"
on = ["events.replayable"]
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "first"
input = { mode = "ok", v = "$Input{v}" }
[[features.sequence.events]]
type = "test"
event = "second"
input = { mode = "permanent", prev = "$Sequence{s}{first}{echo}{v}" }
[[features.sequence.events]]
type = "test"
event = "third"
input = { mode = "ok" }
`)
	en.publish("events.replayable", `{"v": "kept"}`)
	r := en.featureResults("replayable", 1, 30*time.Second)[0]
	if r.Status != wire.StatusFailed || r.Error.Event != "second" {
		t.Fatalf("%s: %s", r.Status, statuses(r))
	}
	st, err := en.js.Stream(context.Background(), streams.DLQ)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := st.GetLastMsgForSubject(context.Background(), streams.DLQSubjectPrefix+"second")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(wire.Request{Seq: dl.Sequence})
	msg, err := en.nc.Request(wire.APISubject("dlq.replay"), req, 30*time.Second)
	if err != nil || msg.Header.Get(wire.ErrorCodeHeader) != "" {
		t.Fatalf("replay: %v %s", err, msg.Header.Get(wire.ErrorHeader))
	}
	rs := en.featureResults("replayable", 2, 30*time.Second)
	again := rs[1]
	if again.ID != r.ID || again.Replays != 1 || again.Status != wire.StatusFailed || statuses(again) != "first=completed second=failed third=pending" {
		t.Fatalf("after the replay: %s %s replays %d: %s", again.ID, again.Status, again.Replays, statuses(again))
	}
	calls := en.callsOf("second")
	// A replay is the run's next attempt, with the same run id and key.
	if len(calls) != 2 || calls[1].RunID != r.ID+"/s/second" || calls[1].Key != calls[0].Key || inputOf(t, calls[1])["prev"] != "kept" {
		t.Fatalf("second's calls: %+v", calls)
	}
	if n := len(en.callsOf("first")); n != 1 {
		t.Errorf("first ran %d times", n)
	}
}

var buildFeaturePlugin sync.Once

// withFeaturePlugin builds the feature plugin into the plugins folder.
func withFeaturePlugin(t *testing.T) {
	t.Helper()
	var err error
	var out []byte
	buildFeaturePlugin.Do(func() {
		out, err = exec.Command("go", "build", "-o", filepath.Join(pluginDir, "jobd-feature"), "github.com/jobd-dev/jobd/plugins/feature").CombinedOutput()
	})
	if err != nil {
		t.Fatalf("build the feature plugin: %v\n%s", err, out)
	}
}

// A feature with a schedule runs at each occurrence: a job of kind feature
// (the real feature plugin) hands it its event on features.<tag>.
func TestFeatureSchedule(t *testing.T) {
	withFeaturePlugin(t)
	en := newEnv(t, `
[[features]]
tag = "ticker"
schedule = { every = "1s", limit = 2 }
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "tick"
input = { mode = "ok" }

[[features]]
tag = "delayed"
on = ["events.delayed"]
schedule = { delay = "1s" }
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "late"
input = { mode = "ok", who = "$Input{who}" }
`)
	en.publish("events.delayed", `{"who": "Ada"}`)
	rs := en.featureResults("ticker", 2, 60*time.Second)
	for _, r := range rs {
		if r.Status != wire.StatusCompleted || r.Subject != "features.ticker" {
			t.Errorf("ticker run: %s on %s", r.Status, r.Subject)
		}
	}
	r := en.featureResults("delayed", 1, 60*time.Second)[0]
	if r.Status != wire.StatusCompleted || string(r.Input) != `{"who":"Ada"}` {
		t.Errorf("delayed run: %s with %s", r.Status, r.Input)
	}
	if len(en.callsOf("tick")) != 2 || len(en.callsOf("late")) != 1 {
		t.Errorf("%d ticks, %d late calls", len(en.callsOf("tick")), len(en.callsOf("late")))
	}
}

// The management service lists, shows and cancels feature runs; after a
// cancel no event starts.
func TestFeatureRunsManagement(t *testing.T) {
	en := newEnv(t, `
[[features]]
tag = "slow"
on = ["events.slow"]
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "test"
event = "wait"
input = { mode = "ok", sleep_ms = 1500 }
[[features.sequence.events]]
type = "test"
event = "never"
input = { mode = "ok" }
`)
	cl, err := client.New(en.nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	en.publish("events.slow", `{"n": 1}`)
	en.waitEventCalls("wait", 1, 30*time.Second)
	runs, err := cl.FeatureRuns(ctx, wire.Request{Event: "slow", Status: wire.StatusRunning})
	if err != nil || len(runs) != 1 || runs[0].Position != 0 || runs[0].Events[0].Status != wire.StatusRunning {
		t.Fatalf("list: %v %+v", err, runs)
	}
	id := runs[0].ID
	got, err := cl.CancelFeatureRun(ctx, id)
	if err != nil || got.Status != wire.StatusCancelled {
		t.Fatalf("cancel: %v %+v", err, got)
	}
	r := en.featureResults("slow", 1, 30*time.Second)[0]
	if r.ID != id || r.Status != wire.StatusCancelled || statuses(r) != "wait=cancelled never=pending" {
		t.Fatalf("result: %s %s: %s", r.ID, r.Status, statuses(r))
	}
	// The step in flight finishes and nothing starts after it: a later run,
	// published after that, completes with the only call of "never".
	en.results("wait", 1, 30*time.Second)
	en.publish("events.slow", `{"n": 2}`)
	rs := en.featureResults("slow", 2, 60*time.Second)
	if rs[1].Status != wire.StatusCompleted {
		t.Fatalf("the later run: %s", rs[1].Status)
	}
	if calls := en.callsOf("never"); len(calls) != 1 || !strings.HasPrefix(calls[0].RunID, rs[1].ID+"/") {
		t.Errorf("never's calls: %+v (the cancelled run is %s)", calls, id)
	}
	if st, err := cl.FeatureRun(ctx, id); err != nil || st.Status != wire.StatusCancelled {
		t.Errorf("get: %v %+v", err, st)
	}
	var apiErr *client.APIError
	if _, err := cl.CancelFeatureRun(ctx, id); !errors.As(err, &apiErr) || apiErr.Code != 400 {
		t.Errorf("cancelling an ended run: %v", err)
	}
	if _, err := cl.FeatureRun(ctx, "nope"); !errors.As(err, &apiErr) || apiErr.Code != 404 {
		t.Errorf("an unknown run: %v", err)
	}
}

// A step of type feature naming a configured feature runs it and waits for
// it: its output is the nested run's outputs; a nested failure is the
// step's failure, under the step's allow_fail.
func TestFeatureNested(t *testing.T) {
	en := newEnv(t, `
[[features]]
tag = "outer"
on = ["events.outer"]
[[features.sequence]]
tag = "o"
[[features.sequence.events]]
type = "test"
event = "prep"
input = { mode = "ok", v = "$Input{v}" }
[[features.sequence.events]]
type = "feature"
event = "inner"
input = { x = "$Sequence{o}{prep}{echo}{v}", mode = "$Input{inner_mode}" }
allow_fail = true
[[features.sequence.events]]
type = "test"
event = "after"
input = { mode = "ok", got = "$Sequence{o}{inner}" }

[[features]]
tag = "inner"
[[features.sequence]]
tag = "i"
[[features.sequence.events]]
type = "test"
event = "work"
input = { mode = "$Input{mode}", x = "$Input{x}" }
`)
	en.publish("events.outer", `{"v": "deep", "inner_mode": "ok"}`, "Nats-Msg-Id", "ok")
	en.publish("events.outer", `{"v": "deep", "inner_mode": "permanent"}`, "Nats-Msg-Id", "bad")
	outer := en.featureResults("outer", 2, 60*time.Second)
	inner := en.featureResults("inner", 2, 60*time.Second)
	for _, r := range inner {
		if r.Parent == nil || r.Parent.Step != "outer/o/inner" || r.Subject != "features.inner" {
			t.Errorf("inner run %s: parent %+v", r.ID, r.Parent)
		}
	}
	got := map[string]string{}
	for _, r := range outer {
		got[string(r.Input)] = r.Status + ": " + statuses(r)
	}
	if g := got[`{"v":"deep","inner_mode":"ok"}`]; g != "completed: prep=completed inner=completed after=completed" {
		t.Errorf("ok: %s", g)
	}
	if g := got[`{"v":"deep","inner_mode":"permanent"}`]; g != "completed: prep=completed inner=failed_allowed after=completed" {
		t.Errorf("permanent: %s", g)
	}
	var sawOutputs, sawFailure bool
	for _, c := range en.waitEventCalls("after", 2, 30*time.Second) {
		g, _ := inputOf(t, c)["got"].(map[string]any)
		if i, _ := g["i"].(map[string]any); i != nil {
			work, _ := i["work"].(map[string]any)
			echo, _ := work["echo"].(map[string]any)
			sawOutputs = echo["x"] == "deep"
		}
		if g["status"] == "failed_allowed" {
			e, _ := g["error"].(map[string]any)
			msg, _ := e["message"].(string)
			sawFailure = strings.Contains(msg, `nested feature "inner"`) && strings.Contains(msg, "at i/work")
		}
	}
	if !sawOutputs || !sawFailure {
		t.Errorf("after read the nested outputs: %v; the nested failure: %v", sawOutputs, sawFailure)
	}
	if n := len(en.callsOf("work")); n != 2 {
		t.Errorf("work ran %d times", n)
	}
}
