package piping

import (
	"errors"
	"fmt"
	"sync"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Template is a compiled template. It is immutable and safe for concurrent
// use by many goroutines.
type Template struct {
	root    *tnode
	plan    []step // root as JSON: literal text and programs in order
	static  bool
	secrets bool
	exprs   bool
}

// Static reports whether the template holds no reference, operator or
// expression: Eval then always returns a copy of the literal value.
func (t *Template) Static() bool { return t.static }

// usesExpr reports whether any string holds a ${ ... } expression.
func (t *Template) usesExpr() bool { return t.exprs }

// UsesSecrets reports whether the template reads $Secret{...}, $Auth{...} or
// Secret in a ${ ... } expression.
func (t *Template) UsesSecrets() bool { return t.secrets }

// Eval evaluates the template against env (nil means an empty Env) and
// returns a fresh value tree of JSON types (map[string]any, []any, string,
// int64, float64, bool, nil) that the caller owns and may json.Marshal.
// Integral numbers are int64, other numbers float64. Every string that
// fails contributes an *EvalError; Eval returns them joined, or the one
// error alone.
func (t *Template) Eval(env *Env) (any, error) {
	re := runEnv{vm: newVMEnv(env, t.secrets)}
	var errs []error
	out := t.root.eval(&re, &errs)
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	return out, nil
}

// joinErrors returns nil, the one error alone, or errs joined.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// runEnv is what one evaluation runs against: the program environment, and
// the same boxed for the expr VM once, when a program first needs it
// (references alone do not).
type runEnv struct {
	vm    vmEnv
	boxed any
}

func (e *runEnv) box() any {
	if e.boxed == nil {
		e.boxed = e.vm
	}
	return e.boxed
}

type nodeKind uint8

const (
	kindLit nodeKind = iota
	kindProg
	kindMap
	kindList
)

// tnode is one node of a compiled template value.
type tnode struct {
	kind nodeKind
	lit  any      // kindLit: a string, int64, float64, bool or nil
	prog *program // kindProg
	keys []string // kindMap
	kids []*tnode // kindMap, kindList
}

func (n *tnode) eval(env *runEnv, errs *[]error) any {
	switch n.kind {
	case kindProg:
		v, err := n.prog.run(env)
		if err != nil {
			*errs = append(*errs, err)
		}
		return v
	case kindMap:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = n.kids[i].eval(env, errs)
		}
		return m
	case kindList:
		l := make([]any, len(n.kids))
		for i, k := range n.kids {
			l[i] = k.eval(env, errs)
		}
		return l
	}
	return n.lit
}

// program is one compiled template string.
type program struct {
	path  string
	src   string
	prog  *vm.Program
	spans []span
	ref   *directRef // set when the string is one reference and nothing else
}

// directRef is a template string that is exactly one $Input, $Sequence,
// $Variable or $Constant reference. It is resolved without the expr VM,
// by the same function the VM would call (_ref), with the same arguments.
type directRef struct {
	src  string // the reference as written
	root string
	segs []any // string keys and int indexes, as the generated code passes them
}

// newDirectRef returns the direct form of parts, or nil.
func newDirectRef(parts []node) *directRef {
	if len(parts) != 1 {
		return nil
	}
	r, ok := parts[0].(*refNode)
	if !ok {
		return nil
	}
	switch r.root {
	case "Input", "Sequence", "Variable", "Constant":
	default:
		return nil
	}
	d := &directRef{src: r.src, root: r.root, segs: make([]any, len(r.segs))}
	for i, s := range r.segs {
		if s.isIndex {
			d.segs[i] = s.index
		} else {
			d.segs[i] = s.key
		}
	}
	return d
}

// resolve follows the reference in env.
func (d *directRef) resolve(env *vmEnv) (any, error) {
	var root any
	switch d.root {
	case "Input":
		root = env.Input
	case "Sequence":
		root = env.Sequence
	case "Variable":
		root = env.Variable
	case "Constant":
		root = env.Constant
	}
	return walkRef(d.src, d.root, root, d.segs)
}

var vmPool = sync.Pool{New: func() any { return &vm.VM{} }}

// run executes the program and converts its result and errors.
func (p *program) run(env *runEnv) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &EvalError{Path: p.path, Ref: p.src, Err: &reason{msg: fmt.Sprintf("panic: %v", r), kind: ErrInternal}}
		}
	}()
	var v any
	if p.ref != nil {
		v, err = p.ref.resolve(&env.vm)
	} else {
		machine := vmPool.Get().(*vm.VM)
		v, err = machine.Run(p.prog, env.box())
		vmPool.Put(machine)
	}
	if err != nil {
		return nil, p.evalError(err)
	}
	v, err = normalize(v)
	if err != nil {
		return nil, &EvalError{Path: p.path, Ref: p.src, Err: &reason{msg: err.Error(), kind: ErrInternal}}
	}
	return v, nil
}

// evalError turns a vm error into an *EvalError naming the reference,
// operator or ${ ... } expression that failed.
func (p *program) evalError(err error) error {
	var fe *fnError
	if errors.As(err, &fe) {
		return &EvalError{Path: p.path, Ref: fe.ref, Err: fe.err}
	}
	ref := p.src
	msg := err.Error()
	var ve *file.Error
	if errors.As(err, &ve) {
		msg = ve.Message
		for _, s := range p.spans {
			if ve.From >= s.from && ve.From < s.to {
				ref = s.ref
			}
		}
	}
	var r *reason
	if errors.As(err, &r) {
		return &EvalError{Path: p.path, Ref: ref, Err: r}
	}
	return &EvalError{Path: p.path, Ref: ref, Err: &reason{msg: msg, kind: ErrExpr}}
}
