package schedule

import (
	"encoding/json"
	"errors"
	"math"
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

// Leap years: every fourth year, but not a century unless it divides by 400.
func TestCronLeapCenturies(t *testing.T) {
	for from, want := range map[string][]string{
		"1999-01-01T00:00": {"2000-02-29T00:00", "2004-02-29T00:00"},
		"2096-03-01T00:00": {"2104-02-29T00:00"},
	} {
		if got := nextN(t, "0 0 29 2 *", time.UTC, at(t, time.UTC, from), len(want)); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("Feb 29 after %s: got %v, want %v", from, got, want)
		}
	}
	if got := nextN(t, "0 0 L 2 *", time.UTC, at(t, time.UTC, "2099-12-01T00:00"), 2); strings.Join(got, " ") != "2100-02-28T00:00 2101-02-28T00:00" {
		t.Errorf("last day of February 2100: got %v", got)
	}
}

// An occurrence exactly MisfireGrace old at now is still on time under
// MisfireSkip.
func TestDueSkipAtTheGrace(t *testing.T) {
	s := &Spec{Every: time.Minute, Misfire: MisfireSkip, MisfireGrace: 30 * time.Second}
	due := at(t, time.UTC, "2026-01-01T10:00")
	now := at(t, time.UTC, "2026-01-01T10:09:30")
	run, next, ok := s.Due(due, now, 0)
	if len(run) != 1 || !run[0].Equal(at(t, time.UTC, "2026-01-01T10:09")) {
		t.Errorf("Due runs %v, want the 10:09 occurrence, 30s old", run)
	}
	if !ok || !next.Equal(at(t, time.UTC, "2026-01-01T10:10")) {
		t.Errorf("Due next = %v, %v, want 10:10", next, ok)
	}
	now = now.Add(time.Nanosecond)
	if run, _, _ := s.Due(due, now, 0); len(run) != 0 {
		t.Errorf("Due runs %v a nanosecond past the grace, want nothing", run)
	}
}

// every and cron exclude each other; an every that means "none" does not
// count.
func TestEveryAbsentWithCron(t *testing.T) {
	for _, every := range []any{nil, "", "  ", "0", "000", 0, int64(0), float64(0), time.Duration(0), json.Number("0")} {
		if _, err := Parse(Raw{Cron: "@hourly", Every: every}); err != nil {
			t.Errorf("cron with every %#v: %v, want accepted", every, err)
		}
	}
	for _, every := range []any{"10", "01", "0s", "1h", 5, -1, true, json.Number("x"), math.NaN(), time.Second} {
		_, err := Parse(Raw{Cron: "@hourly", Every: every})
		if err == nil || !strings.Contains(err.Error(), "schedule.every: cannot be combined with cron") {
			t.Errorf("cron with every %#v: %v, want cannot be combined", every, err)
		}
	}
}

// Milliseconds as JSON numbers with a fraction or an exponent, and numbers
// no time can hold.
func TestMillisForms(t *testing.T) {
	for raw, want := range map[json.Number]time.Duration{
		"1500.5": 1501 * time.Millisecond,
		"1e3":    time.Second,
		"2000":   2 * time.Second,
	} {
		s, err := Parse(Raw{Every: raw})
		if err != nil || s.Every != want {
			t.Errorf("every %s: %v, %v, want %v", raw, s, err, want)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), math.Inf(-1), 1e300, -1e300, math.Nextafter(1<<62, math.Inf(1))} {
		if _, err := ParseTimeIn(v, nil); err == nil || !strings.Contains(err.Error(), "is not a usable number") {
			t.Errorf("ParseTimeIn(%v) = %v, want not a usable number", v, err)
		}
	}
	if got, err := ParseTimeIn(float64(1<<62), nil); err != nil || got.UnixMilli() != 1<<62 {
		t.Errorf("ParseTimeIn(2^62) = %v, %v, want accepted", got, err)
	}
}

