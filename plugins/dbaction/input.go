package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jobd-dev/jobd/sdk"
)

// ErrBadInput is wrapped by every error about the job's input: unknown
// keys, an unknown action, a missing or invalid placeholder value. It is
// always permanent.
var ErrBadInput = errors.New("invalid input")

// Input is a db_action job's input.
type Input struct {
	// Action overrides the job's event tag: "database_tag:action_tag".
	Action string `json:"action"`
	// Data holds values for the statement's placeholders.
	Data map[string]any `json:"data"`
	// Filter holds more values for the placeholders (by convention those of
	// a WHERE clause).
	Filter map[string]any `json:"filter"`
}

// parseInput decodes a job's input. Numbers stay exact (json.Number);
// unknown keys are refused.
func parseInput(raw json.RawMessage) (*Input, error) {
	in := &Input{}
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return nil, sdk.Permanent(fmt.Errorf("%w: %v (want {\"data\": {...}, \"filter\": {...}}, with an optional \"action\")", ErrBadInput, err))
	}
	return in, nil
}

// jobValues are the job fields placeholders can name.
type jobValues struct {
	idempotencyKey, runID, jobID string
}

// lookup finds p's raw value in the input.
func (in *Input) lookup(p param, jv jobValues) (any, bool) {
	switch p.scope {
	case "job":
		switch p.name {
		case NameIdempotencyKey:
			return jv.idempotencyKey, true
		case NameRunID:
			return jv.runID, true
		}
		return jv.jobID, true
	case "data":
		return walk(in.Data, p.path)
	case "filter":
		return walk(in.Filter, p.path)
	}
	if v, ok := walk(in.Data, p.path); ok {
		return v, true
	}
	return walk(in.Filter, p.path)
}

// walk follows path through objects (and lists, by index).
func walk(v any, path []string) (any, bool) {
	for _, seg := range path {
		switch t := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = t[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// bindArgs resolves and checks the value of every placeholder of st, in
// marker order. A missing or invalid value is a permanent error naming it.
func bindArgs(st *statement, in *Input, jv jobValues) ([]any, error) {
	args := make([]any, len(st.params))
	var errs []error
	for i, p := range st.params {
		raw, ok := in.lookup(p, jv)
		if !ok {
			where := "data or filter"
			if p.scope != "" {
				where = p.scope
			}
			errs = append(errs, fmt.Errorf("%w: missing value for {{%s}}: no %q in %s", ErrBadInput, p.spec, strings.Join(p.path, "."), where))
			continue
		}
		v, err := convert(p, raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: field %s ({{%s}}): %v", ErrBadInput, p.name, p.spec, err))
			continue
		}
		args[i] = v
	}
	if len(errs) > 0 {
		return nil, sdk.Permanent(errors.Join(dedupe(errs)...))
	}
	return args, nil
}

// dedupe drops repeated messages (a name used twice fails twice).
func dedupe(errs []error) []error {
	seen := map[string]bool{}
	out := errs[:0]
	for _, e := range errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// convert checks raw against p's type and bounds and returns the value to
// bind: string, int64, float64, bool or nil. Objects and lists are bound
// as their JSON text.
func convert(p param, raw any) (any, error) {
	if p.typ == "" {
		switch v := raw.(type) {
		case json.Number:
			if i, err := v.Int64(); err == nil {
				return i, nil
			}
			return v.Float64()
		case map[string]any, []any:
			b, err := json.Marshal(v)
			return string(b), err
		}
		return raw, nil // string, bool or nil
	}
	if raw == nil && p.typ != TypeJSON {
		return nil, fmt.Errorf("want %s, got null", article(p.typ))
	}
	switch p.typ {
	case TypeInt, TypeNumber:
		s, ok := numberText(raw)
		if !ok {
			return nil, fmt.Errorf("want %s, got %s", article(p.typ), describe(raw))
		}
		if p.typ == TypeInt {
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("want a whole number, got %s", describe(raw))
			}
			return i, bounds(float64(i), p, "")
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("want a number, got %s", describe(raw))
		}
		return f, bounds(f, p, "")
	case TypeBool:
		switch v := raw.(type) {
		case bool:
			return v, nil
		case string:
			if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
				return b, nil
			}
		}
		return nil, fmt.Errorf("want true or false, got %s", describe(raw))
	case TypeJSON:
		b, err := json.Marshal(raw)
		return string(b), err
	}
	s, ok := raw.(string)
	if !ok {
		return nil, fmt.Errorf("want %s, got %s", article(p.typ), describe(raw))
	}
	switch p.typ {
	case TypeEmail:
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s {
			return nil, fmt.Errorf("want an email address such as ada@example.com, got %q", s)
		}
	case TypeUUID:
		if !uuidPattern.MatchString(s) {
			return nil, fmt.Errorf("want a UUID such as 123e4567-e89b-12d3-a456-426614174000, got %q", s)
		}
	case TypeDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				return nil, fmt.Errorf("want a date (YYYY-MM-DD or RFC 3339), got %q", s)
			}
		}
	case TypeDateTime:
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, fmt.Errorf("want an RFC 3339 date-time such as 2025-03-14T09:30:00Z, got %q", s)
		}
	}
	return s, bounds(float64(utf8.RuneCountInString(s)), p, "length ")
}

// bounds checks v against p's min and max.
func bounds(v float64, p param, what string) error {
	if p.min != nil && v < *p.min {
		return fmt.Errorf("%s%v is below the minimum %v", what, v, *p.min)
	}
	if p.max != nil && v > *p.max {
		return fmt.Errorf("%s%v is above the maximum %v", what, v, *p.max)
	}
	return nil
}

// numberText returns the text of a JSON number, or of a string holding one.
func numberText(raw any) (string, bool) {
	switch v := raw.(type) {
	case json.Number:
		return v.String(), true
	case string:
		s := strings.TrimSpace(v)
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s, true
		}
	}
	return "", false
}

// describe names a JSON value for an error message, without echoing long
// strings.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if r := []rune(t); len(r) > 40 {
			return fmt.Sprintf("a string (%q...)", string(r[:40]))
		}
		return fmt.Sprintf("%q", t)
	case json.Number:
		return "the number " + t.String()
	case bool:
		return strconv.FormatBool(t)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

func article(typ string) string {
	switch typ {
	case TypeInt:
		return "a whole number"
	case TypeEmail:
		return "an email address"
	case TypeUUID:
		return "a UUID"
	case TypeString:
		return "a string"
	case TypeDate, TypeDateTime:
		return "a " + typ + " string"
	}
	return "a " + typ
}
