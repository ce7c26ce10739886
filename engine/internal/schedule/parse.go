package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// MinEvery is the shortest accepted repeat interval.
const MinEvery = time.Second

// Raw is the user-facing form of a schedule, as decoded from config TOML or a
// JSON dispatch request; Parse validates and converts it.
type Raw struct {
	// StartAt is when to run first; see ParseTimeIn for the accepted
	// forms. nil, 0 and "" mean now. Times without an offset are read in TZ.
	StartAt any
	// Delay is added to the trigger time when StartAt is absent:
	// milliseconds or a duration string.
	Delay any
	// Every is the repeat interval: milliseconds or a duration string
	// ("24h", "90s"); at least MinEvery. nil, 0 and "" mean none.
	Every any
	// Cron is a 5-field cron expression or an @ descriptor.
	Cron string
	// TZ is the IANA zone Cron and offset-less times are read in. Defaults
	// to UTC.
	TZ string
	// Limit is the most runs in the series; 0 means unlimited.
	Limit int
	// Executions is the older name for Limit; 0 means unlimited.
	Executions int
	// EndDate is the last instant a run may be scheduled at; same forms as
	// StartAt. A date alone means midnight at its start.
	EndDate any
	// Misfire is "once" (default), "skip" or "all"; see Misfire.
	Misfire string
}

// Parse validates r and returns its Spec. It reports every problem at once,
// as an *Error whose problems each start with the field's name, for example
// "schedule.cron: field minute: 61 is out of range 0-59".
func Parse(r Raw) (*Spec, error) {
	var problems []string
	add := func(field string, err error) {
		var ve *valueError
		if errors.As(err, &ve) {
			problems = append(problems, "schedule."+field+": "+ve.msg)
		} else {
			problems = append(problems, "schedule."+field+": "+err.Error())
		}
	}
	s := &Spec{Location: time.UTC}

	if tz := strings.TrimSpace(r.TZ); tz != "" {
		loc, err := loadLocation(tz)
		if err != nil {
			add("tz", err)
		} else {
			s.Location = loc
		}
	}
	var err error
	if s.StartAt, err = ParseTimeIn(r.StartAt, s.Location); err != nil {
		add("start_at", err)
	}
	if s.Delay, err = parseDuration(r.Delay); err != nil {
		add("delay", err)
	} else if s.Delay > 0 && !s.StartAt.IsZero() {
		add("delay", errors.New("cannot be combined with start_at"))
	}
	if s.Every, err = parseDuration(r.Every); err != nil {
		add("every", err)
	} else if s.Every > 0 && s.Every < MinEvery {
		add("every", fmt.Errorf("%v is shorter than the minimum %v", s.Every, MinEvery))
	} else if s.Every == 0 && isZeroDuration(r.Every) {
		add("every", fmt.Errorf("%v is shorter than the minimum %v", r.Every, MinEvery))
	}
	if s.Cron = strings.TrimSpace(r.Cron); s.Cron != "" {
		if s.cron, err = parseCron(s.Cron); err != nil {
			add("cron", err)
		}
		s.cronText = s.Cron
		if !isAbsentDuration(r.Every) {
			add("every", errors.New("cannot be combined with cron: choose one"))
		}
	}
	switch {
	case r.Limit < 0:
		add("limit", fmt.Errorf("%d is negative (0 means unlimited)", r.Limit))
	case r.Executions < 0:
		add("executions", fmt.Errorf("%d is negative (0 means unlimited)", r.Executions))
	case r.Limit > 0 && r.Executions > 0 && r.Limit != r.Executions:
		add("executions", fmt.Errorf("%d conflicts with limit %d (executions is the older name of limit)", r.Executions, r.Limit))
	case r.Limit > 0:
		s.Limit = r.Limit
	default:
		s.Limit = r.Executions
	}
	if s.EndDate, err = ParseTimeIn(r.EndDate, s.Location); err != nil {
		add("end_date", err)
	} else if !s.EndDate.IsZero() && !s.StartAt.IsZero() && s.EndDate.Before(s.StartAt) {
		add("end_date", fmt.Errorf("%s is before start_at %s",
			s.EndDate.Format(time.RFC3339), s.StartAt.Format(time.RFC3339)))
	}
	if s.Misfire, err = ParseMisfire(r.Misfire); err != nil {
		add("misfire", fmt.Errorf("%q is not once, skip or all", r.Misfire))
	}
	if problems != nil {
		return nil, &Error{Problems: problems}
	}
	return s, nil
}

// loadLocation loads an IANA zone, refusing "Local", which would make the
// schedule depend on the host.
func loadLocation(name string) (*time.Location, error) {
	if strings.EqualFold(name, "local") {
		return nil, errors.New(`"Local" depends on the host; name an IANA zone such as "Europe/Berlin"`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return loc, nil
}

// isAbsentDuration reports whether an every or delay value means "none":
// nil, "", or the number 0 (which ParseTimeIn also reads as absent).
func isAbsentDuration(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case time.Duration:
		return x == 0
	case string:
		s := strings.TrimSpace(x)
		return s == "" || isDigits(s) && strings.Trim(s, "0") == ""
	}
	ms, ok, err := millis(v)
	return ok && err == nil && ms == 0
}

// isZeroDuration reports whether v is an explicit zero duration string such
// as "0s" or "0h": present, but zero.
func isZeroDuration(v any) bool {
	if isAbsentDuration(v) {
		return false
	}
	d, err := parseDuration(v)
	return err == nil && d == 0
}
