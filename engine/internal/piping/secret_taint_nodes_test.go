package piping

import (
	"slices"
	"strings"
	"testing"
)

// taintOf compiles tmpl as one field and returns what its evaluation
// reports to Env.Taint.
func taintOf(t *testing.T, tmpl string) []string {
	t.Helper()
	const secret = "S3CR3T-TOKEN-ABCDEF-123456"
	c, err := Compile(map[string]any{"v": tmpl}, Options{})
	if err != nil {
		t.Fatalf("%s: %v", tmpl, err)
	}
	var got []string
	env := &Env{Input: map[string]any{"who": "ada-lovelace"},
		Secret: func(string) (string, error) { return secret, nil }, Taint: func(s string) { got = append(got, s) }}
	if _, err := c.Eval(env); err != nil {
		t.Fatalf("%s: %v", tmpl, err)
	}
	return got
}

// A value computed from a secret is reported wherever the secret reaches
// it from: through every kind of expression node, not only calls. Each
// case reports an intermediate value that only that node leads to (the
// field's final value is reported in any case).
func TestTaintFollowsEveryNode(t *testing.T) {
	for _, c := range []struct{ name, tmpl, want string }{
		{"unary", `${ upper((!(Secret("API") == "x") ? "unary-yes" : "unary-no") + "!") }`, "unary-yes"},
		{"member", `${ upper({"k": Secret("API")}.k[0:6] + "-member") }`, "S3CR3T-member"},
		{"chain", `${ upper(({"k": Secret("API")})?.k[0:6] + "-chain") }`, "S3CR3T-chain"},
		{"predicate", `${ upper(join(map(["a", "b"], Secret("API")[0:4] + #), "+")) }`, "S3CRa+S3CRb"},
		{"conditional", `${ upper((true ? Secret("API")[0:6] : "none") + "-cond") }`, "S3CR3T-cond"},
		{"array", `${ upper(join([Secret("API")[0:6], "arr"], "+")) }`, "S3CR3T+arr"},
		{"map and pair", `${ upper(toJSON({"key": Secret("API")[0:6]})) }`, "{\n  \"key\": \"S3CR3T\"\n}"},
		{"let", `${ upper((let a = "let"; Secret("API")[0:6] + a) + "-x") }`, "S3CR3Tlet-x"},
		{"sequence", `${ upper(("ignored"; Secret("API")[0:6]) + "-seq") }`, "S3CR3T-seq"},
		{"let through a variable", `${ let s = Secret("API"); let t = s[0:6]; upper(t + "-var") }`, "S3CR3T-var"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := taintOf(t, c.tmpl); !slices.Contains(got, c.want) {
				t.Errorf("%q not reported; reported %q", c.want, got)
			}
		})
	}
}

// Strings of MinTaintLength bytes or more are reported, shorter ones not;
// and what lies deeper than 64 levels of lists is not looked at.
func TestTaintBounds(t *testing.T) {
	got := taintOf(t, `${ [Secret("API")[0:4], Secret("API")[0:3]] }`)
	if !slices.Contains(got, "S3CR") {
		t.Errorf("a 4-byte value was not reported: %q", got)
	}
	if slices.Contains(got, "S3C") {
		t.Errorf("a 3-byte value was reported: %q", got)
	}
	var reported []string
	deep := any("deep-secret-value")
	for range 70 {
		deep = []any{deep}
	}
	reportStrings(deep, func(s string) { reported = append(reported, s) }, 0)
	if len(reported) != 0 {
		t.Errorf("a string 70 lists deep was reported: %q", reported)
	}
	shallow := any("shallow-secret-value")
	for range 10 {
		shallow = []any{shallow}
	}
	reported = nil
	reportStrings(map[string]any{"kk": shallow, "key-name": []string{"in-a-list"}}, func(s string) { reported = append(reported, s) }, 0)
	slices.Sort(reported)
	if strings.Join(reported, ",") != "in-a-list,key-name,shallow-secret-value" {
		t.Errorf("reported %q", reported)
	}
}

// A template that reads no secret reports nothing, one whose let variable
// only looks like a secret's is not treated as one, and in a template that
// does read a secret, values computed from other data alone are not
// reported.
func TestTaintOnlyWhatReadsASecret(t *testing.T) {
	if got := taintOf(t, `${ let Secrets = "not-a-secret"; upper(Secrets) + "-plain" }`); len(got) != 0 {
		t.Errorf("reported %q for a template that reads no secret", got)
	}
	got := taintOf(t, `${ let w = upper(Input.who); let n = len(w + "-plain"); Secret("API")[0:n] }`)
	for _, plain := range []string{"ADA-LOVELACE", "ADA-LOVELACE-plain"} {
		if slices.Contains(got, plain) {
			t.Errorf("%q, computed from the input alone, was reported: %q", plain, got)
		}
	}
	if !slices.Contains(got, "S3CR3T-TOKEN-ABCDE") {
		t.Errorf("the secret's slice was not reported: %q", got)
	}
}

// reportStrings finds the strings in any list, array or map, and stops at
// 64 levels.
func TestReportStringsShapes(t *testing.T) {
	var got []string
	report := func(s string) { got = append(got, s) }
	at64 := any("deepest-reported")
	for range 64 {
		at64 = []any{at64}
	}
	reportStrings(at64, report, 0)
	deepMaps := any("deep-map-value")
	for range 70 {
		deepMaps = map[string]any{"k": deepMaps}
	}
	reportStrings(deepMaps, report, 0)
	reportStrings([][]string{{"slice-of-slices"}}, report, 0)
	reportStrings([2]string{"array-elem", "x"}, report, 0)
	reportStrings(map[string]string{"typed-key": "typed-value"}, report, 0)
	slices.Sort(got)
	want := "array-elem,deepest-reported,slice-of-slices,typed-key,typed-value"
	if strings.Join(got, ",") != want {
		t.Errorf("reported %q, want %s", got, want)
	}
}
