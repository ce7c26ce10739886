package piping

import (
	"reflect"
	"testing"
)

// An embedding program may put Go-typed values in Env (a []string, an
// array, a map of strings); the operators read them as JSON values.
func TestTypedEnvValues(t *testing.T) {
	env := &Env{Input: map[string]any{
		"tags":  []string{"a", "b"},
		"arr":   [2]int{1, 2},
		"nums":  []int{3, 4},
		"names": map[string]string{"x": "y"},
	}}
	tests := []struct {
		tmpl string
		want any
	}{
		{"$Concat($Input{tags}, '-')", "a-b"},
		{"$Concat($Input{arr}, '+')", "1+2"},
		{"$Pick($Input{nums}, 1)", int64(4)},
		{"$Pick($Input{arr}, -1)", int64(2)},
		{"$Size($Input{tags})", int64(2)},
		{"$Input{names}{x}", "y"},
		{"$Input{arr}", []any{int64(1), int64(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			tpl, err := CompileString(tt.tmpl, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.Eval(env)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Eval = %#v, %v, want %#v", got, err, tt.want)
			}
		})
	}
}
