package piping

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testEnv is the environment the table tests run against.
func testEnv() *Env {
	var input any
	_ = json.Unmarshal([]byte(`{
		"email": "ada@example.com", "event_id": 42, "device_token": "tok-1",
		"date": "2024-02-09", "count": 3, "price": 9.5, "flag": true, "none": null,
		"user": {"name": "Ada", "tags": ["a", "b", "c"], "address": {"city": "Lagos"}},
		"items": [{"id": 1, "qty": 5, "name": "pen"}, {"id": 2, "qty": 0, "name": "ink"}, {"id": 3, "qty": 12, "name": "pad"}],
		"nums": [5, 1, 10, 3], "words": "hello world", "digits": "12345"
	}`), &input)
	return &Env{
		Input: input,
		Sequence: map[string]any{
			"signup": map[string]any{
				"create_user": map[string]any{"id": "u-9", "score": 7, "roles": []any{"admin", "dev"}},
			},
		},
		Variable: map[string]map[string]any{"billing": {"currency": "NGN", "rate": 1.5}},
		Constant: map[string]map[string]any{"billing": {"tax": 7}},
		Auth:     map[string]any{"stripe": map[string]any{"token": "sk_live"}},
		Secret: func(k string) (string, error) {
			if k == "API_KEY" {
				return "s3cr3t", nil
			}
			return "", errors.New("not found")
		},
		Now: time.Date(2024, 2, 9, 13, 5, 9, 0, time.UTC),
		Job: JobInfo{Event: "send_notification", Attempt: 2, Execution: 5},
	}
}

func testOptions() Options {
	return Options{
		Path:      "input",
		Variables: map[string]map[string]any{"billing": {"currency": "", "rate": 0}},
		Constants: map[string]map[string]any{"billing": {"tax": 0}},
	}
}

