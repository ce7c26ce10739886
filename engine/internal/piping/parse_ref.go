package piping

import (
	"sort"
	"strconv"
	"strings"
)

// reference parses the {segments} of $Input, $Sequence, $Variable,
// $Constant, $Secret or $Auth; p.pos is just after the name.
func (p *parser) reference(start int, root string) node {
	var segs []segment
	var segPos []int
	for p.peek() == '{' {
		segPos = append(segPos, p.pos)
		segs = append(segs, p.segment())
	}
	if len(segs) == 0 && p.peek() == '(' {
		p.fatalf(start, "$%s takes {segments}, not (arguments)", root)
	}
	n := &refNode{col: p.col(start), src: p.src[start:p.pos], root: root, segs: segs}
	switch root {
	case "Sequence":
		if len(segs) < 2 {
			p.errorf(start, "$Sequence needs {sequence_tag}{event_tag}, got %d segment(s)", len(segs))
		}
	case "Variable", "Constant":
		p.checkConfigured(start, root, segs, segPos)
	case "Secret":
		p.usesSec = true
		if len(segs) != 1 || segs[0].isIndex {
			p.errorf(start, "$Secret needs exactly one {key}, got %d segment(s)", len(segs))
		}
	case "Auth":
		p.usesSec = true
		if len(segs) < 1 || segs[0].isIndex {
			p.errorf(start, "$Auth needs {auth_tag} and an optional path")
		}
	}
	return n
}

// checkConfigured checks that $Variable{app}{key} or $Constant{app}{key}
// names a configured app and key.
func (p *parser) checkConfigured(start int, root string, segs []segment, segPos []int) {
	noun, apps := "variable", p.opts.Variables
	if root == "Constant" {
		noun, apps = "constant", p.opts.Constants
	}
	if len(segs) < 2 || segs[0].isIndex || segs[1].isIndex {
		p.errorf(start, "$%s needs {app}{key}", root)
		return
	}
	app, key := segs[0].key, segs[1].key
	keys, ok := apps[app]
	if !ok {
		p.errorf(segPos[0], "$%s: no app %q has %ss configured (configured: %s)", root, app, noun, listKeys(apps))
		return
	}
	if _, ok := keys[key]; !ok {
		p.errorf(segPos[1], "$%s: app %q has no %s %q (configured: %s)", root, app, noun, key, listKeys(keys))
	}
}

// listKeys renders the sorted keys of m, or "none".
func listKeys[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// segment parses one {key} or {[index]}; p.pos is at "{".
func (p *parser) segment() segment {
	open := p.pos
	end := -1
	for i := open + 1; i < len(p.src); i++ {
		c := p.src[i]
		if c == '}' {
			end = i
			break
		}
		if c == '{' {
			p.fatalf(i, "unexpected { inside a {segment} (keys cannot contain braces or references)")
		}
	}
	if end < 0 {
		p.fatalf(open, "unclosed { (missing })")
	}
	raw := strings.TrimSpace(p.src[open+1 : end])
	p.pos = end + 1
	if raw == "" {
		p.fatalf(open, "empty segment {}")
	}
	if raw[0] != '[' {
		return segment{key: raw}
	}
	if raw[len(raw)-1] != ']' {
		p.fatalf(open, "unclosed [ in index segment %q (missing ])", raw)
	}
	inner := strings.TrimSpace(raw[1 : len(raw)-1])
	n, err := strconv.Atoi(inner)
	if err != nil || n < 0 {
		p.fatalf(open, "index segment {[...]} needs a non-negative integer, got %q", inner)
	}
	return segment{index: n, isIndex: true}
}
