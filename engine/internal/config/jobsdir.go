package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// jobFile is a job in the JSON shape of docs/job-events.md (plus kind, on,
// schedule, timeout and backoff).
type jobFile struct {
	Type      string         `json:"type"`
	Event     string         `json:"event"`
	Kind      string         `json:"kind"`
	On        any            `json:"on"`
	Input     map[string]any `json:"input"`
	Retries   *int           `json:"retries"`
	AllowFail bool           `json:"allow_fail"`
	Timeout   any            `json:"timeout"`
	Schedule  *Schedule      `json:"schedule"`
	Backoff   *struct {
		Initial    any      `json:"initial"`
		Max        any      `json:"max"`
		Multiplier float64  `json:"multiplier"`
		Jitter     *float64 `json:"jitter"`
		// MaxRetryAfter caps a plugin's requested delay.
		MaxRetryAfter any `json:"max_retry_after"`
	} `json:"backoff"`
}

// loadJobsDir reads every *.json file in dir: each holds one job or
// feature ({"type": "feature", …}), or a list of them.
func loadJobsDir(dir string) ([]Job, []Feature, []Problem) {
	var problems []Problem
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || files == nil {
		if _, serr := os.Stat(dir); serr != nil {
			return nil, nil, []Problem{{File: dir, Msg: fmt.Sprintf("jobs_dir: %v", serr)}}
		}
	}
	sort.Strings(files)
	var jobs []Job
	var features []Feature
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, Problem{File: f, Msg: err.Error()})
			continue
		}
		b = bytes.TrimSpace(b)
		var list []json.RawMessage
		if len(b) > 0 && b[0] == '[' {
			err = json.Unmarshal(b, &list)
		} else {
			list = []json.RawMessage{b}
		}
		if err != nil {
			problems = append(problems, Problem{File: f, Msg: fmt.Sprintf("not JSON: %v", err)})
			continue
		}
		for i, raw := range list {
			if isFeatureFile(raw) {
				ft, ps := decodeFeatureFile(raw, f, fmt.Sprintf("[%d]", i))
				problems = append(problems, ps...)
				if len(ps) == 0 {
					features = append(features, ft)
				}
				continue
			}
			j, err := decodeJobFile(raw)
			if err != nil {
				problems = append(problems, Problem{File: f, Path: fmt.Sprintf("[%d]", i), Msg: err.Error()})
				continue
			}
			j.Source = f
			jobs = append(jobs, j)
		}
	}
	return jobs, features, problems
}

func decodeJobFile(raw json.RawMessage) (Job, error) {
	var jf jobFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&jf); err != nil {
		return Job{}, err
	}
	j := Job{Type: jf.Type, Event: jf.Event, Kind: jf.Kind, Input: numbers(jf.Input).(map[string]any), Retries: jf.Retries, AllowFail: jf.AllowFail, Schedule: jf.Schedule}
	switch on := jf.On.(type) {
	case string:
		j.On = []string{on}
	case []any:
		for _, s := range on {
			str, ok := s.(string)
			if !ok {
				return Job{}, fmt.Errorf("on: expected subjects as strings, got %v", s)
			}
			j.On = append(j.On, str)
		}
	case nil:
	default:
		return Job{}, fmt.Errorf("on: expected a subject or a list of subjects")
	}
	var err error
	if j.Timeout, err = jsonDuration(jf.Timeout); err != nil {
		return Job{}, fmt.Errorf("timeout: %w", err)
	}
	if jf.Backoff != nil {
		if j.Backoff.Initial, err = jsonDuration(jf.Backoff.Initial); err != nil {
			return Job{}, fmt.Errorf("backoff.initial: %w", err)
		}
		if j.Backoff.Max, err = jsonDuration(jf.Backoff.Max); err != nil {
			return Job{}, fmt.Errorf("backoff.max: %w", err)
		}
		if j.Backoff.MaxRetryAfter, err = jsonDuration(jf.Backoff.MaxRetryAfter); err != nil {
			return Job{}, fmt.Errorf("backoff.max_retry_after: %w", err)
		}
		j.Backoff.Multiplier = jf.Backoff.Multiplier
		j.Backoff.Jitter = jf.Backoff.Jitter
	}
	return j, nil
}

func jsonDuration(v any) (Duration, error) {
	switch d := v.(type) {
	case nil:
		return 0, nil
	case string:
		p, err := ParseDuration(d)
		return Duration(p), err
	case json.Number:
		ms, err := d.Int64()
		return Duration(time.Duration(ms) * time.Millisecond), err
	}
	return 0, fmt.Errorf("expected a duration string or milliseconds")
}

// numbers turns json.Number into int64 or float64, as TOML decoding gives.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return map[string]any{}
		}
		for k, e := range x {
			x[k] = numbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
