package schedule

import "time"

// zoneWindow bounds how far a wall-clock time can be from the instant it
// names: UTC offsets stay within ±14h, so ±18h is safe.
const zoneWindow = 18 * 3600

// resolve turns a wall-clock minute into an instant in loc, with jobd's
// daylight-saving rules:
//   - a minute that exists once is that instant;
//   - a minute that exists twice (the clock was set back) is its first,
//     earlier instant;
//   - a minute that does not exist (the clock jumped forward over it) is the
//     first instant after the jump, e.g. 03:00 local.
//
// The mapping never decreases as the wall clock advances, which is what lets
// cronExpr.next search wall-clock minutes in order.
func resolve(w wall, loc *time.Location) time.Time {
	local := w.unix()
	if loc == time.UTC {
		return time.Unix(local, 0).UTC()
	}
	// Walk the zone's periods (spans of one offset) in time order, from one
	// that starts before any instant w could name.
	t := time.Unix(local-zoneWindow, 0).In(loc)
	for range 8 {
		_, off := t.Zone()
		start, end := t.ZoneBounds()
		u := local - int64(off)
		if (start.IsZero() || u >= start.Unix()) && (end.IsZero() || u < end.Unix()) {
			return time.Unix(u, 0).In(loc)
		}
		if end.IsZero() || end.Unix() > local+zoneWindow {
			break
		}
		next := end.In(loc)
		_, nextOff := next.Zone()
		if e := end.Unix(); e+int64(off) <= local && local < e+int64(nextOff) {
			return next // inside the gap of a forward jump
		}
		t = next
	}
	return time.Date(w.year, w.month, w.day, w.hour, w.minute, 0, 0, loc)
}
