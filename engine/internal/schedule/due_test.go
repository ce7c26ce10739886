package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	utc := time.UTC
	berlin := mustZone(t, "Europe/Berlin")
	due := at(t, utc, "2026-01-01T00:00")
	hourly := func(m Misfire) Spec { return Spec{Every: time.Hour, Misfire: m} }
	tests := []struct {
		name     string
		spec     Spec
		due, now time.Time
		count    int
		wantRun  []string // UTC "2006-01-02T15:04" unless zone-formatted
		wantNext string   // "" means ok=false
	}{
		{"on time once", hourly(MisfireOnce), due, due.Add(50 * time.Millisecond), 0,
			[]string{"2026-01-01T00:00"}, "2026-01-01T01:00"},
		{"on time skip", hourly(MisfireSkip), due, due.Add(50 * time.Millisecond), 0,
			[]string{"2026-01-01T00:00"}, "2026-01-01T01:00"},
		{"on time all", hourly(MisfireAll), due, due.Add(50 * time.Millisecond), 0,
			[]string{"2026-01-01T00:00"}, "2026-01-01T01:00"},
		{"early", hourly(MisfireOnce), due, due.Add(-time.Second), 0, nil, "2026-01-01T00:00"},
		{"gap once", hourly(MisfireOnce), due, at(t, utc, "2026-01-01T05:30"), 0,
			[]string{"2026-01-01T00:00"}, "2026-01-01T06:00"},
		{"gap skip", hourly(MisfireSkip), due, at(t, utc, "2026-01-01T05:30"), 0,
			nil, "2026-01-01T06:00"},
		{"gap skip latest within grace", hourly(MisfireSkip), due, at(t, utc, "2026-01-01T05:00:30"), 0,
			[]string{"2026-01-01T05:00"}, "2026-01-01T06:00"},
		{"gap skip custom grace", Spec{Every: time.Hour, Misfire: MisfireSkip, MisfireGrace: time.Hour},
			due, at(t, utc, "2026-01-01T05:30"), 0, []string{"2026-01-01T05:00"}, "2026-01-01T06:00"},
		{"gap all", hourly(MisfireAll), due, at(t, utc, "2026-01-01T05:30"), 0,
			[]string{"2026-01-01T00:00", "2026-01-01T01:00", "2026-01-01T02:00", "2026-01-01T03:00",
				"2026-01-01T04:00", "2026-01-01T05:00"}, "2026-01-01T06:00"},
		{"gap all stops at limit", Spec{Every: time.Hour, Misfire: MisfireAll, Limit: 4}, due,
			at(t, utc, "2026-01-01T05:30"), 1,
			[]string{"2026-01-01T00:00", "2026-01-01T01:00", "2026-01-01T02:00"}, ""},
		{"gap all stops at end_date", Spec{Every: time.Hour, Misfire: MisfireAll, EndDate: at(t, utc, "2026-01-01T03:00")},
			due, at(t, utc, "2026-01-01T05:30"), 0,
			[]string{"2026-01-01T00:00", "2026-01-01T01:00", "2026-01-01T02:00", "2026-01-01T03:00"}, ""},
		{"gap once last run of limit", Spec{Every: time.Hour, Limit: 3}, due, at(t, utc, "2026-01-01T05:30"), 2,
			[]string{"2026-01-01T00:00"}, ""},
		{"gap once next past end_date", Spec{Every: time.Hour, EndDate: at(t, utc, "2026-01-01T03:00")}, due,
			at(t, utc, "2026-01-01T05:30"), 0, []string{"2026-01-01T00:00"}, ""},
		{"gap skip within grace but past end_date", Spec{Every: time.Hour, Misfire: MisfireSkip, EndDate: at(t, utc, "2026-01-01T03:00")},
			due, at(t, utc, "2026-01-01T05:00:30"), 0, nil, ""},
		{"limit already reached", Spec{Every: time.Hour, Limit: 2}, due, due, 2, nil, ""},
		{"due after end_date", Spec{Every: time.Hour, EndDate: due.Add(-time.Hour)}, due, due, 0, nil, ""},
		{"one-off late once", Spec{}, due, at(t, utc, "2026-01-02T00:00"), 0, []string{"2026-01-01T00:00"}, ""},
		{"one-off late skip", Spec{Misfire: MisfireSkip}, due, at(t, utc, "2026-01-02T00:00"), 0, nil, ""},
		{"one-off late all", Spec{Misfire: MisfireAll}, due, at(t, utc, "2026-01-02T00:00"), 0, []string{"2026-01-01T00:00"}, ""},
		{"cron gap all", Spec{Cron: "0 9 * * *", Misfire: MisfireAll}, at(t, utc, "2026-01-01T09:00"),
			at(t, utc, "2026-01-04T10:00"), 0,
			[]string{"2026-01-01T09:00", "2026-01-02T09:00", "2026-01-03T09:00", "2026-01-04T09:00"}, "2026-01-05T09:00"},
		{"cron gap skip", Spec{Cron: "0 9 * * *", Misfire: MisfireSkip}, at(t, utc, "2026-01-01T09:00"),
			at(t, utc, "2026-01-04T10:00"), 0, nil, "2026-01-05T09:00"},
		{"cron gap once", Spec{Cron: "0 9 * * *"}, at(t, utc, "2026-01-01T09:00"),
			at(t, utc, "2026-01-04T10:00"), 0, []string{"2026-01-01T09:00"}, "2026-01-05T09:00"},
		{"cron gap all across spring forward", Spec{Cron: "30 2 * * *", Location: berlin, Misfire: MisfireAll},
			at(t, berlin, "2026-03-28T02:30"), at(t, berlin, "2026-03-30T12:00"), 0,
			[]string{"2026-03-28T01:30", "2026-03-29T01:00", "2026-03-30T00:30"}, "2026-03-31T00:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, next, ok := tt.spec.Due(tt.due, tt.now, tt.count)
			var got []string
			for _, r := range run {
				got = append(got, r.UTC().Format("2006-01-02T15:04"))
			}
			if strings.Join(got, " ") != strings.Join(tt.wantRun, " ") {
				t.Errorf("run = %v, want %v", got, tt.wantRun)
			}
			gotNext := ""
			if ok {
				gotNext = next.UTC().Format("2006-01-02T15:04")
			}
			if gotNext != tt.wantNext {
				t.Errorf("next = %q (ok=%v), want %q", gotNext, ok, tt.wantNext)
			}
			if ok && !next.After(tt.now) && !tt.due.After(tt.now) {
				t.Errorf("next %v is not after now %v", next, tt.now)
			}
		})
	}
}

