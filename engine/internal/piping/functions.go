package piping

import (
	"github.com/expr-lang/expr"
)

// functions are the registered expr functions behind references and
// operators. Every one receives the source text of its reference or
// operator first, to name it in errors.
var functions = map[string]func(params ...any) (any, error){
	"_ref":    fnRef,
	"_secret": fnSecret,
	"_auth":   fnAuth,
	"_cat":    fnCat,
	"_expr":   fnExpr,
	"_Size":   fnSize,
	"_Length": fnLength,
}

// exprOptions are the options every program is compiled with: the typed
// environment (so unknown names in ${ ... } are compile errors), the
// functions above, and no now() builtin (time comes from Env.Now).
var exprOptions []expr.Option

// genOptions compile the generated program of a whole template string.
// Its size is already bounded by Options.MaxTemplateBytes, so expr's node
// limit (meant for hand-written expressions) is raised.
var genOptions []expr.Option

func init() {
	for name, fn := range operatorFuncs {
		functions[name] = fn
	}
	exprOptions = []expr.Option{expr.Env(vmEnv{}), expr.DisableBuiltin("now"), expr.Timezone("UTC")}
	for name, fn := range functions {
		exprOptions = append(exprOptions, expr.Function(name, fn))
	}
	genOptions = append(append(genOptions, exprOptions...), expr.MaxNodes(1<<22))
}
