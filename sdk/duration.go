package sdk

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration written in configuration and input as a Go
// duration string such as "10s" or "1m30s". Use it for the durations of a
// plugin's configuration: DecodeStrict then names the key of a bad value
// ("smtp.timeout: want a duration string such as \"10s\", got 10").
// Convert with time.Duration(d).
type Duration time.Duration

// UnmarshalJSON accepts a non-negative Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"10s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration string such as \"10s\": %w", err)
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string ("1m30s").
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// String returns the duration as time.Duration writes it.
func (d Duration) String() string { return time.Duration(d).String() }
