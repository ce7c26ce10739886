package piping

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzCompileEval compiles arbitrary template strings and evaluates them
// against arbitrary JSON input: nothing may panic or hang, compile failures
// must be *CompileError, evaluation failures *EvalError, and every result
// must marshal as JSON, and AppendJSON must write the same.
func FuzzCompileEval(f *testing.F) {
	genv := loadGoldenEnv(f)
	input, _ := json.Marshal(genv.Input)
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var cases []goldenCase
		if err := json.Unmarshal(b, &cases); err != nil {
			f.Fatal(err)
		}
		for _, c := range cases {
			var s string
			if json.Unmarshal(c.Template, &s) == nil {
				f.Add(s, input)
			}
		}
	}
	f.Add("$Input{a}{[0]}{b}", []byte(`{"a":[{"b":"$Input{a}"}]}`))
	f.Fuzz(func(t *testing.T, tmpl string, data []byte) {
		var in any
		if json.Unmarshal(data, &in) != nil {
			in = string(data)
		}
		opts := Options{Path: "input", Variables: genv.Variables, Constants: genv.Constants, MaxTemplateBytes: 4096}
		tpl, err := CompileString(tmpl, opts)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("compile error %v is not a *CompileError", err)
			}
			return
		}
		env := &Env{
			Input: in, Sequence: genv.Sequence, Variable: genv.Variables, Constant: genv.Constants,
			Auth: genv.Auth, Now: time.Date(2024, 2, 9, 13, 5, 9, 0, time.UTC), Job: genv.Job,
			Secret: func(k string) (string, error) { return "s-" + k, nil },
		}
		v, err := tpl.Eval(env)
		sameAsAppendJSON(t, tpl, env, v, err)
		if err != nil {
			var ee *EvalError
			if !errors.As(err, &ee) {
				t.Fatalf("eval error %v is not an *EvalError", err)
			}
			if errors.Is(err, ErrInternal) && !tpl.usesExpr() {
				t.Fatalf("internal error without ${}: %v", err)
			}
			return
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("result %#v does not marshal: %v", v, err)
		}
	})
}
