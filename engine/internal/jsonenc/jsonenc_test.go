package jsonenc

import (
	"encoding/json"
	"reflect"
	"testing"
)

// AppendValue writes documents that decode to exactly what encoding/json's
// do.
func TestAppendValueMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, "", "plain", "quote \" backslash \\ tab \t newline \n cr \r bell \a", "<html> & 'x'", "ünïcødé ✓ 🎉",
		"line\u2028sep\u2029", string([]byte{0xff, 'a'}), true, false, int64(-42), 0, 3.5, float64(1e21), 1e-7, float64(77), -0.0,
		map[string]any{"b": int64(1), "a": []any{"x", 2.5, nil, map[string]any{}}, "c": map[string]any{"z": true}},
		[]any{}, json.RawMessage(`{"k":[1,2]}`), []string{"fallback"},
	}
	for _, v := range values {
		got, err := AppendValue(nil, v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		want, _ := json.Marshal(v)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%#v encoded as invalid JSON %s: %v", v, got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%#v: got %s, encoding/json %s", v, got, want)
		}
	}
}
