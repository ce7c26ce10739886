package piping

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// An embedding program may put Go-typed values in Env (a []string, an
// array, a map of strings); the operators read them as JSON values.
func TestTypedEnvValues(t *testing.T) {
	env := &Env{Input: map[string]any{
		"tags":  []string{"a", "b"},
		"arr":   [2]int{1, 2},
		"nums":  []int{3, 4},
		"names": map[string]string{"x": "y"},
		"ages":  map[string]int{"ada": 36},
		"byID":  map[int]string{1: "a"},
		"rows":  []map[string]any{{"a": 1}, {"a": 2}},
	}}
	tests := []struct {
		tmpl string
		want any
	}{
		{"$Concat($Input{tags}, '-')", "a-b"},
		{"$Concat($Input{arr}, '+')", "1+2"},
		{"$Pick($Input{nums}, 1)", int64(4)},
		{"$Pick($Input{arr}, -1)", int64(2)},
		{"$Size($Input{tags})", int64(2)},
		{"$Input{names}{x}", "y"},
		{"$Input{arr}", []any{int64(1), int64(2)}},
		{"$Input{ages}{ada}", int64(36)},
		{"$Size($Input{ages})", int64(1)},
		{"$Input{tags}{[0]}", "a"},
		{"$Input{tags}{[1]}", "b"},
		{"$Input{arr}{[0]}", int64(1)},
		{"$Input{nums}{[1]}", int64(4)},
		{"$Input{rows}{[0]}{a}", int64(1)},
		{"$Input{rows}{[1]}{a}", int64(2)},
		{"$Size($Input{rows})", int64(2)},
		{"$Length($Input{arr})", int64(2)},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			tpl, err := CompileString(tt.tmpl, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.Eval(env)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Eval = %#v, %v, want %#v", got, err, tt.want)
			}
		})
	}
}

func TestTypedEnvMapWithoutStringKeys(t *testing.T) {
	tpl, err := CompileString("$Input{byID}{1}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tpl.Eval(&Env{Input: map[string]any{"byID": map[int]string{1: "a"}}})
	if !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "not an object") {
		t.Errorf("a map with int keys: %v, want not an object", err)
	}
}

// A null names where it was found, whatever the root.
func TestNullMessages(t *testing.T) {
	env := &Env{
		Sequence: map[string]any{"s": nil, "t": map[string]any{"e": nil}},
		Variable: map[string]map[string]any{"app": {"k": nil}},
	}
	opts := Options{Variables: map[string]map[string]any{"app": {"k": ""}}}
	for tmpl, want := range map[string]string{
		"$Sequence{s}{e}":   `field "s" is null in $Sequence`,
		"$Sequence{t}{e}":   `field "e" is null in $Sequence{t}`,
		"$Variable{app}{k}": `field "k" is null in $Variable{app}`,
	} {
		tpl, err := CompileString(tmpl, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tpl.Eval(env); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", tmpl, err, want)
		}
	}
}

// What Eval copies out of Env: bytes as text, and no NaN or infinity.
func TestEvalCopiesGoValues(t *testing.T) {
	env := &Env{Input: map[string]any{
		"bytes": []byte("hi"),
		"arr":   [2]byte{1, 2},
		"nan":   math.NaN(),
		"inf":   math.Inf(-1),
		"f32":   float32(1.5),
		"ptr":   &[]string{"p"},
	}}
	for tmpl, want := range map[string]any{
		"$Input{bytes}": "hi",
		"$Input{arr}":   []any{int64(1), int64(2)},
		"$Input{f32}":   1.5,
		"$Input{ptr}":   []any{"p"},
	} {
		tpl, err := CompileString(tmpl, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tpl.Eval(env); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, %v, want %#v", tmpl, got, err, want)
		}
	}
	for _, tmpl := range []string{"$Input{nan}", "$Input{inf}"} {
		tpl, err := CompileString(tmpl, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tpl.Eval(env); !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "is not a JSON number") {
			t.Errorf("%s = %#v, %v, want not a JSON number", tmpl, got, err)
		}
	}
}

