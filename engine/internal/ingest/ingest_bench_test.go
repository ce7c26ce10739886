package ingest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
	"github.com/nats-io/nats.go"
)

// benchEvent is the seed job's event (README) with the send time
// jobd-bench adds to measure latency.
var benchEvent = []byte(`{"event_id":"evt-42","device_token":"ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]","email":"ada@example.com","date":"2026-12-24","sent_ns":"1780000000000000000"}`)

// BenchmarkParseEvent decodes a plain (non-envelope) event body.
func BenchmarkParseEvent(b *testing.B) {
	hdr := nats.Header{}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	for b.Loop() {
		if _, err := parseEvent(benchEvent, hdr, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEnvelope decodes an event in the v1 envelope with a sequence.
func BenchmarkParseEnvelope(b *testing.B) {
	body := []byte(`{"input":` + string(benchEvent) + `,"sequence":{"booking":{"create":{"id":"b-1","ok":true}}}}`)
	hdr := nats.Header{}
	hdr.Set(wire.EnvelopeHeader, wire.EnvelopeV1)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := parseEvent(body, hdr, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunID derives a run id from the stream position.
func BenchmarkRunID(b *testing.B) {
	b.ReportAllocs()
	var seq uint64
	for b.Loop() {
		seq++
		_ = RunID("JOBD_EVENTS", "2026-01-01T00:00:00Z", seq, "", "send_notification")
	}
}

// BenchmarkRunIDMsgID derives a run id from a Nats-Msg-Id.
func BenchmarkRunIDMsgID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = RunID("JOBD_EVENTS", "2026-01-01T00:00:00Z", 1, "booking-1234", "send_notification")
	}
}

// benchResult is a completed run of the seed job as finish builds it.
func benchResult() *wire.Result {
	now := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	started := now.Add(-300 * time.Microsecond)
	id := RunID("JOBD_EVENTS", "2026-01-01T00:00:00Z", 1, "", "send_notification")
	return &wire.Result{
		JobID: id, RunID: id, Event: "send_notification", Kind: "notification", Status: "completed",
		Attempts: 1, Subject: "events.booking.created", ReceivedAt: now.Add(-time.Millisecond),
		StartedAt: &started, FinishedAt: now, DurationMS: 0.3,
		Input: mustJSON(map[string]any{
			"push_notification": map[string]any{
				"title": "Reminder Alert", "body": "This is a reminder for your upcoming event.",
				"data":         map[string]any{"eventId": "evt-42", "reminderType": "upcoming_event"},
				"device_token": "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]",
			},
			"email": map[string]any{
				"to": "ada@example.com", "subject": "Event Reminder",
				"body": "Hello! This is a reminder for your upcoming event on 2026-12-24.",
			},
			"sent": "1780000000000000000",
		}),
	}
}

// BenchmarkResultEncode encodes the Result payload of jobd.result.<event>
// as the engine does (AppendResult, into a fresh buffer as in finish).
func BenchmarkResultEncode(b *testing.B) {
	res := benchResult()
	b.ReportAllocs()
	for b.Loop() {
		run.AppendResult(make([]byte, 0, 512+len(res.Input)), res)
	}
}

// BenchmarkResultEncodeReflect is the same document through encoding/json,
// for comparison.
func BenchmarkResultEncodeReflect(b *testing.B) {
	res := benchResult()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(res); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventPath is the engine's own per-event work outside piping,
// the plugin and NATS: parse the event, derive the run id, encode the result.
func BenchmarkEventPath(b *testing.B) {
	hdr := nats.Header{}
	res := benchResult()
	b.ReportAllocs()
	var seq uint64
	for b.Loop() {
		seq++
		if _, err := parseEvent(benchEvent, hdr, 1<<20); err != nil {
			b.Fatal(err)
		}
		id := RunID("JOBD_EVENTS", "2026-01-01T00:00:00Z", seq, "", "send_notification")
		res.RunID, res.JobID = id, id
		run.AppendResult(make([]byte, 0, 512+len(res.Input)), res)
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
