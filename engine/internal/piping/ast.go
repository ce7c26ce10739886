package piping

// node is one element of a parsed template string.
type node interface {
	column() int
}

// textNode is literal text between references.
type textNode struct {
	col  int
	text string
}

// litNode is a literal argument: string, int64, float64, bool or nil.
type litNode struct {
	col int
	val any
}

// listNode is a list literal argument [a, b, ...].
type listNode struct {
	col   int
	items []node
}

// segment is one {key} or {[index]} step of a reference.
type segment struct {
	key     string
	index   int
	isIndex bool
}

// refNode is a reference such as $Input{a}{[0]} or $Secret{KEY}.
type refNode struct {
	col  int
	src  string // the reference as written
	root string // Input, Sequence, Variable, Constant, Secret, Auth
	segs []segment
}

// callNode is an operator call such as $Add(a, b), and also $Now,
// $Size{...} and $Length{...}.
type callNode struct {
	col  int
	src  string // the call as written
	name string // operator name without "$"
	args []node
}

// exprNode is a ${ ... } expr-lang expression.
type exprNode struct {
	col  int
	src  string // "${ ... }" as written
	code string // the expression inside the braces
}

func (n *textNode) column() int { return n.col }
func (n *litNode) column() int  { return n.col }
func (n *listNode) column() int { return n.col }
func (n *refNode) column() int  { return n.col }
func (n *callNode) column() int { return n.col }
func (n *exprNode) column() int { return n.col }
