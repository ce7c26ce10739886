package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// at parses "2006-01-02T15:04" (or with seconds) in loc.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if v, err := time.ParseInLocation(layout, s, loc); err == nil {
			return v
		}
	}
	t.Fatalf("bad test time %q", s)
	return time.Time{}
}

// nextN returns the n occurrences of expr after from, formatted in loc.
func nextN(t *testing.T, expr string, loc *time.Location, from time.Time, n int) []string {
	t.Helper()
	c, err := parseCron(expr)
	if err != nil {
		t.Fatalf("parseCron(%q): %v", expr, err)
	}
	var got []string
	for range n {
		next, ok := c.next(from, loc)
		if !ok {
			break
		}
		got = append(got, next.In(loc).Format("2006-01-02T15:04"))
		from = next
	}
	return got
}

func TestCronFieldForms(t *testing.T) {
	tests := []struct {
		name, expr, from string
		want             []string
	}{
		{"every minute", "* * * * *", "2026-01-01T00:00", []string{"2026-01-01T00:01", "2026-01-01T00:02"}},
		{"one value", "5 * * * *", "2026-01-01T00:00", []string{"2026-01-01T00:05", "2026-01-01T01:05"}},
		{"list", "0,30 9 * * *", "2026-01-01T00:00", []string{"2026-01-01T09:00", "2026-01-01T09:30", "2026-01-02T09:00"}},
		{"range", "0 9-11 * * *", "2026-01-01T00:00", []string{"2026-01-01T09:00", "2026-01-01T10:00", "2026-01-01T11:00", "2026-01-02T09:00"}},
		{"star step", "*/20 * * * *", "2026-01-01T00:00", []string{"2026-01-01T00:20", "2026-01-01T00:40", "2026-01-01T01:00"}},
		{"range step", "10-40/15 * * * *", "2026-01-01T00:00", []string{"2026-01-01T00:10", "2026-01-01T00:25", "2026-01-01T00:40", "2026-01-01T01:10"}},
		{"start step", "5/20 * * * *", "2026-01-01T00:00", []string{"2026-01-01T00:05", "2026-01-01T00:25", "2026-01-01T00:45", "2026-01-01T01:05"}},
		{"month names", "0 0 1 JAN,jul *", "2026-01-01T00:00", []string{"2026-07-01T00:00", "2027-01-01T00:00"}},
		{"day name range", "0 12 * * MON-FRI", "2026-01-01T00:00", []string{"2026-01-01T12:00", "2026-01-02T12:00", "2026-01-05T12:00"}},
		{"day name", "0 12 * * sun", "2026-01-01T00:00", []string{"2026-01-04T12:00", "2026-01-11T12:00"}},
		{"7 is sunday", "0 12 * * 7", "2026-01-01T00:00", []string{"2026-01-04T12:00"}},
		{"question mark", "0 0 ? * MON", "2026-01-01T00:00", []string{"2026-01-05T00:00"}},
		{"last day", "0 0 L * *", "2026-01-01T00:00", []string{"2026-01-31T00:00", "2026-02-28T00:00", "2026-03-31T00:00"}},
		{"last day leap", "0 0 L 2 *", "2027-06-01T00:00", []string{"2028-02-29T00:00", "2029-02-28T00:00"}},
		{"1 and last", "0 0 1,L * *", "2026-01-01T00:00", []string{"2026-01-31T00:00", "2026-02-01T00:00", "2026-02-28T00:00"}},
		{"nearest weekday", "0 0 15W * *", "2026-01-01T00:00", []string{"2026-01-15T00:00", "2026-02-16T00:00", "2026-03-16T00:00"}},
		{"nearest weekday saturday", "0 0 15W 8 *", "2026-01-01T00:00", []string{"2026-08-14T00:00"}},
		{"1W stays in month", "0 0 1W * *", "2026-07-15T00:00", []string{"2026-08-03T00:00", "2026-09-01T00:00"}},
		{"last weekday", "0 0 LW * *", "2026-01-01T00:00", []string{"2026-01-30T00:00", "2026-02-27T00:00", "2026-03-31T00:00"}},
		{"last weekday sunday", "0 0 LW 5 *", "2026-01-01T00:00", []string{"2026-05-29T00:00"}},
		{"last friday", "0 0 * * 5L", "2026-01-01T00:00", []string{"2026-01-30T00:00", "2026-02-27T00:00", "2026-03-27T00:00"}},
		{"last friday by name", "0 0 * * FRIL", "2026-01-01T00:00", []string{"2026-01-30T00:00"}},
		{"second friday", "0 0 * * FRI#2", "2026-01-01T00:00", []string{"2026-01-09T00:00", "2026-02-13T00:00", "2026-03-13T00:00"}},
		{"third monday", "0 0 * * 1#3", "2026-01-01T00:00", []string{"2026-01-19T00:00", "2026-02-16T00:00"}},
		{"fifth monday", "0 0 * * MON#5", "2026-01-01T00:00", []string{"2026-03-30T00:00"}},
		{"dom or dow", "0 0 13 * FRI", "2026-01-01T00:00", []string{"2026-01-02T00:00", "2026-01-09T00:00", "2026-01-13T00:00", "2026-01-16T00:00"}},
		{"star dom and dow", "0 0 */2 * MON", "2026-01-01T00:00", []string{"2026-01-05T00:00", "2026-01-19T00:00", "2026-02-09T00:00"}},
		{"feb 29", "0 0 29 2 *", "2026-01-01T00:00", []string{"2028-02-29T00:00", "2032-02-29T00:00"}},
		{"hourly", "@hourly", "2026-01-01T00:00", []string{"2026-01-01T01:00"}},
		{"daily", "@daily", "2026-01-01T00:00", []string{"2026-01-02T00:00"}},
		{"midnight", "@midnight", "2026-01-01T00:00", []string{"2026-01-02T00:00"}},
		{"weekly", "@weekly", "2026-01-01T00:00", []string{"2026-01-04T00:00"}},
		{"monthly", "@monthly", "2026-01-01T00:00", []string{"2026-02-01T00:00"}},
		{"yearly", "@yearly", "2026-01-01T00:00", []string{"2027-01-01T00:00"}},
		{"annually", "@ANNUALLY", "2026-01-01T00:00", []string{"2027-01-01T00:00"}},
		{"strictly after", "30 10 * * *", "2026-01-01T10:30", []string{"2026-01-02T10:30"}},
		{"seconds past", "30 10 * * *", "2026-01-01T10:29:59", []string{"2026-01-01T10:30"}},
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

func TestCronRejects(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"61 * * * *", "field minute: 61 is out of range 0-59"},
		{"* 24 * * *", "field hour: 24 is out of range 0-23"},
		{"* * 0 * *", "field day-of-month: 0 is out of range 1-31"},
		{"* * * 13 *", "field month: 13 is out of range 1-12"},
		{"* * * * 8", "field day-of-week: 8 is out of range 0-7"},
		{"* * * FOO *", `field month: "FOO" is not a number or a name`},
		{"*/0 * * * *", "step must be"},
		{"30-10 * * * *", "runs backwards"},
		{"* * * *", "want 5 fields"},
		{"* * * * * *", "want 5 fields"},
		{"@often", "unknown descriptor"},
		{"0 0 30 2 *", "never matches"},
		{"0 0 * * L", "L needs a weekday"},
		{"0 0 * * FRI#6", "must be 1-5"},
		{"0 0 32W * *", "field day-of-month: 32 is out of range 1-31"},
		{"0 ? * * *", `field hour: "?" is not a number`},
		{"1,,2 * * * *", "missing value"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := parseCron(tt.expr)
			if err == nil {
				t.Fatalf("parseCron(%q) = nil error, want %q", tt.expr, tt.want)
			}
			if !errors.Is(err, ErrInvalidCron) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseCron(%q) = %v, want ErrInvalidCron with %q", tt.expr, err, tt.want)
			}
		})
	}
}

func BenchmarkNextCron(b *testing.B) {
	benches := []struct{ name, cron, tz string }{
		{"every-15m-utc", "*/15 * * * *", ""},
		{"weekdays-berlin", "30 9 * * MON-FRI", "Europe/Berlin"},
		{"last-friday-newyork", "0 17 * * 5L", "America/New_York"},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			s, err := Parse(Raw{Cron: bb.cron, TZ: bb.tz})
			if err != nil {
				b.Fatal(err)
			}
			t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			b.ReportAllocs()
			for b.Loop() {
				next, ok := s.Next(t, 0)
				if !ok {
					b.Fatal("series ended")
				}
				t = next
			}
		})
	}
}
