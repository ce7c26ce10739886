package schedule

import "time"

// MaxCatchUp is the most runs Due returns at once under MisfireAll. When
// more occurrences were missed, the first MaxCatchUp run and the rest are
// dropped, as under MisfireSkip.
const MaxCatchUp = 1000

// Due applies the misfire policy when the timer for the series' next
// scheduled time due fires at now, possibly long after due (jobd was down).
// count is the number of runs already made.
//
// It returns the scheduled times to run now, and the next future occurrence
// to set a timer for (strictly after now); ok is false when the series ends
// after run. The occurrences due, Next(due), ... up to now are the missed
// ones:
//   - MisfireOnce runs one of them, reported as due, whatever their number;
//   - MisfireSkip runs only the latest of them, and only if it is at most
//     MisfireGrace old at now (so a timer that fires a little late still
//     runs); others are dropped;
//   - MisfireAll runs each of them, oldest first, at most MaxCatchUp.
//
// Runs never exceed Limit (counting count) and never lie after EndDate. A
// call with due after now (the timer fired early) runs nothing and returns
// due as next.
func (s *Spec) Due(due, now time.Time, count int) (run []time.Time, next time.Time, ok bool) {
	if s.Limit > 0 && count >= s.Limit || s.afterEnd(due) {
		return nil, time.Time{}, false
	}
	if due.After(now) {
		return nil, due, true
	}
	switch s.Misfire {
	case MisfireAll:
		run = append(run, due)
		for t := due; len(run) < MaxCatchUp; {
			n, more := s.Next(t, count+len(run))
			if !more {
				return run, time.Time{}, false
			}
			if n.After(now) {
				return run, n, true
			}
			run = append(run, n)
			t = n
		}
	case MisfireSkip:
		if t, found := s.latestWithin(due, now); found {
			run = append(run, t)
		}
	default:
		run = append(run, due)
	}
	next, ok = s.nextAfter(now, due, count+len(run))
	return run, next, ok
}

// latestWithin returns the latest occurrence of the series anchored at due
// that lies in [now-grace, now], if any, and not after EndDate.
func (s *Spec) latestWithin(due, now time.Time) (time.Time, bool) {
	grace := s.MisfireGrace
	if grace <= 0 {
		grace = DefaultMisfireGrace
	}
	from := now.Add(-grace)
	t, found := due, true
	if due.Before(from) {
		t, found = s.nextAfter(from.Add(-time.Nanosecond), due, 0)
	}
	var last time.Time
	var seen bool
	for found && !t.After(now) && !s.afterEnd(t) {
		last, seen = t, true
		t, found = s.nextAfter(t, due, 0)
	}
	return last, seen
}

// nextAfter returns the first occurrence strictly after t of the series
// whose occurrence at anchor is known, given made runs; ok is false when
// the series does not recur, Limit is reached, or EndDate is passed.
func (s *Spec) nextAfter(t, anchor time.Time, made int) (time.Time, bool) {
	if s.Limit > 0 && made >= s.Limit {
		return time.Time{}, false
	}
	var n time.Time
	switch {
	case t.Before(anchor):
		n = anchor
	case s.Cron != "":
		var ok bool
		if n, ok = s.cronNext(t); !ok {
			return time.Time{}, false
		}
	case s.Every > 0:
		// t.Sub saturates past 292 years, so step until past t.
		for n = anchor; !n.After(t); {
			n = n.Add(t.Sub(n) / s.Every * s.Every).Add(s.Every)
		}
	default:
		return time.Time{}, false
	}
	if s.afterEnd(n) {
		return time.Time{}, false
	}
	return n, true
}
