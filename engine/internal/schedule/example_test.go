package schedule_test

import (
	"fmt"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/schedule"
)

// A daily cron series in Berlin, limited to three runs, followed across the
// spring-forward night: 02:30 does not exist on 2026-03-29, so it runs at 03:00.
func ExampleParse() {
	spec, err := schedule.Parse(schedule.Raw{
		Cron:  "30 2 * * *",
		TZ:    "Europe/Berlin",
		Limit: 3,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	trigger := time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC)
	next, ok := spec.First(trigger)
	for count := 0; ok; count++ {
		fmt.Println(next.In(spec.Location).Format(time.RFC3339))
		next, ok = spec.Next(next, count+1)
	}
	// Output:
	// 2026-03-28T02:30:00+01:00
	// 2026-03-29T03:00:00+02:00
	// 2026-03-30T02:30:00+02:00
}

// Every problem is reported at once, each with its field.
func ExampleParse_invalid() {
	_, err := schedule.Parse(schedule.Raw{Cron: "61 * * * *", TZ: "Mars/Olympus", Every: "1h"})
	fmt.Println(err)
	// Output:
	// schedule.tz: unknown time zone "Mars/Olympus"; schedule.cron: field minute: 61 is out of range 0-59; schedule.every: cannot be combined with cron: choose one
}

// After jobd was down for five hours, an hourly series with misfire "all"
// runs each missed occurrence, then continues on schedule.
func ExampleSpec_Due() {
	spec, _ := schedule.Parse(schedule.Raw{Every: "1h", Misfire: "all"})
	due := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := due.Add(5*time.Hour + 20*time.Minute)
	run, next, ok := spec.Due(due, now, 10)
	fmt.Println(len(run), "runs; next", next.Format(time.TimeOnly), ok)
	// Output:
	// 6 runs; next 06:00:00 true
}
