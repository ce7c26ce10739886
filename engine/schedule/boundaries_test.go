package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The edges of each cron field and rule: the last month of the year, the
// last day of a month, the first and last allowed value of a number.
func TestCronBoundaries(t *testing.T) {
	tests := []struct {
		name, expr, from string
		want             []string
	}{
		{"december from november", "0 0 1 12 *", "2026-11-15T00:00", []string{"2026-12-01T00:00", "2027-12-01T00:00"}},
		{"year end", "0 0 * * *", "2026-12-30T12:00", []string{"2026-12-31T00:00", "2027-01-01T00:00"}},
		// 2026-03-31 is a Tuesday, the month's last day.
		{"weekday on the last day", "0 0 * * TUE", "2026-03-20T00:00", []string{"2026-03-24T00:00", "2026-03-31T00:00", "2026-04-07T00:00"}},
		// 2026-07-31 is a Friday: the last Friday, not the 24th.
		{"last friday on the last day", "0 0 * * 5L", "2026-07-01T00:00", []string{"2026-07-31T00:00", "2026-08-28T00:00"}},
		// 2026-07-24 is a Friday with 7 days left: not the last.
		{"last friday a week before the end", "0 0 * * 5L", "2026-07-23T00:00", []string{"2026-07-31T00:00"}},
		{"first friday", "0 0 * * FRI#1", "2026-01-01T00:00", []string{"2026-01-02T00:00", "2026-02-06T00:00"}},
		{"step 1", "*/1 * * * *", "2026-01-01T00:00", []string{"2026-01-01T00:01", "2026-01-01T00:02"}},
		{"step equal to the field's maximum", "*/59 * * * *", "2026-01-01T00:00", []string{"2026-01-01T00:59", "2026-01-01T01:00", "2026-01-01T01:59"}},
		{"hour step 23", "0 */23 * * *", "2026-01-01T00:30", []string{"2026-01-01T23:00", "2026-01-02T00:00"}},
		{"last minute of the day", "59 23 * * *", "2026-01-01T23:58", []string{"2026-01-01T23:59", "2026-01-02T23:59"}},
		{"day 31 skips short months", "0 0 31 * *", "2026-04-01T00:00", []string{"2026-05-31T00:00", "2026-07-31T00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nextN(t, tt.expr, time.UTC, at(t, time.UTC, tt.from), len(tt.want))
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("%q after %s:\n got %v\nwant %v", tt.expr, tt.from, got, tt.want)
			}
		})
	}
}

func TestCronBoundaryRejects(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"0 0 * * FRI#0", "must be 1-5"},
		{"0 0 * * FRI#-1", "must be 1-5"},
		{"0 0 * * FRI#x", "must be 1-5"},
		{"*/60 * * * *", "step must be a number from 1 to 59"},
		{"0 */24 * * *", "step must be a number from 1 to 23"},
		{"*/x * * * *", "step must be"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := parseCron(tt.expr)
			if !errors.Is(err, ErrInvalidCron) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseCron(%q) = %v, want ErrInvalidCron with %q", tt.expr, err, tt.want)
			}
		})
	}
}

// every may be exactly MinEvery, in either form.
func TestEveryAtTheMinimum(t *testing.T) {
	for _, every := range []any{"1s", 1000, MinEvery.String()} {
		s, err := Parse(Raw{Every: every})
		if err != nil {
			t.Errorf("Parse(every %v) = %v, want accepted", every, err)
			continue
		}
		if s.Every != MinEvery {
			t.Errorf("Parse(every %v).Every = %v, want %v", every, s.Every, MinEvery)
		}
	}
	if _, err := Parse(Raw{Every: "999ms"}); err == nil {
		t.Error("Parse(every 999ms) accepted, want shorter than the minimum")
	}
}
