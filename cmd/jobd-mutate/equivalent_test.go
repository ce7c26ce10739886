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

// Two survivors on lines that read the same need two entries.
func TestJudgeOneSurvivorPerEntry(t *testing.T) {
	tg := target{rel: "engine/piping"}
	e, _ := parseEquivalent("engine/piping/value.go:52:2 CASE_DROP clause `case int` removed")
	rs := []result{
		{file: "value.go", line: 126, col: 2, kind: "CASE_DROP", desc: "clause `case int` removed", status: statusLived},
		{file: "value.go", line: 52, col: 2, kind: "CASE_DROP", desc: "clause `case int` removed", status: statusLived},
		{file: "value.go", line: 60, col: 2, kind: "CASE_DROP", desc: "clause `case int` removed", status: statusKilled},
	}
	got := judge(tg, rs, []equivalent{e})
	if got[0] || !got[1] || got[2] {
		t.Errorf("judge = %v, want only the survivor on line 52", got)
	}
	// Shifted lines: the entry still covers one survivor.
	rs[1].line = 53
	if got := judge(tg, rs, []equivalent{e}); !(got[0] != got[1]) {
		t.Errorf("judge after a shift = %v, want exactly one of the two", got)
	}
}
