package piping

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// parser turns one template string into nodes. Syntax errors abort the
// string (the first one is reported); semantic errors such as a wrong
// argument count are collected and parsing goes on.
type parser struct {
	src     string
	pos     int
	path    string
	opts    *Options
	errs    []*CompileError
	opens   []opening // unclosed ( [ { for "unclosed" messages at end of input
	usesSec bool      // a $Secret, $Auth or ${ Secret } was seen
	exprs   bool      // a ${ ... } was seen

	colPos, colVal int // last col() answer, so columns cost O(n) overall
}

// opening is an unclosed bracket: where it is and how to describe it.
type opening struct {
	pos  int
	what string
}

// abort carries a fatal syntax error out of the recursive descent.
type abort struct{ err *CompileError }

// parseTemplate parses s. It returns the parts (text and expressions) and
// every error found, sorted by column.
func parseTemplate(s, path string, o *Options) (parts []node, flags parseFlags, errs []*CompileError) {
	p := &parser{src: s, path: path, opts: o}
	defer func() {
		if r := recover(); r != nil {
			a, ok := r.(abort)
			if !ok {
				panic(r)
			}
			parts = nil
			errs = append(p.errs, a.err)
		}
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Column < errs[j].Column })
	}()
	parts = p.template()
	return parts, parseFlags{secrets: p.usesSec, exprs: p.exprs}, p.errs
}

// parseFlags says what a parsed string uses.
type parseFlags struct{ secrets, exprs bool }

// col converts a byte offset into a 1-based character column.
func (p *parser) col(pos int) int {
	if pos > len(p.src) {
		pos = len(p.src)
	}
	if pos < p.colPos || p.colVal == 0 {
		p.colPos, p.colVal = 0, 1
	}
	p.colVal += utf8.RuneCountInString(p.src[p.colPos:pos])
	p.colPos = pos
	return p.colVal
}

// errorf records a non-fatal error at pos.
func (p *parser) errorf(pos int, format string, args ...any) {
	p.errs = append(p.errs, &CompileError{Path: p.path, Column: p.col(pos), Msg: fmt.Sprintf(format, args...)})
}

// fatalf aborts parsing with an error at pos.
func (p *parser) fatalf(pos int, format string, args ...any) {
	panic(abort{&CompileError{Path: p.path, Column: p.col(pos), Msg: fmt.Sprintf(format, args...)}})
}

// eof aborts with "unclosed ..." for the innermost open bracket.
func (p *parser) eof() {
	if n := len(p.opens); n > 0 {
		o := p.opens[n-1]
		p.fatalf(o.pos, "unclosed %s", o.what)
	}
	p.fatalf(len(p.src), "unexpected end of template")
}

func (p *parser) push(pos int, what string) { p.opens = append(p.opens, opening{pos, what}) }
func (p *parser) pop()                      { p.opens = p.opens[:len(p.opens)-1] }

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// template parses the whole string: literal text with $-expressions in it.
func (p *parser) template() []node {
	var parts []node
	var text strings.Builder
	textStart := -1
	addText := func(from, to int) {
		if from == to {
			return
		}
		if textStart < 0 {
			textStart = from
		}
		text.WriteString(p.src[from:to])
	}
	flush := func() {
		if textStart >= 0 {
			parts = append(parts, &textNode{col: p.col(textStart), text: text.String()})
			text.Reset()
			textStart = -1
		}
	}
	for p.pos < len(p.src) {
		i := strings.IndexByte(p.src[p.pos:], '$')
		if i < 0 {
			addText(p.pos, len(p.src))
			p.pos = len(p.src)
			break
		}
		addText(p.pos, p.pos+i)
		p.pos += i
		n := p.dollar(0, false)
		if n == nil { // a "$" that starts no expression is text
			addText(p.pos, p.pos+1)
			p.pos++
			continue
		}
		flush()
		parts = append(parts, n)
	}
	flush()
	return parts
}

// identAt returns the ASCII identifier starting at i ("" if none).
func (p *parser) identAt(i int) string {
	j := i
	for j < len(p.src) {
		c := p.src[j]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || j > i && c >= '0' && c <= '9' {
			j++
			continue
		}
		break
	}
	return p.src[i:j]
}

// dollar parses what starts at the "$" at p.pos. Outside arguments it
// returns nil when the "$" begins no reference or operator (it is then
// text); inside arguments that is an error.
func (p *parser) dollar(depth int, inArg bool) node {
	start := p.pos
	if start+1 < len(p.src) && p.src[start+1] == '{' {
		return p.exprEscape()
	}
	name := p.identAt(start + 1)
	after := start + 1 + len(name)
	var next byte
	if after < len(p.src) {
		next = p.src[after]
	}
	switch {
	case name == "":
		if inArg {
			p.fatalf(start, "expected a reference or operator name after $")
		}
		return nil
	case referenceNames[name]:
		p.pos = after
		return p.reference(start, name)
	case isOperator(name):
		p.pos = after
		return p.call(start, name, depth+1)
	case next == '(' || next == '{' || inArg:
		hint := ""
		if s := suggest(name); s != "" {
			hint = s + " "
		}
		p.fatalf(start, "unknown operator $%s (%sexpected one of %s)", name, hint, knownNames)
	}
	return nil
}
