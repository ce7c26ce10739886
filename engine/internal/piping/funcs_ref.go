package piping

import (
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fnRef implements references: _ref(src, root, rootValue, segments...).
// A segment is a string key or an int index.
func fnRef(p ...any) (any, error) {
	ref, root := p[0].(string), p[1].(string)
	return walkRef(ref, root, p[2], p[3:])
}

// walkRef follows segs from cur. Anything absent or null is ErrMissing.
func walkRef(ref, root string, cur any, segs []any) (any, error) {
	if isNil(cur) {
		return nil, fail(ref, ErrMissing, rootMissing(root))
	}
	for i, s := range segs {
		var next any
		var found bool
		switch s := s.(type) {
		case string:
			v, ok, isObj := field(cur, s)
			if !isObj {
				if idx, err := strconv.Atoi(s); err == nil && idx >= 0 && isList(cur) {
					return walkIndex(ref, root, cur, segs, i, idx)
				}
				return nil, fail(ref, ErrType, refPrefix(root, segs[:i])+" is "+typeName(cur)+", not an object")
			}
			next, found = v, ok
		case int:
			return walkIndex(ref, root, cur, segs, i, s)
		}
		if !found {
			return nil, fail(ref, ErrMissing, segMissing(root, segs, i))
		}
		if isNil(next) {
			return nil, fail(ref, ErrMissing, segNull(root, segs, i))
		}
		cur = next
	}
	return cur, nil
}

// walkIndex applies the index segment segs[i] = idx and goes on.
func walkIndex(ref, root string, cur any, segs []any, i, idx int) (any, error) {
	v, n, isL := index(cur, idx)
	switch {
	case !isL:
		return nil, fail(ref, ErrType, refPrefix(root, segs[:i])+" is "+typeName(cur)+", not a list")
	case idx >= n:
		return nil, fail(ref, ErrMissing, "index "+strconv.Itoa(idx)+" is out of range: "+refPrefix(root, segs[:i])+" has "+plural(n, "item"))
	case isNil(v):
		return nil, fail(ref, ErrMissing, "item "+strconv.Itoa(idx)+" of "+refPrefix(root, segs[:i])+" is null")
	}
	return walkRef(ref, root, v, segs[i+1:])
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// rootMissing says that a whole root is absent.
func rootMissing(root string) string {
	switch root {
	case "Input":
		return "there is no input"
	case "Sequence":
		return "there are no sequence outputs"
	case "Variable":
		return "there are no variables"
	case "Constant":
		return "there are no constants"
	}
	return "there are no credentials"
}

// segMissing says that segment i of a reference is absent.
func segMissing(root string, segs []any, i int) string {
	key := quote(render(segs[i]))
	switch {
	case root == "Sequence" && i == 0:
		return "no output for sequence " + key
	case root == "Sequence" && i == 1:
		return "no output for event " + key + " in sequence " + quote(render(segs[0]))
	case (root == "Variable" || root == "Constant") && i == 0:
		return "no " + strings.ToLower(root) + "s for app " + key
	case (root == "Variable" || root == "Constant") && i == 1:
		return "no " + strings.ToLower(root) + " " + key + " for app " + quote(render(segs[0]))
	case root == "Auth" && i == 0:
		return "no credentials " + key
	case root == "Input" && i == 0:
		return "no field " + key + " in the input"
	}
	return "no field " + key + " in " + refPrefix(root, segs[:i])
}

// segNull says that segment i of a reference holds null.
func segNull(root string, segs []any, i int) string {
	if root == "Input" && i == 0 {
		return "field " + quote(render(segs[i])) + " is null in the input"
	}
	return "field " + quote(render(segs[i])) + " is null in " + refPrefix(root, segs[:i])
}

// refPrefix rebuilds "$Root{a}{[0]}" from a prefix of the segments.
func refPrefix(root string, segs []any) string {
	if root == "Input" && len(segs) == 0 {
		return "the input"
	}
	var b strings.Builder
	b.WriteString("$" + root)
	for _, s := range segs {
		if i, ok := s.(int); ok {
			b.WriteString("{[" + strconv.Itoa(i) + "]}")
		} else {
			b.WriteString("{" + render(s) + "}")
		}
	}
	return b.String()
}

// isNil reports whether v is nil or a nil map, slice, pointer or func.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch v := v.(type) {
	case map[string]any:
		return v == nil
	case map[string]map[string]any:
		return v == nil
	case []any:
		return v == nil
	case string, bool, int64, float64, int:
		return false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// field looks key up in an object; isObj is false when v is no object.
func field(v any, key string) (val any, ok, isObj bool) {
	switch m := v.(type) {
	case map[string]any:
		val, ok = m[key]
		return val, ok, true
	case map[string]map[string]any:
		x, ok := m[key]
		if !ok {
			return nil, false, true
		}
		return x, true, true
	case map[string]string:
		x, ok := m[key]
		return x, ok, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false, false
	}
	x := rv.MapIndex(reflect.ValueOf(key).Convert(rv.Type().Key()))
	if !x.IsValid() {
		return nil, false, true
	}
	return x.Interface(), true, true
}

// isList reports whether v is a list.
func isList(v any) bool {
	_, _, ok := index(v, -1)
	return ok
}

// index returns element i of a list and its length; isList is false when v
// is no list. An out-of-range i returns a nil element.
func index(v any, i int) (elem any, n int, isList bool) {
	switch l := v.(type) {
	case []any:
		if i >= 0 && i < len(l) {
			elem = l[i]
		}
		return elem, len(l), true
	case []map[string]any:
		if i >= 0 && i < len(l) {
			elem = l[i]
		}
		return elem, len(l), true
	case []string:
		if i >= 0 && i < len(l) {
			elem = l[i]
		}
		return elem, len(l), true
	case string, map[string]any, nil:
		return nil, 0, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, 0, false
	}
	if i >= 0 && i < rv.Len() {
		elem = rv.Index(i).Interface()
	}
	return elem, rv.Len(), true
}

// fnSecret implements $Secret{key}: _secret(src, getter, key).
func fnSecret(p ...any) (any, error) {
	get, _ := p[1].(func(string) (string, error))
	key, _ := p[2].(string)
	if get == nil {
		return nil, &fnError{ref: p[0].(string), err: &reason{msg: "secrets are not available here", kind: ErrSecret}}
	}
	s, err := get(key)
	if err != nil {
		return nil, &fnError{ref: p[0].(string), err: err}
	}
	return s, nil
}

// fnAuth implements $Auth{tag}{path...}: _auth(src, redact, auth, segs...).
func fnAuth(p ...any) (any, error) {
	if redact, _ := p[1].(bool); redact {
		return RedactedSecret, nil
	}
	return walkRef(p[0].(string), "Auth", p[2], p[3:])
}

// fnCat concatenates rendered parts: mixed text.
func fnCat(p ...any) (any, error) {
	var b strings.Builder
	for _, v := range p {
		b.WriteString(render(v))
	}
	return b.String(), nil
}

// fnExpr checks a ${ ... } result: _expr(src, value). A null result is
// ErrMissing, like a reference that resolves to nothing.
func fnExpr(p ...any) (any, error) {
	if isNil(p[1]) {
		return nil, fail(p[0].(string), ErrMissing, "the expression gave null")
	}
	return p[1], nil
}

// fnSize implements $Size: the number of keys of an object (or items of a
// list).
func fnSize(p ...any) (any, error) {
	v := p[1]
	if _, _, isObj := field(v, ""); isObj {
		return int64(reflect.ValueOf(v).Len()), nil
	}
	if _, n, ok := index(v, -1); ok {
		return int64(n), nil
	}
	return nil, fail(p[0].(string), ErrType, describe(v)+" is "+typeName(v)+", not an object or a list")
}

// fnLength implements $Length: the number of items of a list or characters
// of a string.
func fnLength(p ...any) (any, error) {
	v := p[1]
	if s, ok := v.(string); ok {
		return int64(utf8.RuneCountInString(s)), nil
	}
	if _, n, ok := index(v, -1); ok {
		return int64(n), nil
	}
	return nil, fail(p[0].(string), ErrType, describe(v)+" is "+typeName(v)+", not a list or a string")
}
