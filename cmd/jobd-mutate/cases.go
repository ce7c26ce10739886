package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// mutant is one textual change to one file: src[start:end] becomes repl.
type mutant struct {
	file       string // base name
	pos        token.Position
	kind       string
	desc       string
	start, end int
	repl       string
}

// The kinds of hand mutants.
const (
	kindCaseDrop      = "CASE_DROP"        // one expression of a case list, or a one-expression clause, removed
	kindCaseNegation  = "CASE_NEGATION"    // a comparison negated, or the whole condition
	kindCaseBoundary  = "CASE_BOUNDARY"    // < and <=, > and >= swapped
	kindCaseLogical   = "CASE_LOGICAL"     // && and || swapped, or one side of them dropped
	kindConstArithmet = "CONST_ARITHMETIC" // + and -, * and / swapped in a constant declaration
)

var (
	negated = map[token.Token]token.Token{
		token.EQL: token.NEQ, token.NEQ: token.EQL,
		token.LSS: token.GEQ, token.GEQ: token.LSS,
		token.GTR: token.LEQ, token.LEQ: token.GTR,
	}
	boundary = map[token.Token]token.Token{
		token.LSS: token.LEQ, token.LEQ: token.LSS,
		token.GTR: token.GEQ, token.GEQ: token.GTR,
	}
	arithmetic = map[token.Token]token.Token{
		token.ADD: token.SUB, token.SUB: token.ADD,
		token.MUL: token.QUO, token.QUO: token.MUL,
	}
)

// caseMutants lists the mutants of one file's case expressions and constant
// declarations: the places Go's coverage profile does not count.
func caseMutants(name string, src []byte) ([]mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		return nil, err
	}
	var ms []mutant
	seen := map[string]bool{}
	add := func(kind string, at token.Pos, start, end token.Pos, repl, desc string) {
		m := mutant{
			file:  name,
			pos:   fset.Position(at),
			kind:  kind,
			desc:  desc,
			start: fset.Position(start).Offset,
			end:   fset.Position(end).Offset,
			repl:  repl,
		}
		key := fmt.Sprintf("%d:%d:%s", m.start, m.end, m.repl)
		if !seen[key] {
			seen[key] = true
			ms = append(ms, m)
		}
	}
	text := func(n ast.Node) string {
		return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
	}
	quote := func(s string) string {
		s = strings.Join(strings.Fields(s), " ")
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		return "`" + s + "`"
	}
	// dropList removes each expression of a list, or the whole clause when
	// the list has one expression (the clause then never matches).
	dropList := func(cc *ast.CaseClause) {
		if len(cc.List) == 1 {
			add(kindCaseDrop, cc.Pos(), cc.Pos(), cc.End(), "", "clause "+quote("case "+text(cc.List[0]))+" removed")
			return
		}
		for i, e := range cc.List {
			if i < len(cc.List)-1 {
				add(kindCaseDrop, e.Pos(), e.Pos(), cc.List[i+1].Pos(), "", quote(text(e))+" dropped from the list")
			} else {
				add(kindCaseDrop, e.Pos(), cc.List[i-1].End(), e.End(), "", quote(text(e))+" dropped from the list")
			}
		}
	}
	// condition mutates a boolean case expression of a tagless switch.
	condition := func(e ast.Expr) {
		top := ast.Unparen(e)
		if b, ok := top.(*ast.BinaryExpr); !ok || negated[b.Op] == token.ILLEGAL {
			if u, ok := top.(*ast.UnaryExpr); ok && u.Op == token.NOT {
				add(kindCaseNegation, u.Pos(), u.Pos(), u.End(), "("+text(u.X)+")", quote(text(u))+" → "+quote(text(u.X)))
			} else {
				add(kindCaseNegation, e.Pos(), e.Pos(), e.End(), "!("+text(e)+")", quote(text(e))+" negated")
			}
		}
		ast.Inspect(e, func(n ast.Node) bool {
			b, ok := n.(*ast.BinaryExpr)
			if !ok {
				_, lit := n.(*ast.FuncLit)
				return !lit
			}
			op := b.Op.String()
			opEnd := b.OpPos + token.Pos(len(op))
			if to, ok := negated[b.Op]; ok {
				add(kindCaseNegation, b.OpPos, b.OpPos, opEnd, to.String(), quote(text(b))+": "+op+" → "+to.String())
			}
			if to, ok := boundary[b.Op]; ok {
				add(kindCaseBoundary, b.OpPos, b.OpPos, opEnd, to.String(), quote(text(b))+": "+op+" → "+to.String())
			}
			if b.Op == token.LAND || b.Op == token.LOR {
				to := token.LOR
				if b.Op == token.LOR {
					to = token.LAND
				}
				add(kindCaseLogical, b.OpPos, b.OpPos, opEnd, to.String(), quote(text(b))+": "+op+" → "+to.String())
				add(kindCaseLogical, b.OpPos, b.Pos(), b.End(), "("+text(b.X)+")", quote(text(b))+" → "+quote(text(b.X)))
				add(kindCaseLogical, b.OpPos, b.Pos(), b.End(), "("+text(b.Y)+")", quote(text(b))+" → "+quote(text(b.Y)))
			}
			return true
		})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.SwitchStmt:
			for _, c := range s.Body.List {
				cc := c.(*ast.CaseClause)
				if cc.List == nil { // default
					continue
				}
				if s.Tag != nil {
					dropList(cc)
					continue
				}
				if len(cc.List) > 1 {
					dropList(cc)
				}
				for _, e := range cc.List {
					condition(e)
				}
			}
		case *ast.TypeSwitchStmt:
			for _, c := range s.Body.List {
				if cc := c.(*ast.CaseClause); cc.List != nil {
					dropList(cc)
				}
			}
		case *ast.GenDecl:
			if s.Tok != token.CONST {
				return true
			}
			for _, spec := range s.Specs {
				for _, v := range spec.(*ast.ValueSpec).Values {
					ast.Inspect(v, func(n ast.Node) bool {
						b, ok := n.(*ast.BinaryExpr)
						if !ok {
							return true
						}
						if to, ok := arithmetic[b.Op]; ok {
							add(kindConstArithmet, b.OpPos, b.OpPos, b.OpPos+token.Pos(len(b.Op.String())), to.String(),
								quote(text(b))+": "+b.Op.String()+" → "+to.String())
						}
						return true
					})
				}
			}
			return false
		}
		return true
	})
	return ms, nil
}

