package catalog

import (
	"errors"
	"strings"

	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/schedule"
)

// compileSchedule parses a job's [jobs.schedule]: the static parts into a
// schedule.Spec, a piped start_at into a template evaluated per event.
func compileSchedule(ps *config.Problems, path string, cj *config.Job, opts piping.Options) (*schedule.Spec, *piping.Template) {
	s := cj.Schedule
	if s == nil {
		return nil, nil
	}
	raw := RawSchedule(s)
	var startAt *piping.Template
	if str, ok := s.StartAt.(string); ok && strings.Contains(str, "$") {
		if len(cj.On) == 0 {
			ps.Add(path+".schedule.start_at", "a piped start_at needs a triggering event (on)")
			return nil, nil
		}
		o := opts
		o.Path = "schedule.start_at"
		t, err := piping.CompileString(str, o)
		if err != nil {
			addPipingProblems(ps, path, err)
			return nil, nil
		}
		startAt = t
		raw.StartAt = nil
	}
	spec, err := schedule.Parse(raw)
	if err != nil {
		lines := []string{err.Error()}
		var se *schedule.Error
		if errors.As(err, &se) {
			lines = se.Problems
		}
		for _, line := range lines {
			field, msg, ok := strings.Cut(line, ": ")
			if !ok || !strings.HasPrefix(field, "schedule") {
				ps.Add(path+".schedule", "%s", line)
				continue
			}
			ps.Add(path+"."+field, "%s", msg)
		}
		return nil, nil
	}
	return spec, startAt
}

// RawSchedule turns a configured schedule into the form package schedule
// parses.
func RawSchedule(s *config.Schedule) schedule.Raw {
	return schedule.Raw{
		StartAt:    s.StartAt,
		Delay:      s.Delay,
		Every:      s.Every,
		Cron:       s.Cron,
		TZ:         s.TZ,
		Limit:      s.Limit,
		Executions: s.Executions,
		EndDate:    s.EndDate,
		Misfire:    s.Misfire,
	}
}
