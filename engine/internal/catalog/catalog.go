// Package catalog holds the configured jobs compiled for running: input
// templates compiled once into piping programs, failure policy resolved,
// and trigger subjects indexed for matching.
package catalog

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/policy"
	"github.com/jobd-dev/jobd/engine/internal/schedule"
)

// Job is one configured job, ready to run.
type Job struct {
	// Event is the job's tag.
	Event string
	// Kind is the plugin kind that runs it.
	Kind string
	// On lists the trigger subjects.
	On []string
	// Input is the compiled input template.
	Input *piping.Template
	// MaxAttempts is retries + 1.
	MaxAttempts int
	// AllowFail lets the sequence go on after the last failure.
	AllowFail bool
	// Timeout is one attempt's deadline.
	Timeout time.Duration
	// Backoff shapes the delays between attempts.
	Backoff policy.Backoff
	// Schedule is when the job runs; nil runs it at once.
	Schedule *schedule.Spec
	// StartAt is a start_at piped from the event, or nil.
	StartAt *piping.Template
	// Config is the job as configured.
	Config *config.Job
	// Step is the key of the feature event the job runs (StepKey), or ""
	// for a configured job.
	Step string
}

// Scheduled reports whether runs of the job wait for a time (a schedule or
// a piped start_at) rather than running at once.
func (j *Job) Scheduled() bool { return j.Schedule != nil }

// Catalog is the set of compiled jobs.
type Catalog struct {
	jobs     []*Job
	byEvent  map[string]*Job
	subjects []string
	matches  sync.Map // subject -> []*Job, at most maxCachedSubjects entries
	cached   atomic.Int64

	features  []*Feature
	byFeature map[string]*Feature
	steps     map[string]*FeatureEvent // by StepKey
}

// maxCachedSubjects bounds the match cache: subjects that carry ids
// (orders.<id>.paid) would otherwise grow it without end.
const maxCachedSubjects = 10000

// Compile compiles every job of cfg. The error is a *config.Error naming
// the file, the job and the field of every problem.
func Compile(cfg *config.Config) (*Catalog, error) {
	ps := &config.Problems{File: cfg.File}
	opts := piping.Options{
		Variables: Variables(cfg),
		Constants: cfg.Constants,
	}
	c := &Catalog{byEvent: map[string]*Job{}}
	for i := range cfg.Jobs {
		cj := &cfg.Jobs[i]
		path := config.JobPath(i, cj.Event)
		o := opts
		o.Path = "input"
		tmpl, err := piping.Compile(cj.Input, o)
		if err != nil {
			addPipingProblems(ps, path, err)
			continue
		}
		spec, startAt := compileSchedule(ps, path, cj, opts)
		j := &Job{
			Event:       cj.Event,
			Kind:        cj.Kind,
			On:          cj.On,
			Input:       tmpl,
			MaxAttempts: cj.MaxAttempts(),
			AllowFail:   cj.AllowFail,
			Timeout:     cj.Timeout.D(),
			Backoff: policy.Backoff{
				Initial:       cj.Backoff.Initial.D(),
				Max:           cj.Backoff.Max.D(),
				Multiplier:    cj.Backoff.Multiplier,
				Jitter:        *cj.Backoff.Jitter,
				MaxRetryAfter: cj.Backoff.MaxRetryAfter.D(),
			},
			Schedule: spec,
			StartAt:  startAt,
			Config:   cj,
		}
		c.jobs = append(c.jobs, j)
		c.byEvent[j.Event] = j
	}
	c.compileFeatures(cfg, ps, opts)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	c.subjects = minimalSubjects(c.jobs, c.features)
	return c, nil
}

// Variables returns the $Variable values for the configured environment.
func Variables(cfg *config.Config) map[string]map[string]any {
	out := map[string]map[string]any{}
	for app, envs := range cfg.Variables {
		if vars, ok := envs[cfg.Server.Env]; ok {
			out[app] = vars
		}
	}
	return out
}

// addPipingProblems turns piping compile errors into config problems.
func addPipingProblems(ps *config.Problems, jobPath string, err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ce *piping.CompileError
		if errors.As(e, &ce) {
			msg := ce.Msg
			if ce.Column > 0 {
				ps.Add(jobPath+"."+ce.Path, "column %d: %s", ce.Column, msg)
			} else {
				ps.Add(jobPath+"."+ce.Path, "%s", msg)
			}
			continue
		}
		ps.Add(jobPath+".input", "%v", e)
	}
}

// Job returns the job with the event tag, or nil.
func (c *Catalog) Job(event string) *Job { return c.byEvent[event] }

// Jobs returns every job in configuration order.
func (c *Catalog) Jobs() []*Job { return c.jobs }

// Subjects returns the trigger subjects to capture, with subjects covered by
// a wildcard of another job left out.
func (c *Catalog) Subjects() []string { return c.subjects }

// Kinds returns the plugin kinds the jobs and features use, sorted.
func (c *Catalog) Kinds() []string {
	set := map[string]bool{}
	for _, j := range c.jobs {
		set[j.Kind] = true
	}
	for _, fe := range c.steps {
		if fe.Nested == nil { // jobd runs nested features itself
			set[fe.Job.Kind] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Match returns the jobs whose trigger matches subject, in configuration
// order. Results are cached per subject, for the first maxCachedSubjects
// subjects seen.
func (c *Catalog) Match(subject string) []*Job {
	if v, ok := c.matches.Load(subject); ok {
		return v.([]*Job)
	}
	var out []*Job
	for _, j := range c.jobs {
		for _, pattern := range j.On {
			if SubjectMatches(pattern, subject) {
				out = append(out, j)
				break
			}
		}
	}
	if c.cached.Load() < maxCachedSubjects {
		if _, loaded := c.matches.LoadOrStore(subject, out); !loaded {
			c.cached.Add(1)
		}
	}
	return out
}
