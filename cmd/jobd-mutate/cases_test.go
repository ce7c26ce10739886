package main

import (
	"slices"
	"testing"
)

func TestCaseMutants(t *testing.T) {
	src := `package p

const (
	A = iota + 1
	B
)

func f(x, y int, s string) int {
	switch s {
	case "a", "b":
		return 1
	case "c":
		return 2
	}
	switch {
	case x < y && y > 0:
		return 3
	case !ok(x):
		return 4
	case ok(y):
		return 5
	}
	return 0
}

func ok(int) bool { return true }
`
	ms, err := caseMutants("p.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.kind+" "+apply(src, m))
	}
	want := []string{
		"CONST_ARITHMETIC A = iota - 1",
		`CASE_DROP case "b":`,
		`CASE_DROP case "a":`,
		"CASE_DROP (clause removed)",
		"CASE_NEGATION case !(x < y && y > 0):",
		"CASE_LOGICAL case x < y || y > 0:",
		"CASE_LOGICAL case (x < y):",
		"CASE_LOGICAL case (y > 0):",
		"CASE_NEGATION case x >= y && y > 0:",
		"CASE_BOUNDARY case x <= y && y > 0:",
		"CASE_NEGATION case x < y && y <= 0:",
		"CASE_BOUNDARY case x < y && y >= 0:",
		"CASE_NEGATION case (ok(x)):",
		"CASE_NEGATION case !(ok(y)):",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing mutant %q", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d mutants, want %d:\n%q", len(got), len(want), got)
	}
}

// apply returns the line of src the mutant changes, as mutated, trimmed;
// a removed clause reads "(clause removed)".
func apply(src string, m mutant) string {
	out := src[:m.start] + m.repl + src[m.end:]
	start := m.start
	for start > 0 && out[start-1] != '\n' {
		start--
	}
	end := start
	for end < len(out) && out[end] != '\n' {
		end++
	}
	line := out[start:end]
	for len(line) > 0 && (line[0] == '\t' || line[0] == ' ') {
		line = line[1:]
	}
	if m.repl == "" && m.kind == kindCaseDrop && line == "" {
		return "(clause removed)"
	}
	return line
}