// A time.Time in Env is a date to the date operators.
func TestTimeInEnv(t *testing.T) {
	tpl, err := CompileString("$Dateformat($Input{t}, 'YYYY-MM-DD HH:mm')", Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 2, 9, 14, 5, 0, 0, time.FixedZone("CET", 3600))
	got, err := tpl.Eval(&Env{Input: map[string]any{"t": at}})
	if err != nil || got != "2024-02-09 13:05" {
		t.Errorf("Eval = %v, %v, want the date in UTC", got, err)
	}
}

type (
	myInt     int
	myInt32   int32
	myInt64   int64
	myUint    uint
	myFloat   float64
	myFloat32 float32
	myBool    bool
	myString  string
)

// Numbers of every Go kind, and named types, as an embedding program may
// hand them over in Env.
func TestGoKindsInEnv(t *testing.T) {
	env := &Env{Input: map[string]any{
		"int": myInt(1), "i8": int8(2), "i16": int16(3), "i32": myInt32(4), "i64": myInt64(5),
		"uint": myUint(6), "u8": uint8(7), "u16": uint16(8), "u32": uint32(9), "u64": uint64(10),
		"up": uintptr(11), "big": uint64(math.MaxUint64), "max": uint64(math.MaxInt64),
		"f": myFloat(1.5), "f32": myFloat32(2.5),
		"b": myBool(true), "s": myString("x"),
		"d": 1500 * time.Millisecond, "t": time.Date(2024, 2, 9, 13, 5, 9, 0, time.UTC),
		"ages": map[string]int{"ada": 36},
	}}
	for tmpl, want := range map[string]any{
		"$Add($Input{int}, $Input{i8}, $Input{i16}, $Input{i32}, $Input{i64})":  int64(15),
		"$Add($Input{uint}, $Input{u8}, $Input{u16}, $Input{u32}, $Input{u64})": int64(40),
		"$Input{int}":  int64(1),
		"$Input{u64}":  int64(10),
		"$Input{up}":   int64(11),
		"$Input{big}":  float64(math.MaxUint64),
		"$Input{max}":  int64(math.MaxInt64),
		"$Input{f}":    1.5,
		"$Input{f32}":  2.5,
		"$Input{b}":    true,
		"$Input{s}":    "x",
		"$Input{d}":    "1.5s",
		"$Input{t}":    "2024-02-09T13:05:09Z",
		"$Input{ages}": map[string]any{"ada": int64(36)},
		"${ Job }":     map[string]any{"Event": "e", "Attempt": int64(2), "Execution": int64(3)},
	} {
		tpl, err := CompileString(tmpl, Options{})
		if err != nil {
			t.Fatal(err)
		}
		env.Job = JobInfo{Event: "e", Attempt: 2, Execution: 3}
		if got, err := tpl.Eval(env); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, %v, want %#v", tmpl, got, err, want)
		}
	}
}

// Eval returns the one failing string's *EvalError itself, not a join of
// one.
func TestEvalOneErrorAlone(t *testing.T) {
	tpl, err := Compile(map[string]any{"a": "$Input{x}", "b": "ok"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tpl.Eval(&Env{Input: map[string]any{}})
	if _, ok := err.(*EvalError); !ok {
		t.Errorf("Eval error is a %T, want *EvalError", err)
	}
}

// Messages name Go-typed values by their JSON kind; text shows a
// Stringer's own text.
func TestGoValuesInMessagesAndText(t *testing.T) {
	env := &Env{Input: map[string]any{
		"ages": map[string]int{"ada": 36},
		"st":   struct{ A int }{1},
		"tags": []string{"a"},
		"arr":  [1]int{1},
		"d":    1500 * time.Millisecond,
	}}
	for tmpl, want := range map[string]string{
		"$Concat($Input{ages})":    "the first argument must be a list, got an object",
		"$Concat($Input{st})":      "the first argument must be a list, got an object",
		"$Uppercase($Input{tags})": "the first argument must be text, got a list",
		"$Uppercase($Input{arr})":  "the first argument must be text, got a list",
	} {
		tpl, err := CompileString(tmpl, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tpl.Eval(env); !errors.Is(err, ErrType) || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", tmpl, err, want)
		}
	}
	tpl, err := CompileString("d=$Input{d}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tpl.Eval(env); err != nil || got != "d=1.5s" {
		t.Errorf("Eval = %v, %v, want d=1.5s", got, err)
	}
}
