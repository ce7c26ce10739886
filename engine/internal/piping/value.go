package piping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// quote renders s as a Go-quoted string for messages.
func quote(s string) string { return strconv.Quote(s) }

// number is a numeric value that remembers whether it is an integer.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func (n number) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

// value returns n as int64 when integral and in range, else float64.
func (n number) value() any {
	if n.isInt {
		return n.i
	}
	return floatValue(n.f)
}

// floatValue returns f as int64 when it is integral and exactly
// representable, else f. Integral floats come from JSON, where every number
// is a float64.
func floatValue(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return int64(f)
	}
	return f
}

// toNumber converts numbers and digit strings ("12", "-3.5") to a number.
func toNumber(v any) (number, bool) {
	switch v := v.(type) {
	case int:
		return number{i: int64(v), isInt: true}, true
	case int64:
		return number{i: v, isInt: true}, true
	case int32:
		return number{i: int64(v), isInt: true}, true
	case float64:
		return floatNumber(v)
	case float32:
		return floatNumber(float64(v))
	case json.Number:
		return stringNumber(string(v))
	case string:
		return stringNumber(strings.TrimSpace(v))
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return number{i: rv.Int(), isInt: true}, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return number{f: float64(u)}, true
		}
		return number{i: int64(u), isInt: true}, true
	}
	return number{}, false
}

func floatNumber(f float64) (number, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return number{f: f}, true
	}
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return number{i: int64(f), isInt: true}, true
	}
	return number{f: f}, true
}

func stringNumber(s string) (number, bool) {
	if !numberRE.MatchString(s) {
		return number{}, false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{i: i, isInt: true}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return number{}, false
	}
	return floatNumber(f)
}

// isNumeric reports whether v is a Go number type (not a digit string).
func isNumeric(v any) bool {
	switch v.(type) {
	case string, json.Number:
		return false
	}
	_, ok := toNumber(v)
	return ok
}

// render turns a value into text for interpolation: strings as they are,
// integral numbers without ".0", null as "null", objects and lists as
// compact JSON, times as RFC 3339.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatFloat(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return v.String()
	}
	if n, ok := toNumber(v); ok {
		if n.isInt {
			return strconv.FormatInt(n.i, 10)
		}
		return formatFloat(n.f)
	}
	if b, err := marshalJSON(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

// formatFloat renders f the way JavaScript does for ordinary magnitudes:
// 5 not 5.0, 0.1 not 1e-01.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a == 0 || a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// marshalJSON is json.Marshal without HTML escaping and trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// typeName describes v's type for messages: "a string", "an object", ...
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	if isNumeric(v) {
		return "a number"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return fmt.Sprintf("a %T", v)
}

// describe renders v briefly for messages: strings quoted, others as text,
// cut to 40 characters.
func describe(v any) string {
	s := render(v)
	if _, ok := v.(string); ok {
		s = strconv.Quote(s)
	}
	if r := []rune(s); len(r) > 40 {
		s = string(r[:37]) + "..."
	}
	return s
}
