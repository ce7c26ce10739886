package schedule

import (
	"testing"
	"time"
)

func TestFirst(t *testing.T) {
	utc := time.UTC
	berlin := mustZone(t, "Europe/Berlin")
	trigger := at(t, utc, "2026-01-01T10:00")
	tests := []struct {
		name    string
		spec    Spec
		want    time.Time
		wantNot bool // ok=false expected
	}{
		{"one-off now", Spec{}, trigger, false},
		{"one-off delay", Spec{Delay: 90 * time.Second}, trigger.Add(90 * time.Second), false},
		{"start_at future", Spec{StartAt: at(t, utc, "2026-02-01T00:00")}, at(t, utc, "2026-02-01T00:00"), false},
		{"interval start_at past stays past", Spec{Every: time.Hour, StartAt: at(t, utc, "2025-12-31T00:00")},
			at(t, utc, "2025-12-31T00:00"), false},
		{"interval now", Spec{Every: time.Hour}, trigger, false},
		{"cron strictly after trigger", Spec{Cron: "0 * * * *"}, at(t, utc, "2026-01-01T11:00"), false},
		{"cron at or after start_at", Spec{Cron: "0 * * * *", StartAt: trigger}, trigger, false},
		{"cron at or after delay", Spec{Cron: "*/30 * * * *", Delay: 30 * time.Minute}, at(t, utc, "2026-01-01T10:30"), false},
		{"cron in zone", Spec{Cron: "0 9 * * *", Location: berlin}, at(t, berlin, "2026-01-02T09:00"), false},
		{"end_date excludes all", Spec{Cron: "0 0 * * *", EndDate: trigger.Add(time.Hour)}, time.Time{}, true},
		{"end_date inclusive", Spec{StartAt: trigger, EndDate: trigger}, trigger, false},
		{"one-off after end_date", Spec{Delay: time.Hour, EndDate: trigger}, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.spec.First(trigger)
			if ok == tt.wantNot || !got.Equal(tt.want) {
				t.Errorf("First = %v, %v; want %v, %v", got, ok, tt.want, !tt.wantNot)
			}
		})
	}
}

func TestNext(t *testing.T) {
	utc := time.UTC
	prev := at(t, utc, "2026-01-01T10:00")
	tests := []struct {
		name  string
		spec  Spec
		count int
		want  time.Time
		ok    bool
	}{
		{"one-off does not recur", Spec{}, 1, time.Time{}, false},
		{"interval anchored to schedule", Spec{Every: time.Hour}, 5, at(t, utc, "2026-01-01T11:00"), true},
		{"interval 90s", Spec{Every: 90 * time.Second}, 1, at(t, utc, "2026-01-01T10:01:30"), true},
		{"cron", Spec{Cron: "15 10 * * *"}, 1, at(t, utc, "2026-01-01T10:15"), true},
		{"limit not reached", Spec{Every: time.Hour, Limit: 3}, 2, at(t, utc, "2026-01-01T11:00"), true},
		{"limit reached", Spec{Every: time.Hour, Limit: 3}, 3, time.Time{}, false},
		{"end_date inclusive", Spec{Every: time.Hour, EndDate: at(t, utc, "2026-01-01T11:00")}, 1, at(t, utc, "2026-01-01T11:00"), true},
		{"past end_date", Spec{Every: time.Hour, EndDate: at(t, utc, "2026-01-01T10:59")}, 1, time.Time{}, false},
		{"cron past end_date", Spec{Cron: "0 0 * * *", EndDate: at(t, utc, "2026-01-01T23:59")}, 1, time.Time{}, false},
		{"unparsed bad cron ends", Spec{Cron: "nonsense"}, 1, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.spec.Next(prev, tt.count)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("Next = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestSeries walks whole series with First and Next, as the engine does.
func TestSeries(t *testing.T) {
	utc := time.UTC
	trigger := at(t, utc, "2026-01-01T10:00")
	tests := []struct {
		name string
		raw  Raw
		want []string
	}{
		{"limit 3 interval", Raw{Every: "1h", Limit: 3},
			[]string{"2026-01-01T10:00", "2026-01-01T11:00", "2026-01-01T12:00"}},
		{"executions alias", Raw{Every: 3_600_000, Executions: 2},
			[]string{"2026-01-01T10:00", "2026-01-01T11:00"}},
		{"end_date cron", Raw{Cron: "0 12 * * *", EndDate: "2026-01-03T12:00:00Z"},
			[]string{"2026-01-01T12:00", "2026-01-02T12:00", "2026-01-03T12:00"}},
		{"limit with cron", Raw{Cron: "@monthly", Limit: 2},
			[]string{"2026-02-01T00:00", "2026-03-01T00:00"}},
		{"one-off", Raw{Delay: "1m"}, []string{"2026-01-01T10:01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			next, ok := s.First(trigger)
			for count := 0; ok && count < 100; count++ {
				got = append(got, next.UTC().Format("2006-01-02T15:04"))
				next, ok = s.Next(next, count+1)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestParseMisfire(t *testing.T) {
	tests := []struct {
		in   string
		want Misfire
		err  bool
	}{
		{"", MisfireOnce, false}, {"once", MisfireOnce, false}, {"SKIP", MisfireSkip, false},
		{"all", MisfireAll, false}, {"sometimes", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMisfire(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseMisfire(%q) = %v, %v", tt.in, got, err)
		}
		if err == nil && got.String() != map[Misfire]string{MisfireOnce: "once", MisfireSkip: "skip", MisfireAll: "all"}[got] {
			t.Errorf("String() = %q", got.String())
		}
	}
}
