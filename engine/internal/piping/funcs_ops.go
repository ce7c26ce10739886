package piping

// operatorFuncs maps "_Name" to the function behind $Name(...). $Format
// compiles to _Dateformat; $Now and $Var read the environment directly.
var operatorFuncs = map[string]func(params ...any) (any, error){
	"_Add":        fnAdd,
	"_Subtract":   fnSubtract,
	"_Concat":     fnConcat,
	"_Substring":  fnSubstring,
	"_Trim":       fnTrim,
	"_Uppercase":  fnUppercase,
	"_Lowercase":  fnLowercase,
	"_Split":      fnSplit,
	"_Pick":       fnPick,
	"_Join":       fnJoin,
	"_Replace":    fnReplace,
	"_Filter":     fnFilter,
	"_Find":       fnFind,
	"_Dateformat": fnDateformat,
	"_DateAdd":    fnDateAdd,
}
