package piping

import (
	"errors"
	"strings"
	"testing"
)

// Each root says what is missing in its own words.
func TestMissingMessages(t *testing.T) {
	opts := Options{
		Variables: map[string]map[string]any{"app": {"k": ""}, "other": {"k": ""}, "obj": {"k": ""}},
		Constants: map[string]map[string]any{"app": {"k": ""}, "other": {"k": ""}},
	}
	full := &Env{
		Sequence: map[string]any{"s": map[string]any{"e": 1}},
		Variable: map[string]map[string]any{"app": {}, "obj": {"k": map[string]any{"a": 1}}},
		Constant: map[string]map[string]any{"app": {}},
		Auth:     map[string]any{"stripe": map[string]any{"token": "t"}},
	}
	tests := []struct {
		tmpl string
		env  *Env
		want string
	}{
		{"$Sequence{s}{e}", &Env{}, "there are no sequence outputs"},
		{"$Variable{app}{k}", &Env{}, "there are no variables"},
		{"$Constant{app}{k}", &Env{}, "there are no constants"},
		{"$Auth{stripe}", &Env{}, "there are no credentials"},
		{"$Sequence{x}{e}", full, `no output for sequence "x"`},
		{"$Sequence{s}{x}", full, `no output for event "x" in sequence "s"`},
		{"$Variable{other}{k}", full, `no variables for app "other"`},
		{"$Variable{app}{k}", full, `no variable "k" for app "app"`},
		{"$Constant{other}{k}", full, `no constants for app "other"`},
		{"$Constant{app}{k}", full, `no constant "k" for app "app"`},
		{"$Variable{obj}{k}{b}", full, `no field "b" in $Variable{obj}{k}`},
		{"$Auth{nope}", full, `no credentials "nope"`},
		{"$Auth{stripe}{nope}", full, `no field "nope" in $Auth{stripe}`},
		{"$Input{a}", &Env{Input: map[string]any{}}, `no field "a" in the input`},
		{"$Input{a}{b}", &Env{Input: map[string]any{"a": map[string]any{}}}, `no field "b" in $Input{a}`},
		{"$Input{l}{[2]}", &Env{Input: map[string]any{"l": []any{1, 2}}}, "index 2 is out of range: $Input{l} has 2 items"},
		{"$Input{l}{[1]}", &Env{Input: map[string]any{"l": []any{1}}}, "index 1 is out of range: $Input{l} has 1 item"},
		{"$Input{l}{[0]}", &Env{Input: map[string]any{"l": []any{nil}}}, "item 0 of $Input{l} is null"},
		{"$Input{a}{[0]}", &Env{Input: map[string]any{"a": "x"}}, "$Input{a} is a string, not a list"},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			tpl, err := CompileString(tt.tmpl, opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tpl.Eval(tt.env)
			if err == nil || !strings.HasSuffix(err.Error(), ": "+tt.want) {
				t.Errorf("Eval = %v, want an error ending %q", err, tt.want)
			}
			if !errors.Is(err, ErrMissing) && !errors.Is(err, ErrType) {
				t.Errorf("Eval = %v, want ErrMissing or ErrType", err)
			}
		})
	}
}

// A typed nil from Go (map, slice, pointer, func, channel) is null.
func TestTypedNilIsNull(t *testing.T) {
	env := &Env{Input: map[string]any{
		"map":   map[string]int(nil),
		"slice": []string(nil),
		"ptr":   (*int)(nil),
		"func":  (func())(nil),
		"chan":  (chan int)(nil),
	}}
	for _, key := range []string{"map", "slice", "ptr", "func", "chan"} {
		tpl, err := CompileString("$Input{"+key+"}", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tpl.Eval(env); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), `field "`+key+`" is null in the input`) {
			t.Errorf("$Input{%s} = %#v, %v, want null", key, got, err)
		}
	}
}

// An index one past the end of a Go-typed list is out of range, like one of
// a JSON list.
func TestTypedListIndexPastTheEnd(t *testing.T) {
	env := &Env{Input: map[string]any{
		"strs": []string{"a", "b"},
		"maps": []map[string]any{{"a": 1}, {"a": 2}},
		"arr":  [2]int{1, 2},
	}}
	for _, key := range []string{"strs", "maps", "arr"} {
		tpl, err := CompileString("$Input{"+key+"}{[2]}", Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := "index 2 is out of range: $Input{" + key + "} has 2 items"
		if _, err := tpl.Eval(env); !errors.Is(err, ErrMissing) || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("$Input{%s}{[2]}: %v, want %q", key, err, want)
		}
	}
}
