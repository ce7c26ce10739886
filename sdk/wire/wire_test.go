package wire_test

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk/wire"
)

var (
	t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	t1 = t0.Add(1500 * time.Millisecond)
	t2 = t0.Add(time.Hour)
)

func ptr[T any](v T) *T { return &v }

func result() wire.Result {
	return wire.Result{
		JobID: "j1", RunID: "r1", Event: "send_welcome", Kind: "notification",
		Status: wire.StatusFailed, Attempts: 3, Subject: "events.user.created",
		ReceivedAt: t0, StartedAt: ptr(t0), FinishedAt: t1, DurationMS: 1500.5, QueuedMS: 250.25,
		Error:  &wire.ErrorInfo{Message: "smtp: 421", Class: wire.ClassRetryable},
		Input:  json.RawMessage(`{"email":"ada@example.com"}`),
		Output: json.RawMessage(`{"id":"m1"}`),
	}
}

func deadLetter() wire.DeadLetter {
	return wire.DeadLetter{
		Result: result(),
		Reason: "retries spent",
		Trigger: &wire.TriggerEvent{
			Subject: "events.user.created", Headers: map[string]string{"Nats-Msg-Id": "e1"},
			Data: json.RawMessage(`{"email":"ada@example.com"}`), Text: "not json", Size: 27, Truncated: true,
		},
		Sequence: json.RawMessage(`{"signup":{"create_user":{"id":7}}}`),
	}
}

func schedule() *wire.Schedule {
	return &wire.Schedule{
		StartAt: "2026-03-01T09:30:00Z", Delay: float64(60000), Every: "1h", Cron: "0 9 * * *",
		TZ: "Europe/Paris", Limit: 5, Executions: 4, EndDate: float64(1772400000000), Misfire: "skip",
	}
}

func record() wire.Record {
	return wire.Record{
		ID: "j1", Event: "digest", Kind: "notification", Status: wire.StatusScheduled,
		Origin: wire.OriginDispatch, Recurring: true,
		Schedule: &wire.RecordSchedule{
			StartAt: ptr(t0), Delay: "1m0s", Every: "1h0m0s", Cron: "0 9 * * *", TZ: "Europe/Paris",
			Limit: 5, EndDate: ptr(t2), Misfire: "once",
		},
		ScheduledAt: t0, NextRunAt: ptr(t2), StartedAt: ptr(t0), EndedAt: ptr(t1),
		ExecutionCount: 2, RetriesUsed: 1,
		LastError:  &wire.ErrorInfo{Message: "boom", Class: wire.ClassPermanent},
		LastRun:    ptr(historyEntry()),
		Occurrence: 3, Fired: 2, Retries: ptr(2), AllowFail: ptr(true),
		Subject: "jobd.dispatch", Input: json.RawMessage(`{"a":1}`),
		Sequence: json.RawMessage(`{"s":{"e":{}}}`), Result: json.RawMessage(`{"ok":true}`),
		CreatedAt: t0, UpdatedAt: t1,
	}
}

func historyEntry() wire.HistoryEntry {
	return wire.HistoryEntry{
		Number: 2, RunID: "r2", Attempts: 2, Status: wire.StatusFailedAllowed,
		StartedAt: ptr(t0), EndedAt: t1, DurationMS: 12.25,
		Error: &wire.ErrorInfo{Message: "boom", Class: wire.ClassTimeout},
	}
}

