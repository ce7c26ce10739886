package piping

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// SequenceRef is one read of an earlier event's output in a template:
// $Sequence{seq}{event}{…}, or Sequence.seq.event in a ${ … } expression.
type SequenceRef struct {
	// Path is where the string is in the template ("input.email.to").
	Path string
	// Ref is the reference as written.
	Ref string
	// Sequence and Event are the first two segments; Event is "" when the
	// reference reads a whole sequence.
	Sequence, Event string
}

// SequenceRefs returns every $Sequence reference in tmpl (a template value
// as Compile takes it), in path order, so a caller that knows which events
// exist can refuse a reference to an unknown, later or void one before
// anything runs. A string that does not parse is left out: Compile
// reports it. In ${ … } expressions, the forms Sequence.a.b and
// Sequence["a"]["b"] are found; other computed forms are not.
func SequenceRefs(tmpl any, path string) []SequenceRef {
	var out []SequenceRef
	collectRefs(tmpl, path, &out, 0)
	return out
}

func collectRefs(v any, path string, out *[]SequenceRef, depth int) {
	if depth > maxValueDepth {
		return
	}
	switch v := v.(type) {
	case string:
		if !strings.Contains(v, "Sequence") {
			return
		}
		o := Options{}.withDefaults()
		parts, _, errs := parseTemplate(v, path, &o)
		if len(errs) > 0 {
			return
		}
		for _, p := range parts {
			refsIn(p, path, out)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			collectRefs(v[k], joinPath(path, k), out, depth+1)
		}
	case []any:
		for i, x := range v {
			collectRefs(x, path+"["+strconv.Itoa(i)+"]", out, depth+1)
		}
	}
}

// exprSequence finds Sequence.a.b and Sequence["a"]["b"] in an expression.
var exprSequence = regexp.MustCompile(`\bSequence(?:\.(\w+)|\[\s*["']([^"']+)["']\s*\])(?:\.(\w+)|\[\s*["']([^"']+)["']\s*\])?`)

func refsIn(n node, path string, out *[]SequenceRef) {
	switch n := n.(type) {
	case *refNode:
		if n.root != "Sequence" || len(n.segs) == 0 || n.segs[0].isIndex {
			return
		}
		r := SequenceRef{Path: path, Ref: n.src, Sequence: n.segs[0].key}
		if len(n.segs) > 1 && !n.segs[1].isIndex {
			r.Event = n.segs[1].key
		}
		*out = append(*out, r)
	case *callNode:
		for _, a := range n.args {
			refsIn(a, path, out)
		}
	case *listNode:
		for _, a := range n.items {
			refsIn(a, path, out)
		}
	case *exprNode:
		for _, m := range exprSequence.FindAllStringSubmatch(n.code, -1) {
			*out = append(*out, SequenceRef{Path: path, Ref: m[0], Sequence: m[1] + m[2], Event: m[3] + m[4]})
		}
	}
}
