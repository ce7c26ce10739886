package main

import "testing"

func TestEquivalentMatches(t *testing.T) {
	e, ok := parseEquivalent("engine/schedule/zone.go:34:19 INVERT_LOGICAL | if end.IsZero() || x {")
	if !ok {
		t.Fatal("not parsed")
	}
	r := result{file: "zone.go", line: 40, col: 19, kind: "INVERT_LOGICAL", desc: "| if end.IsZero() || x {", status: statusLived}
	// The package moved and the line shifted: still the same mutant.
	if !e.matches(target{rel: "engine/internal/schedule"}, r) {
		t.Error("a moved package or a shifted line no longer matches")
	}
	for name, changed := range map[string]func(*result){
		"column": func(r *result) { r.col = 20 },
		"kind":   func(r *result) { r.kind = "CONDITIONALS_BOUNDARY" },
		"text":   func(r *result) { r.desc = "| if end.IsZero() || y {" },
		"file":   func(r *result) { r.file = "cron.go" },
	} {
		r2 := r
		changed(&r2)
		if e.matches(target{rel: "engine/schedule"}, r2) {
			t.Errorf("a different %s matches", name)
		}
	}
	if e.matches(target{rel: "engine/policy"}, r) {
		t.Error("another package matches")
	}
	for _, bad := range []string{"", "zone.go INVERT_LOGICAL x", "zone.go:x:y KIND x"} {
		if _, ok := parseEquivalent(bad); ok {
			t.Errorf("parseEquivalent(%q) accepted", bad)
		}
	}
}
