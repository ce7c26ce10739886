package schedule

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseTime is ParseTimeIn with UTC for times written without an offset.
func ParseTime(v any) (time.Time, error) {
	return ParseTimeIn(v, time.UTC)
}

// ParseTimeIn converts a decoded start_at or end_date value, or a piped value
// resolved at run time, to a time. It accepts:
//   - nil, 0, "" and "0": the zero time ("now" for start_at, "none" for
//     end_date);
//   - a number, or a string of digits: Unix time in milliseconds;
//   - an RFC 3339 string ("2026-03-29T02:30:00+01:00");
//   - an ISO-8601 date and time without an offset ("2026-03-29T02:30:00",
//     also with a space for the T, or without seconds), read in loc;
//   - an ISO-8601 date ("2026-03-29"), midnight at its start in loc;
//   - a time.Time (TOML offset datetime), as it is;
//   - a fmt.Stringer (TOML local datetime or local date), by its string.
//
// Errors wrap ErrInvalidTime.
func ParseTimeIn(v any, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x, nil
	case string:
		return parseTimeString(x, loc)
	case fmt.Stringer:
		return parseTimeString(x.String(), loc)
	}
	ms, ok, err := millis(v)
	switch {
	case !ok:
		return time.Time{}, problemf(ErrInvalidTime, "want Unix milliseconds or an RFC 3339 string, got %T", v)
	case err != nil:
		return time.Time{}, problemf(ErrInvalidTime, "%v", err)
	case ms == 0:
		return time.Time{}, nil
	}
	return time.UnixMilli(ms).UTC(), nil
}

// localLayouts are the accepted forms without an offset, read in a location.
var localLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	time.DateOnly,
}

func parseTimeString(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if isDigits(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, problemf(ErrInvalidTime, "%q: %v", s, err)
		}
		if ms == 0 {
			return time.Time{}, nil
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999Z07:00", s); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, problemf(ErrInvalidTime,
		"%q is not Unix milliseconds, an RFC 3339 time or a YYYY-MM-DD date", s)
}

// parseDuration converts a decoded every or delay value: nil, "", 0 and "0"
// are 0; a number or a string of digits is milliseconds; another string is a
// Go duration ("24h", "90s", "1h30m"); a time.Duration is taken as it is.
// Negative values are errors. Errors wrap ErrInvalidDuration.
func parseDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case time.Duration:
		if x < 0 {
			return 0, problemf(ErrInvalidDuration, "%v is negative", x)
		}
		return x, nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, nil
		}
		if !isDigits(s) {
			d, err := time.ParseDuration(s)
			if err != nil {
				return 0, problemf(ErrInvalidDuration, "%q is not milliseconds or a duration such as \"90s\" or \"24h\"", s)
			}
			if d < 0 {
				return 0, problemf(ErrInvalidDuration, "%q is negative", s)
			}
			return d, nil
		}
		v = json.Number(s)
	}
	ms, ok, err := millis(v)
	switch {
	case !ok:
		return 0, problemf(ErrInvalidDuration, "want milliseconds or a duration string, got %T", v)
	case err != nil:
		return 0, problemf(ErrInvalidDuration, "%v", err)
	case ms > math.MaxInt64/int64(time.Millisecond):
		return 0, problemf(ErrInvalidDuration, "%d ms is too long", ms)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// millis reads a decoded number as whole milliseconds (fractions are
// rounded). ok is false when v is not a number; negative numbers are errors.
func millis(v any) (ms int64, ok bool, err error) {
	var f float64
	switch x := v.(type) {
	case int:
		ms = int64(x)
	case int32:
		ms = int64(x)
	case int64:
		ms = x
	case uint32:
		ms = int64(x)
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, true, fmt.Errorf("%d is too large", x)
		}
		ms = int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return 0, true, fmt.Errorf("%d is too large", x)
		}
		ms = int64(x)
	case float32:
		f = float64(x)
		ms, err = roundMillis(f)
	case float64:
		ms, err = roundMillis(x)
	case json.Number:
		if ms, err = x.Int64(); err != nil {
			if f, err = x.Float64(); err != nil {
				return 0, true, fmt.Errorf("%q is not a number", x.String())
			}
			ms, err = roundMillis(f)
		}
	default:
		return 0, false, nil
	}
	if err == nil && ms < 0 {
		err = fmt.Errorf("%d is negative", ms)
	}
	return ms, true, err
}

func roundMillis(f float64) (int64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return 0, fmt.Errorf("%v is not a usable number", f)
	}
	return int64(math.Round(f)), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
