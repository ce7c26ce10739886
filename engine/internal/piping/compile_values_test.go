package piping

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// A template is JSON: NaN and the infinities are no numbers of it.
func TestCompileRefusesNonFiniteNumbers(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), math.Inf(-1), map[string]any{"a": []any{math.Inf(1)}}, float32(math.Inf(1))} {
		if _, err := Compile(v, Options{}); err == nil || !strings.Contains(err.Error(), "is not a JSON number") {
			t.Errorf("Compile(%v) = %v, want not a JSON number", v, err)
		}
	}
	tpl, err := Compile(map[string]any{"f": 1.5, "big": math.MaxFloat64}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Eval(nil)
	if m, _ := got.(map[string]any); err != nil || m["f"] != 1.5 || m["big"] != math.MaxFloat64 {
		t.Errorf("Eval = %v, %v", got, err)
	}
}

// usesExpr is true when any string of the tree holds a ${ ... }, wherever
// it comes in the walk.
func TestUsesExprAcrossStrings(t *testing.T) {
	for _, tmpl := range []map[string]any{
		{"a": "${ 1 + 1 }", "b": "$Input{x}"},
		{"a": "$Input{x}", "b": "${ 1 + 1 }"},
	} {
		tpl, err := Compile(tmpl, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !tpl.usesExpr() {
			t.Errorf("usesExpr(%v) = false", tmpl)
		}
	}
	tpl, err := Compile(map[string]any{"a": "$Input{x}", "b": "text"}, Options{})
	if err != nil || tpl.usesExpr() {
		t.Errorf("usesExpr without expressions = %v, %v", tpl.usesExpr(), err)
	}
}

// Values a Go caller may put in Env that JSON cannot hold: NaN and the
// infinities are no numbers to $Add, and equal to nothing.
func TestNonFiniteEnvValues(t *testing.T) {
	env := &Env{Input: map[string]any{"inf": math.Inf(1), "nan": math.NaN(), "f": func() {}}}
	for _, tmpl := range []string{"$Add($Input{inf}, 1)", "$Add(1, $Input{nan})", "$Subtract(1, $Input{inf})"} {
		tpl, err := CompileString(tmpl, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := tpl.Eval(env); !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "is not a finite number") {
			t.Errorf("%s = %v, %v, want not a finite number", tmpl, v, err)
		}
	}
	for _, pair := range [][2]any{{math.NaN(), nil}, {nil, math.NaN()}, {func() {}, nil}, {math.NaN(), math.NaN()}} {
		if equal(pair[0], pair[1]) {
			t.Errorf("equal(%v, %v) = true", pair[0], pair[1])
		}
	}
	if !equal(map[string]any{"a": []any{1}}, map[string]any{"a": []any{int64(1)}}) {
		t.Error("equal compares before normalizing")
	}
}

// An operator called with () and no arguments fails its arity check alone:
// parsing goes on after the ), so nothing else is reported.
func TestEmptyArgumentsReportOneError(t *testing.T) {
	for tmpl, want := range map[string]string{
		"$Concat([$Trim()], '-')": "column 10: $Trim takes 1 argument, got 0",
		"$Add($Upper(), 1)":       "column 6: unknown operator $Upper (expected one of",
		"$Add($Lowercase( ), 1)":  "column 6: $Lowercase takes 1 argument, got 0",
	} {
		_, err := CompileString(tmpl, Options{})
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want the one error %q", tmpl, err, want)
		}
	}
}

type label string

type flag bool

// A template built in Go may use named types, arrays and pointers.
func TestCompileGoTypedTemplate(t *testing.T) {
	s := "$Input{x}"
	var nilPtr *string
	tmpl := map[string]any{
		"label": label("$Input{x}!"),
		"flag":  flag(true),
		"arr":   [2]string{"a", "$Input{x}"},
		"ptr":   &s,
		"nil":   nilPtr,
		"n":     int8(-3),
	}
	tpl, err := Compile(tmpl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Eval(&Env{Input: map[string]any{"x": "y"}})
	want := map[string]any{"label": "y!", "flag": true, "arr": []any{"a", "y"}, "ptr": "y", "nil": nil, "n": int64(-3)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Eval = %#v, %v, want %#v", got, err, want)
	}
	if _, err := Compile(map[string]any{"ch": make(chan int)}, Options{}); err == nil || !strings.Contains(err.Error(), "unsupported value of type chan int") {
		t.Errorf("Compile(chan) = %v", err)
	}
}
