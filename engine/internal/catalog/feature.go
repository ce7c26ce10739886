package catalog

import (
	"fmt"
	"strings"

	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/piping"
	"github.com/jobd-dev/jobd/engine/internal/policy"
)

// Feature is one configured feature, ready to run: its events in the order
// they run (every sequence's events, sequence after sequence).
type Feature struct {
	// Tag is the feature's tag.
	Tag string
	// On lists its trigger subjects: features.<tag> and the configured ones.
	On []string
	// Input builds the feature's $Input from the triggering event; nil
	// takes the event's data as it is.
	Input *piping.Template
	// Events are every sequence's events, in the order they run.
	Events []*FeatureEvent
	// Config is the feature as configured.
	Config *config.Feature
}

// FeatureEvent is one event of a feature.
type FeatureEvent struct {
	Feature *Feature
	// Index is the event's position in Feature.Events.
	Index int
	// Sequence and Event are the tags that name its output in
	// $Sequence{sequence}{event}.
	Sequence, Event string
	// Void is true for a job event: started with the data piped so far,
	// not waited for, its output never readable.
	Void bool
	// When skips the event when it evaluates to false; nil runs it always.
	When *piping.Template
	// Job runs the event through the executor like any job; its Step is
	// the event's key.
	Job *Job
	// Nested is the configured feature a step of type feature runs and
	// waits for (its event is that feature's tag); nil otherwise. A step of
	// type feature naming no configured feature goes to the feature
	// plugin, which publishes features.<tag> and does not wait.
	Nested *Feature
}

// StepKey is the key of a feature's event: "<feature>/<sequence>/<event>".
// Run records of the event carry it, and its runs' ids end with it.
func StepKey(feature, sequence, event string) string {
	return feature + "/" + sequence + "/" + event
}

// Features returns every feature in configuration order.
func (c *Catalog) Features() []*Feature { return c.features }

// Feature returns the feature with the tag, or nil.
func (c *Catalog) Feature(tag string) *Feature { return c.byFeature[tag] }

// Step returns the feature event with the key (StepKey), or nil.
func (c *Catalog) Step(key string) *FeatureEvent { return c.steps[key] }