func TestDueCatchUpCap(t *testing.T) {
	s := Spec{Every: time.Second, Misfire: MisfireAll}
	due := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := due.Add(2*time.Hour + 500*time.Millisecond)
	run, next, ok := s.Due(due, now, 0)
	if len(run) != MaxCatchUp {
		t.Fatalf("len(run) = %d, want %d", len(run), MaxCatchUp)
	}
	if !run[MaxCatchUp-1].Equal(due.Add((MaxCatchUp - 1) * time.Second)) {
		t.Errorf("last run = %v", run[MaxCatchUp-1])
	}
	if want := due.Add(2*time.Hour + time.Second); !ok || !next.Equal(want) {
		t.Errorf("next = %v, %v; want %v", next, ok, want)
	}
}

func TestDueLongGapInterval(t *testing.T) {
	// A century-long gap with a one-second interval must not loop per step.
	s := Spec{Every: time.Second, Misfire: MisfireSkip}
	due := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2300, 1, 1, 0, 0, 0, 500, time.UTC)
	run, next, ok := s.Due(due, now, 0)
	if len(run) != 1 || !run[0].Equal(now.Truncate(time.Second)) {
		t.Errorf("run = %v", run)
	}
	if want := now.Truncate(time.Second).Add(time.Second); !ok || !next.Equal(want) {
		t.Errorf("next = %v, %v; want %v", next, ok, want)
	}
}
