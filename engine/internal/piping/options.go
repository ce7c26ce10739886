package piping

// Defaults for Options.
const (
	// MaxTemplateBytesDefault is the largest template string accepted when
	// Options.MaxTemplateBytes is 0.
	MaxTemplateBytesDefault = 64 << 10

	// MaxDepthDefault is the deepest nesting of operators, lists and
	// $Size/$Length accepted when Options.MaxDepth is 0.
	MaxDepthDefault = 32
)

// Options configures Compile.
type Options struct {
	// Path labels the root of the template in errors: with "input", an error
	// in the string at key email.to reads "input.email.to: ...".
	// Defaults to "" (paths start at the first key).
	Path string

	// Variables holds the configured variables, app -> key -> value. A
	// $Variable{app}{key} whose app or key is not here is a compile error.
	// The values used at run time come from Env.Variable.
	Variables map[string]map[string]any

	// Constants holds the configured constants, app -> key -> value, and is
	// checked like Variables for $Constant{app}{key}.
	Constants map[string]map[string]any

	// MaxTemplateBytes is the longest template string accepted, in bytes.
	// Defaults to MaxTemplateBytesDefault (64 KiB).
	MaxTemplateBytes int

	// MaxDepth is the deepest nesting of operators, list literals and
	// $Size/$Length accepted. Defaults to MaxDepthDefault (32).
	MaxDepth int
}

// withDefaults returns a copy of o with zero limits replaced by defaults.
func (o Options) withDefaults() Options {
	if o.MaxTemplateBytes <= 0 {
		o.MaxTemplateBytes = MaxTemplateBytesDefault
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = MaxDepthDefault
	}
	return o
}
