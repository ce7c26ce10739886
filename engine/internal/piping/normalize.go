package piping

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"time"
)

// maxNormalizeDepth bounds the nesting of values copied out of Eval.
const maxNormalizeDepth = 1000

// normalize returns a fresh copy of v made of JSON types only:
// map[string]any, []any, string, bool, nil, int64 (integral numbers,
// including integral float64 from JSON) and float64. Times become RFC 3339
// strings. Anything else (functions, channels, NaN) is an error.
func normalize(v any) (any, error) { return normalizeDepth(v, 0) }

func normalizeDepth(v any, depth int) (any, error) {
	if depth > maxNormalizeDepth {
		return nil, fmt.Errorf("value nested deeper than %d levels", maxNormalizeDepth)
	}
	switch v := v.(type) {
	case nil, string, bool, int64:
		return v, nil
	case int:
		return int64(v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%v is not a JSON number", v)
		}
		return floatValue(v), nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			n, err := normalizeDepth(x, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			n, err := normalizeDepth(x, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano), nil
	case time.Duration:
		return v.String(), nil
	case json.Number:
		if n, ok := toNumber(v); ok {
			return normalizeDepth(n.value(), depth)
		}
		return string(v), nil
	case JobInfo:
		return map[string]any{"Event": v.Event, "Attempt": int64(v.Attempt), "Execution": int64(v.Execution)}, nil
	}
	if n, ok := toNumber(v); ok {
		return normalizeDepth(n.value(), depth)
	}
	return normalizeReflect(reflect.ValueOf(v), depth)
}

// normalizeReflect handles other maps with string keys, slices and arrays.
func normalizeReflect(rv reflect.Value, depth int) (any, error) {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return normalizeDepth(rv.Elem().Interface(), depth+1)
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Float32, reflect.Float64:
		return normalizeDepth(rv.Float(), depth)
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			n, err := normalizeDepth(it.Value().Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[it.Key().String()] = n
		}
		return out, nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return string(rv.Bytes()), nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			n, err := normalizeDepth(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	if !rv.IsValid() {
		return nil, nil
	}
	return nil, fmt.Errorf("a %s cannot be part of a result", rv.Type())
}
