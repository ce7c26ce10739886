package piping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/jsonenc"
)

// goldenEnv is testdata/env.json: the environment every golden case runs
// against unless the case overrides part of it.
type goldenEnv struct {
	Input     any                       `json:"input"`
	Sequence  map[string]any            `json:"sequence"`
	Variables map[string]map[string]any `json:"variables"`
	Constants map[string]map[string]any `json:"constants"`
	Auth      map[string]any            `json:"auth"`
	Secrets   map[string]string         `json:"secrets"`
	Now       time.Time                 `json:"now"`
	Job       JobInfo                   `json:"job"`
}

// goldenCase is one case of a testdata/golden/*.json file. Exactly one of
// Want, Error and CompileError is set.
type goldenCase struct {
	Name         string          `json:"name"`
	Template     json.RawMessage `json:"template"`
	Input        json.RawMessage `json:"input,omitempty"` // replaces the shared input (null: no input)
	Redact       bool            `json:"redact,omitempty"`
	NoSecrets    bool            `json:"no_secrets,omitempty"`
	MaxDepth     int             `json:"max_depth,omitempty"`
	MaxBytes     int             `json:"max_bytes,omitempty"`
	Want         json.RawMessage `json:"want,omitempty"`          // the result, as JSON; integers must be int64
	Error        string          `json:"error,omitempty"`         // a substring of the Eval error
	Kind         string          `json:"kind,omitempty"`          // the sentinel the Eval error wraps
	CompileError string          `json:"compile_error,omitempty"` // a substring of the Compile error
	Static       *bool           `json:"static,omitempty"`
	UsesSecrets  *bool           `json:"uses_secrets,omitempty"`
}

var goldenKinds = map[string]error{
	"missing": ErrMissing, "type": ErrType, "range": ErrRange,
	"secret": ErrSecret, "expr": ErrExpr, "internal": ErrInternal,
}

func loadGoldenEnv(t testing.TB) goldenEnv {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e goldenEnv
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func (g goldenEnv) env(c goldenCase) (*Env, error) {
	env := &Env{
		Input: g.Input, Sequence: g.Sequence, Variable: g.Variables, Constant: g.Constants,
		Auth: g.Auth, Now: g.Now, Job: g.Job, Redact: c.Redact,
		Secret: func(k string) (string, error) {
			if s, ok := g.Secrets[k]; ok {
				return s, nil
			}
			return "", errors.New("not found")
		},
	}
	if c.NoSecrets {
		env.Secret = nil
	}
	if len(c.Input) > 0 {
		env.Input = nil
		if err := json.Unmarshal(c.Input, &env.Input); err != nil {
			return nil, err
		}
	}
	return env, nil
}

func TestGolden(t *testing.T) {
	genv := loadGoldenEnv(t)
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []goldenCase
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		total += len(cases)
		group := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, c := range cases {
			t.Run(group+"/"+c.Name, func(t *testing.T) { runGolden(t, genv, c) })
		}
	}
	t.Logf("%d golden cases", total)
}

func runGolden(t *testing.T, genv goldenEnv, c goldenCase) {
	var tmpl any
	if err := json.Unmarshal(c.Template, &tmpl); err != nil {
		t.Fatalf("template: %v", err)
	}
	opts := Options{Path: "input", Variables: genv.Variables, Constants: genv.Constants, MaxDepth: c.MaxDepth, MaxTemplateBytes: c.MaxBytes}
	tpl, err := Compile(tmpl, opts)
	if c.CompileError != "" {
		var ce *CompileError
		if err == nil || !strings.Contains(err.Error(), c.CompileError) || !errors.As(err, &ce) {
			t.Fatalf("compile error %v, want one containing %q", err, c.CompileError)
		}
		return
	}
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if c.Static != nil && tpl.Static() != *c.Static {
		t.Errorf("Static() = %v, want %v", tpl.Static(), *c.Static)
	}
	if c.UsesSecrets != nil && tpl.UsesSecrets() != *c.UsesSecrets {
		t.Errorf("UsesSecrets() = %v, want %v", tpl.UsesSecrets(), *c.UsesSecrets)
	}
	env, err := genv.env(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Eval(env)
	sameAsAppendJSON(t, tpl, env, got, err)
	if c.Error != "" {
		var ee *EvalError
		if err == nil || !strings.Contains(err.Error(), c.Error) || !errors.As(err, &ee) {
			t.Fatalf("eval error %v, want one containing %q", err, c.Error)
		}
		if kind, ok := goldenKinds[c.Kind]; c.Kind != "" && (!ok || !errors.Is(err, kind)) {
			t.Fatalf("eval error %v does not wrap %q", err, c.Kind)
		}
		return
	}
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	if err := sameJSON(c.Want, got); err != nil {
		gb, _ := json.Marshal(got)
		t.Fatalf("%v\ngot  %s\nwant %s", err, gb, c.Want)
	}
}

// sameAsAppendJSON checks that AppendJSON gives what the engine wrote before
// it existed: Eval's value encoded (jsonenc.AppendValue), or Eval's error.
func sameAsAppendJSON(t testing.TB, tpl *Template, env *Env, val any, evalErr error) {
	t.Helper()
	prefix := []byte("prefix:")
	got, err := tpl.AppendJSON(prefix, env)
	if evalErr != nil {
		if err == nil || err.Error() != evalErr.Error() {
			t.Fatalf("AppendJSON error %v, Eval's %v", err, evalErr)
		}
		if string(got) != "prefix:" {
			t.Fatalf("AppendJSON failed but changed the buffer: %q", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("AppendJSON: %v (Eval succeeded)", err)
	}
	want, err := jsonenc.AppendValue([]byte("prefix:"), val)
	if err != nil {
		t.Fatalf("encode Eval's value: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON wrote\n%s\nEval's value encodes as\n%s", got, want)
	}
}

// sameJSON compares got with the JSON want, also checking that integers in
// want are int64 in got and other numbers float64.
func sameJSON(want json.RawMessage, got any) error {
	dec := json.NewDecoder(bytes.NewReader(want))
	dec.UseNumber()
	var w any
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("want: %v", err)
	}
	return sameValue(w, got, "result")
}

func sameValue(w, g any, at string) error {
	switch w := w.(type) {
	case json.Number:
		if strings.ContainsAny(string(w), ".eE") {
			f, _ := w.Float64()
			if gf, ok := g.(float64); !ok || gf != f {
				return fmt.Errorf("%s: got %#v, want float64 %v", at, g, f)
			}
			return nil
		}
		i, _ := w.Int64()
		if gi, ok := g.(int64); !ok || gi != i {
			return fmt.Errorf("%s: got %#v, want int64 %d", at, g, i)
		}
		return nil
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok || len(gm) != len(w) {
			return fmt.Errorf("%s: got %#v, want an object of %d keys", at, g, len(w))
		}
		for k, v := range w {
			if err := sameValue(v, gm[k], at+"."+k); err != nil {
				return err
			}
		}
		return nil
	case []any:
		gl, ok := g.([]any)
		if !ok || len(gl) != len(w) {
			return fmt.Errorf("%s: got %#v, want a list of %d items", at, g, len(w))
		}
		for i := range w {
			if err := sameValue(w[i], gl[i], fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if !reflect.DeepEqual(w, g) {
		return fmt.Errorf("%s: got %#v, want %#v", at, g, w)
	}
	return nil
}
