package piping

import (
	"sort"
	"strconv"
	"strings"
)

// referenceNames are the $Name{...} references.
var referenceNames = map[string]bool{
	"Input": true, "Sequence": true, "Variable": true, "Constant": true,
	"Secret": true, "Auth": true,
}

// arity is the accepted number of arguments of an operator; max < 0 means
// no upper limit.
type arity struct{ min, max int }

// operators lists every $Name(...) operator with its arity. $Now, $Size and
// $Length are here too: $Now takes no arguments, $Size and $Length take one,
// written in braces or parentheses.
var operators = map[string]arity{
	"Add":        {1, -1},
	"Subtract":   {1, -1},
	"Concat":     {1, 2},
	"Substring":  {2, 3},
	"Trim":       {1, 1},
	"Uppercase":  {1, 1},
	"Lowercase":  {1, 1},
	"Split":      {2, 2},
	"Pick":       {2, 2},
	"Join":       {1, -1},
	"Replace":    {3, 3},
	"Filter":     {3, 4},
	"Find":       {3, 4},
	"Dateformat": {2, 2},
	"Format":     {2, 2},
	"DateAdd":    {3, 3},
	"Var":        {1, 1},
	"Now":        {0, 0},
	"Size":       {1, 1},
	"Length":     {1, 1},
}

// varNames are the names $Var(...) accepts.
var varNames = map[string]string{
	"execution_count": "Job.Execution",
	"attempt":         "Job.Attempt",
	"event":           "Job.Event",
}

// knownNames is the sorted list "$Add, $Auth, ..." used in error messages.
var knownNames = func() string {
	var all []string
	for n := range referenceNames {
		all = append(all, "$"+n)
	}
	for n := range operators {
		all = append(all, "$"+n)
	}
	sort.Strings(all)
	return strings.Join(all, ", ")
}()

// suggest returns a " (did you mean $X?)" hint for a name that differs from
// a known one only in letter case, or "".
func suggest(name string) string {
	for n := range referenceNames {
		if strings.EqualFold(n, name) {
			return "did you mean $" + n + "?"
		}
	}
	for n := range operators {
		if strings.EqualFold(n, name) {
			return "did you mean $" + n + "?"
		}
	}
	return ""
}

// describeArity renders an arity as "1 argument", "2 or 3 arguments", ...
func describeArity(a arity) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return strconv.Itoa(n) + " arguments"
	}
	switch {
	case a.max < 0:
		return "at least " + plural(a.min)
	case a.min == a.max:
		if a.min == 0 {
			return "no arguments"
		}
		return plural(a.min)
	case a.max == a.min+1:
		return strconv.Itoa(a.min) + " or " + plural(a.max)
	default:
		return strconv.Itoa(a.min) + " to " + plural(a.max)
	}
}

// isOperator reports whether name (without "$") is an operator.
func isOperator(name string) bool {
	_, ok := operators[name]
	return ok
}
