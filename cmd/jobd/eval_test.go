package main_test

import (
	"strings"
	"testing"
)

// The piping examples of the job-event family (docs/job-events.md) give exactly the stated results through
// `jobd eval`, and secrets stay hidden unless asked for.
func TestEvalSpecExamples(t *testing.T) {
	s := newSite(t, "")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{`$Add($Pick('12345', 0), $Substring('98765', 2, 4))`}, `77`},
		{[]string{`$Concat([$Add($Pick('12', 0), 5), $Substring('abcdef', 2, 5), $Trim(' xyz ')], '_')`}, `"6_cde_xyz"`},
		{[]string{`$Dateformat('2024-02-09', 'DD/MM/YYYY')`}, `"09/02/2024"`},
		{[]string{`$Input{user}{tags}{[1]}`, "--input", `{"user":{"tags":["a","b"]}}`}, `"b"`},
		{[]string{`$Input{user}`, "--input", `{"user":{"age":36}}`}, "{\n  \"age\": 36\n}"},
		{[]string{`Hi $Input{n}`, "--input", `{"n":2.0}`}, `"Hi 2"`},
		{[]string{`$Sequence{s}{e}{id}`, "--sequence", `{"s":{"e":{"id":7}}}`}, `7`},
		{[]string{`${ Input.a * 2 }`, "--input", `{"a":21}`}, `42`},
		{[]string{`key=$Secret{API_KEY}`}, `"key=[secret]"`},
	}
	for _, c := range cases {
		out, errOut, code := s.jobd(append([]string{"eval"}, c.args...)...)
		if code != 0 || strings.TrimSpace(out) != c.want {
			t.Errorf("jobd eval %q = %q (exit %d, %s), want %s", c.args, strings.TrimSpace(out), code, errOut, c.want)
		}
	}
	s.env = []string{"JOBD_SECRET_API_KEY=k-123"}
	if out, _, _ := s.jobd("eval", `$Secret{API_KEY}`, "--reveal"); strings.TrimSpace(out) != `"k-123"` {
		t.Errorf("--reveal: %s", out)
	}
	_, errOut, code := s.jobd("eval", `$Input{missing}`, "--input", `{}`)
	if code == 0 || !strings.Contains(errOut, "missing") {
		t.Errorf("a missing reference: exit %d, %s", code, errOut)
	}
	_, errOut, code = s.jobd("eval", `$Bogus(1)`)
	if code != 2 || !strings.Contains(errOut, "column 1") {
		t.Errorf("an unknown operator: exit %d, %s", code, errOut)
	}
}
