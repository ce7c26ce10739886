package piping

import (
	"errors"
	"strings"
	"testing"
)

// nestList returns a value n lists deep around "x": nestList(0) is "x".
func nestList(n int) any {
	var v any = "x"
	for range n {
		v = []any{v}
	}
	return v
}

// nestMap returns a value n objects deep around "x", each under key "k".
func nestMap(n int) any {
	var v any = "x"
	for range n {
		v = map[string]any{"k": v}
	}
	return v
}

// nestTyped returns a value n levels deep built of types normalize reaches
// through reflection: []string at the bottom, then maps of string keys,
// slices of them, and pointers.
func nestTyped(n int) any {
	var v any = []string{"x"}
	for i := 1; i < n; i++ {
		switch i % 3 {
		case 0:
			v = map[string]any{"k": v}
		case 1:
			v = []any{v}
		case 2:
			p := v
			v = &p
		}
	}
	return v
}

// A template value may nest maxValueDepth levels and no more.
func TestCompileValueDepthLimit(t *testing.T) {
	for name, nest := range map[string]func(int) any{"lists": nestList, "objects": nestMap} {
		t.Run(name, func(t *testing.T) {
			if _, err := Compile(nest(maxValueDepth), Options{}); err != nil {
				t.Errorf("%d levels: %v", maxValueDepth, err)
			}
			_, err := Compile(nest(maxValueDepth+1), Options{})
			if err == nil || !strings.Contains(err.Error(), "template nested deeper than 1000 levels") {
				t.Errorf("%d levels: %v, want nested deeper than 1000 levels", maxValueDepth+1, err)
			}
		})
	}
}

// A value a reference returns is copied out of Eval up to
// maxNormalizeDepth levels deep; deeper is an internal error, not a crash.
func TestEvalValueDepthLimit(t *testing.T) {
	tpl, err := CompileString("$Input{v}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, nest := range map[string]func(int) any{"lists": nestList, "objects": nestMap} {
		t.Run(name, func(t *testing.T) {
			got, err := tpl.Eval(&Env{Input: map[string]any{"v": nest(maxNormalizeDepth)}})
			if err != nil {
				t.Fatalf("%d levels: %v", maxNormalizeDepth, err)
			}
			if depth(got) != maxNormalizeDepth {
				t.Errorf("%d levels came back %d deep", maxNormalizeDepth, depth(got))
			}
			_, err = tpl.Eval(&Env{Input: map[string]any{"v": nest(maxNormalizeDepth + 1)}})
			if !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "value nested deeper than 1000 levels") {
				t.Errorf("%d levels: %v, want an internal error, nested deeper than 1000 levels", maxNormalizeDepth+1, err)
			}
		})
	}
}

func TestNormalizeDepthLimit(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		{"lists", nestList(maxNormalizeDepth + 1)},
		{"objects", nestMap(maxNormalizeDepth + 1)},
		{"typed", nestTyped(maxNormalizeDepth + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := normalize(tt.v); err == nil || !strings.Contains(err.Error(), "nested deeper than") {
				t.Errorf("normalize = %v, want nested deeper than %d levels", err, maxNormalizeDepth)
			}
		})
	}
	if _, err := normalize(nestTyped(maxNormalizeDepth)); err != nil {
		t.Errorf("typed, %d levels: %v", maxNormalizeDepth, err)
	}
}

// depth counts the levels of lists and objects around the innermost value.
func depth(v any) int {
	switch v := v.(type) {
	case []any:
		return 1 + depth(v[0])
	case map[string]any:
		return 1 + depth(v["k"])
	}
	return 0
}

// nestPointer returns "x" behind n pointers.
func nestPointer(n int) any {
	var v any = "x"
	for range n {
		p := v
		v = &p
	}
	return v
}

// Pointers in a template built in Go count as levels too.
func TestCompilePointerDepthLimit(t *testing.T) {
	if _, err := Compile(nestPointer(maxValueDepth), Options{}); err != nil {
		t.Errorf("%d pointers: %v", maxValueDepth, err)
	}
	if _, err := Compile(nestPointer(maxValueDepth+1), Options{}); err == nil || !strings.Contains(err.Error(), "template nested deeper than 1000 levels") {
		t.Errorf("%d pointers: %v, want nested deeper than 1000 levels", maxValueDepth+1, err)
	}
}

type (
	namedMap  map[string]any
	namedList []any
)

// Named map and slice types reach normalize through reflection, and count
// toward its nesting limit as the plain ones do.
func TestNormalizeNamedTypesDepthLimit(t *testing.T) {
	nestNode := func(n int) any {
		var v any = "x"
		for range n {
			v = namedMap{"k": v}
		}
		return v
	}
	nestRow := func(n int) any {
		var v any = "x"
		for range n {
			v = namedList{v}
		}
		return v
	}
	for name, nest := range map[string]func(int) any{"maps": nestNode, "slices": nestRow} {
		if _, err := normalize(nest(maxNormalizeDepth)); err != nil {
			t.Errorf("%s, %d levels: %v", name, maxNormalizeDepth, err)
		}
		if _, err := normalize(nest(maxNormalizeDepth + 1)); err == nil || !strings.Contains(err.Error(), "nested deeper than") {
			t.Errorf("%s, %d levels: %v, want nested deeper than %d levels", name, maxNormalizeDepth+1, err, maxNormalizeDepth)
		}
	}
}
