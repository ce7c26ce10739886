package piping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// A template decoded with json.Decoder.UseNumber holds json.Number values:
// they are numbers, as in the same template decoded without it.
func TestCompileJSONNumbers(t *testing.T) {
	const src = `{"n": 12, "f": 2.5, "big": 1e300, "list": [1, "$Input{a}"], "s": "12"}`
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	var tmpl any
	if err := dec.Decode(&tmpl); err != nil {
		t.Fatal(err)
	}
	tpl, err := Compile(tmpl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Eval(&Env{Input: map[string]any{"a": "x"}})
	want := map[string]any{"n": int64(12), "f": 2.5, "big": 1e300, "list": []any{int64(1), "x"}, "s": "12"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Eval = %#v, %v, want %#v", got, err, want)
	}
}

// Only Go code can make a json.Number that is no number; it stays text.
func TestCompileInvalidJSONNumber(t *testing.T) {
	tpl, err := Compile(json.Number("x1"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tpl.Eval(nil); err != nil || got != "x1" {
		t.Errorf("Eval = %#v, %v, want the text x1", got, err)
	}
}
