package piping

import (
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	exprparser "github.com/expr-lang/expr/parser"
)

// MinTaintLength is the shortest string computed from a secret that is
// reported to Env.Taint: shorter ones ("a", "Bea") would scrub ordinary text
// everywhere and reveal little.
const MinTaintLength = 4

// Derived secrets. $Secret{KEY} is redacted where the input is shown, but a
// value a template computes from it ($Uppercase($Secret{KEY}),
// $Substring($Secret{KEY}, 0, 12), ${ Secret("KEY") + "x" }) is text of its
// own that the plugin's answer, its errors and jobd's logs may repeat. So a
// program that reads Secret (or Auth, stored credentials) is compiled with
// every sub-expression that reads it (directly, or through a let variable
// that does) wrapped in a call that
// reports its value to Env.Taint: every string of MinTaintLength bytes or
// more, including those in lists and maps, and the program's final value.
// The caller scrubs each one like the secret itself.

// taintSinkName is the environment field the wrappers report to; ${ ... }
// cannot name it (names starting with _ are refused).
const taintSinkName = "_taint_sink"

// taintFunc reports v to the sink (a func(any), nil when nobody listens)
// and returns v unchanged.
func taintFunc(params ...any) (any, error) {
	if sink, ok := params[0].(func(any)); ok && sink != nil {
		sink(params[1])
	}
	return params[1], nil
}

// taintCompileOptions are genOptions plus the wrapping, for the generated
// code of a program that reads Secret. The patcher is new for each program:
// it keeps per-tree state.
func taintCompileOptions(code string) []expr.Option {
	vars := map[string]bool{}
	if tree, err := exprparser.Parse(code); err == nil {
		vars = secretVars(tree.Node)
	}
	opts := append([]expr.Option(nil), genOptions...)
	return append(opts,
		expr.Function("_taint", taintFunc),
		expr.Function("_taints", taintFunc, new(func(func(any), string) string)),
		expr.Patch(&taintPatcher{reads: map[ast.Node]bool{}, vars: vars}),
	)
}

// taintPatcher wraps each node that reads Secret in _taint(_taint_sink, node).
// ast.Walk visits children before their parent, so a node reads Secret when
// it is the Secret identifier, a let variable bound to something that reads
// it, or has a child that does.
type taintPatcher struct {
	reads map[ast.Node]bool
	vars  map[string]bool // let variables whose value reads Secret
}

// Visit implements ast.Visitor.
func (t *taintPatcher) Visit(node *ast.Node) {
	n := *node
	reads := false
	if id, ok := n.(*ast.IdentifierNode); ok {
		reads = id.Value == "Secret" || id.Value == "Auth" || t.vars[id.Value]
	}
	if !reads {
		for _, c := range children(n) {
			if t.reads[c] {
				reads = true
				break
			}
		}
	}
	if !reads {
		return
	}
	switch n.(type) {
	case *ast.IdentifierNode, *ast.PredicateNode, *ast.PairNode, *ast.VariableDeclaratorNode, *ast.SequenceNode, *ast.PointerNode:
		// Not values of their own, or values their parent reports.
		t.reads[n] = true
		return
	}
	name := "_taint"
	typ := n.Type()
	if typ != nil {
		switch typ.Kind() {
		case reflect.String:
			name = "_taints"
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			// No text to report; the parent that turns it into text is
			// wrapped in turn.
			t.reads[n] = true
			return
		}
	}
	w := &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: name},
		Arguments: []ast.Node{&ast.IdentifierNode{Value: taintSinkName}, n},
	}
	ast.Patch(node, w)
	t.reads[w] = true
}

// children returns the direct children of n, as ast.Walk visits them.
func children(n ast.Node) []ast.Node {
	switch x := n.(type) {
	case *ast.UnaryNode:
		return []ast.Node{x.Node}
	case *ast.BinaryNode:
		return []ast.Node{x.Left, x.Right}
	case *ast.ChainNode:
		return []ast.Node{x.Node}
	case *ast.MemberNode:
		return []ast.Node{x.Node, x.Property}
	case *ast.SliceNode:
		return []ast.Node{x.Node, x.From, x.To}
	case *ast.CallNode:
		return append([]ast.Node{x.Callee}, x.Arguments...)
	case *ast.BuiltinNode:
		return x.Arguments
	case *ast.PredicateNode:
		return []ast.Node{x.Node}
	case *ast.VariableDeclaratorNode:
		return []ast.Node{x.Value, x.Expr}
	case *ast.SequenceNode:
		return x.Nodes
	case *ast.ConditionalNode:
		return []ast.Node{x.Cond, x.Exp1, x.Exp2}
	case *ast.ArrayNode:
		return x.Nodes
	case *ast.MapNode:
		out := make([]ast.Node, len(x.Pairs))
		copy(out, x.Pairs)
		return out
	case *ast.PairNode:
		return []ast.Node{x.Key, x.Value}
	}
	return nil
}

// secretVars returns the let variables of tree bound, directly or through
// another such variable, to a value that reads Secret.
func secretVars(tree ast.Node) map[string]bool {
	vars := map[string]bool{}
	for {
		more := false
		ast.Find(tree, func(n ast.Node) bool {
			d, ok := n.(*ast.VariableDeclaratorNode)
			if ok && !vars[d.Name] && mentions(d.Value, vars) {
				vars[d.Name] = true
				more = true
			}
			return false
		})
		if !more {
			return vars
		}
	}
}

// mentions reports whether n names Secret or one of vars.
func mentions(n ast.Node, vars map[string]bool) bool {
	return ast.Find(n, func(n ast.Node) bool {
		id, ok := n.(*ast.IdentifierNode)
		return ok && (id.Value == "Secret" || id.Value == "Auth" || vars[id.Value])
	}) != nil
}

// reportStrings calls report with every string of MinTaintLength bytes or
// more in v: v itself, or the elements and keys of lists and maps, down to
// a bounded depth.
func reportStrings(v any, report func(string), depth int) {
	if depth > 64 {
		return
	}
	switch x := v.(type) {
	case string:
		if len(x) >= MinTaintLength {
			report(x)
		}
	case []any:
		for _, e := range x {
			reportStrings(e, report, depth+1)
		}
	case []string:
		for _, e := range x {
			reportStrings(e, report, depth+1)
		}
	case map[string]any:
		for k, e := range x {
			reportStrings(k, report, depth+1)
			reportStrings(e, report, depth+1)
		}
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Slice, reflect.Array:
			for i := range rv.Len() {
				reportStrings(rv.Index(i).Interface(), report, depth+1)
			}
		case reflect.Map:
			it := rv.MapRange()
			for it.Next() {
				reportStrings(it.Key().Interface(), report, depth+1)
				reportStrings(it.Value().Interface(), report, depth+1)
			}
		}
	}
}