// runCases tests every hand mutant of the package, one at a time.
func runCases(t target, coef int) ([]result, error) {
	var ms []mutant
	srcs := map[string][]byte{}
	for _, name := range t.files {
		src, err := os.ReadFile(filepath.Join(t.dir, name))
		if err != nil {
			return nil, err
		}
		srcs[name] = src
		fm, err := caseMutants(name, src)
		if err != nil {
			return nil, err
		}
		ms = append(ms, fm...)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	tmp, err := os.MkdirTemp("", "jobd-mutate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	if out, err := goTest(t, "", time.Hour); err != nil {
		return nil, fmt.Errorf("the unmutated tests fail: %w\n%s", err, out)
	}
	timeout := time.Duration(coef) * time.Since(start)
	timeout = max(timeout, 30*time.Second)
	fmt.Printf("\n%d hand mutants (case expressions, constants); each run times out after %s\n", len(ms), timeout.Round(time.Second))

	var rs []result
	for i, m := range ms {
		src := srcs[m.file]
		mutated := make([]byte, 0, len(src)+len(m.repl))
		mutated = append(mutated, src[:m.start]...)
		mutated = append(mutated, m.repl...)
		mutated = append(mutated, src[m.end:]...)
		mf := filepath.Join(tmp, fmt.Sprintf("m%d.go", i))
		if err := os.WriteFile(mf, mutated, 0o644); err != nil {
			return nil, err
		}
		ov, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(t.dir, m.file): mf}})
		if err != nil {
			return nil, err
		}
		overlay := filepath.Join(tmp, "overlay.json")
		if err := os.WriteFile(overlay, ov, 0o644); err != nil {
			return nil, err
		}
		out, err := goTest(t, overlay, timeout)
		status := statusLived
		switch {
		case err == nil:
		case bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")):
			status = statusNotViable
		case bytes.Contains(out, []byte("panic: test timed out")) || errors.Is(err, context.DeadlineExceeded):
			status = statusTimedOut
		default:
			status = statusKilled
		}
		if status == statusLived || status == statusTimedOut {
			fmt.Printf("%12s %s %s:%d:%d %s\n", status, m.kind, m.file, m.pos.Line, m.pos.Column, m.desc)
		}
		rs = append(rs, result{
			tester: "cases",
			file:   m.file,
			line:   m.pos.Line,
			col:    m.pos.Column,
			kind:   m.kind,
			desc:   m.desc,
			status: status,
		})
	}
	return rs, nil
}

// goTest runs the package's own tests, with an overlay file when given.
func goTest(t target, overlay string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+10*time.Second)
	defer cancel()
	args := []string{"test", "-count=1", "-failfast", "-timeout", timeout.String()}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	args = append(args, "./"+t.rel)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = t.modRoot
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, context.DeadlineExceeded
	}
	return out, err
}
