package main

import (
	"strings"
	"testing"
)

// A list index in a placeholder's path must name an item: a negative, an
// out-of-range or a non-numeric index is a missing value, not a panic.
func TestWalkListIndexes(t *testing.T) {
	data := map[string]any{"items": []any{"a", map[string]any{"id": "b"}}}
	for path, want := range map[string]any{"items.0": "a", "items.1.id": "b"} {
		if got, ok := walk(data, strings.Split(path, ".")); !ok || got != want {
			t.Errorf("walk(%s) = %v, %v, want %v", path, got, ok, want)
		}
	}
	for _, path := range []string{"items.-1", "items.2", "items.x", "items.0.id", "other", "items.1.id.x"} {
		if got, ok := walk(data, strings.Split(path, ".")); ok {
			t.Errorf("walk(%s) = %v, want missing", path, got)
		}
	}
}

// Numbers must be finite; booleans are true and false, not ParseBool's
// other spellings.
func TestConvertNumberAndBoolEdges(t *testing.T) {
	num := param{spec: "n:number", name: "n", typ: TypeNumber}
	for _, raw := range []any{"NaN", "Inf", "-Inf", "+Inf", "1e999"} {
		if v, err := convert(num, raw); err == nil || !strings.Contains(err.Error(), "want a number") {
			t.Errorf("convert(number, %q) = %v, %v, want refused", raw, v, err)
		}
	}
	if v, err := convert(num, " 2.5 "); err != nil || v != 2.5 {
		t.Errorf("convert(number, 2.5) = %v, %v", v, err)
	}
	b := param{spec: "b:bool", name: "b", typ: TypeBool}
	for raw, want := range map[any]bool{true: true, false: false, "true": true, "false": false} {
		if v, err := convert(b, raw); err != nil || v != want {
			t.Errorf("convert(bool, %#v) = %v, %v, want %v", raw, v, err, want)
		}
	}
	for _, raw := range []any{"1", "0", "t", "TRUE", "False", "yes", 1} {
		if v, err := convert(b, raw); err == nil || !strings.Contains(err.Error(), "want true or false") {
			t.Errorf("convert(bool, %#v) = %v, %v, want refused", raw, v, err)
		}
	}
}
