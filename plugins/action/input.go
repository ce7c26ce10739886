package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/jobd-dev/jobd/sdk"
)

// Input is an action job's input. Every field is optional.
type Input struct {
	// Query is added to the URL's query: each value a string, number,
	// boolean or a list of them.
	Query map[string]any `json:"query"`
	// Params fill the action path's ":name" segments (path-escaped): each
	// value a non-empty string or a number.
	Params map[string]any `json:"params"`
	// Body is the request body: any JSON value for body_format "json", an
	// object of scalars (or lists of them) for "form".
	Body json.RawMessage `json:"body"`
	// Headers are request headers, over the app's and the action's.
	Headers map[string]any `json:"headers"`
	// Action, "app_tag:action_tag", runs that action instead of the job's
	// event.
	Action string `json:"action"`
}

// parseInput decodes a job's input strictly. null is an empty input. Every
// error is permanent: the same input fails the same way next time.
func parseInput(raw json.RawMessage) (Input, error) {
	var in Input
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return in, nil
	}
	if err := sdk.DecodeStrict("input", raw, &in); err != nil {
		return in, sdk.Permanent(err)
	}
	return in, nil
}

// hasBody reports whether the input gives a body (null is none).
func (in Input) hasBody() bool {
	b := bytes.TrimSpace(in.Body)
	return len(b) > 0 && !bytes.Equal(b, []byte("null"))
}

// fillPath replaces the ":name" segments of path (an escaped path) with the
// params, path-escaped. A param the path needs but the input lacks, or one
// the path has no segment for, is an error naming it.
func fillPath(path string, params map[string]any) (string, error) {
	used := map[string]bool{}
	var errs []error
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		name, rest, ok := pathParam(seg)
		if !ok {
			continue
		}
		used[name] = true
		v, ok := params[name]
		if !ok || v == nil {
			errs = append(errs, fmt.Errorf("params.%s: %w: required by the path %s", name, ErrMissingParam, path))
			continue
		}
		s, ok := scalarString(v)
		if !ok || s == "" {
			errs = append(errs, fmt.Errorf("params.%s: want a non-empty string or number, got %s", name, sdk.JSONKind(v)))
			continue
		}
		segs[i] = url.PathEscape(s) + rest
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if !used[k] {
			errs = append(errs, fmt.Errorf("params.%s: the path %s has no :%s segment", k, path, k))
		}
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return strings.Join(segs, "/"), nil
}

// pathParam splits a path segment ":name.json" into "name" and ".json".
func pathParam(seg string) (name, rest string, ok bool) {
	if !strings.HasPrefix(seg, ":") {
		return "", "", false
	}
	name = seg[1:]
	if end := strings.IndexFunc(name, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_'
	}); end >= 0 {
		name, rest = name[:end], name[end:]
	}
	return name, rest, name != ""
}

// addQuery adds the input's query to q, keys in order.
func addQuery(q url.Values, query map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(query)) {
		vals, ok := scalarList(query[k])
		if !ok {
			return fmt.Errorf("query.%s: want a string, number, boolean or a list of them, got %s", k, sdk.JSONKind(query[k]))
		}
		for _, v := range vals {
			q.Add(k, v)
		}
	}
	return nil
}

// formBody encodes an object body as an HTML form, keys in order.
func formBody(raw json.RawMessage) (string, error) {
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || obj == nil {
		var v any
		_ = json.Unmarshal(raw, &v)
		return "", fmt.Errorf("body: want an object for body_format %q, got %s", FormatForm, sdk.JSONKind(v))
	}
	form := url.Values{}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if obj[k] == nil {
			continue
		}
		vals, ok := scalarList(obj[k])
		if !ok {
			return "", fmt.Errorf("body.%s: want a string, number, boolean or a list of them for body_format %q, got %s", k, FormatForm, sdk.JSONKind(obj[k]))
		}
		for _, v := range vals {
			form.Add(k, v)
		}
	}
	return form.Encode(), nil
}

// scalarList turns a scalar or a list of scalars into text.
func scalarList(v any) ([]string, bool) {
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, item := range list {
			s, ok := scalarString(item)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	s, ok := scalarString(v)
	return []string{s}, ok
}

// scalarString turns a string, number or boolean into text.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return fmt.Sprint(x), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
