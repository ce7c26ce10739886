package piping

import (
	"errors"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// exprEscape parses "${ ... }"; p.pos is at "$". Braces inside the
// expression must balance; quotes (' " `) are skipped over.
func (p *parser) exprEscape() node {
	start := p.pos
	depth := 1
	for i := start + 2; i < len(p.src); i++ {
		switch c := p.src[i]; c {
		case '\'', '"', '`':
			j := i + 1
			for j < len(p.src) && p.src[j] != c {
				if p.src[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(p.src) {
				p.fatalf(i, "unclosed quote %c in ${...}", c)
			}
			i = j
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				p.pos = i + 1
				return p.checkExpr(start, p.src[start+2:i])
			}
		}
	}
	p.fatalf(start, "unclosed ${ (missing })")
	return nil
}

// hiddenNames are environment fields and functions ${ ... } may not use.
var hiddenNames = map[string]bool{"Auth": true, "Redact": true, "$env": true}

// checkExpr compiles the expression alone so that syntax errors and unknown
// names are reported with their column, and rejects hidden names.
func (p *parser) checkExpr(start int, code string) node {
	if strings.TrimSpace(code) == "" {
		p.fatalf(start, "empty ${}")
	}
	prog, err := expr.Compile(code, exprOptions...)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			p.fatalf(start+2+byteOffset(code, fe.From), "bad ${} expression: %s", fe.Message)
		}
		p.fatalf(start, "bad ${} expression: %v", err)
	}
	v := &exprVisitor{}
	root := prog.Node()
	ast.Walk(&root, v)
	if v.bad != "" {
		p.fatalf(start, "bad ${} expression: %s is not available in ${}", v.bad)
	}
	if v.secret {
		p.usesSec = true
	}
	p.exprs = true
	return &exprNode{col: p.col(start), src: p.src[start:p.pos], code: code}
}

// byteOffset converts a rune offset in s into a byte offset.
func byteOffset(s string, runes int) int {
	for i := range s {
		if runes == 0 {
			return i
		}
		runes--
	}
	return len(s)
}

// exprVisitor finds hidden names and the use of Secret in an expression.
type exprVisitor struct {
	bad    string
	secret bool
}

// Visit implements ast.Visitor.
func (v *exprVisitor) Visit(n *ast.Node) {
	id, ok := (*n).(*ast.IdentifierNode)
	if !ok {
		return
	}
	switch {
	case hiddenNames[id.Value] || strings.HasPrefix(id.Value, "_"):
		if v.bad == "" {
			v.bad = id.Value
		}
	case id.Value == "Secret":
		v.secret = true
	}
}
