package schedule

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// localDateTime stands in for go-toml's LocalDateTime, a fmt.Stringer.
type localDateTime string

func (l localDateTime) String() string { return string(l) }

func TestParseAccepts(t *testing.T) {
	utc := time.UTC
	berlin := mustZone(t, "Europe/Berlin")
	tests := []struct {
		name  string
		raw   Raw
		check func(t *testing.T, s *Spec)
	}{
		{"empty is a one-off now", Raw{}, func(t *testing.T, s *Spec) {
			if s.Recurring() || !s.StartAt.IsZero() || s.Location != utc || s.Misfire != MisfireOnce {
				t.Errorf("got %+v", s)
			}
		}},
		{"every ms number", Raw{Every: float64(60000)}, wantEvery(time.Minute)},
		{"every ms int64", Raw{Every: int64(1500)}, wantEvery(1500 * time.Millisecond)},
		{"every ms string", Raw{Every: "90000"}, wantEvery(90 * time.Second)},
		{"every json number", Raw{Every: json.Number("2000")}, wantEvery(2 * time.Second)},
		{"every duration string", Raw{Every: "24h"}, wantEvery(24 * time.Hour)},
		{"every 90s", Raw{Every: "90s"}, wantEvery(90 * time.Second)},
		{"every 0 number means none", Raw{Every: 0}, wantEvery(0)},
		{"delay string", Raw{Delay: "5m"}, func(t *testing.T, s *Spec) {
			if s.Delay != 5*time.Minute {
				t.Errorf("Delay = %v", s.Delay)
			}
		}},
		{"cron with zone", Raw{Cron: " 0 9 * * MON-FRI ", TZ: "Europe/Berlin"}, func(t *testing.T, s *Spec) {
			if s.Cron != "0 9 * * MON-FRI" || s.Location.String() != "Europe/Berlin" || !s.Recurring() {
				t.Errorf("got %+v", s)
			}
		}},
		{"start_at ms", Raw{StartAt: int64(1767225600000)}, wantStart(at(t, utc, "2026-01-01T00:00"))},
		{"start_at float ms", Raw{StartAt: 1767225600000.0}, wantStart(at(t, utc, "2026-01-01T00:00"))},
		{"start_at digits", Raw{StartAt: "1767225600000"}, wantStart(at(t, utc, "2026-01-01T00:00"))},
		{"start_at rfc3339", Raw{StartAt: "2026-01-01T01:00:00+01:00"}, wantStart(at(t, utc, "2026-01-01T00:00"))},
		{"start_at date", Raw{StartAt: "2026-01-01"}, wantStart(at(t, utc, "2026-01-01T00:00"))},
		{"start_at date in tz", Raw{StartAt: "2026-01-01", TZ: "Europe/Berlin"}, wantStart(at(t, berlin, "2026-01-01T00:00"))},
		{"start_at toml datetime", Raw{StartAt: at(t, berlin, "2026-06-01T08:00")}, wantStart(at(t, berlin, "2026-06-01T08:00"))},
		{"start_at toml local datetime", Raw{StartAt: localDateTime("2026-06-01T08:00:00"), TZ: "Europe/Berlin"},
			wantStart(at(t, berlin, "2026-06-01T08:00"))},
		{"start_at zero is now", Raw{StartAt: 0}, wantStart(time.Time{})},
		{"limit", Raw{Every: "1h", Limit: 5}, wantLimit(5)},
		{"executions", Raw{Every: "1h", Executions: 7}, wantLimit(7)},
		{"limit and same executions", Raw{Every: "1h", Limit: 7, Executions: 7}, wantLimit(7)},
		{"end_date after start_at", Raw{StartAt: "2026-01-01", EndDate: "2026-12-31", Every: "24h"}, func(t *testing.T, s *Spec) {
			if !s.EndDate.Equal(at(t, utc, "2026-12-31T00:00")) {
				t.Errorf("EndDate = %v", s.EndDate)
			}
		}},
		{"misfire", Raw{Every: "1h", Misfire: "all"}, func(t *testing.T, s *Spec) {
			if s.Misfire != MisfireAll {
				t.Errorf("Misfire = %v", s.Misfire)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func wantEvery(d time.Duration) func(*testing.T, *Spec) {
	return func(t *testing.T, s *Spec) {
		if s.Every != d {
			t.Errorf("Every = %v, want %v", s.Every, d)
		}
	}
}

func wantStart(v time.Time) func(*testing.T, *Spec) {
	return func(t *testing.T, s *Spec) {
		if !s.StartAt.Equal(v) {
			t.Errorf("StartAt = %v, want %v", s.StartAt, v)
		}
	}
}

func wantLimit(n int) func(*testing.T, *Spec) {
	return func(t *testing.T, s *Spec) {
		if s.Limit != n {
			t.Errorf("Limit = %d, want %d", s.Limit, n)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		raw  Raw
		want []string // each must appear as a problem (substring match)
	}{
		{"cron minute out of range", Raw{Cron: "61 * * * *"}, []string{"schedule.cron: field minute: 61 is out of range 0-59"}},
		{"unknown zone", Raw{Cron: "@daily", TZ: "Mars/Olympus"}, []string{`schedule.tz: unknown time zone "Mars/Olympus"`}},
		{"host zone", Raw{TZ: "Local"}, []string{`schedule.tz: "Local" depends on the host`}},
		{"end_date before start_at", Raw{StartAt: "2026-02-01", EndDate: "2026-01-01"}, []string{"schedule.end_date: ", "before start_at"}},
		{"every and cron", Raw{Every: "1h", Cron: "@hourly"}, []string{"schedule.every: cannot be combined with cron"}},
		{"every 0s", Raw{Every: "0s"}, []string{"schedule.every: 0s is shorter than the minimum 1s"}},
		{"every 500ms", Raw{Every: 500}, []string{"schedule.every: 500ms is shorter than the minimum 1s"}},
		{"every negative", Raw{Every: "-1h"}, []string{"schedule.every: \"-1h\" is negative"}},
		{"every garbage", Raw{Every: "daily"}, []string{"schedule.every: \"daily\" is not milliseconds or a duration"}},
		{"every bool", Raw{Every: true}, []string{"schedule.every: want milliseconds or a duration string, got bool"}},
		{"delay with start_at", Raw{StartAt: "2026-01-01", Delay: "1m"}, []string{"schedule.delay: cannot be combined with start_at"}},
		{"negative limit", Raw{Limit: -1}, []string{"schedule.limit: -1 is negative"}},
		{"negative executions", Raw{Executions: -2}, []string{"schedule.executions: -2 is negative"}},
		{"limit conflicts with executions", Raw{Limit: 2, Executions: 3}, []string{"schedule.executions: 3 conflicts with limit 2"}},
		{"bad start_at", Raw{StartAt: "tomorrow"}, []string{`schedule.start_at: "tomorrow" is not Unix milliseconds`}},
		{"negative start_at", Raw{StartAt: -5}, []string{"schedule.start_at: -5 is negative"}},
		{"bad end_date type", Raw{EndDate: []int{1}}, []string{"schedule.end_date: want Unix milliseconds or an RFC 3339 string, got []int"}},
		{"bad misfire", Raw{Misfire: "sometimes"}, []string{`schedule.misfire: "sometimes" is not once, skip or all`}},
		{"every problem at once", Raw{Cron: "61 * * * *", TZ: "Mars/Olympus", Limit: -1, Misfire: "x"},
			[]string{"schedule.cron:", "schedule.tz:", "schedule.limit:", "schedule.misfire:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.raw)
			if err == nil {
				t.Fatalf("Parse = %+v, want error", s)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %T %v is not an *Error wrapping ErrInvalid", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if len(e.Problems) < len(tt.want) && tt.name == "every problem at once" {
				t.Errorf("got %d problems, want %d", len(e.Problems), len(tt.want))
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   any
		want time.Time
		err  bool
	}{
		{"nil", nil, time.Time{}, false},
		{"empty", "", time.Time{}, false},
		{"zero", 0, time.Time{}, false},
		{"zero string", "0", time.Time{}, false},
		{"int", int(want.UnixMilli()), want, false},
		{"int64", want.UnixMilli(), want, false},
		{"float64", float64(want.UnixMilli()), want, false},
		{"json number", json.Number("1774747800000"), want, false},
		{"digits", "1774747800000", want, false},
		{"rfc3339", "2026-03-29T03:30:00+02:00", want, false},
		{"rfc3339 nano", "2026-03-29T01:30:00.000Z", want, false},
		{"space separated", "2026-03-29 01:30:00Z", want, false},
		{"local datetime", "2026-03-29T01:30:00", want, false},
		{"local minutes", "2026-03-29T01:30", want, false},
		{"date", "2026-03-29", time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), false},
		{"time.Time", want, want, false},
		{"stringer", localDateTime("2026-03-29T01:30:00"), want, false},
		{"garbage", "next tuesday", time.Time{}, true},
		{"negative", -1.0, time.Time{}, true},
		{"bool", false, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if (err != nil) != tt.err || !got.Equal(tt.want) {
				t.Errorf("ParseTime(%v) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
			}
			if err != nil && !errors.Is(err, ErrInvalidTime) {
				t.Errorf("error %v does not wrap ErrInvalidTime", err)
			}
		})
	}
}
