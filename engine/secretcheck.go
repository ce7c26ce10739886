package engine

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/jobd-dev/jobd/engine/internal/config"
)

// exprSecretRef is a secret read inside ${ … }: Secret.KEY or
// Secret["KEY"].
var exprSecretRef = regexp.MustCompile(`\bSecret(?:\.([A-Za-z0-9_]+)|\[["']([A-Za-z0-9_.\-]+)["']\])`)

// checkJobSecrets adds a problem for every $Secret{KEY} a job's input or
// start_at reads that is not set, naming the variable to set: every run
// of such a job would fail.
func checkJobSecrets(ps *config.Problems, cfg *config.Config, s *Secrets) {
	for i := range cfg.Jobs {
		j := &cfg.Jobs[i]
		file := cfg.File
		if j.Source != "" {
			file = j.Source
		}
		path := config.JobPath(i, j.Event)
		check := func(at, str string) {
			for _, key := range secretKeys(str) {
				if _, err := s.Lookup(key); err != nil {
					ps.AddProblem(config.Problem{File: file, Path: at, Msg: err.Error()})
				}
			}
		}
		walkStrings(path+".input", j.Input, check)
		if j.Schedule != nil {
			if str, ok := j.Schedule.StartAt.(string); ok {
				check(path+".schedule.start_at", str)
			}
		}
	}
}

// secretKeys returns the secrets a template string reads.
func secretKeys(s string) []string {
	var keys []string
	for _, m := range secretRef.FindAllStringSubmatch(s, -1) {
		keys = append(keys, m[1])
	}
	for _, m := range exprSecretRef.FindAllStringSubmatch(s, -1) {
		if m[1] != "" {
			keys = append(keys, m[1])
		} else {
			keys = append(keys, m[2])
		}
	}
	return keys
}

// walkStrings calls fn with every string in v and its path.
func walkStrings(path string, v any, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(path, x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkStrings(path+"."+k, x[k], fn)
		}
	case []any:
		for i, e := range x {
			walkStrings(fmt.Sprintf("%s[%d]", path, i), e, fn)
		}
	}
}
