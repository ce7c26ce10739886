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

func TestEvalNilEnv(t *testing.T) {
	tpl, err := CompileString("$Add(1, 2)", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Eval(nil)
	if err != nil || got != int64(3) {
		t.Fatalf("got %#v, %v", got, err)
	}
	tpl, _ = CompileString("$Input{a}", Options{})
	if _, err := tpl.Eval(nil); !errors.Is(err, ErrMissing) {
		t.Fatalf("got %v, want ErrMissing", err)
	}
}

func TestEvalJoinsErrors(t *testing.T) {
	tpl, err := Compile(map[string]any{"a": "$Input{x}", "b": "$Input{y}", "c": "ok"}, Options{Path: "input"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tpl.Eval(&Env{Input: map[string]any{}})
	u, ok := err.(interface{ Unwrap() []error })
	if !ok || len(u.Unwrap()) != 2 {
		t.Fatalf("got %v, want two joined errors", err)
	}
}

func TestEvalConcurrent(t *testing.T) {
	tpl, err := Compile(map[string]any{"n": "$Add($Input{n}, 1)", "s": "n=$Input{n}"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 200; i++ {
				got, err := tpl.Eval(&Env{Input: map[string]any{"n": float64(g*1000 + i)}})
				if err != nil {
					done <- err
					return
				}
				m := got.(map[string]any)
				if m["n"] != int64(g*1000+i+1) {
					done <- errors.New("wrong result")
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestCompileTemplateValueTypes(t *testing.T) {
	tmpl := map[string]any{
		"ints":  []int{1, 2},
		"maps":  []map[string]any{{"a": "$Input{a}"}},
		"int":   7,
		"float": 2.0,
		"str":   map[string]string{"k": "v"},
	}
	tpl, err := Compile(tmpl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Eval(&Env{Input: map[string]any{"a": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"ints": []any{int64(1), int64(2)}, "maps": []any{map[string]any{"a": "x"}},
		"int": int64(7), "float": int64(2), "str": map[string]any{"k": "v"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if _, err := Compile(map[string]any{"f": func() {}}, Options{Path: "input"}); err == nil ||
		!strings.Contains(err.Error(), "input.f: column 1: unsupported value of type func()") {
		t.Fatalf("got %v", err)
	}
}

func TestCompileLimitsDefaults(t *testing.T) {
	long := "$Input{a}" + strings.Repeat("x", MaxTemplateBytesDefault)
	if _, err := CompileString(long, Options{}); err == nil || !strings.Contains(err.Error(), "more than the limit of 65536") {
		t.Fatalf("got %v", err)
	}
	deep := strings.Repeat("$Trim(", MaxDepthDefault+1) + "'a'" + strings.Repeat(")", MaxDepthDefault+1)
	if _, err := CompileString(deep, Options{}); err == nil || !strings.Contains(err.Error(), "deeper than the limit of 32") {
		t.Fatalf("got %v", err)
	}
	ok := strings.Repeat("$Trim(", MaxDepthDefault) + "'a'" + strings.Repeat(")", MaxDepthDefault)
	if _, err := CompileString(ok, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestCompileInvalidUTF8(t *testing.T) {
	if _, err := CompileString("$Input{a}\xff", Options{}); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Fatalf("got %v", err)
	}
	tpl, err := CompileString("plain\xff", Options{})
	if err != nil || !tpl.Static() {
		t.Fatalf("literal with invalid UTF-8: %v", err)
	}
}

func TestNowDefaultsToClock(t *testing.T) {
	tpl, err := CompileString("$Now", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Eval(&Env{})
	if err != nil {
		t.Fatal(err)
	}
	if ms, ok := got.(int64); !ok || ms <= 0 {
		t.Fatalf("got %#v", got)
	}
}
