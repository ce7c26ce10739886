package schedule

import (
	"math/bits"
	"time"
)

// searchMonths bounds the search for the next matching day. The Gregorian
// calendar repeats every 400 years, so an expression with no match in that
// span never matches (parseCron rejects it).
const searchMonths = 401 * 12

// wall is a wall-clock minute: a calendar date and a time of day, with no
// time zone.
type wall struct {
	year         int
	month        time.Month
	day          int
	hour, minute int
}

// wallOf returns the wall-clock minute of t in its own location.
func wallOf(t time.Time) wall {
	y, m, d := t.Date()
	h, mi, _ := t.Clock()
	return wall{year: y, month: m, day: d, hour: h, minute: mi}
}

// unix returns the seconds since the Unix epoch of w read as UTC.
func (w wall) unix() int64 {
	return time.Date(w.year, w.month, w.day, w.hour, w.minute, 0, 0, time.UTC).Unix()
}

// addMinute returns the wall-clock minute after w.
func (w wall) addMinute() wall {
	return wallOf(time.Unix(w.unix()+60, 0).UTC())
}

// next returns the first occurrence strictly after t, evaluated in loc. See
// resolve for how wall-clock minutes that do not exist, or exist twice,
// become instants.
func (c *cronExpr) next(t time.Time, loc *time.Location) (time.Time, bool) {
	w := wallOf(t.In(loc))
	// resolve is monotonic, so only minutes inside a repeated (fall-back)
	// hour or a skipped (spring-forward) gap can resolve to t or before it.
	for range 4 * 60 {
		m, ok := c.nextWall(w)
		if !ok {
			return time.Time{}, false
		}
		if at := resolve(m, loc); at.After(t) {
			return at, true
		}
		w = m.addMinute()
	}
	return time.Time{}, false
}

// nextWall returns the first matching wall-clock minute at or after from.
func (c *cronExpr) nextWall(from wall) (wall, bool) {
	y, m := from.year, from.month
	for i := range searchMonths {
		if c.month&(1<<m) != 0 {
			days := c.dayMask(y, m)
			if i == 0 {
				days &^= 1<<from.day - 1
			}
			for ; days != 0; days &= days - 1 {
				d := bits.TrailingZeros32(days)
				h0, m0 := 0, 0
				if i == 0 && d == from.day {
					h0, m0 = from.hour, from.minute
				}
				if h, mi, ok := c.timeOfDay(h0, m0); ok {
					return wall{year: y, month: m, day: d, hour: h, minute: mi}, true
				}
			}
		}
		if m++; m > time.December {
			m, y = time.January, y+1
		}
	}
	return wall{}, false
}

// timeOfDay returns the first matching hour and minute at or after h0:m0.
func (c *cronExpr) timeOfDay(h0, m0 int) (int, int, bool) {
	for hours := c.hour >> h0 << h0; hours != 0; hours &= hours - 1 {
		h := bits.TrailingZeros32(hours)
		from := 0
		if h == h0 {
			from = m0
		}
		if mins := c.minute >> from << from; mins != 0 {
			return h, bits.TrailingZeros64(mins), true
		}
	}
	return 0, 0, false
}

// dayMask returns the days of month m of year y that match (bit d: day d).
func (c *cronExpr) dayMask(y int, m time.Month) uint32 {
	n := daysIn(y, m)
	all := uint32(1)<<(n+1) - 2
	first := int(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday())

	dom := c.dom & all
	if c.domLast {
		dom |= 1 << n
	}
	if c.domLastWeekday {
		dom |= 1 << nearestWeekday(n, n, first)
	}
	for ws := c.domNearest & all; ws != 0; ws &= ws - 1 {
		dom |= 1 << nearestWeekday(bits.TrailingZeros32(ws), n, first)
	}

	var dow uint32
	if c.dow == 0x7f {
		dow = all
	} else {
		for d := 1; d <= n; d++ {
			w := (first + d - 1) % 7
			bit := uint8(1) << w
			if c.dow&bit != 0 || c.dowLast&bit != 0 && d+7 > n || c.dowNth[w]&(1<<((d-1)/7+1)) != 0 {
				dow |= 1 << d
			}
		}
	}
	if c.domStar || c.dowStar {
		return dom & dow
	}
	return dom | dow
}

// nearestWeekday returns the Monday-to-Friday day closest to day d of a
// month of n days whose first day is weekday first, without leaving the
// month (Quartz's W rule): a Saturday moves to Friday, or to Monday the 3rd
// for the 1st; a Sunday moves to Monday, or to Friday for the last day.
func nearestWeekday(d, n, first int) int {
	switch (first + d - 1) % 7 {
	case int(time.Saturday):
		if d == 1 {
			return 3
		}
		return d - 1
	case int(time.Sunday):
		if d == n {
			return d - 2
		}
		return d + 1
	}
	return d
}

var monthDays = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// daysIn returns the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	if m == time.February && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 29
	}
	return monthDays[m]
}
