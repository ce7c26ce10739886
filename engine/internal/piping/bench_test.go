package piping

import (
	"encoding/json"
	"testing"
	"time"
)

// seedTemplate is the input of the canonical job event (README's seed job).
const seedTemplate = `{
  "push_notification": { "title": "Reminder Alert",
    "body": "This is a reminder for your upcoming event.",
    "data": { "eventId": "$Input{event_id}", "reminderType": "upcoming_event" },
    "device_token": "$Input{device_token}" },
  "email": { "to": "$Input{email}", "subject": "Event Reminder",
    "body": "Hello! This is a reminder for your upcoming event on $Input{date}." } }`

func seed(b *testing.B) (*Template, *Env) {
	b.Helper()
	var tmpl, input any
	if err := json.Unmarshal([]byte(seedTemplate), &tmpl); err != nil {
		b.Fatal(err)
	}
	_ = json.Unmarshal([]byte(`{"event_id": "evt-42", "device_token": "ExponentPushToken[x]", "email": "ada@example.com", "date": "2024-02-09"}`), &input)
	tpl, err := Compile(tmpl, Options{Path: "input"})
	if err != nil {
		b.Fatal(err)
	}
	return tpl, &Env{Input: input, Now: time.Date(2024, 2, 9, 13, 5, 9, 0, time.UTC)}
}

// BenchmarkEvalSeed evaluates the §1 seed template (four compiled strings).
func BenchmarkEvalSeed(b *testing.B) {
	tpl, env := seed(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendJSONSeed evaluates the §1 seed template straight into
// JSON, as the engine does for the plugin's input and the result.
func BenchmarkAppendJSONSeed(b *testing.B) {
	tpl, env := seed(b)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = tpl.AppendJSON(buf[:0], env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalSeedParallel is BenchmarkEvalSeed from all Ps at once.
func BenchmarkEvalSeedParallel(b *testing.B) {
	tpl, env := seed(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tpl.Eval(env); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCompileSeed compiles the §1 seed template.
func BenchmarkCompileSeed(b *testing.B) {
	var tmpl any
	if err := json.Unmarshal([]byte(seedTemplate), &tmpl); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(tmpl, Options{Path: "input"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalOperators evaluates one string of nested operators.
func BenchmarkEvalOperators(b *testing.B) {
	tpl, err := CompileString("$Concat([$Add($Pick('12', 0), 5), $Substring('abcdef', 2, 5), $Trim(' xyz ')], '_')", Options{})
	if err != nil {
		b.Fatal(err)
	}
	env := &Env{Now: time.Unix(0, 0)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
}
