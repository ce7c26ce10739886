package sdk

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// DecodeStrict decodes raw (a JSON object) into v, a pointer to a struct
// with json tags, and reports every problem at once, each named by its key
// path under prefix ("email.smtp.port: want int, got string"): unknown keys,
// values a field's own UnmarshalJSON refuses, and values of the wrong type.
// Plugins use it for their configuration (see ConfigureRequest.DecodeStrict)
// and for their input, so a typo is named instead of silently ignored.
func DecodeStrict(prefix string, raw json.RawMessage, v any) error {
	var tree any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return fmt.Errorf("%s: %w", orRoot(prefix), err)
	}
	if _, ok := tree.(map[string]any); !ok {
		return fmt.Errorf("%s: want an object, got %s", orRoot(prefix), JSONKind(tree))
	}
	if errs := checkTree(prefix, tree, reflect.TypeOf(v)); len(errs) > 0 {
		return errors.Join(errs...)
	}
	dec = json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: want %s, got %s", joinPath(prefix, te.Field), te.Type, te.Value)
		}
		return fmt.Errorf("%s: %w", orRoot(prefix), err)
	}
	return nil
}

// checkTree walks a decoded JSON value against the Go type it will decode
// into, reporting unknown keys and the errors of fields with their own
// UnmarshalJSON (which encoding/json reports without the key path).
func checkTree(path string, val any, t reflect.Type) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if val == nil {
		return nil
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		b, _ := json.Marshal(val)
		if err := json.Unmarshal(b, reflect.New(t).Interface()); err != nil {
			return []error{fmt.Errorf("%s: %w", orRoot(path), err)}
		}
		return nil
	}
	obj, ok := val.(map[string]any)
	if ok && t.Kind() == reflect.Map && t.Key().Kind() == reflect.String {
		var errs []error
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			errs = append(errs, checkTree(joinPath(path, k), obj[k], t.Elem())...)
		}
		return errs
	}
	if got := mismatch(val, t); got != "" {
		return []error{fmt.Errorf("%s: want %s, got %s", orRoot(path), t, got)}
	}
	if list, ok := val.([]any); ok && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		var errs []error
		for i, item := range list {
			errs = append(errs, checkTree(fmt.Sprintf("%s[%d]", orRoot(path), i), item, t.Elem())...)
		}
		return errs
	}
	if !ok || t.Kind() != reflect.Struct {
		return nil
	}
	type field struct {
		t      reflect.Type
		quoted bool // ",string": a number or bool written as a string
	}
	fields := map[string]field{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = field{t: f.Type, quoted: slices.Contains(strings.Split(opts, ","), "string")}
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		f, ok := fields[k]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: unknown key (known: %s)", joinPath(path, k), strings.Join(slices.Sorted(maps.Keys(fields)), ", ")))
		case f.quoted:
			// encoding/json reads the quoted value; the full decode reports it.
		default:
			errs = append(errs, checkTree(joinPath(path, k), obj[k], f.t)...)
		}
	}
	return errs
}

// mismatch returns how encoding/json names val ("string", "number 2.5")
// when it cannot decode into t, or "" when it can (or a field's own
// unmarshaler decides).
func mismatch(val any, t reflect.Type) string {
	if t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return ""
	}
	switch v := val.(type) {
	case string:
		if t.Kind() == reflect.String || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return ""
		}
		return "string"
	case json.Number:
		switch t.Kind() {
		case reflect.Float32, reflect.Float64:
			return ""
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if _, err := v.Int64(); err == nil {
				return ""
			}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if _, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
				return ""
			}
		default:
			return "number"
		}
		return "number " + v.String()
	case bool:
		if t.Kind() == reflect.Bool {
			return ""
		}
		return "bool"
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			return ""
		}
		return "array"
	case map[string]any:
		if t.Kind() == reflect.Struct || t.Kind() == reflect.Map {
			return ""
		}
		return "object"
	}
	return ""
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	if key == "" {
		return prefix
	}
	return prefix + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "config"
	}
	return path
}

// JSONKind names the JSON type of a decoded value for messages: "an
// object", "a list", "a string", "a number", "a boolean" or "null".
func JSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// DecodeStrict decodes the configuration into v like the package-level
// DecodeStrict, naming each problem by its key path in the plugin's
// [plugins.<kind>.config] block.
func (r *ConfigureRequest) DecodeStrict(v any) error {
	raw := r.Config
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	return DecodeStrict("", raw, v)
}
