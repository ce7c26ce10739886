package schedule

import (
	"fmt"
	"strings"
	"time"

	_ "time/tzdata" // zones work on machines without zoneinfo files
)

// Spec is a parsed schedule. Build one with Parse, which validates it and
// compiles Cron; the methods treat a Spec whose Cron does not parse as having
// no occurrences.
type Spec struct {
	// StartAt is when the series runs first. Zero means the trigger time
	// (plus Delay).
	StartAt time.Time
	// Delay is added to the trigger time when StartAt is zero.
	Delay time.Duration
	// Every is the repeat interval; 0 means no interval. Occurrences are
	// anchored to the schedule (previous scheduled time + Every), not to
	// when a run finished, so they do not drift.
	Every time.Duration
	// Cron is a 5-field cron expression or an @ descriptor; "" means none.
	// See the package documentation for the syntax.
	Cron string
	// Location is the zone Cron is evaluated in. Defaults to UTC.
	Location *time.Location
	// Limit is the most runs in the series; 0 means unlimited.
	Limit int
	// EndDate is the last instant a run may be scheduled at; zero means none.
	EndDate time.Time
	// Misfire says what Due does with occurrences missed while jobd was
	// down. Defaults to MisfireOnce.
	Misfire Misfire
	// MisfireGrace is how late a run may fire and still count as on time
	// under MisfireSkip. Defaults to DefaultMisfireGrace.
	MisfireGrace time.Duration

	cron     *cronExpr // compiled Cron
	cronText string    // the Cron that cron was compiled from
}

// DefaultMisfireGrace is the MisfireGrace used when a Spec leaves it zero.
const DefaultMisfireGrace = time.Minute

// Misfire is the policy for occurrences missed while jobd was down.
type Misfire int

const (
	// MisfireOnce runs once for all missed occurrences, then continues
	// with the next future one. It is the default.
	MisfireOnce Misfire = iota
	// MisfireSkip drops missed occurrences and continues with the next
	// future one. An occurrence at most MisfireGrace late is not missed.
	MisfireSkip
	// MisfireAll runs every missed occurrence, up to MaxCatchUp of them.
	MisfireAll
)

// String returns the policy's name as ParseMisfire accepts it.
func (m Misfire) String() string {
	switch m {
	case MisfireOnce:
		return "once"
	case MisfireSkip:
		return "skip"
	case MisfireAll:
		return "all"
	}
	return fmt.Sprintf("Misfire(%d)", int(m))
}

// ParseMisfire parses a policy name: "once" (or ""), "skip" or "all",
// in any case.
func ParseMisfire(s string) (Misfire, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "once":
		return MisfireOnce, nil
	case "skip":
		return MisfireSkip, nil
	case "all":
		return MisfireAll, nil
	}
	return 0, fmt.Errorf("%w: %q (want once, skip or all)", ErrInvalidMisfire, s)
}

// Recurring reports whether the series has more than one occurrence in
// principle (it has Every or Cron); Limit and EndDate may still end it early.
func (s *Spec) Recurring() bool {
	return s.Every > 0 || s.Cron != ""
}

// First returns the first run time of a series triggered (dispatched or
// loaded) at trigger. It starts from StartAt, or trigger+Delay when StartAt
// is zero:
//   - a one-off or interval series runs first at that time, even when it is
//     already past (Due then applies the misfire policy);
//   - a cron series runs first at the first cron occurrence at or after
//     StartAt or trigger+Delay, and, with neither set, at the first one
//     strictly after trigger.
//
// ok is false when EndDate excludes every occurrence.
func (s *Spec) First(trigger time.Time) (t time.Time, ok bool) {
	base := s.StartAt
	if base.IsZero() {
		base = trigger.Add(s.Delay)
	}
	switch {
	case s.Cron == "":
		t, ok = base, true
	case s.StartAt.IsZero() && s.Delay == 0:
		t, ok = s.cronNext(trigger)
	default:
		t, ok = s.cronNext(base.Add(-time.Nanosecond))
	}
	if !ok || s.afterEnd(t) {
		return time.Time{}, false
	}
	return t, true
}

// Next returns the occurrence after prev, the scheduled time of the previous
// run (not the time it actually ran), given count runs already made. ok is
// false when the series is over: it does not recur, Limit is reached, or the
// next occurrence would be after EndDate.
func (s *Spec) Next(prev time.Time, count int) (t time.Time, ok bool) {
	if s.Limit > 0 && count >= s.Limit {
		return time.Time{}, false
	}
	switch {
	case s.Cron != "":
		t, ok = s.cronNext(prev)
	case s.Every > 0:
		t, ok = prev.Add(s.Every), true
	}
	if !ok || s.afterEnd(t) {
		return time.Time{}, false
	}
	return t, true
}

// cronNext returns the first cron occurrence strictly after t.
func (s *Spec) cronNext(t time.Time) (time.Time, bool) {
	c := s.cron
	if c == nil || s.cronText != s.Cron {
		var err error
		if c, err = parseCron(s.Cron); err != nil {
			return time.Time{}, false
		}
	}
	return c.next(t, s.location())
}

func (s *Spec) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

func (s *Spec) afterEnd(t time.Time) bool {
	return !s.EndDate.IsZero() && t.After(s.EndDate)
}
