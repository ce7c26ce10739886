package piping

import (
	"fmt"
	"math"
	"reflect"
)

// ordinal names argument i (0-based) in messages.
func ordinal(i int) string {
	switch i {
	case 0:
		return "first"
	case 1:
		return "second"
	case 2:
		return "third"
	case 3:
		return "fourth"
	}
	return fmt.Sprintf("argument %d", i+1)
}

// textArg returns argument i as text: strings as they are, numbers and
// booleans rendered. Objects, lists and null are ErrType.
func textArg(ref string, p []any, i int) (string, error) {
	switch v := p[i].(type) {
	case string:
		return v, nil
	case bool:
		return render(v), nil
	}
	if isNumeric(p[i]) {
		return render(p[i]), nil
	}
	return "", fail(ref, ErrType, fmt.Sprintf("the %s argument must be text, got %s", ordinal(i-1), typeName(p[i])))
}

// intArg returns argument i as an int: a number or digit string with no
// fractional part.
func intArg(ref string, p []any, i int) (int, error) {
	n, ok := toNumber(p[i])
	if !ok {
		return 0, fail(ref, ErrType, fmt.Sprintf("%s is not a number", describe(p[i])))
	}
	if !n.isInt {
		return 0, fail(ref, ErrType, fmt.Sprintf("%s is not a whole number", describe(p[i])))
	}
	if n.i > math.MaxInt32 || n.i < math.MinInt32 {
		return 0, fail(ref, ErrRange, fmt.Sprintf("%d is out of range", n.i))
	}
	return int(n.i), nil
}

// asList returns v as []any when it is a list.
func asList(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case string, map[string]any, nil:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// listArg returns argument i as a list, or ErrType.
func listArg(ref string, p []any, i int) ([]any, error) {
	l, ok := asList(p[i])
	if !ok {
		return nil, fail(ref, ErrType, fmt.Sprintf("the %s argument must be a list, got %s", ordinal(i-1), typeName(p[i])))
	}
	return l, nil
}
