package jsondepth

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExceeds(t *testing.T) {
	for _, c := range []struct {
		name  string
		data  string
		depth int // the nesting; Exceeds(data, depth-1) and not Exceeds(data, depth)
	}{
		{"scalar", `42`, 0},
		{"empty", ``, 0},
		{"object", `{}`, 1},
		{"array in object", `{"a":[1,2]}`, 2},
		{"siblings do not add", `{"a":[1],"b":{"c":2},"d":[[]]}`, 3},
		{"brackets in a string", `{"a":"[[[{{{"}`, 1},
		{"escaped quote then brackets", `{"a":"\"[[[[","b":1}`, 1},
		{"escaped backslash ends the string", `{"a":"\\","b":[[1]]}`, 3},
		{"brackets in a key", `{"[[[":1}`, 1},
		{"unicode escape", `{"a":"\u005b\u005b"}`, 1},
		{"deep array", strings.Repeat("[", 150) + strings.Repeat("]", 150), 150},
		{"stray closers do not hide openers", `]]]]` + strings.Repeat("[", 10), 10},
		{"unterminated string", `{"a":"[[[[`, 1},
		{"escape at the very end", `{"a":"\`, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.depth > 0 && !Exceeds([]byte(c.data), c.depth-1) {
				t.Errorf("Exceeds(%d) = false, want true (depth %d)", c.depth-1, c.depth)
			}
			if Exceeds([]byte(c.data), c.depth) {
				t.Errorf("Exceeds(%d) = true, want false (depth %d)", c.depth, c.depth)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	deep := []byte(`{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`)
	err := Check(deep, 100, "the body", "server.max_event_depth")
	if err == nil || err.Error() != "the body nests objects and arrays more than 100 levels deep (server.max_event_depth); flatten it or raise the limit" {
		t.Fatalf("Check = %v", err)
	}
	if err := Check(deep, 101, "the body", "k"); err != nil {
		t.Fatalf("Check at the limit = %v", err)
	}
	if err := Check(deep, 0, "the body", "k"); err != nil {
		t.Fatalf("Check without a limit = %v", err)
	}
}

// depthOf is the reference: the nesting of a decoded value.
func depthOf(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	case []any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	}
	return 0
}

// For every valid JSON text, the scan agrees with the depth of the decoded
// value at every limit around it.
func FuzzExceeds(f *testing.F) {
	for _, s := range []string{`{}`, `[1,[2,[3]]]`, `{"a":"[\"]{","b":[{"c":"\\"}]}`, `"[["`, `{"\u005b":[]}`, `[[],[[]],{}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			Exceeds(data, 3) // anything else must not panic
			return
		}
		d := depthOf(v)
		for _, limit := range []int{max(d-1, 0), d, d + 1} {
			if got, want := Exceeds(data, limit), d > limit; got != want {
				t.Fatalf("Exceeds(%q, %d) = %v, want %v (depth %d)", data, limit, got, want, d)
			}
		}
	})
}

// The scan of a maximally nested MiB is linear: the benchmark reports it.
func BenchmarkExceedsDeepMiB(b *testing.B) {
	data := []byte(strings.Repeat("[", 1<<19) + strings.Repeat("]", 1<<19))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Exceeds(data, 1<<20)
	}
}
