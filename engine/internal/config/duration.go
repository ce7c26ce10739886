package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as a duration string ("90s", "24h")
// or as a number of milliseconds, as docs/job-events.md allows.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ParseDuration parses a duration string or a count of milliseconds.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(ms) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write \"90s\", \"15m\", \"24h\" or milliseconds)", s)
	}
	return d, nil
}

// durationHook decodes Duration from strings and numbers.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeOf(Duration(0)) {
		return data, nil
	}
	switch v := data.(type) {
	case string:
		d, err := ParseDuration(v)
		return Duration(d), err
	case int:
		return Duration(time.Duration(v) * time.Millisecond), nil
	case int64:
		return Duration(time.Duration(v) * time.Millisecond), nil
	case float64:
		return Duration(time.Duration(v * float64(time.Millisecond))), nil
	}
	return data, nil
}