// The JSON of every wire type, fully populated, is pinned: each golden is
// what jobd wrote before the types moved here, and renaming a field or
// changing a tag breaks every program that reads it.
func TestJSON(t *testing.T) {
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"Result", result(),
			`{"job_id":"j1","run_id":"r1","event":"send_welcome","kind":"notification","status":"failed","attempts":3,"subject":"events.user.created","received_at":"2026-03-01T09:30:00Z","started_at":"2026-03-01T09:30:00Z","finished_at":"2026-03-01T09:30:01.5Z","duration_ms":1500.5,"queued_ms":250.25,"error":{"message":"smtp: 421","class":"retryable"},"input":{"email":"ada@example.com"},"output":{"id":"m1"}}`},
		{"Result/empty", wire.Result{},
			`{"job_id":"","run_id":"","event":"","kind":"","status":"","attempts":0,"received_at":"0001-01-01T00:00:00Z","finished_at":"0001-01-01T00:00:00Z","duration_ms":0}`},
		{"DeadLetter", deadLetter(),
			`{"job_id":"j1","run_id":"r1","event":"send_welcome","kind":"notification","status":"failed","attempts":3,"subject":"events.user.created","received_at":"2026-03-01T09:30:00Z","started_at":"2026-03-01T09:30:00Z","finished_at":"2026-03-01T09:30:01.5Z","duration_ms":1500.5,"queued_ms":250.25,"error":{"message":"smtp: 421","class":"retryable"},"input":{"email":"ada@example.com"},"output":{"id":"m1"},"reason":"retries spent","trigger":{"subject":"events.user.created","headers":{"Nats-Msg-Id":"e1"},"data":{"email":"ada@example.com"},"text":"not json","size":27,"truncated":true},"sequence":{"signup":{"create_user":{"id":7}}}}`},
		{"DispatchRequest", wire.DispatchRequest{
			Event: "digest", Input: json.RawMessage(`{"a":1}`), Sequence: json.RawMessage(`{"s":{"e":{}}}`),
			Retries: ptr(2), AllowFail: ptr(false), Schedule: schedule(),
		},
			`{"event":"digest","input":{"a":1},"sequence":{"s":{"e":{}}},"retries":2,"allow_fail":false,"schedule":{"start_at":"2026-03-01T09:30:00Z","delay":60000,"every":"1h","cron":"0 9 * * *","tz":"Europe/Paris","limit":5,"executions":4,"end_date":1772400000000,"misfire":"skip"}}`},
		{"DispatchRequest/empty", wire.DispatchRequest{}, `{"event":""}`},
		{"Schedule/empty", wire.Schedule{},
			`{"start_at":null,"delay":null,"every":null,"cron":"","tz":"","limit":0,"executions":0,"end_date":null,"misfire":""}`},
		{"DispatchReply", wire.DispatchReply{JobID: "j1", Status: wire.StatusQueued, ScheduledAt: t0, Recurring: true, NextRunAt: ptr(t2)},
			`{"job_id":"j1","status":"queued","scheduled_at":"2026-03-01T09:30:00Z","recurring":true,"next_run_at":"2026-03-01T10:30:00Z"}`},
		{"Record", record(),
			`{"id":"j1","event":"digest","kind":"notification","status":"scheduled","origin":"dispatch","recurring":true,"schedule":{"start_at":"2026-03-01T09:30:00Z","delay":"1m0s","every":"1h0m0s","cron":"0 9 * * *","tz":"Europe/Paris","limit":5,"end_date":"2026-03-01T10:30:00Z","misfire":"once"},"scheduled_at":"2026-03-01T09:30:00Z","next_run_at":"2026-03-01T10:30:00Z","started_at":"2026-03-01T09:30:00Z","ended_at":"2026-03-01T09:30:01.5Z","execution_count":2,"retries_used":1,"last_error":{"message":"boom","class":"permanent"},"last_run":{"number":2,"run_id":"r2","attempts":2,"status":"failed_allowed","started_at":"2026-03-01T09:30:00Z","ended_at":"2026-03-01T09:30:01.5Z","duration_ms":12.25,"error":{"message":"boom","class":"timeout"}},"occurrence":3,"fired":2,"retries":2,"allow_fail":true,"subject":"jobd.dispatch","input":{"a":1},"sequence":{"s":{"e":{}}},"result":{"ok":true},"created_at":"2026-03-01T09:30:00Z","updated_at":"2026-03-01T09:30:01.5Z"}`},
		{"Record/empty", wire.Record{},
			`{"id":"","event":"","kind":"","status":"","origin":"","recurring":false,"scheduled_at":"0001-01-01T00:00:00Z","execution_count":0,"retries_used":0,"occurrence":0,"fired":0,"created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z"}`},
		{"HistoryEntry", historyEntry(),
			`{"number":2,"run_id":"r2","attempts":2,"status":"failed_allowed","started_at":"2026-03-01T09:30:00Z","ended_at":"2026-03-01T09:30:01.5Z","duration_ms":12.25,"error":{"message":"boom","class":"timeout"}}`},
		{"Request", wire.Request{ID: "j1", Status: wire.StatusPaused, Event: "digest", Recurring: true, Limit: 10, Schedule: &wire.Schedule{Every: "2h"}, Seq: 42},
			`{"id":"j1","status":"paused","event":"digest","recurring":true,"limit":10,"schedule":{"start_at":null,"delay":null,"every":"2h","cron":"","tz":"","limit":0,"executions":0,"end_date":null,"misfire":""},"seq":42}`},
		{"Request/empty", wire.Request{}, `{}`},
		{"DeadLetterSummary", wire.DeadLetterSummary{Seq: 7, Time: t1, Event: "send_welcome", JobID: "j1", RunID: "r1", Class: wire.ClassCrash, Reason: "plugin died"},
			`{"seq":7,"time":"2026-03-01T09:30:01.5Z","event":"send_welcome","job_id":"j1","run_id":"r1","class":"plugin_crash","reason":"plugin died"}`},
		{"DeadLetterEntry", wire.DeadLetterEntry{Seq: 7, Time: t1, DeadLetter: deadLetter()},
			`{"seq":7,"time":"2026-03-01T09:30:01.5Z","job_id":"j1","run_id":"r1","event":"send_welcome","kind":"notification","status":"failed","attempts":3,"subject":"events.user.created","received_at":"2026-03-01T09:30:00Z","started_at":"2026-03-01T09:30:00Z","finished_at":"2026-03-01T09:30:01.5Z","duration_ms":1500.5,"queued_ms":250.25,"error":{"message":"smtp: 421","class":"retryable"},"input":{"email":"ada@example.com"},"output":{"id":"m1"},"reason":"retries spent","trigger":{"subject":"events.user.created","headers":{"Nats-Msg-Id":"e1"},"data":{"email":"ada@example.com"},"text":"not json","size":27,"truncated":true},"sequence":{"signup":{"create_user":{"id":7}}}}`},
		{"ReplayReply", wire.ReplayReply{Seq: 7, Event: "send_welcome", RunID: "r1", IdempotencyKey: "r1"},
			`{"seq":7,"event":"send_welcome","run_id":"r1","idempotency_key":"r1"}`},
		{"ReplayReply/new key", wire.ReplayReply{Seq: 7, Event: "send_welcome", RunID: "r1-replay7", IdempotencyKey: "r1-replay7", NewKey: true},
			`{"seq":7,"event":"send_welcome","run_id":"r1-replay7","idempotency_key":"r1-replay7","new_key":true}`},
		{"PurgeReply", wire.PurgeReply{Purged: 3}, `{"purged":3}`},
		{"RunSummary/waiting", wire.RunSummary{RunID: "r1", JobID: "r1", Event: "send_welcome", Status: wire.StatusWaiting, Attempts: 1, ReceivedAt: t0, NextAttemptAt: ptr(t2), Error: &wire.ErrorInfo{Message: "429", Class: wire.ClassRetryable}},
			`{"run_id":"r1","job_id":"r1","event":"send_welcome","status":"waiting","attempts":1,"received_at":"2026-03-01T09:30:00Z","next_attempt_at":"2026-03-01T10:30:00Z","error":{"message":"429","class":"retryable"}}`},
		{"RunInfo/waiting", wire.RunInfo{RunSummary: wire.RunSummary{RunID: "r1", JobID: "r1", Event: "e", Status: wire.StatusCancelled, Attempts: 1, ReceivedAt: t0},
			Waiting: &wire.WaitingRun{Attempt: 2, At: t2, Input: json.RawMessage(`{"a":1}`), AttemptLog: []wire.AttemptInfo{{Number: 1, EndedAt: t1, Delay: "1h0m0s", RetryAfter: "3h0m0s", DelayCapped: true}}}, Cancelled: true},
			`{"run_id":"r1","job_id":"r1","event":"e","status":"cancelled","attempts":1,"received_at":"2026-03-01T09:30:00Z","waiting":{"attempt":2,"at":"2026-03-01T10:30:00Z","input":{"a":1},"attempt_log":[{"number":1,"ended_at":"2026-03-01T09:30:01.5Z","duration_ms":0,"delay":"1h0m0s","retry_after":"3h0m0s","delay_capped":true}]},"cancelled":true}`},
		{"RunCancelReply", wire.RunCancelReply{RunID: "r1", JobID: "r1", Attempt: 2}, `{"run_id":"r1","job_id":"r1","attempt":2}`},
		{"Stats", wire.Stats{Jobs: map[string]int{wire.StatusScheduled: 2}, Streams: map[string]uint64{wire.StreamDLQ: 1}},
			`{"jobs":{"scheduled":2},"streams":{"JOBD_DLQ":1}}`},
		{"ErrorReply", wire.ErrorReply{Error: "bad request: no job"}, `{"error":"bad request: no job"}`},
		{"Envelope", wire.Envelope{Input: json.RawMessage(`{"a":1}`), Sequence: json.RawMessage(`{"s":{"e":{"id":7}}}`)},
			`{"input":{"a":1},"sequence":{"s":{"e":{"id":7}}}}`},
		{"Envelope/no sequence", wire.Envelope{Input: json.RawMessage(`{}`)}, `{"input":{}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := json.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("JSON changed:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

// A value read back from its JSON is the value written: the engine writes,
// clients read.
func TestJSONRoundTrip(t *testing.T) {
	for name, v := range map[string]any{
		"Record": ptr(record()), "DeadLetter": ptr(deadLetter()), "HistoryEntry": ptr(historyEntry()),
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		back := newLike(v)
		if err := json.Unmarshal(b, back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) {
			t.Errorf("%s: round trip changed the JSON:\n%s\n%s", name, b, b2)
		}
	}
}

func newLike(v any) any {
	switch v.(type) {
	case *wire.Record:
		return new(wire.Record)
	case *wire.DeadLetter:
		return new(wire.DeadLetter)
	case *wire.HistoryEntry:
		return new(wire.HistoryEntry)
	}
	panic("newLike: add the type")
}

// The names users type and monitor are pinned like the JSON.
func TestNames(t *testing.T) {
	for got, want := range map[string]string{
		wire.DispatchSubject: "jobd.dispatch", wire.APIPrefix: "jobd.api", wire.ServiceName: "jobd",
		wire.APISubject(wire.EndpointJobsList):       "jobd.api.jobs.list",
		wire.APISubject(wire.EndpointJobsGet):        "jobd.api.jobs.get",
		wire.APISubject(wire.EndpointJobsCancel):     "jobd.api.jobs.cancel",
		wire.APISubject(wire.EndpointJobsPause):      "jobd.api.jobs.pause",
		wire.APISubject(wire.EndpointJobsResume):     "jobd.api.jobs.resume",
		wire.APISubject(wire.EndpointJobsRetry):      "jobd.api.jobs.retry",
		wire.APISubject(wire.EndpointJobsReschedule): "jobd.api.jobs.reschedule",
		wire.APISubject(wire.EndpointJobsHistory):    "jobd.api.jobs.history",
		wire.APISubject(wire.EndpointStats):          "jobd.api.stats",
		wire.APISubject(wire.EndpointDLQList):        "jobd.api.dlq.list",
		wire.APISubject(wire.EndpointDLQGet):         "jobd.api.dlq.get",
		wire.APISubject(wire.EndpointDLQReplay):      "jobd.api.dlq.replay",
		wire.APISubject(wire.EndpointDLQPurge):       "jobd.api.dlq.purge",
		wire.ErrorCodeHeader:                         "Nats-Service-Error-Code",
		wire.ErrorHeader:                             "Nats-Service-Error",
		wire.ResultSubjectPrefix:                     "jobd.result.",
		wire.FailedSubjectPrefix:                     "jobd.failed.",
		wire.DLQSubjectPrefix:                        "jobd.dlq.",
		wire.HistorySubjectPrefix:                    "jobd.history.",
		wire.StreamEvents:                            "JOBD_EVENTS",
		wire.StreamRuns:                              "JOBD_RUNS",
		wire.StreamTimers:                            "JOBD_TIMERS",
		wire.StreamResults:                           "JOBD_RESULTS",
		wire.StreamDLQ:                               "JOBD_DLQ",
		wire.StreamHistory:                           "JOBD_HISTORY",
		wire.BucketJobs:                              "JOBD_JOBS",
		wire.EnvelopeHeader:                          "Jobd-Envelope",
		wire.EnvelopeV1:                              "v1",
		wire.MsgIDHeader:                             "Nats-Msg-Id",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
	got := strings.Join([]string{
		wire.StatusScheduled, wire.StatusQueued, wire.StatusRunning, wire.StatusCompleted,
		wire.StatusFailed, wire.StatusFailedAllowed, wire.StatusCancelled, wire.StatusPaused,
		wire.ClassRetryable, wire.ClassPermanent, wire.ClassTimeout, wire.ClassCrash,
		wire.ClassPiping, wire.ClassInvalidEvent, wire.ClassNoPlugin, wire.ClassRedelivered,
		wire.OriginEvent, wire.OriginDispatch, wire.OriginConfig,
	}, " ")
	want := "scheduled queued running completed failed failed_allowed cancelled paused " +
		"retryable permanent timeout plugin_crash piping invalid_event no_plugin redelivered " +
		"event dispatch config"
	if got != want {
		t.Errorf("statuses, classes, origins:\n got %s\nwant %s", got, want)
	}
}

func TestRecordFinal(t *testing.T) {
	for status, final := range map[string]bool{
		wire.StatusScheduled: false, wire.StatusQueued: false, wire.StatusRunning: false, wire.StatusPaused: false,
		wire.StatusCompleted: true, wire.StatusFailed: true, wire.StatusCancelled: true,
	} {
		if got := (&wire.Record{Status: status}).Final(); got != final {
			t.Errorf("Final() of %s = %v, want %v", status, got, final)
		}
	}
}

// wire imports only the standard library, so anything may import it.
func TestImportsStandardLibraryOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: package wire imports only the standard library", name, path)
			}
		}
	}
}
