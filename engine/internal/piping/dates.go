package piping

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// dateLayouts are the text forms $Dateformat and $DateAdd accept, tried in
// order. A form without a zone is UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
}

// parseDate reads a date: a time, Unix milliseconds (a number or digit
// string), or text in one of dateLayouts. The result is in UTC.
func parseDate(ref string, v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		s := strings.TrimSpace(v)
		if n, ok := stringNumber(s); ok {
			return msTime(ref, n)
		}
		for _, l := range dateLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), nil
			}
		}
	default:
		if n, ok := toNumber(v); ok {
			return msTime(ref, n)
		}
	}
	return time.Time{}, fail(ref, ErrType, describe(v)+" is not a date (expected RFC 3339, YYYY-MM-DD or Unix milliseconds)")
}

// maxDateMillis bounds Unix-millisecond dates to the years 1-9999.
const maxDateMillis = 253402300799999

func msTime(ref string, n number) (time.Time, error) {
	f := n.float()
	if math.IsNaN(f) || f > maxDateMillis || f < -62135596800000 {
		return time.Time{}, fail(ref, ErrRange, render(n.value())+" is out of the range of dates")
	}
	if n.isInt {
		return time.UnixMilli(n.i).UTC(), nil
	}
	return time.Unix(0, 0).Add(time.Duration(f * float64(time.Millisecond))).UTC(), nil
}

var (
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// dateTokens are the pattern tokens, longest first within each letter.
var dateTokens = []string{"YYYY", "YY", "MMMM", "MMM", "MM", "M", "DD", "D", "dddd", "ddd", "HH", "H", "hh", "h", "mm", "m", "ss", "s", "A", "a"}

// formatDate renders t with a pattern. Text in [brackets] is copied as is;
// characters that start no token are copied.
func formatDate(t time.Time, pattern string) string {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		if pattern[i] == '[' {
			if j := strings.IndexByte(pattern[i:], ']'); j > 0 {
				b.WriteString(pattern[i+1 : i+j])
				i += j + 1
				continue
			}
		}
		tok := ""
		for _, k := range dateTokens {
			if strings.HasPrefix(pattern[i:], k) {
				tok = k
				break
			}
		}
		if tok == "" {
			b.WriteByte(pattern[i])
			i++
			continue
		}
		b.WriteString(dateToken(t, tok))
		i += len(tok)
	}
	return b.String()
}

func dateToken(t time.Time, tok string) string {
	pad := func(n int) string { return fmt.Sprintf("%02d", n) }
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	switch tok {
	case "YYYY":
		return fmt.Sprintf("%04d", t.Year())
	case "YY":
		return pad(t.Year() % 100)
	case "MMMM":
		return monthNames[t.Month()-1]
	case "MMM":
		return monthNames[t.Month()-1][:3]
	case "MM":
		return pad(int(t.Month()))
	case "M":
		return strconv.Itoa(int(t.Month()))
	case "DD":
		return pad(t.Day())
	case "D":
		return strconv.Itoa(t.Day())
	case "dddd":
		return dayNames[t.Weekday()]
	case "ddd":
		return dayNames[t.Weekday()][:3]
	case "HH":
		return pad(t.Hour())
	case "H":
		return strconv.Itoa(t.Hour())
	case "hh":
		return pad(h12)
	case "h":
		return strconv.Itoa(h12)
	case "mm":
		return pad(t.Minute())
	case "m":
		return strconv.Itoa(t.Minute())
	case "ss":
		return pad(t.Second())
	case "s":
		return strconv.Itoa(t.Second())
	case "A":
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	}
	if t.Hour() < 12 {
		return "am"
	}
	return "pm"
}

// fnDateformat implements $Dateformat(date, pattern) and $Format: the date
// in UTC as text.
func fnDateformat(p ...any) (any, error) {
	ref := p[0].(string)
	t, err := parseDate(ref, p[1])
	if err != nil {
		return nil, err
	}
	pattern, err := textArg(ref, p, 2)
	if err != nil {
		return nil, err
	}
	return formatDate(t, pattern), nil
}

// dateUnits maps $DateAdd units to seconds; 0 marks months (years are 12
// months).
var dateUnits = map[string]float64{
	"millisecond": 0.001, "milliseconds": 0.001,
	"second": 1, "seconds": 1,
	"minute": 60, "minutes": 60,
	"hour": 3600, "hours": 3600,
	"day": 86400, "days": 86400,
	"week": 7 * 86400, "weeks": 7 * 86400,
	"month": 0, "months": 0,
	"year": 0, "years": 0,
}

// fnDateAdd implements $DateAdd(date, n, unit): the date moved by n units,
// as an RFC 3339 string in UTC (which $Dateformat reads back). Adding months
// or years keeps the day of the month, clamped to the month's last day
// (Jan 31 + 1 month = Feb 29 in a leap year).
func fnDateAdd(p ...any) (any, error) {
	ref := p[0].(string)
	t, err := parseDate(ref, p[1])
	if err != nil {
		return nil, err
	}
	n, ok := toNumber(p[2])
	if !ok || math.IsNaN(n.float()) || math.IsInf(n.float(), 0) {
		return nil, fail(ref, ErrType, describe(p[2])+" is not a number")
	}
	unit, _ := p[3].(string)
	secs, ok := dateUnits[strings.ToLower(unit)]
	if !ok {
		return nil, fail(ref, ErrType, describe(p[3])+" is not a unit (use seconds, minutes, hours, days, weeks, months or years)")
	}
	const maxSeconds = 10000 * 366 * 86400
	switch {
	case secs > 0:
		total := n.float() * secs
		if math.Abs(total) > maxSeconds {
			return nil, fail(ref, ErrRange, "the result is out of the range of dates")
		}
		days := math.Trunc(total / 86400)
		rest := time.Duration((total - days*86400) * float64(time.Second))
		t = t.AddDate(0, 0, int(days)).Add(rest)
	default:
		if !n.isInt {
			return nil, fail(ref, ErrType, describe(p[2])+" is not a whole number of "+unit)
		}
		months := n.i
		if strings.HasPrefix(strings.ToLower(unit), "year") {
			if months > 10000 || months < -10000 { // before months*12 can overflow
				return nil, fail(ref, ErrRange, "the result is out of the range of dates")
			}
			months *= 12
		}
		if months > 120000 || months < -120000 {
			return nil, fail(ref, ErrRange, "the result is out of the range of dates")
		}
		t = addMonths(t, int(months))
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return nil, fail(ref, ErrRange, "the result is out of the range of dates")
	}
	return t.Format(time.RFC3339Nano), nil
}

// addMonths adds n months, clamping the day to the target month's length.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}
