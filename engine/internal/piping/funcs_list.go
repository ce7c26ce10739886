package piping

import (
	"fmt"
	"reflect"
)

// compareOps are the comparison operators of $Filter and $Find.
var compareOps = map[string]bool{">": true, "<": true, ">=": true, "<=": true, "==": true, "!=": true}

// fnFilter implements $Filter(list, op, value) and
// $Filter(list, field, op, value): the matching elements, as a list.
func fnFilter(p ...any) (any, error) {
	out := []any{}
	err := matches(p, func(v any) bool {
		out = append(out, v)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fnFind implements $Find(...) like $Filter but returns the first match.
// No match is ErrMissing.
func fnFind(p ...any) (any, error) {
	var found any
	ok := false
	err := matches(p, func(v any) bool {
		found, ok = v, true
		return false
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fail(p[0].(string), ErrMissing, "no element matches")
	}
	return found, nil
}

// matches calls yield for every matching element until yield returns false.
func matches(p []any, yield func(any) bool) error {
	ref := p[0].(string)
	l, err := listArg(ref, p, 1)
	if err != nil {
		return err
	}
	fieldName, opIdx := "", 2
	if len(p) == 5 {
		if fieldName, err = textArg(ref, p, 2); err != nil {
			return err
		}
		opIdx = 3
	}
	op, _ := p[opIdx].(string)
	if !compareOps[op] {
		return fail(ref, ErrType, fmt.Sprintf("%s is not a comparison; use one of > < >= <= == !=", describe(p[opIdx])))
	}
	want := p[opIdx+1]
	for _, el := range l {
		v := el
		if len(p) == 5 {
			x, ok, isObj := field(el, fieldName)
			if !ok || !isObj {
				continue
			}
			v = x
		}
		if compare(v, op, want) && !yield(el) {
			return nil
		}
	}
	return nil
}

// compare applies op to a and b. When either side is a number and the other
// is a number or digit string, the comparison is numeric; two strings
// compare as text; == and != compare any other values for equality;
// ordering other values is false.
func compare(a any, op string, b any) bool {
	if isNumeric(a) || isNumeric(b) {
		x, okx := toNumber(a)
		y, oky := toNumber(b)
		if okx && oky {
			return ordered(cmpNumber(x, y), op)
		}
	}
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
			c := 0
			switch {
			case x < y:
				c = -1
			case x > y:
				c = 1
			}
			return ordered(c, op)
		}
	}
	switch op {
	case "==":
		return equal(a, b)
	case "!=":
		return !equal(a, b)
	}
	return false
}

func cmpNumber(x, y number) int {
	if x.isInt && y.isInt {
		switch {
		case x.i < y.i:
			return -1
		case x.i > y.i:
			return 1
		}
		return 0
	}
	switch fx, fy := x.float(), y.float(); {
	case fx < fy:
		return -1
	case fx > fy:
		return 1
	}
	return 0
}

func ordered(c int, op string) bool {
	switch op {
	case ">":
		return c > 0
	case "<":
		return c < 0
	case ">=":
		return c >= 0
	case "<=":
		return c <= 0
	case "==":
		return c == 0
	}
	return c != 0
}

// equal compares two non-numeric values after normalization.
func equal(a, b any) bool {
	na, err1 := normalize(a)
	nb, err2 := normalize(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return reflect.DeepEqual(na, nb)
}
