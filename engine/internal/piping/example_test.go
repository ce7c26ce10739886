package piping_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/piping"
)

func ExampleCompile() {
	tmpl := map[string]any{
		"to":   "$Input{email}",
		"body": "Hello $Input{name}, your code is $Substring($Input{code}, 0, 3).",
		"tags": "$Split('a,b', ',')",
	}
	tpl, err := piping.Compile(tmpl, piping.Options{Path: "input"})
	if err != nil {
		panic(err)
	}
	out, err := tpl.Eval(&piping.Env{
		Input: map[string]any{"email": "ada@example.com", "name": "Ada", "code": "123456"},
		Now:   time.Date(2024, 2, 9, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	// Output:
	// {"body":"Hello Ada, your code is 123.","tags":["a","b"],"to":"ada@example.com"}
}

func ExampleCompile_errors() {
	_, err := piping.Compile(map[string]any{
		"a": "$Trim()",
		"b": "$Input{x",
	}, piping.Options{Path: "input"})
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *piping.CompileError
		if errors.As(e, &ce) {
			fmt.Println(ce.Path, ce.Column, ce.Msg)
		}
	}
	// Output:
	// input.a 1 $Trim takes 1 argument, got 0
	// input.b 7 unclosed { (missing })
}

func ExampleTemplate_Eval_missing() {
	tpl, _ := piping.CompileString("Hi $Input{name}", piping.Options{Path: "input.title"})
	_, err := tpl.Eval(&piping.Env{Input: map[string]any{}})
	fmt.Println(err)
	fmt.Println(errors.Is(err, piping.ErrMissing))
	// Output:
	// input.title: $Input{name}: no field "name" in the input
	// true
}

func ExampleCompileString() {
	tpl, _ := piping.CompileString("$DateAdd($Input{date}, 1, days)", piping.Options{})
	out, _ := tpl.Eval(&piping.Env{Input: map[string]any{"date": "2024-02-28"}})
	fmt.Println(out)
	// Output: 2024-02-29T00:00:00Z
}
