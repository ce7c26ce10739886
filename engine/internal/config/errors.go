package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("invalid configuration")

// Problem is one thing wrong with a configuration.
type Problem struct {
	// File is the configuration file (or a job file under jobs_dir).
	File string
	// Path locates the field: "jobs[send_notification].input.email.to".
	Path string
	// Msg says what is wrong and what was expected.
	Msg string
}

func (p Problem) String() string {
	switch {
	case p.Path == "":
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	default:
		return fmt.Sprintf("%s: %s: %s", p.File, p.Path, p.Msg)
	}
}

// Error lists every problem found; it unwraps to ErrInvalid.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Problems collects problems for one file.
type Problems struct {
	File string
	list []Problem
}

// Add records a problem at path.
func (ps *Problems) Add(path, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.File, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// AddProblem records a problem as it is.
func (ps *Problems) AddProblem(p Problem) { ps.list = append(ps.list, p) }

// List returns the problems recorded so far.
func (ps *Problems) List() []Problem { return ps.list }

// Err returns an *Error when problems were recorded, else nil.
func (ps *Problems) Err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Path < ps.list[j].Path })
	return &Error{Problems: ps.list}
}

// JobPath names a job in problem paths: jobs[event] or jobs[index].
func JobPath(i int, event string) string {
	if event != "" {
		return fmt.Sprintf("jobs[%s]", event)
	}
	return fmt.Sprintf("jobs[%d]", i)
}
