package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

var (
	eventTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_:\-]*$`)
	kindName = regexp.MustCompile(`^[a-z0-9][a-z0-9_\-]*$`)
)

// validate checks what can be checked without plugins or templates.
func (c *Config) validate(ps *Problems) {
	s := c.Server
	checkAddress(ps, "nats.listen", c.NATS.Listen, true)
	checkAddress(ps, "server.http", s.HTTP, true)
	oneOf(ps, "server.log_level", s.LogLevel, "debug", "info", "warn", "error")
	oneOf(ps, "server.log_format", s.LogFormat, "text", "json")
	if s.MaxEventBytes < 0 {
		ps.Add("server.max_event_bytes", "must be positive, got %d", s.MaxEventBytes)
	}
	if s.MaxEventDepth < 0 {
		ps.Add("server.max_event_depth", "must be positive, got %d", s.MaxEventDepth)
	}
	if s.MaxOutputBytes < 0 {
		ps.Add("server.max_output_bytes", "must be positive, got %d", s.MaxOutputBytes)
	}
	if s.TimerSlot.D() < time.Second || s.TimerSlot.D()%time.Second != 0 {
		ps.Add("server.timer_slot", "must be a whole number of seconds, at least 1s, got %v", s.TimerSlot.D())
	}
	if s.TimerHorizon.D() < s.TimerSlot.D() {
		ps.Add("server.timer_horizon", "must be at least server.timer_slot (%v), got %v", s.TimerSlot.D(), s.TimerHorizon.D())
	}
	if s.AckWait.D() < time.Second {
		ps.Add("server.ack_wait", "must be at least 1s, got %v", s.AckWait.D())
	}
	switch {
	case s.DedupeWindow.D() < s.AckWait.D():
		ps.Add("server.dedupe_window", "must be at least server.ack_wait (%v), so that what jobd writes again after a redelivery is still a duplicate; got %v", s.AckWait.D(), s.DedupeWindow.D())
	case s.DedupeWindow.D() > s.ResultsMaxAge.D():
		ps.Add("server.dedupe_window", "must be at most server.results_max_age (%v), got %v", s.ResultsMaxAge.D(), s.DedupeWindow.D())
	}
	if s.GOGC < 10 {
		ps.Add("server.gogc", "must be at least 10 (percent of the live heap), got %d", s.GOGC)
	}
	oneOf(ps, "nats.sync", c.NATS.Sync, "", "always")
	c.validateNATSAuth(ps)
	if c.NATS.Replicas < 0 || c.NATS.Replicas > 5 {
		ps.Add("nats.replicas", "must be 1 to 5 (or unset), got %d", c.NATS.Replicas)
	}
	for kind, p := range c.Plugins.Kinds {
		path := "plugins." + kind
		if !kindName.MatchString(kind) {
			ps.Add(path, "plugin kind %q: use lowercase letters, digits, _ and -", kind)
		}
		if p.Concurrency < 1 {
			ps.Add(path+".concurrency", "must be at least 1, got %d", p.Concurrency)
		}
		if p.QueueTimeout < 0 {
			ps.Add(path+".queue_timeout", "must not be negative, got %v", p.QueueTimeout.D())
		}
		for j, e := range p.Env {
			if name, _, _ := strings.Cut(e, "="); name == "" || strings.ContainsAny(name, " \t") {
				ps.Add(fmt.Sprintf("%s.env[%d]", path, j), "%q: give a variable NAME, or NAME=value", e)
			}
		}
		if p.SHA256 != "" && len(p.SHA256) != 64 {
			ps.Add(path+".sha256", "must be 64 hex digits, got %d characters", len(p.SHA256))
		}
	}
	seen := map[string]int{}
	for i := range c.Jobs {
		c.Jobs[i].validate(ps, i, seen, c.Jobs)
	}
	if c.Variables != nil {
		for app, envs := range c.Variables {
			for env := range envs {
				if env == "" {
					ps.Add("variables."+app, "empty environment name")
				}
			}
		}
	}
}

func (j *Job) validate(ps *Problems, i int, seen map[string]int, jobs []Job) {
	path := JobPath(i, j.Event)
	// A job from jobs_dir is blamed on its own file.
	in := &Problems{File: ps.File}
	if j.Source != "" {
		in.File = j.Source
	}
	defer func() {
		for _, p := range in.list {
			ps.AddProblem(p)
		}
	}()
	if j.Type != "" && j.Type != "job" {
		in.Add(path+".type", "must be \"job\" when given, got %q", j.Type)
	}
	switch {
	case j.Event == "":
		in.Add(path+".event", "required: the job's tag")
	case !eventTag.MatchString(j.Event):
		in.Add(path+".event", "%q: use letters, digits, _, - and :", j.Event)
	default:
		if first, dup := seen[j.Event]; dup {
			other := fmt.Sprintf("jobs[%d]", first)
			if src := jobs[first].Source; src != j.Source { // in another file
				if src == "" {
					src = ps.File
				}
				other += " in " + src
			}
			in.Add(path+".event", "duplicate tag: %s has it too", other)
		}
		seen[j.Event] = i
	}
	if j.Kind == "" {
		in.Add(path+".kind", "required: the plugin kind that runs the job (notification, db_action, action, feature, or a third-party kind)")
	}
	// A job with neither on nor a schedule is valid: it runs only when
	// dispatched (README: on is optional).
	for k, subj := range j.On {
		if err := checkSubject(subj); err != nil {
			in.Add(fmt.Sprintf("%s.on[%d]", path, k), "%v", err)
		}
	}
	if j.Retries != nil && *j.Retries < 0 {
		in.Add(path+".retries", "must be 0 or more, got %d", *j.Retries)
	}
	if j.Timeout < 0 {
		in.Add(path+".timeout", "must be positive")
	}
	b := j.Backoff
	if b.Initial < 0 || b.Max < 0 || b.Max < b.Initial {
		in.Add(path+".backoff", "need 0 < initial <= max, got initial %v, max %v", b.Initial.D(), b.Max.D())
	}
	if b.MaxRetryAfter < 0 {
		in.Add(path+".backoff.max_retry_after", "must be positive, got %v", b.MaxRetryAfter.D())
	}
	if b.Multiplier < 1 {
		in.Add(path+".backoff.multiplier", "must be at least 1, got %v", b.Multiplier)
	}
	if b.Jitter != nil && (*b.Jitter < 0 || *b.Jitter > 1) {
		in.Add(path+".backoff.jitter", "must be between 0 and 1, got %v", *b.Jitter)
	}
}

// checkSubject checks a trigger subject.
func checkSubject(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty trigger subject")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("subject %q contains white space", s)
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		if t == "" {
			return fmt.Errorf("subject %q has an empty token", s)
		}
		if t == ">" && i != len(toks)-1 {
			return fmt.Errorf("subject %q: > must be the last token", s)
		}
		if strings.Contains(t, "*") && t != "*" || strings.Contains(t, ">") && t != ">" {
			return fmt.Errorf("subject %q: wildcards must be whole tokens", s)
		}
	}
	if toks[0] == "jobd" || toks[0] == "$JS" || toks[0] == "_INBOX" || toks[0] == "$KV" || toks[0] == ">" {
		return fmt.Errorf("subject %q overlaps subjects jobd or NATS use itself (jobd.>, $JS.>, _INBOX.>)", s)
	}
	return nil
}

func oneOf(ps *Problems, path, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	quoted := make([]string, 0, len(allowed))
	for _, a := range allowed {
		if a != "" {
			quoted = append(quoted, fmt.Sprintf("%q", a))
		}
	}
	ps.Add(path, "%q is not one of %s", v, strings.Join(quoted, ", "))
}
