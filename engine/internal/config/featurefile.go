package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// featureFile is a feature in the JSON shape of the job-event family:
// {"type": "feature", "tag", "on"?, "input"?, "sequence": [{"tag", "events": […]}]}.
type featureFile struct {
	Type     string         `json:"type"`
	Tag      string         `json:"tag"`
	On       any            `json:"on"`
	Input    map[string]any `json:"input"`
	Schedule *Schedule      `json:"schedule"`
	Sequence []struct {
		Tag    string            `json:"tag"`
		Events []json.RawMessage `json:"events"`
	} `json:"sequence"`
}

// eventFile is one event of a feature file: the job file's fields and when.
type eventFile struct {
	Type      string         `json:"type"`
	Event     string         `json:"event"`
	Kind      string         `json:"kind"`
	Input     map[string]any `json:"input"`
	Retries   *int           `json:"retries"`
	AllowFail bool           `json:"allow_fail"`
	Timeout   any            `json:"timeout"`
	When      string         `json:"when"`
	Backoff   *struct {
		Initial    any      `json:"initial"`
		Max        any      `json:"max"`
		Multiplier float64  `json:"multiplier"`
		Jitter     *float64 `json:"jitter"`
		// MaxRetryAfter caps a plugin's requested delay.
		MaxRetryAfter any `json:"max_retry_after"`
	} `json:"backoff"`
}

// isFeatureFile reports whether a jobs_dir entry says "type": "feature".
func isFeatureFile(raw json.RawMessage) bool {
	var head struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(raw, &head) == nil && head.Type == "feature"
}

// decodeFeatureFile decodes one feature of a jobs_dir file; where locates
// it in the file ("[0]"). Problems name the feature, sequence and event.
func decodeFeatureFile(raw json.RawMessage, file, where string) (Feature, []Problem) {
	var ff featureFile
	if err := strictJSON(raw, &ff); err != nil {
		return Feature{}, []Problem{{File: file, Path: where, Msg: err.Error()}}
	}
	f := Feature{Type: ff.Type, Tag: ff.Tag, Input: ff.Input, Schedule: ff.Schedule}
	if f.Input != nil {
		f.Input = numbers(f.Input).(map[string]any)
	}
	path := FeaturePath(0, f.Tag)
	if f.Tag == "" {
		path = where
	}
	var problems []Problem
	add := func(p, format string, args ...any) {
		problems = append(problems, Problem{File: file, Path: p, Msg: fmt.Sprintf(format, args...)})
	}
	on, err := subjects(ff.On)
	if err != nil {
		add(path+".on", "%v", err)
	}
	f.On = on
	for si, s := range ff.Sequence {
		spath := SequencePath(path, si, s.Tag)
		seq := Sequence{Tag: s.Tag}
		for ei, rawEv := range s.Events {
			var ef eventFile
			if err := strictJSON(rawEv, &ef); err != nil {
				add(EventPath(spath, ei, ""), "%v", err)
				continue
			}
			epath := EventPath(spath, ei, ef.Event)
			e := FeatureEvent{Type: ef.Type, Event: ef.Event, Kind: ef.Kind, Input: ef.Input,
				Retries: ef.Retries, AllowFail: ef.AllowFail, When: ef.When}
			if e.Input != nil {
				e.Input = numbers(e.Input).(map[string]any)
			}
			if e.Timeout, err = jsonDuration(ef.Timeout); err != nil {
				add(epath+".timeout", "%v", err)
			}
			if b := ef.Backoff; b != nil {
				if e.Backoff.Initial, err = jsonDuration(b.Initial); err != nil {
					add(epath+".backoff.initial", "%v", err)
				}
				if e.Backoff.Max, err = jsonDuration(b.Max); err != nil {
					add(epath+".backoff.max", "%v", err)
				}
				if e.Backoff.MaxRetryAfter, err = jsonDuration(b.MaxRetryAfter); err != nil {
					add(epath+".backoff.max_retry_after", "%v", err)
				}
				e.Backoff.Multiplier, e.Backoff.Jitter = b.Multiplier, b.Jitter
			}
			seq.Events = append(seq.Events, e)
		}
		f.Sequence = append(f.Sequence, seq)
	}
	return f, problems
}

// strictJSON decodes raw into v, refusing unknown fields.
func strictJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	return dec.Decode(v)
}

// subjects reads "on" as one subject or a list of subjects.
func subjects(v any) ([]string, error) {
	switch on := v.(type) {
	case string:
		return []string{on}, nil
	case []any:
		var out []string
		for _, s := range on {
			str, ok := s.(string)
			if !ok {
				return nil, fmt.Errorf("expected subjects as strings, got %v", s)
			}
			out = append(out, str)
		}
		return out, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("expected a subject or a list of subjects")
}

// featureElementName names an element of a features, sequence or events
// list in problem paths by its tag or event, as FeaturePath does.
func featureElementName(path string, v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	key := ""
	switch {
	case path == "features" || strings.HasPrefix(path, "features[") && strings.HasSuffix(path, ".sequence"):
		key = "tag"
	case strings.HasPrefix(path, "features[") && strings.HasSuffix(path, ".events"):
		key = "event"
	}
	name, _ := m[key].(string)
	return name
}

var featureIndex = regexp.MustCompile(`features\[(\d+)\](?:\.sequence\[(\d+)\](?:\.events\[(\d+)\])?)?`)

// nameFeatures rewrites features[0].sequence[1].events[2] with the tags
// of the feature, sequence and event in a message.
func nameFeatures(msg string, raw map[string]any) string {
	features, _ := raw["features"].([]any)
	return featureIndex.ReplaceAllStringFunc(msg, func(s string) string {
		m := featureIndex.FindStringSubmatch(s)
		fi, _ := strconv.Atoi(m[1])
		if fi >= len(features) {
			return s
		}
		fm, _ := features[fi].(map[string]any)
		tag, _ := fm["tag"].(string)
		out := FeaturePath(fi, tag)
		if m[2] == "" {
			return out
		}
		si, _ := strconv.Atoi(m[2])
		seqs, _ := fm["sequence"].([]any)
		var sm map[string]any
		if si < len(seqs) {
			sm, _ = seqs[si].(map[string]any)
		}
		stag, _ := sm["tag"].(string)
		out = SequencePath(out, si, stag)
		if m[3] == "" {
			return out
		}
		ei, _ := strconv.Atoi(m[3])
		evs, _ := sm["events"].([]any)
		var em map[string]any
		if ei < len(evs) {
			em, _ = evs[ei].(map[string]any)
		}
		ev, _ := em["event"].(string)
		return EventPath(out, ei, ev)
	})
}
