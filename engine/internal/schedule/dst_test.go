package schedule

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const offsetLayout = "2006-01-02T15:04Z07:00"

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Transitions in 2026: Europe/Berlin springs forward 03-29 02:00 -> 03:00 and
// falls back 10-25 03:00 -> 02:00; America/New_York springs forward 03-08
// 02:00 -> 03:00 and falls back 11-01 02:00 -> 01:00.
func TestCronDaylightSaving(t *testing.T) {
	tests := []struct {
		name, zone, expr, from string
		want                   []string
	}{
		{"berlin spring missing 02:30 runs at 03:00", "Europe/Berlin", "30 2 * * *", "2026-03-28T03:00+01:00",
			[]string{"2026-03-29T03:00+02:00", "2026-03-30T02:30+02:00"}},
		{"berlin fall repeated 02:30 runs once", "Europe/Berlin", "30 2 * * *", "2026-10-24T03:00+02:00",
			[]string{"2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00"}},
		{"berlin spring quarter hours", "Europe/Berlin", "*/15 * * * *", "2026-03-29T01:30+01:00",
			[]string{"2026-03-29T01:45+01:00", "2026-03-29T03:00+02:00", "2026-03-29T03:15+02:00"}},
		{"berlin fall quarter hours", "Europe/Berlin", "*/15 * * * *", "2026-10-25T01:30+02:00",
			[]string{"2026-10-25T01:45+02:00", "2026-10-25T02:00+02:00", "2026-10-25T02:15+02:00",
				"2026-10-25T02:30+02:00", "2026-10-25T02:45+02:00", "2026-10-25T03:00+01:00", "2026-10-25T03:15+01:00"}},
		{"berlin spring hourly", "Europe/Berlin", "0 * * * *", "2026-03-29T00:30+01:00",
			[]string{"2026-03-29T01:00+01:00", "2026-03-29T03:00+02:00", "2026-03-29T04:00+02:00"}},
		{"berlin fall hourly", "Europe/Berlin", "0 * * * *", "2026-10-25T00:30+02:00",
			[]string{"2026-10-25T01:00+02:00", "2026-10-25T02:00+02:00", "2026-10-25T03:00+01:00", "2026-10-25T04:00+01:00"}},
		{"new york spring missing 02:30 runs at 03:00", "America/New_York", "30 2 * * *", "2026-03-07T03:00-05:00",
			[]string{"2026-03-08T03:00-04:00", "2026-03-09T02:30-04:00"}},
		{"new york fall repeated 01:30 runs once", "America/New_York", "30 1 * * *", "2026-10-31T03:00-04:00",
			[]string{"2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00"}},
		{"new york fall quarter hours", "America/New_York", "*/15 * * * *", "2026-11-01T00:30-04:00",
			[]string{"2026-11-01T00:45-04:00", "2026-11-01T01:00-04:00", "2026-11-01T01:15-04:00",
				"2026-11-01T01:30-04:00", "2026-11-01T01:45-04:00", "2026-11-01T02:00-05:00", "2026-11-01T02:15-05:00"}},
		{"new york spring hourly", "America/New_York", "0 * * * *", "2026-03-08T00:30-05:00",
			[]string{"2026-03-08T01:00-05:00", "2026-03-08T03:00-04:00", "2026-03-08T04:00-04:00"}},
		{"new york fall hourly", "America/New_York", "0 * * * *", "2026-10-31T23:30-04:00",
			[]string{"2026-11-01T00:00-04:00", "2026-11-01T01:00-04:00", "2026-11-01T02:00-05:00", "2026-11-01T03:00-05:00"}},
		{"new york triggered in repeated hour", "America/New_York", "45 1 * * *", "2026-11-01T01:30-05:00",
			[]string{"2026-11-02T01:45-05:00"}},
		{"new york daily keeps local time", "America/New_York", "0 9 * * *", "2026-03-07T10:00-05:00",
			[]string{"2026-03-08T09:00-04:00", "2026-03-09T09:00-04:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			from, err := time.Parse(offsetLayout, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseCron(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for range tt.want {
				next, ok := c.next(from, loc)
				if !ok {
					break
				}
				got = append(got, next.In(loc).Format(offsetLayout))
				from = next
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("%q after %s in %s:\n got %v\nwant %v", tt.expr, tt.from, tt.zone, got, tt.want)
			}
		})
	}
}

// TestCronEachWallMinuteOnce checks the daylight-saving rule against a
// brute-force oracle that walks every real minute of each transition day:
// a matching wall-clock minute fires at its first real instant, and one the
// clock jumped over fires at the first instant after the jump; a series
// fires at each such instant once.
func TestCronEachWallMinuteOnce(t *testing.T) {
	days := []struct{ zone, day string }{
		{"Europe/Berlin", "2026-03-29"}, {"Europe/Berlin", "2026-10-25"},
		{"America/New_York", "2026-03-08"}, {"America/New_York", "2026-11-01"},
	}
	exprs := []string{"* * * * *", "*/15 * * * *", "7,37 * * * *", "0 * * * *", "30 1,2 * * *", "0 2 * * *"}
	for _, d := range days {
		loc := mustZone(t, d.zone)
		start := at(t, loc, d.day+"T00:00").Add(-2 * time.Hour)
		end := start.Add(30 * time.Hour)
		for _, expr := range exprs {
			t.Run(d.zone+" "+d.day+" "+expr, func(t *testing.T) {
				c, err := parseCron(expr)
				if err != nil {
					t.Fatal(err)
				}
				want := oracle(c, loc, start, end)
				if len(want) == 0 {
					t.Fatal("oracle found no runs")
				}
				var got []time.Time
				for u, ok := c.next(start, loc); ok && u.Before(end); u, ok = c.next(u, loc) {
					got = append(got, u)
				}
				if !slices.EqualFunc(got, want, time.Time.Equal) {
					t.Errorf("got  %v\nwant %v", got, want)
				}
			})
		}
	}
}

// oracle lists the instants in (start, end) at which c must fire in loc.
func oracle(c *cronExpr, loc *time.Location, start, end time.Time) []time.Time {
	var out []time.Time
	seen := map[wall]bool{}
	prev := wallOf(start.In(loc))
	seen[prev] = true
	for u := start.Add(time.Minute); u.Before(end); u = u.Add(time.Minute) {
		w := wallOf(u.In(loc))
		fire := false
		// Minutes the clock jumped over since the previous real minute.
		for g := prev.addMinute(); g.unix() < w.unix(); g = g.addMinute() {
			fire = fire || c.matches(g)
		}
		if !seen[w] && c.matches(w) {
			fire = true
		}
		if fire {
			out = append(out, u)
		}
		seen[w] = true
		if w.unix() > prev.unix() {
			prev = w
		}
	}
	return out
}

func (c *cronExpr) matches(w wall) bool {
	return c.dayMask(w.year, w.month)&(1<<w.day) != 0 &&
		c.hour&(1<<w.hour) != 0 && c.minute&(1<<w.minute) != 0
}
