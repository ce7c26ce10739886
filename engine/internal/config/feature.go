package config

import (
	"fmt"
	"regexp"
)

// featureTag is a feature's tag: one subject token (features.<tag>).
var featureTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_\-]*$`)

// FeatureSubjectPrefix + <tag> is the subject every feature listens on
// besides its own on subjects: the feature plugin publishes there, so a
// job of kind feature starts a feature jobd runs.
const FeatureSubjectPrefix = "features."

// EventTypeJob is the type of a feature's void job events.
const EventTypeJob = "job"

// Feature is one [[features]] entry: an ordered list of sequences, each an
// ordered list of events, whose outputs later events read as
// $Sequence{sequence_tag}{event_tag}{path}.
type Feature struct {
	// Type is "feature" when given (the JSON shape of jobs_dir files).
	Type string `koanf:"type"`
	// Tag is the feature's tag, unique among features.
	Tag string `koanf:"tag"`
	// On lists trigger subjects besides features.<tag>, which every
	// feature listens on. Defaults to none.
	On []string `koanf:"on"`
	// Input is a template that builds the feature's $Input from the
	// triggering event. Defaults to the event's data as it is.
	Input map[string]any `koanf:"input"`
	// Schedule runs the feature on a schedule (the [jobs.schedule]
	// vocabulary): jobd adds a job of kind feature with the feature's tag
	// as its event, which starts the feature at each occurrence through the
	// feature plugin. With on, each event schedules its own run(s).
	// Defaults to none.
	Schedule *Schedule `koanf:"schedule"`
	// Sequence lists the sequences, run in order.
	Sequence []Sequence `koanf:"sequence"`
}

// ScheduleJob returns the job that runs a feature with a schedule: kind
// feature, event the feature's tag, the feature's on subjects, and as its
// input the triggering event's data (the feature plugin's wrapped form).
// Nil without a schedule.
func (f *Feature) ScheduleJob() *Job {
	if f.Schedule == nil {
		return nil
	}
	retries := ScheduleJobRetries
	jitter := BackoffJitterDefault
	input := map[string]any{}
	if len(f.On) > 0 {
		input["input"] = "$Input"
	}
	return &Job{
		Event: f.Tag, Kind: FeaturePluginKind, On: f.On, Input: input, Retries: &retries,
		Timeout: Duration(TimeoutDefault), Schedule: f.Schedule,
		Backoff: Backoff{Initial: Duration(BackoffInitialDefault), Max: Duration(BackoffMaxDefault), Multiplier: BackoffMultiplier, Jitter: &jitter,
			MaxRetryAfter: Duration(BackoffMaxRetryAfterDefault)},
	}
}

// FeaturePluginKind is the plugin kind that starts features: scheduled
// features need it.
const FeaturePluginKind = "feature"

// ScheduleJobRetries is how often the job of a scheduled feature retries
// handing the feature its event.
const ScheduleJobRetries = 3

// Sequence is one ordered list of events of a feature.
type Sequence struct {
	// Tag names the sequence in $Sequence{tag}{…}, unique in its feature.
	Tag string `koanf:"tag"`
	// Events run one after another.
	Events []FeatureEvent `koanf:"events"`
}

// FeatureEvent is one event of a sequence: a step (any type but job),
// whose output later events read, or a void job.
type FeatureEvent struct {
	// Type is the plugin kind that runs a step (action, notification,
	// db_action or its longer name database_action, feature, or any
	// plugin kind), or "job" for a void job event.
	Type string `koanf:"type"`
	// Event is the event's tag, unique in its sequence: what the plugin is
	// asked to run (an action tag, a database_tag:action_tag, a feature's
	// tag) and the key of its output in $Sequence.
	Event string `koanf:"event"`
	// Kind is the plugin kind of a job event (type "job" only).
	Kind string `koanf:"kind"`
	// Input is the event's input template. Defaults to {}.
	Input map[string]any `koanf:"input"`
	// Retries is the number of attempts after the first failure. Defaults
	// to 0.
	Retries *int `koanf:"retries"`
	// AllowFail lets the sequence go on after the last attempt fails; the
	// event's output is then {"status": "failed_allowed", "error": {…}}.
	// Defaults to false: the failure fails the feature run.
	AllowFail bool `koanf:"allow_fail"`
	// Timeout is one attempt's deadline. Defaults to 30s.
	Timeout Duration `koanf:"timeout"`
	// Backoff shapes the delay between attempts.
	Backoff Backoff `koanf:"backoff"`
	// When is a template ("${ … }" or a $ reference) evaluated before the
	// event: false skips it (recorded as skipped). Defaults to always.
	When string `koanf:"when"`
}

// Void reports whether the event is a job event: started with the data
// piped so far, never waited for, its output never readable.
func (e *FeatureEvent) Void() bool { return e.Type == EventTypeJob }

// PluginKind returns the plugin kind that runs the event.
func (e *FeatureEvent) PluginKind() string {
	switch e.Type {
	case EventTypeJob:
		return e.Kind
	case "database_action":
		return "db_action"
	}
	return e.Type
}

// AsJob returns the event as a job definition, for compiling it the way
// jobs are compiled.
func (e *FeatureEvent) AsJob() *Job {
	return &Job{
		Event: e.Event, Kind: e.PluginKind(), Input: e.Input, Retries: e.Retries,
		AllowFail: e.AllowFail, Timeout: e.Timeout, Backoff: e.Backoff,
	}
}

// FeaturePath names a feature in problem paths: features[tag] or
// features[index].
func FeaturePath(i int, tag string) string {
	if tag != "" {
		return fmt.Sprintf("features[%s]", tag)
	}
	return fmt.Sprintf("features[%d]", i)
}

// SequencePath names a sequence of the feature at fpath.
func SequencePath(fpath string, i int, tag string) string {
	if tag != "" {
		return fmt.Sprintf("%s.sequence[%s]", fpath, tag)
	}
	return fmt.Sprintf("%s.sequence[%d]", fpath, i)
}

// EventPath names an event of the sequence at spath.
func EventPath(spath string, i int, event string) string {
	if event != "" {
		return fmt.Sprintf("%s.events[%s]", spath, event)
	}
	return fmt.Sprintf("%s.events[%d]", spath, i)
}

// featureDefaults fills the defaults of every feature event, as for jobs,
// and registers the plugin kinds they use.
func (c *Config) featureDefaults(base string) {
	for fi := range c.Features {
		f := &c.Features[fi]
		if f.Type == "" {
			f.Type = "feature"
		}
		if _, ok := c.Plugins.Kinds[FeaturePluginKind]; !ok && f.Schedule != nil {
			c.Plugins.Kinds[FeaturePluginKind] = c.pluginDefaults(base, FeaturePluginKind, Plugin{})
		}
		for si := range f.Sequence {
			for ei := range f.Sequence[si].Events {
				e := &f.Sequence[si].Events[ei]
				if k := e.PluginKind(); k != "" && kindName.MatchString(k) {
					if _, ok := c.Plugins.Kinds[k]; !ok {
						c.Plugins.Kinds[k] = c.pluginDefaults(base, k, Plugin{})
					}
				}
				if e.Timeout == 0 {
					e.Timeout = Duration(TimeoutDefault)
				}
				b := &e.Backoff
				if b.Initial == 0 {
					b.Initial = Duration(BackoffInitialDefault)
				}
				if b.Max == 0 {
					b.Max = Duration(BackoffMaxDefault)
				}
				if b.Multiplier == 0 {
					b.Multiplier = BackoffMultiplier
				}
				if b.Jitter == nil {
					v := BackoffJitterDefault
					b.Jitter = &v
				}
				if b.MaxRetryAfter == 0 {
					b.MaxRetryAfter = Duration(BackoffMaxRetryAfterDefault)
				}
				if e.Input == nil {
					e.Input = map[string]any{}
				}
			}
		}
	}
}

// validateFeatures checks what can be checked of the features without
// plugins or templates (package catalog checks the templates and the
// $Sequence references).
func (c *Config) validateFeatures(ps *Problems) {
	seen := map[string]int{}
	for fi := range c.Features {
		f := &c.Features[fi]
		path := FeaturePath(fi, f.Tag)
		if f.Type != "feature" {
			ps.Add(path+".type", "must be \"feature\" when given, got %q", f.Type)
		}
		switch {
		case f.Tag == "":
			ps.Add(path+".tag", "required: the feature's tag (it listens on features.<tag>)")
		case !featureTag.MatchString(f.Tag):
			ps.Add(path+".tag", "%q: use letters, digits, _ and - (the tag is a subject token: features.<tag>)", f.Tag)
		default:
			if first, dup := seen[f.Tag]; dup {
				ps.Add(path+".tag", "duplicate tag: features[%d] has it too", first)
			}
			seen[f.Tag] = fi
		}
		for k, subj := range f.On {
			if err := checkSubject(subj); err != nil {
				ps.Add(fmt.Sprintf("%s.on[%d]", path, k), "%v", err)
			}
		}
		if len(f.Sequence) == 0 {
			ps.Add(path+".sequence", "required: at least one sequence of events")
		}
		seqSeen := map[string]bool{}
		for si := range f.Sequence {
			s := &f.Sequence[si]
			spath := SequencePath(path, si, s.Tag)
			switch {
			case s.Tag == "":
				ps.Add(spath+".tag", "required: the sequence's tag, read in $Sequence{tag}{event}")
			case !eventTag.MatchString(s.Tag):
				ps.Add(spath+".tag", "%q: use letters, digits, _, - and :", s.Tag)
			case seqSeen[s.Tag]:
				ps.Add(spath+".tag", "duplicate sequence tag in this feature")
			}
			seqSeen[s.Tag] = true
			if len(s.Events) == 0 {
				ps.Add(spath+".events", "required: at least one event")
			}
			evSeen := map[string]bool{}
			for ei := range s.Events {
				e := &s.Events[ei]
				epath := EventPath(spath, ei, e.Event)
				switch {
				case e.Event == "":
					ps.Add(epath+".event", "required: the event's tag (an action tag, database_tag:action_tag, a feature's tag, a job's tag)")
				case !eventTag.MatchString(e.Event):
					ps.Add(epath+".event", "%q: use letters, digits, _, - and :", e.Event)
				case evSeen[e.Event]:
					ps.Add(epath+".event", "duplicate event in this sequence: $Sequence{%s}{%s} would be ambiguous", s.Tag, e.Event)
				}
				evSeen[e.Event] = true
				e.validate(ps, epath)
			}
		}
	}
}

func (e *FeatureEvent) validate(ps *Problems, path string) {
	switch {
	case e.Type == "":
		ps.Add(path+".type", "required: the plugin kind (action, notification, db_action, database_action, feature, or a third-party kind), or \"job\" with kind")
	case e.Type == EventTypeJob:
		if e.Kind == "" {
			ps.Add(path+".kind", "required for a job event: the plugin kind that runs the job")
		} else if !kindName.MatchString(e.Kind) {
			ps.Add(path+".kind", "plugin kind %q: use lowercase letters, digits, _ and -", e.Kind)
		}
	case !kindName.MatchString(e.Type):
		ps.Add(path+".type", "plugin kind %q: use lowercase letters, digits, _ and -", e.Type)
	default:
		if e.Kind != "" && e.Kind != e.PluginKind() {
			ps.Add(path+".kind", "only for type = \"job\"; a step's type is its plugin kind (%q)", e.PluginKind())
		}
	}
	if e.Retries != nil && *e.Retries < 0 {
		ps.Add(path+".retries", "must be 0 or more, got %d", *e.Retries)
	}
	if e.Timeout < 0 {
		ps.Add(path+".timeout", "must be positive")
	}
	b := e.Backoff
	if b.Initial < 0 || b.Max < 0 || b.Max < b.Initial {
		ps.Add(path+".backoff", "need 0 < initial <= max, got initial %v, max %v", b.Initial.D(), b.Max.D())
	}
	if b.Multiplier < 1 {
		ps.Add(path+".backoff.multiplier", "must be at least 1, got %v", b.Multiplier)
	}
	if b.Jitter != nil && (*b.Jitter < 0 || *b.Jitter > 1) {
		ps.Add(path+".backoff.jitter", "must be between 0 and 1, got %v", *b.Jitter)
	}
	if b.MaxRetryAfter < 0 {
		ps.Add(path+".backoff.max_retry_after", "must be positive, got %v", b.MaxRetryAfter.D())
	}
}