// MatchFeatures returns the features whose trigger matches subject, in
// configuration order.
func (c *Catalog) MatchFeatures(subject string) []*Feature {
	var out []*Feature
	for _, f := range c.features {
		for _, pattern := range f.On {
			if SubjectMatches(pattern, subject) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// compileFeatures compiles every feature of cfg into c: templates once,
// and every $Sequence reference checked against the events before it.
func (c *Catalog) compileFeatures(cfg *config.Config, ps *config.Problems, opts piping.Options) {
	c.byFeature = map[string]*Feature{}
	c.steps = map[string]*FeatureEvent{}
	for fi := range cfg.Features {
		cf := &cfg.Features[fi]
		path := config.FeaturePath(fi, cf.Tag)
		f := &Feature{Tag: cf.Tag, Config: cf, On: append([]string{config.FeatureSubjectPrefix + cf.Tag}, cf.On...)}
		ok := true
		if cf.Input != nil {
			o := opts
			o.Path = "input"
			t, err := piping.Compile(cf.Input, o)
			if err != nil {
				addPipingProblems(ps, path, err)
				ok = false
			}
			// The feature's input reads the triggering event: its $Sequence
			// is the envelope's (the outputs a calling feature passed on).
			f.Input = t
			if t != nil && t.UsesSecrets() {
				// The input is stored with the feature run and published
				// in its result.
				ps.Add(path+".input", "a feature's input is stored with its run and published in its result, so it cannot read $Secret or $Auth; read them in the events' inputs")
				ok = false
			}
		}
		// before holds the events that ran before the one being compiled:
		// sequence -> event -> void.
		before := map[string]map[string]bool{}
		for si := range cf.Sequence {
			cs := &cf.Sequence[si]
			spath := config.SequencePath(path, si, cs.Tag)
			if before[cs.Tag] == nil {
				before[cs.Tag] = map[string]bool{}
			}
			for ei := range cs.Events {
				ce := &cs.Events[ei]
				epath := config.EventPath(spath, ei, ce.Event)
				fe, good := compileEvent(ps, epath, f, cs.Tag, ce, opts, before)
				ok = ok && good
				before[cs.Tag][ce.Event] = ce.Void()
				if fe != nil {
					fe.Index = len(f.Events)
					f.Events = append(f.Events, fe)
				}
			}
		}
		if cf.Schedule != nil {
			// A job of kind feature starts the feature at each occurrence,
			// so the schedule is the jobs' (records, misfire, management);
			// the feature itself then hears only features.<tag>.
			if first, dup := c.byEvent[cf.Tag]; dup {
				ps.Add(path+".schedule", "a scheduled feature is run by a job of kind feature with event %q, and job %q (kind %s) has that tag already", cf.Tag, first.Event, first.Kind)
				ok = false
			} else if j := compileScheduleJob(ps, path, cf, opts); j != nil {
				c.jobs = append(c.jobs, j)
				c.byEvent[j.Event] = j
				f.On = f.On[:1]
			} else {
				ok = false
			}
		}
		if !ok {
			continue
		}
		c.features = append(c.features, f)
		c.byFeature[f.Tag] = f
		for _, fe := range f.Events {
			c.steps[fe.Job.Step] = fe
		}
	}
	c.linkNested(ps)
}

// linkNested points every step of type feature at the configured feature it
// names, and refuses a feature that would start itself through them.
func (c *Catalog) linkNested(ps *config.Problems) {
	for fi, f := range c.features {
		for _, fe := range f.Events {
			if fe.Void || fe.Job.Kind != config.FeaturePluginKind {
				continue
			}
			fe.Nested = c.byFeature[fe.Event]
			if fe.Nested != nil && fe.Job.Input.UsesSecrets() {
				ps.Add(nestedPath(fi, f, fe)+".input", "the input of a feature step is the nested feature's input, stored with its run and published in its result, so it cannot read $Secret or $Auth")
			}
		}
	}
	for fi, f := range c.features {
		if path := cycle(f, f, []string{f.Tag}); path != nil {
			for _, fe := range f.Events {
				if fe.Nested != nil && cycle(fe.Nested, f, []string{f.Tag, fe.Nested.Tag}) != nil || fe.Nested == f {
					ps.Add(nestedPath(fi, f, fe), "feature %q starts itself through nested features (%s); a feature step waits for its feature, so this would never end", f.Tag, strings.Join(path, " → "))
					break
				}
			}
		}
	}
}

// cycle returns the tags from f's nested features back to target, or nil.
func cycle(f, target *Feature, path []string) []string {
	for _, fe := range f.Events {
		n := fe.Nested
		if n == nil {
			continue
		}
		if n == target {
			return append(path, n.Tag)
		}
		if len(path) > 32 || contains(path[1:], n.Tag) {
			continue
		}
		if p := cycle(n, target, append(path, n.Tag)); p != nil {
			return p
		}
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// nestedPath names a feature event in problem paths.
func nestedPath(fi int, f *Feature, fe *FeatureEvent) string {
	path := config.FeaturePath(fi, f.Tag)
	for si, cs := range f.Config.Sequence {
		if cs.Tag == fe.Sequence {
			path = config.SequencePath(path, si, cs.Tag)
			for ei, ce := range cs.Events {
				if ce.Event == fe.Event {
					return config.EventPath(path, ei, ce.Event)
				}
			}
		}
	}
	return path
}

// compileScheduleJob compiles the job that runs a scheduled feature.
func compileScheduleJob(ps *config.Problems, path string, cf *config.Feature, opts piping.Options) *Job {
	cj := cf.ScheduleJob()
	o := opts
	o.Path = "input"
	tmpl, err := piping.Compile(cj.Input, o)
	if err != nil {
		addPipingProblems(ps, path, err)
		return nil
	}
	spec, startAt := compileSchedule(ps, path, cj, opts)
	if spec == nil {
		return nil // compileSchedule said why
	}
	return &Job{
		Event: cj.Event, Kind: cj.Kind, On: cj.On, Input: tmpl, MaxAttempts: cj.MaxAttempts(),
		Timeout: cj.Timeout.D(),
		Backoff: policy.Backoff{
			Initial: cj.Backoff.Initial.D(), Max: cj.Backoff.Max.D(),
			Multiplier: cj.Backoff.Multiplier, Jitter: *cj.Backoff.Jitter,
			MaxRetryAfter: cj.Backoff.MaxRetryAfter.D(),
		},
		Schedule: spec, StartAt: startAt, Config: cj,
	}
}

// compileEvent compiles one event; before holds the events that run
// earlier in the feature.
func compileEvent(ps *config.Problems, path string, f *Feature, seq string, ce *config.FeatureEvent, opts piping.Options, before map[string]map[string]bool) (*FeatureEvent, bool) {
	ok := true
	o := opts
	o.Path = "input"
	tmpl, err := piping.Compile(ce.Input, o)
	if err != nil {
		addPipingProblems(ps, path, err)
		ok = false
	}
	ok = checkRefs(ps, path, piping.SequenceRefs(ce.Input, "input"), before) && ok
	var when *piping.Template
	if ce.When != "" {
		o.Path = "when"
		if when, err = piping.CompileString(ce.When, o); err != nil {
			addPipingProblems(ps, path, err)
			ok = false
		}
		ok = checkRefs(ps, path, piping.SequenceRefs(ce.When, "when"), before) && ok
	}
	if !ok {
		return nil, false
	}
	j := ce.AsJob()
	return &FeatureEvent{
		Feature: f, Sequence: seq, Event: ce.Event, Void: ce.Void(), When: when,
		Job: &Job{
			Event:       ce.Event,
			Kind:        j.Kind,
			Input:       tmpl,
			MaxAttempts: j.MaxAttempts(),
			AllowFail:   j.AllowFail,
			Timeout:     j.Timeout.D(),
			Backoff: policy.Backoff{
				Initial:    j.Backoff.Initial.D(),
				Max:        j.Backoff.Max.D(),
				Multiplier: j.Backoff.Multiplier,
				Jitter:     *j.Backoff.Jitter,
				// A plugin's Retry-After is capped as for jobs.
				MaxRetryAfter: j.Backoff.MaxRetryAfter.D(),
			},
			Step:   StepKey(f.Tag, seq, ce.Event),
			Config: j,
		},
	}, true
}

// checkRefs refuses $Sequence references to events that do not run before
// the one at path, and to void job events.
func checkRefs(ps *config.Problems, path string, refs []piping.SequenceRef, before map[string]map[string]bool) bool {
	ok := true
	for _, r := range refs {
		events, seqKnown := before[r.Sequence]
		var msg string
		switch {
		case !seqKnown:
			msg = fmt.Sprintf("%s: no sequence %q runs before this event (an event reads only the outputs of earlier events)", r.Ref, r.Sequence)
		case r.Event == "":
			for ev, void := range events {
				if void {
					msg = fmt.Sprintf("%s: the sequence holds job event %q, and job events are void: nothing can read their output; read the events one by one", r.Ref, ev)
					break
				}
			}
		default:
			void, known := events[r.Event]
			switch {
			case !known:
				msg = fmt.Sprintf("%s: no event %q runs before this one in sequence %q (an event reads only the outputs of earlier events)", r.Ref, r.Event, r.Sequence)
			case void:
				msg = fmt.Sprintf("%s: %q is a job event, and job events are void: they are started and not waited for, so nothing can read their output", r.Ref, r.Event)
			}
		}
		if msg != "" {
			ps.Add(path+"."+r.Path, "%s", msg)
			ok = false
		}
	}
	return ok
}
