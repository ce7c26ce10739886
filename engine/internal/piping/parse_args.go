package piping

import (
	"regexp"
	"strconv"
	"strings"
)

// call parses an operator; p.pos is just after its name. depth is the
// nesting level of this call.
func (p *parser) call(start int, name string, depth int) node {
	if depth > p.opts.MaxDepth {
		p.fatalf(start, "nesting is deeper than the limit of %d levels", p.opts.MaxDepth)
	}
	n := &callNode{col: p.col(start), name: name}
	switch {
	case name == "Now":
		if p.peek() == '(' {
			open := p.pos
			p.pos++
			p.skipSpace()
			if p.pos >= len(p.src) {
				p.fatalf(open, "unclosed ( of $Now (missing ))")
			}
			if p.peek() != ')' {
				p.fatalf(p.pos, "$Now takes no arguments")
			}
			p.pos++
		}
	case (name == "Size" || name == "Length") && p.peek() == '{':
		open := p.pos
		p.push(open, "{ of $"+name+" (missing })")
		p.pos++
		n.args = []node{p.arg(depth)}
		p.skipSpace()
		if p.pos >= len(p.src) {
			p.eof()
		}
		if p.peek() != '}' {
			p.fatalf(p.pos, "expected } after the argument of $%s, found %q", name, string(p.peek()))
		}
		p.pos++
		p.pop()
	case p.peek() != '(':
		if name == "Size" || name == "Length" {
			p.fatalf(start, "$%s needs a {reference} or (argument)", name)
		}
		p.fatalf(start, "$%s needs (arguments)", name)
	default:
		n.args = p.args(name, depth)
	}
	n.src = p.src[start:p.pos]
	if a := operators[name]; len(n.args) < a.min || a.max >= 0 && len(n.args) > a.max {
		p.errorf(start, "$%s takes %s, got %d", name, describeArity(a), len(n.args))
	}
	p.checkLiterals(start, n)
	if name == "Var" && len(n.args) == 1 {
		var s string
		if l, ok := n.args[0].(*litNode); ok {
			s, _ = l.val.(string)
		}
		if _, known := varNames[s]; !known {
			p.errorf(start, "$Var needs one of execution_count, attempt, event")
		}
	}
	return n
}

// args parses "(a, b, ...)"; p.pos is at "(".
func (p *parser) args(name string, depth int) []node {
	open := p.pos
	p.push(open, "( of $"+name+" (missing ))")
	defer p.pop()
	p.pos++
	p.skipSpace()
	if p.pos >= len(p.src) {
		p.eof()
	}
	if p.peek() == ')' {
		p.pos++
		return nil
	}
	var args []node
	for {
		args = append(args, p.arg(depth))
		p.skipSpace()
		if p.pos >= len(p.src) {
			p.eof()
		}
		switch c := p.peek(); c {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return args
		default:
			p.fatalf(p.pos, "expected , or ) after argument %d of $%s, found %q", len(args), name, string(c))
		}
	}
}

// arg parses one argument: a quoted string, a list, a number, true, false,
// null, a reference, an operator or a bare word (taken as text).
func (p *parser) arg(depth int) node {
	p.skipSpace()
	if p.pos >= len(p.src) {
		p.eof()
	}
	switch c := p.peek(); c {
	case '\'', '"':
		return p.quoted()
	case '[':
		return p.list(depth + 1)
	case '$':
		return p.dollar(depth, true)
	case ',', ')', ']', '}':
		p.fatalf(p.pos, "missing argument before %q", string(c))
	case '(', '{':
		p.fatalf(p.pos, "unexpected %q in arguments", string(c))
	}
	return p.bare()
}

// list parses "[a, b, ...]"; p.pos is at "[".
func (p *parser) list(depth int) node {
	open := p.pos
	if depth > p.opts.MaxDepth {
		p.fatalf(open, "nesting is deeper than the limit of %d levels", p.opts.MaxDepth)
	}
	p.push(open, "[ (missing ])")
	defer p.pop()
	p.pos++
	n := &listNode{col: p.col(open)}
	p.skipSpace()
	if p.pos >= len(p.src) {
		p.eof()
	}
	if p.peek() == ']' {
		p.pos++
		return n
	}
	for {
		n.items = append(n.items, p.arg(depth))
		p.skipSpace()
		if p.pos >= len(p.src) {
			p.eof()
		}
		switch c := p.peek(); c {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return n
		default:
			p.fatalf(p.pos, "expected , or ] in list, found %q", string(c))
		}
	}
}

// quoted parses a '...' or "..." string. A backslash escapes the quote, a
// backslash, n, t and r; before any other character it is kept.
func (p *parser) quoted() node {
	open := p.pos
	q := p.src[open]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src):
			switch e := p.src[p.pos+1]; e {
			case '\'', '"', '\\':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			p.pos += 2
		case c == q:
			p.pos++
			return &litNode{col: p.col(open), val: b.String()}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	p.fatalf(open, "unclosed quote %c (missing %c)", q, q)
	return nil
}

var numberRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// bare parses an unquoted token: a number, true, false, null, or a word
// taken as text (so $DateAdd(d, 1, days) and $Filter(l, >, 3) work).
func (p *parser) bare() node {
	start := p.pos
	for p.pos < len(p.src) && !strings.ContainsRune(" \t\r\n,()[]{}'\"$", rune(p.src[p.pos])) {
		p.pos++
	}
	tok := p.src[start:p.pos]
	n := &litNode{col: p.col(start), val: tok}
	switch {
	case tok == "true":
		n.val = true
	case tok == "false":
		n.val = false
	case tok == "null":
		n.val = nil
	case numberRE.MatchString(tok):
		if i, err := strconv.ParseInt(tok, 10, 64); err == nil {
			n.val = i
		} else if f, err := strconv.ParseFloat(tok, 64); err == nil {
			n.val = f
		} else {
			p.fatalf(start, "number %s is out of range", tok)
		}
	}
	return n
}

// checkLiterals rejects literal arguments that can never work: a $Filter
// or $Find comparison or a $DateAdd unit that does not exist.
func (p *parser) checkLiterals(start int, n *callNode) {
	litString := func(i int) (string, bool) {
		if i >= len(n.args) {
			return "", false
		}
		l, ok := n.args[i].(*litNode)
		if !ok {
			return "", false
		}
		s, ok := l.val.(string)
		return s, ok
	}
	switch n.name {
	case "Filter", "Find":
		i := 1
		if len(n.args) == 4 {
			i = 2
		}
		if op, ok := litString(i); ok && !compareOps[op] {
			p.errorf(start, "$%s: %q is not a comparison; use one of > < >= <= == !=", n.name, op)
		}
	case "DateAdd":
		if u, ok := litString(2); ok {
			if _, known := dateUnits[strings.ToLower(u)]; !known {
				p.errorf(start, "$DateAdd: %q is not a unit; use seconds, minutes, hours, days, weeks, months or years", u)
			}
		}
	}
}