func TestEvalStrings(t *testing.T) {
	tests := []struct {
		name, tmpl string
		want       any
	}{
		{"literal", "Reminder Alert", "Reminder Alert"},
		{"lone dollar", "costs $5 or $", "costs $5 or $"},
		{"unknown name without brackets is text", "$HOME is set", "$HOME is set"},
		{"whole string keeps string", "$Input{email}", "ada@example.com"},
		{"whole string keeps number", "$Input{event_id}", int64(42)},
		{"whole string keeps float", "$Input{price}", 9.5},
		{"whole string keeps bool", "$Input{flag}", true},
		{"whole string keeps object", "$Input{user}{address}", map[string]any{"city": "Lagos"}},
		{"nested key", "$Input{user}{address}{city}", "Lagos"},
		{"index", "$Input{user}{tags}{[1]}", "b"},
		{"index then key", "$Input{items}{[2]}{name}", "pad"},
		{"interpolation", "Hello! This is a reminder for your upcoming event on $Input{date}.", "Hello! This is a reminder for your upcoming event on 2024-02-09."},
		{"interpolate number", "id=$Input{event_id}", "id=42"},
		{"interpolate float", "p=$Input{price}", "p=9.5"},
		{"interpolate object", "u=$Input{user}{address}", `u={"city":"Lagos"}`},
		{"interpolate list", "t=$Input{user}{tags}", `t=["a","b","c"]`},
		{"two references", "$Input{user}{name} <$Input{email}>", "Ada <ada@example.com>"},
		{"sequence whole output", "$Sequence{signup}{create_user}", map[string]any{"id": "u-9", "score": int64(7), "roles": []any{"admin", "dev"}}},
		{"sequence path", "$Sequence{signup}{create_user}{roles}{[0]}", "admin"},
		{"spaces in segments", "$Input{ user }{ name }", "Ada"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := CompileString(tt.tmpl, testOptions())
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := tpl.Eval(testEnv())
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name, tmpl, want string
		kind             error
	}{
		{"missing field", "$Input{nope}", `input: $Input{nope}: no field "nope" in the input`, ErrMissing},
		{"missing nested", "x $Input{user}{nope} y", `input: $Input{user}{nope}: no field "nope" in $Input{user}`, ErrMissing},
		{"null field", "$Input{none}", `input: $Input{none}: field "none" is null in the input`, ErrMissing},
		{"index out of range", "$Input{user}{tags}{[9]}", `input: $Input{user}{tags}{[9]}: index 9 is out of range: $Input{user}{tags} has 3 items`, ErrMissing},
		{"key on string", "$Input{email}{x}", `input: $Input{email}{x}: $Input{email} is a string, not an object`, ErrType},
		{"index on object", "$Input{user}{[0]}", `input: $Input{user}{[0]}: $Input{user} is an object, not a list`, ErrType},
		{"missing sequence", "$Sequence{nope}{x}", `input: $Sequence{nope}{x}: no output for sequence "nope"`, ErrMissing},
		{"missing event", "$Sequence{signup}{x}", `input: $Sequence{signup}{x}: no output for event "x" in sequence "signup"`, ErrMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := CompileString(tt.tmpl, testOptions())
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			_, err = tpl.Eval(testEnv())
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got error %v, want %s", err, tt.want)
			}
			var ee *EvalError
			if !errors.As(err, &ee) || !errors.Is(err, tt.kind) {
				t.Fatalf("error %v is not an *EvalError wrapping %v", err, tt.kind)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, tmpl, want string
	}{
		{"unknown operator", "ab $Foo(1)", "input: column 4: unknown operator $Foo (expected one of"},
		{"unclosed segment", "$Input{a", "input: column 7: unclosed { (missing })"},
		{"sequence one segment", "$Sequence{a}", "input: column 1: $Sequence needs {sequence_tag}{event_tag}, got 1 segment(s)"},
		{"bad index", "$Input{[x]}", `input: column 7: index segment {[...]} needs a non-negative integer, got "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileString(tt.tmpl, testOptions())
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("got %v, want prefix %s", err, tt.want)
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("%v is not a *CompileError", err)
			}
		})
	}
}

func TestCompileTreeAndStatic(t *testing.T) {
	var tmpl map[string]any
	src := `{ "push_notification": { "title": "Reminder Alert",
      "body": "This is a reminder for your upcoming event.",
      "data": { "eventId": "$Input{event_id}", "reminderType": "upcoming_event" },
      "device_token": "$Input{device_token}" },
    "email": { "to": "$Input{email}", "subject": "Event Reminder",
      "body": "Hello! This is a reminder for your upcoming event on $Input{date}." } }`
	if err := json.Unmarshal([]byte(src), &tmpl); err != nil {
		t.Fatal(err)
	}
	tpl, err := Compile(tmpl, Options{Path: "input"})
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Static() || tpl.UsesSecrets() {
		t.Fatalf("Static()=%v UsesSecrets()=%v", tpl.Static(), tpl.UsesSecrets())
	}
	got, err := tpl.Eval(testEnv())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	want := `{"email":{"body":"Hello! This is a reminder for your upcoming event on 2024-02-09.","subject":"Event Reminder","to":"ada@example.com"},"push_notification":{"body":"This is a reminder for your upcoming event.","data":{"eventId":42,"reminderType":"upcoming_event"},"device_token":"tok-1","title":"Reminder Alert"}}`
	if string(b) != want {
		t.Fatalf("got %s\nwant %s", b, want)
	}

	static, err := Compile(map[string]any{"a": []any{"x", int64(1), "y $5"}}, Options{})
	if err != nil || !static.Static() {
		t.Fatalf("static template: %v %v", err, static)
	}
}

func TestCompileReportsAllErrors(t *testing.T) {
	tmpl := map[string]any{
		"email": map[string]any{"to": "$Input{", "cc": "$Nope(1)"},
		"list":  []any{"ok", "$Sequence{x}"},
	}
	_, err := Compile(tmpl, Options{Path: "input"})
	u, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %v does not join errors", err)
	}
	var paths []string
	for _, e := range u.Unwrap() {
		var ce *CompileError
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not a *CompileError", e)
		}
		paths = append(paths, ce.Path)
	}
	want := []string{"input.email.cc", "input.email.to", "input.list[1]"}
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}
}

func TestEvalDoesNotShareInput(t *testing.T) {
	env := testEnv()
	tpl, err := CompileString("$Input{user}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Eval(env)
	if err != nil {
		t.Fatal(err)
	}
	got.(map[string]any)["name"] = "changed"
	if env.Input.(map[string]any)["user"].(map[string]any)["name"] != "Ada" {
		t.Fatal("Eval returned the input's own map")
	}
}
