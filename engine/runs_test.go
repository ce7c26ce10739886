package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/jobd-dev/jobd/engine/internal/api"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// Runs an event started straight away are visible over the management
// service: listed, shown with their input and output, and a run waiting
// for a retry can be cancelled, after which its retry never runs.
func TestRunsListShowAndCancel(t *testing.T) {
	base := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(base)
	en := newEnvClock(t, `
[[jobs]]
event = "greet"
kind = "test"
on = ["events.greet"]
input = {mode = "$Input{mode}", to = "$Input{to}", token = "$Secret{TOKEN}"}
retries = 3
[jobs.backoff]
initial = "1h"
max = "1h"
jitter = 0.0
`, clock)
	en.publish("events.greet", `{"mode": "ok", "to": "ada"}`)
	en.results("greet", 1, 30*time.Second)
	var runs []wire.RunSummary
	if e := en.request(api.Prefix+".runs.list", wire.Request{Job: "greet"}, &runs); e != "" {
		t.Fatal(e)
	}
	if len(runs) != 1 || runs[0].Status != wire.StatusCompleted || runs[0].Event != "greet" || runs[0].FinishedAt == nil {
		t.Fatalf("runs = %+v", runs)
	}
	okRun := runs[0].RunID
	var info wire.RunInfo
	if e := en.request(api.Prefix+".runs.get", wire.Request{RunID: okRun}, &info); e != "" {
		t.Fatal(e)
	}
	if info.Result == nil || !strings.Contains(string(info.Result.Input), `"to":"ada"`) || strings.Contains(string(info.Result.Input), "s3cret") {
		t.Fatalf("run show: %+v", info.Result)
	}

	// A failing run waits an hour for its retry.
	en.publish("events.greet", `{"mode": "fail", "to": "bob"}`)
	en.waitCalls(2, 30*time.Second)
	var waiting []wire.RunSummary
	for deadline := time.Now().Add(20 * time.Second); len(waiting) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		en.request(api.Prefix+".runs.list", wire.Request{Status: wire.StatusWaiting}, &waiting)
	}
	if len(waiting) != 1 || waiting[0].Attempts != 1 || waiting[0].NextAttemptAt == nil || !waiting[0].NextAttemptAt.Equal(base.Add(time.Hour)) {
		t.Fatalf("waiting runs = %+v", waiting)
	}
	var all []wire.RunSummary
	en.request(api.Prefix+".runs.list", wire.Request{}, &all)
	if len(all) != 2 {
		t.Fatalf("all runs = %+v", all)
	}
	var cancel wire.RunCancelReply
	if e := en.request(api.Prefix+".runs.cancel", wire.Request{RunID: waiting[0].RunID}, &cancel); e != "" {
		t.Fatal(e)
	}
	if e := en.request(api.Prefix+".runs.cancel", wire.Request{RunID: okRun}, &cancel); !strings.Contains(e, "finished") {
		t.Fatalf("cancel of a finished run: %q", e)
	}
	if e := en.request(api.Prefix+".runs.get", wire.Request{RunID: "nope"}, &info); !strings.Contains(e, "not") {
		t.Fatalf("show of an unknown run: %q", e)
	}
	var cancelled []wire.RunSummary
	en.request(api.Prefix+".runs.list", wire.Request{Status: wire.StatusCancelled}, &cancelled)
	if len(cancelled) != 1 || cancelled[0].RunID != waiting[0].RunID {
		t.Fatalf("cancelled runs = %+v", cancelled)
	}
	info = wire.RunInfo{}
	en.request(api.Prefix+".runs.get", wire.Request{RunID: waiting[0].RunID}, &info)
	if !info.Cancelled || info.Status != wire.StatusCancelled || info.Waiting == nil || info.Waiting.Attempt != 2 {
		t.Fatalf("cancelled run: %+v", info)
	}
	// The hour passes: the retry's timer fires and is dropped.
	clock.Advance(time.Hour + time.Second)
	// Its timer leaves the stream once it fired (the store purges fired
	// slots as its clock moves on).
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var w wire.RunInfo
		if en.request(api.Prefix+".runs.get", wire.Request{RunID: waiting[0].RunID}, &w) != "" {
			break
		}
		clock.Advance(time.Second)
	}
	time.Sleep(300 * time.Millisecond)
	if calls := en.calls("test"); len(calls) != 2 {
		t.Fatalf("%d plugin calls, want 2: the cancelled retry ran", len(calls))
	}
}
