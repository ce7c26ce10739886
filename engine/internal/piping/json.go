package piping

import (
	"github.com/jobd-dev/jobd/engine/internal/jsonenc"
)

// step is one piece of a template written as JSON: literal JSON text, then
// (unless prog is nil) the value of one program.
type step struct {
	lit  []byte
	prog *program
}

// plan writes the literal parts of a compiled template as JSON once, so
// that AppendJSON only evaluates the programs between them. Object keys are
// already sorted (compiler.value sorts them).
func plan(root *tnode) []step {
	var steps []step
	var lit []byte
	var walk func(n *tnode)
	walk = func(n *tnode) {
		switch n.kind {
		case kindProg:
			steps = append(steps, step{lit: lit, prog: n.prog})
			lit = nil
		case kindMap:
			lit = append(lit, '{')
			for i, k := range n.keys {
				if i > 0 {
					lit = append(lit, ',')
				}
				lit = jsonenc.AppendString(lit, k)
				lit = append(lit, ':')
				walk(n.kids[i])
			}
			lit = append(lit, '}')
		case kindList:
			lit = append(lit, '[')
			for i, k := range n.kids {
				if i > 0 {
					lit = append(lit, ',')
				}
				walk(k)
			}
			lit = append(lit, ']')
		default:
			lit, _ = jsonenc.AppendValue(lit, n.lit) // a string, int64, float64, bool or nil
		}
	}
	walk(root)
	if len(lit) > 0 {
		steps = append(steps, step{lit: lit})
	}
	return steps
}

// AppendJSON evaluates the template against env (nil means an empty Env),
// as Eval does, and appends the result to b as JSON with object keys sorted:
// the document json.Marshal writes for Eval's value, without building that
// value. On failure it returns b unchanged and the same errors as Eval.
func (t *Template) AppendJSON(b []byte, env *Env) ([]byte, error) {
	re := runEnv{vm: newVMEnv(env, t.secrets)}
	start := len(b)
	var errs []error
	for _, s := range t.plan {
		b = append(b, s.lit...)
		if s.prog == nil {
			continue
		}
		v, err := s.prog.run(&re)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if b, err = jsonenc.AppendValue(b, v); err != nil {
			errs = append(errs, &EvalError{Path: s.prog.path, Ref: s.prog.src, Err: &reason{msg: "encode: " + err.Error(), kind: ErrInternal}})
		}
	}
	if err := joinErrors(errs); err != nil {
		return b[:start], err
	}
	return b, nil
}
