package timers_test

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/jobd-dev/jobd/engine/internal/timers"
)

// On a fake clock, timers fire when the clock reaches them and not before,
// in due order, however far apart: minutes, a day, a month (a jump of
// thousands of slots lists the slots that hold timers instead of reading
// each one).
func TestFiresWhenTheClockReachesEachTimer(t *testing.T) {
	s := setup(t)
	got := watch(t, s)
	base := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(base)
	st := timers.New(timers.Options{JS: s.JS, Stream: timerStream, Prefix: prefix,
		Slot: 10 * time.Second, Horizon: time.Minute, Clock: clock})
	start(t, st)
	ctx := context.Background()
	dues := []struct {
		body string
		at   time.Duration
	}{{"month", 30 * 24 * time.Hour}, {"minutes", 5 * time.Minute}, {"day", 24 * time.Hour}}
	for _, d := range dues {
		if err := st.Add(ctx, "out."+d.body, "id-"+d.body, base.Add(d.at), []byte(d.body)); err != nil {
			t.Fatal(err)
		}
	}
	for i, step := range []struct {
		to   time.Duration
		want []string
	}{
		{4*time.Minute + 59*time.Second, nil},
		{5 * time.Minute, []string{"minutes"}},
		{23 * time.Hour, []string{"minutes"}},
		{24*time.Hour + time.Second, []string{"minutes", "day"}},
		{29 * 24 * time.Hour, []string{"minutes", "day"}},
		{31 * 24 * time.Hour, []string{"minutes", "day", "month"}},
	} {
		clock.Advance(base.Add(step.to).Sub(clock.Now()))
		if len(step.want) > 0 {
			waitFor(t, step.want[len(step.want)-1], 30*time.Second, func() bool { return len(got()) >= len(step.want) })
		} else {
			// Nothing may fire: give a wrong timer the time to show.
			time.Sleep(300 * time.Millisecond)
		}
		var bodies []string
		for _, a := range got() {
			bodies = append(bodies, a.body)
		}
		if len(bodies) != len(step.want) {
			t.Fatalf("step %d (clock +%v): fired %v, want %v", i, step.to, bodies, step.want)
		}
		for k := range bodies {
			if bodies[k] != step.want[k] {
				t.Fatalf("step %d (clock +%v): fired %v, want %v", i, step.to, bodies, step.want)
			}
		}
	}
}
