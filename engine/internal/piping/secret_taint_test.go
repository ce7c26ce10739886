package piping

import (
	"slices"
	"strings"
	"testing"
)

// Every string a template computes from a secret reaches Env.Taint: the
// field's final value and what the sub-expressions on the way produced.
func TestTaintReportsEveryValueComputedFromASecret(t *testing.T) {
	const secret = "S3CR3T-TOKEN-ABCDEF-123456"
	tests := []struct {
		name, tmpl string
		want       []string // each must be reported
	}{
		{"the secret", "$Secret{API}", []string{secret}},
		{"uppercase", "$Lowercase($Secret{API})", []string{strings.ToLower(secret)}},
		{"substring", "$Substring($Secret{API}, 0, 12)", []string{secret[:12]}},
		{"substring in text", "key=$Substring($Secret{API}, 2, 10);", []string{secret[2:10], "key=" + secret[2:10] + ";"}},
		{"nested operators", "$Uppercase($Substring($Lowercase($Secret{API}), 0, 12))", []string{strings.ToLower(secret)[:12], strings.ToUpper(strings.ToLower(secret)[:12])}},
		{"replace", "$Replace($Secret{API}, \"-\", \"_\")", []string{strings.ReplaceAll(secret, "-", "_")}},
		{"expr concat", `${ "Bearer " + Secret("API") }`, []string{"Bearer " + secret}},
		{"expr slice", `${ Secret("API")[3:15] }`, []string{secret[3:15]}},
		{"expr builtin", `${ lower(trim(Secret("API"))) }`, []string{strings.ToLower(secret)}},
		{"expr let", `${ let s = Secret("API"); let u = upper(s + "x"); u[1:9] }`, []string{strings.ToUpper(secret + "x"), strings.ToUpper(secret + "x")[1:9]}},
		{"expr split", `${ split(Secret("API"), "-")[2] }`, []string{"ABCDEF"}},
		{"expr map over parts", `${ join(map(split(Secret("API"), "-"), lower(#)), "+") }`, []string{"s3cr3t", "token", "abcdef", "123456", "s3cr3t+token+abcdef+123456"}},
		{"expr ternary", `${ len(Secret("API")) > 3 ? Secret("API")[0:6] : "none" }`, []string{secret[:6]}},
		{"expr conversion", `${ string(Secret("API")) + "!" }`, []string{secret + "!"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Compile(map[string]any{"v": tc.tmpl, "plain": "$Input{who}"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			env := &Env{
				Input:  map[string]any{"who": "ada-lovelace"},
				Secret: func(string) (string, error) { return secret, nil },
				Taint:  func(s string) { got = append(got, s) },
			}
			if _, err := tmpl.AppendJSON(nil, env); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%q not reported; reported %q", w, got)
				}
			}
			for _, g := range got {
				if len(g) < MinTaintLength || g == "ada-lovelace" {
					t.Errorf("reported %q", g)
				}
			}
			// Eval reports the same way, and the value is unchanged.
			got = nil
			v, err := tmpl.Eval(env)
			if err != nil {
				t.Fatal(err)
			}
			final, _ := v.(map[string]any)["v"].(string)
			if len(final) >= MinTaintLength && !slices.Contains(got, final) {
				t.Errorf("final value %q not reported by Eval; reported %q", final, got)
			}
			// Redacted, nothing is reported (the evaluation may fail:
			// "[secret]" has no third part).
			got = nil
			_, _ = tmpl.AppendJSON(nil, &Env{Input: env.Input, Redact: true, Taint: env.Taint})
			if len(got) != 0 {
				t.Errorf("redacted evaluation reported %q", got)
			}
		})
	}
}

// The sink is not a name ${ ... } may use.
func TestTaintSinkIsHidden(t *testing.T) {
	if _, err := Compile(`${ _taint_sink }`, Options{}); err == nil {
		t.Fatal("${ _taint_sink } compiled")
	}
}
