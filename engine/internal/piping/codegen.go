package piping

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// span maps a ${ ... } expression to its place in generated code, so that a
// run-time error of expr itself can name the expression that failed.
type span struct {
	from, to int // rune offsets in the generated code
	ref      string
}

// codegen writes the expr-lang source for one parsed template string:
// references become calls such as _ref("$Input{a}", "Input", Input, "a"),
// operators become _Add("$Add(1, 2)", 1, 2), text becomes string literals,
// and mixed text becomes _cat(part, part, ...).
type codegen struct {
	b     strings.Builder
	spans []span
}

// generate returns the program source for parts and the ${} spans.
func generate(parts []node) (string, []span) {
	g := &codegen{}
	if len(parts) == 1 {
		g.node(parts[0])
	} else {
		g.b.WriteString("_cat(")
		for i, n := range parts {
			if i > 0 {
				g.b.WriteString(", ")
			}
			g.node(n)
		}
		g.b.WriteString(")")
	}
	return g.b.String(), g.spans
}

func (g *codegen) str(s string) { g.b.WriteString(strconv.QuoteToASCII(s)) }

func (g *codegen) node(n node) {
	switch n := n.(type) {
	case *textNode:
		g.str(n.text)
	case *litNode:
		g.literal(n.val)
	case *listNode:
		g.b.WriteString("[")
		g.list(n.items)
		g.b.WriteString("]")
	case *refNode:
		g.ref(n)
	case *callNode:
		g.call(n)
	case *exprNode:
		from := utf8.RuneCountInString(g.b.String())
		g.b.WriteString("_expr(")
		g.str(n.src)
		g.b.WriteString(", (")
		g.b.WriteString(n.code)
		g.b.WriteString("\n))")
		g.spans = append(g.spans, span{from: from, to: utf8.RuneCountInString(g.b.String()), ref: n.src})
	}
}

func (g *codegen) list(items []node) {
	for i, it := range items {
		if i > 0 {
			g.b.WriteString(", ")
		}
		g.node(it)
	}
}

func (g *codegen) literal(v any) {
	switch v := v.(type) {
	case string:
		g.str(v)
	case int64:
		if v == math.MinInt64 {
			g.b.WriteString("(-9223372036854775807 - 1)")
			return
		}
		g.b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		g.b.WriteString(s)
	case bool:
		g.b.WriteString(strconv.FormatBool(v))
	case nil:
		g.b.WriteString("nil")
	}
}

func (g *codegen) segs(segs []segment) {
	for _, s := range segs {
		g.b.WriteString(", ")
		if s.isIndex {
			g.b.WriteString(strconv.Itoa(s.index))
		} else {
			g.str(s.key)
		}
	}
}

func (g *codegen) ref(n *refNode) {
	switch n.root {
	case "Secret":
		g.b.WriteString("_secret(")
		g.str(n.src)
		g.b.WriteString(", Secret")
		g.segs(n.segs)
	case "Auth":
		g.b.WriteString("_auth(")
		g.str(n.src)
		g.b.WriteString(", Redact, Auth")
		g.segs(n.segs)
	default:
		g.b.WriteString("_ref(")
		g.str(n.src)
		g.b.WriteString(", ")
		g.str(n.root)
		g.b.WriteString(", ")
		g.b.WriteString(n.root)
		g.segs(n.segs)
	}
	g.b.WriteString(")")
}

func (g *codegen) call(n *callNode) {
	switch n.name {
	case "Now":
		g.b.WriteString("Now")
		return
	case "Var":
		s, _ := n.args[0].(*litNode).val.(string)
		g.b.WriteString(varNames[s])
		return
	}
	name := n.name
	if name == "Format" {
		name = "Dateformat"
	}
	g.b.WriteString("_" + name + "(")
	g.str(n.src)
	if len(n.args) > 0 {
		g.b.WriteString(", ")
		g.list(n.args)
	}
	g.b.WriteString(")")
}
