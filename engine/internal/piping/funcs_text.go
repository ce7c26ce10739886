package piping

import (
	"fmt"
	"strings"
)

// fnConcat implements $Concat(list, sep): the items as text joined by sep
// (default "").
func fnConcat(p ...any) (any, error) {
	ref := p[0].(string)
	l, err := listArg(ref, p, 1)
	if err != nil {
		return nil, err
	}
	sep := ""
	if len(p) > 2 {
		if sep, err = textArg(ref, p, 2); err != nil {
			return nil, err
		}
	}
	return joinText(l, sep), nil
}

func joinText(l []any, sep string) string {
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = render(v)
	}
	return strings.Join(parts, sep)
}

// fnSubstring implements $Substring(s, start[, end]) over characters.
// Negative start or end count from the end; both are clamped to the string,
// and end <= start gives "".
func fnSubstring(p ...any) (any, error) {
	ref := p[0].(string)
	s, err := textArg(ref, p, 1)
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	start, err := intArg(ref, p, 2)
	if err != nil {
		return nil, err
	}
	end := len(r)
	if len(p) > 3 {
		if end, err = intArg(ref, p, 3); err != nil {
			return nil, err
		}
	}
	start, end = clampIndex(start, len(r)), clampIndex(end, len(r))
	if end <= start {
		return "", nil
	}
	return string(r[start:end]), nil
}

// clampIndex resolves a possibly negative index against length n.
func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	return min(max(i, 0), n)
}

// fnTrim implements $Trim(s): leading and trailing white space removed.
func fnTrim(p ...any) (any, error) { return textFunc(p, strings.TrimSpace) }

// fnUppercase implements $Uppercase(s).
func fnUppercase(p ...any) (any, error) { return textFunc(p, strings.ToUpper) }

// fnLowercase implements $Lowercase(s).
func fnLowercase(p ...any) (any, error) { return textFunc(p, strings.ToLower) }

func textFunc(p []any, f func(string) string) (any, error) {
	s, err := textArg(p[0].(string), p, 1)
	if err != nil {
		return nil, err
	}
	return f(s), nil
}

// fnSplit implements $Split(s, sep): a list of strings. An empty sep splits
// into characters.
func fnSplit(p ...any) (any, error) {
	ref := p[0].(string)
	s, err := textArg(ref, p, 1)
	if err != nil {
		return nil, err
	}
	sep, err := textArg(ref, p, 2)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(s, sep)
	out := make([]any, len(parts))
	for i, x := range parts {
		out[i] = x
	}
	return out, nil
}

// fnPick implements $Pick(s_or_list, i): the i-th character of a string or
// element of a list, from 0; a negative i counts from the end.
func fnPick(p ...any) (any, error) {
	ref := p[0].(string)
	i, err := intArg(ref, p, 2)
	if err != nil {
		return nil, err
	}
	if l, ok := asList(p[1]); ok {
		j := i
		if j < 0 {
			j += len(l)
		}
		if j < 0 || j >= len(l) {
			return nil, fail(ref, ErrRange, fmt.Sprintf("index %d is out of range for a list of %s", i, plural(len(l), "item")))
		}
		if isNil(l[j]) {
			return nil, fail(ref, ErrMissing, fmt.Sprintf("item %d is null", i))
		}
		return l[j], nil
	}
	s, err := textArg(ref, p, 1)
	if err != nil {
		return nil, fail(ref, ErrType, "the first argument must be text or a list, got "+typeName(p[1]))
	}
	r := []rune(s)
	j := i
	if j < 0 {
		j += len(r)
	}
	if j < 0 || j >= len(r) {
		return nil, fail(ref, ErrRange, fmt.Sprintf("index %d is out of range for %s of %s", i, describe(s), plural(len(r), "character")))
	}
	return string(r[j]), nil
}

// fnJoin implements $Join. With a list and a text separator it joins the
// items as text; otherwise it merges lists: $Join([l1, l2]) and
// $Join(l1, l2, ...) give one list (non-list items are kept as items).
func fnJoin(p ...any) (any, error) {
	ref := p[0].(string)
	if len(p) == 3 {
		if sep, ok := p[2].(string); ok {
			l, err := listArg(ref, p, 1)
			if err != nil {
				return nil, err
			}
			return joinText(l, sep), nil
		}
	}
	var lists []any
	if len(p) == 2 {
		l, err := listArg(ref, p, 1)
		if err != nil {
			return nil, err
		}
		lists = l
	} else {
		for i := 1; i < len(p); i++ {
			if _, err := listArg(ref, p, i); err != nil {
				return nil, err
			}
		}
		lists = p[1:]
	}
	out := []any{}
	for _, x := range lists {
		if l, ok := asList(x); ok {
			out = append(out, l...)
		} else {
			out = append(out, x)
		}
	}
	return out, nil
}

// fnReplace implements $Replace(s, search, replacement): every occurrence
// replaced. An empty search leaves s unchanged.
func fnReplace(p ...any) (any, error) {
	ref := p[0].(string)
	var a [3]string
	for i := range a {
		s, err := textArg(ref, p, i+1)
		if err != nil {
			return nil, err
		}
		a[i] = s
	}
	if a[1] == "" {
		return a[0], nil
	}
	return strings.ReplaceAll(a[0], a[1], a[2]), nil
}
