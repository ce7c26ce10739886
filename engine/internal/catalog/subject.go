package catalog

import (
	"sort"
	"strings"
)

// SubjectMatches reports whether subject matches pattern, with NATS
// wildcards: * matches one token, > one or more trailing tokens.
func SubjectMatches(pattern, subject string) bool {
	p := strings.Split(pattern, ".")
	s := strings.Split(subject, ".")
	for i, tok := range p {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) {
			return false
		}
		if tok != "*" && tok != s[i] {
			return false
		}
	}
	return len(p) == len(s)
}

// covers reports whether every subject matching b also matches a.
func covers(a, b string) bool {
	if a == b {
		return true
	}
	pa := strings.Split(a, ".")
	pb := strings.Split(b, ".")
	for i, tok := range pa {
		if tok == ">" {
			return len(pb) > i
		}
		if i >= len(pb) {
			return false
		}
		switch {
		case tok == "*":
			if pb[i] == ">" {
				return false
			}
		case tok != pb[i]:
			return false
		}
	}
	return len(pa) == len(pb)
}

// minimalSubjects returns the jobs' and features' trigger subjects without
// those covered by another, sorted: a stream may not list overlapping
// subjects.
func minimalSubjects(jobs []*Job, features []*Feature) []string {
	set := map[string]bool{}
	for _, j := range jobs {
		for _, s := range j.On {
			set[s] = true
		}
	}
	for _, f := range features {
		for _, s := range f.On {
			set[s] = true
		}
	}
	var all []string
	for s := range set {
		all = append(all, s)
	}
	sort.Strings(all)
	var out []string
	for _, s := range all {
		covered := false
		for _, o := range all {
			if o != s && covers(o, s) && !(covers(s, o) && o > s) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, s)
		}
	}
	return out
}