// A Spec built or changed by hand is read from its Cron text.
func TestSpecCronByHand(t *testing.T) {
	from := at(t, time.UTC, "2026-01-01T00:00")
	s := &Spec{Cron: "0 9 * * *"}
	if next, ok := s.Next(from, 0); !ok || !next.Equal(at(t, time.UTC, "2026-01-01T09:00")) {
		t.Errorf("Next of a Spec built by hand = %v, %v", next, ok)
	}
	p, err := Parse(Raw{Cron: "0 9 * * *"})
	if err != nil {
		t.Fatal(err)
	}
	p.Cron = "0 10 * * *"
	if next, ok := p.Next(from, 0); !ok || !next.Equal(at(t, time.UTC, "2026-01-01T10:00")) {
		t.Errorf("Next after Cron changed = %v, %v, want 10:00", next, ok)
	}
	p.Cron = "not cron"
	if next, ok := p.Next(from, 0); ok {
		t.Errorf("Next of an invalid Cron = %v, want none", next)
	}
}

// Every Go number type a decoder or a caller may hand over reads as
// milliseconds.
func TestMillisTypes(t *testing.T) {
	for _, v := range []any{int(1500), int32(1500), int64(1500), uint32(1500), uint(1500), uint64(1500), float32(1500), float64(1500), json.Number("1500")} {
		got, err := ParseTimeIn(v, nil)
		if err != nil || got.UnixMilli() != 1500 {
			t.Errorf("ParseTimeIn(%T 1500) = %v, %v", v, got, err)
		}
		if d, err := parseDuration(v); err != nil || d != 1500*time.Millisecond {
			t.Errorf("parseDuration(%T 1500) = %v, %v", v, d, err)
		}
	}
	for _, v := range []any{uint64(math.MaxInt64) + 1, uint(math.MaxInt64) + 1} {
		if _, err := ParseTimeIn(v, nil); err == nil || !strings.Contains(err.Error(), "is too large") {
			t.Errorf("ParseTimeIn(%T %v) = %v, want too large", v, v, err)
		}
	}
	for _, v := range []any{uint64(math.MaxInt64), uint(math.MaxInt64)} {
		if got, err := ParseTimeIn(v, nil); err != nil || got.UnixMilli() != math.MaxInt64 {
			t.Errorf("ParseTimeIn(%T %v) = %v, %v, want the largest accepted", v, v, got, err)
		}
	}
	if _, err := ParseTimeIn(int8(1), nil); err == nil || !strings.Contains(err.Error(), "got int8") {
		t.Errorf("ParseTimeIn(int8) = %v, want refused", err)
	}
	// The longest duration in milliseconds a time.Duration holds.
	const maxMillis = math.MaxInt64 / int64(time.Millisecond)
	if d, err := parseDuration(maxMillis); err != nil || d != time.Duration(maxMillis)*time.Millisecond {
		t.Errorf("parseDuration(%d) = %v, %v, want accepted", maxMillis, d, err)
	}
	if _, err := parseDuration(maxMillis + 1); err == nil || !strings.Contains(err.Error(), "ms is too long") {
		t.Errorf("parseDuration(%d) = %v, want too long", maxMillis+1, err)
	}
}

// With a delay and no start_at, a cron series starts at the first
// occurrence at or after trigger+delay, not after the trigger.
func TestFirstCronAfterDelay(t *testing.T) {
	s := &Spec{Cron: "0 9 * * *", Delay: time.Hour}
	if got, ok := s.First(at(t, time.UTC, "2026-01-01T08:30")); !ok || !got.Equal(at(t, time.UTC, "2026-01-02T09:00")) {
		t.Errorf("First = %v, %v, want the 9:00 after 9:30", got, ok)
	}
	s.Delay = 30 * time.Minute
	if got, ok := s.First(at(t, time.UTC, "2026-01-01T08:30")); !ok || !got.Equal(at(t, time.UTC, "2026-01-01T09:00")) {
		t.Errorf("First = %v, %v, want 9:00 itself", got, ok)
	}
}

func TestCronQuestionMarkInDayOfWeek(t *testing.T) {
	want := []string{"2026-01-01T00:00", "2026-02-01T00:00"}
	if got := nextN(t, "0 0 1 * ?", time.UTC, at(t, time.UTC, "2025-12-31T12:00"), 2); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("0 0 1 * ?: got %v, want %v", got, want)
	}
}
