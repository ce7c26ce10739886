package schedule

import (
	"strconv"
	"strings"
	"time"
)

// cronExpr is a compiled 5-field cron expression. Each field is a bit set:
// bit i set means value i matches.
type cronExpr struct {
	minute uint64 // 0-59
	hour   uint32 // 0-23
	dom    uint32 // 1-31, plain days of the month
	month  uint16 // 1-12
	dow    uint8  // 0-6, 0 = Sunday

	domLast        bool     // "L": the last day of the month
	domLastWeekday bool     // "LW": the last Monday-to-Friday of the month
	domNearest     uint32   // bit d: "dW", the weekday nearest day d
	dowLast        uint8    // bit w: "wL", the last weekday w of the month
	dowNth         [7]uint8 // [w] bit n: "w#n", the nth weekday w of the month

	// domStar and dowStar record that the field begins with '*' or '?'.
	// As in Vixie cron, when either does, a day must match both fields;
	// when both fields are restricted, a day matching either one matches.
	domStar, dowStar bool
}

func cronErrorf(format string, args ...any) error {
	return problemf(ErrInvalidCron, format, args...)
}

// descriptors maps the @ shorthands to their 5-field form.
var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// cronField describes one of the five fields.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] is the name of value min+i, if any
}

var (
	fieldMinute = cronField{name: "minute", min: 0, max: 59}
	fieldHour   = cronField{name: "hour", min: 0, max: 23}
	fieldDom    = cronField{name: "day-of-month", min: 1, max: 31}
	fieldMonth  = cronField{name: "month", min: 1, max: 12, names: []string{
		"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	fieldDow = cronField{name: "day-of-week", min: 0, max: 7, names: []string{
		"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
)

// parseCron compiles a 5-field expression or an @ descriptor. It rejects an
// expression that can never match.
func parseCron(expr string) (*cronExpr, error) {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "@") {
		full, ok := descriptors[strings.ToLower(expr)]
		if !ok {
			return nil, cronErrorf("unknown descriptor %q (want @hourly, @daily, @weekly, @monthly, @yearly or @annually)", expr)
		}
		expr = full
	}
	f := strings.Fields(expr)
	if len(f) != 5 {
		return nil, cronErrorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(f))
	}
	c := &cronExpr{
		domStar: strings.HasPrefix(f[2], "*") || strings.HasPrefix(f[2], "?"),
		dowStar: strings.HasPrefix(f[4], "*") || strings.HasPrefix(f[4], "?"),
	}
	var err error
	var b uint64
	if c.minute, err = parseList(fieldMinute, f[0]); err != nil {
		return nil, err
	}
	if b, err = parseList(fieldHour, f[1]); err != nil {
		return nil, err
	}
	c.hour = uint32(b)
	if err = c.parseDom(f[2]); err != nil {
		return nil, err
	}
	if b, err = parseList(fieldMonth, f[3]); err != nil {
		return nil, err
	}
	c.month = uint16(b)
	if err = c.parseDow(f[4]); err != nil {
		return nil, err
	}
	start := wall{year: 2000, month: time.January, day: 1}
	if _, ok := c.nextWall(start); !ok {
		return nil, cronErrorf("%q never matches a date", expr)
	}
	return c, nil
}

// parseDom parses the day-of-month field, with L, LW and dW items.
func (c *cronExpr) parseDom(s string) error {
	for _, item := range strings.Split(s, ",") {
		u := strings.ToUpper(item)
		switch {
		case u == "L":
			c.domLast = true
		case u == "LW":
			c.domLastWeekday = true
		case strings.HasSuffix(u, "W"):
			d, err := fieldDom.value(u[:len(u)-1])
			if err != nil {
				return err
			}
			c.domNearest |= 1 << d
		default:
			b, err := parseItem(fieldDom, item)
			if err != nil {
				return err
			}
			c.dom |= uint32(b)
		}
	}
	return nil
}

// parseDow parses the day-of-week field, with wL and w#n items. 7 is Sunday.
func (c *cronExpr) parseDow(s string) error {
	for _, item := range strings.Split(s, ",") {
		u := strings.ToUpper(item)
		switch {
		case u == "L":
			return cronErrorf("field day-of-week: L needs a weekday before it, e.g. 5L or FRIL for the last Friday")
		case strings.HasSuffix(u, "L"):
			w, err := fieldDow.value(u[:len(u)-1])
			if err != nil {
				return err
			}
			c.dowLast |= 1 << (w % 7)
		case strings.Contains(u, "#"):
			ws, ns, _ := strings.Cut(u, "#")
			w, err := fieldDow.value(ws)
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(ns)
			if err != nil || n < 1 || n > 5 {
				return cronErrorf("field day-of-week: %q: the number after # must be 1-5", item)
			}
			c.dowNth[w%7] |= 1 << n
		default:
			b, err := parseItem(fieldDow, item)
			if err != nil {
				return err
			}
			if b&(1<<7) != 0 {
				b |= 1 // 7 is Sunday too
			}
			c.dow |= uint8(b & 0x7f)
		}
	}
	return nil
}

// parseList parses a comma-separated list of plain items.
func parseList(f cronField, s string) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(s, ",") {
		b, err := parseItem(f, item)
		if err != nil {
			return 0, err
		}
		bits |= b
	}
	return bits, nil
}

// parseItem parses one of *, ?, n, a-b, */s, a-b/s and a/s (a to the end).
// '?' is accepted as '*' in the day fields only.
func parseItem(f cronField, item string) (uint64, error) {
	rng, stepText, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		var err error
		step, err = strconv.Atoi(stepText)
		if err != nil || step < 1 || step > f.max {
			return 0, cronErrorf("field %s: %q: step must be a number from 1 to %d", f.name, item, f.max)
		}
	}
	lo, hi := f.min, f.max
	switch {
	case rng == "*", rng == "?" && (f.name == fieldDom.name || f.name == fieldDow.name):
	default:
		a, b, isRange := strings.Cut(rng, "-")
		var err error
		if lo, err = f.value(a); err != nil {
			return 0, err
		}
		switch {
		case isRange:
			if hi, err = f.value(b); err != nil {
				return 0, err
			}
		case !hasStep:
			hi = lo
		}
		if lo > hi {
			return 0, cronErrorf("field %s: range %q runs backwards", f.name, rng)
		}
	}
	var bits uint64
	for v := lo; v <= hi; v += step {
		bits |= 1 << v
	}
	return bits, nil
}

// value parses a number or a name of the field and checks its range.
func (f cronField) value(s string) (int, error) {
	if s == "" {
		return 0, cronErrorf("field %s: missing value", f.name)
	}
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, cronErrorf("field %s: %q is not a number or a name", f.name, s)
	}
	if v < f.min || v > f.max {
		return 0, cronErrorf("field %s: %d is out of range %d-%d", f.name, v, f.min, f.max)
	}
	return v, nil
}
