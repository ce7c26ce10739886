package piping

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
)

// Compile compiles every string in tmpl, a decoded TOML or JSON value
// (map[string]any, []any, []map[string]any, string, numbers, bool, nil), into
// a Template. It returns every problem found, as *CompileError values
// joined with errors.Join, so a config with three bad strings reports three
// errors.
func Compile(tmpl any, opts Options) (*Template, error) {
	c := &compiler{opts: opts.withDefaults()}
	root := c.value(tmpl, opts.Path, 0)
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return &Template{root: root, plan: plan(root), static: !c.dynamic, secrets: c.secrets, exprs: c.exprs}, nil
}

// CompileString compiles a single template string, such as a start_at
// value.
func CompileString(s string, opts Options) (*Template, error) {
	return Compile(s, opts)
}

// compiler walks a template value and compiles its strings.
type compiler struct {
	opts    Options
	errs    []error
	dynamic bool
	secrets bool
	exprs   bool
}

// maxValueDepth bounds the nesting of the template value itself.
const maxValueDepth = 1000

func (c *compiler) errorf(path string, format string, args ...any) {
	c.errs = append(c.errs, &CompileError{Path: path, Column: 1, Msg: fmt.Sprintf(format, args...)})
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// value compiles one template value.
func (c *compiler) value(v any, path string, depth int) *tnode {
	if depth > maxValueDepth {
		c.errorf(path, "template nested deeper than %d levels", maxValueDepth)
		return nil
	}
	switch v := v.(type) {
	case string:
		return c.str(v, path)
	case nil, bool, int64:
		return &tnode{kind: kindLit, lit: v}
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			c.errorf(path, "%v is not a JSON number", v)
			return nil
		}
		return &tnode{kind: kindLit, lit: floatValue(v)}
	case int:
		return &tnode{kind: kindLit, lit: int64(v)}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := &tnode{kind: kindMap, keys: keys, kids: make([]*tnode, len(keys))}
		for i, k := range keys {
			n.kids[i] = c.value(v[k], joinPath(path, k), depth+1)
		}
		return n
	case []any:
		n := &tnode{kind: kindList, kids: make([]*tnode, len(v))}
		for i, x := range v {
			n.kids[i] = c.value(x, path+"["+strconv.Itoa(i)+"]", depth+1)
		}
		return n
	}
	return c.reflectValue(v, path, depth)
}

// reflectValue handles other maps with string keys, slices and numbers
// (json.Number too: a template decoded with UseNumber keeps its numbers).
func (c *compiler) reflectValue(v any, path string, depth int) *tnode {
	_, isJSONNumber := v.(json.Number)
	if n, ok := toNumber(v); ok && (isNumeric(v) || isJSONNumber) {
		return c.value(n.value(), path, depth)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return c.str(rv.String(), path)
	case reflect.Bool:
		return &tnode{kind: kindLit, lit: rv.Bool()}
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			it := rv.MapRange()
			for it.Next() {
				m[it.Key().String()] = it.Value().Interface()
			}
			return c.value(m, path, depth)
		}
	case reflect.Slice, reflect.Array:
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = rv.Index(i).Interface()
		}
		return c.value(l, path, depth)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return &tnode{kind: kindLit}
		}
		return c.value(rv.Elem().Interface(), path, depth+1)
	}
	c.errorf(path, "unsupported value of type %T in template", v)
	return nil
}

// str compiles one template string.
func (c *compiler) str(s, path string) *tnode {
	if !strings.Contains(s, "$") {
		return &tnode{kind: kindLit, lit: s}
	}
	if len(s) > c.opts.MaxTemplateBytes {
		c.errorf(path, "template string is %d bytes, more than the limit of %d", len(s), c.opts.MaxTemplateBytes)
		return nil
	}
	if !utf8.ValidString(s) {
		c.errorf(path, "template string is not valid UTF-8")
		return nil
	}
	parts, flags, errs := parseTemplate(s, path, &c.opts)
	for _, e := range errs {
		c.errs = append(c.errs, e)
	}
	if len(errs) > 0 {
		return nil
	}
	if text, ok := onlyText(parts); ok {
		return &tnode{kind: kindLit, lit: text}
	}
	code, spans := generate(parts)
	opts := genOptions
	if flags.secrets {
		opts = taintCompileOptions(code)
	}
	prog, err := expr.Compile(code, opts...)
	if err != nil {
		c.errorf(path, "internal error compiling %q: %v", s, err)
		return nil
	}
	c.dynamic = true
	c.secrets = c.secrets || flags.secrets
	c.exprs = c.exprs || flags.exprs
	return &tnode{kind: kindProg, prog: &program{path: path, src: s, prog: prog, spans: spans, ref: newDirectRef(parts)}}
}

// onlyText returns the text of parts that hold no expression.
func onlyText(parts []node) (string, bool) {
	var b strings.Builder
	for _, p := range parts {
		t, ok := p.(*textNode)
		if !ok {
			return "", false
		}
		b.WriteString(t.text)
	}
	return b.String(), true
}
