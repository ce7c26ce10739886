// Package piping compiles and evaluates the data-piping language of job
// inputs: the references and operators that let any string in a job's
// input read the triggering event's data, earlier events' outputs,
// variables, constants and secrets (docs/job-events.md, Piping).
//
// A template is compiled once, at config load or dispatch, with Compile;
// every string in it is parsed by a small hand-written parser and turned into
// one expr-lang program (references become calls such as
// _ref("$Input{a}", "Input", Input, "a"), operators become registered
// functions, text becomes string concatenation). Template.Eval only runs
// those programs: event data is never parsed as a template, so text in an
// event that looks like $Input{x} stays text. A string that is one
// $Input, $Sequence, $Variable or $Constant reference and nothing else is
// resolved by the same function without the VM. Template.AppendJSON gives
// Eval's value as JSON (keys sorted) without building it: the template's
// literal parts are encoded once, at compile time, and only the programs
// between them run.
//
// # Language
//
// References: $Input{a}{b} (and $Input alone for the whole input),
// $Sequence{sequence_tag}{event_tag}{path...}, $Variable{app}{key},
// $Constant{app}{key}, $Secret{KEY}, $Auth{auth_tag}{path...}, $Now or $Now()
// (Unix milliseconds, an int64), $Size{ref} and $Length{ref} (also written
// $Size(...)/$Length(...)). A {[n]} segment indexes a list; a numeric {n}
// segment also indexes a list. Keys are trimmed of surrounding spaces and
// cannot contain braces.
//
// Operators: $Add, $Subtract, $Concat, $Substring, $Trim, $Uppercase,
// $Lowercase, $Split, $Pick, $Join, $Replace, $Filter, $Find, $Dateformat
// (alias $Format), $DateAdd and $Var. Arguments are 'single' or "double"
// quoted strings (backslash escapes the quote, a backslash, n, t, r), list
// literals [a, b], numbers, true, false, null, references, operators,
// ${ ... } expressions, or bare words, which are text (so
// $DateAdd(d, 1, days) and $Filter(l, >, 3) work).
//
// ${ expr } is one expr-lang expression over the environment Input,
// Sequence, Variable, Constant, Secret (a function: Secret("KEY")), Now (Unix
// milliseconds) and Job (Event, Attempt, Execution). It may be the whole
// string or embedded in text or arguments. expr's now() builtin is disabled
// (time comes from Env.Now), and $Auth values are not reachable from it.
// A literal "$Input{x}" can be written as ${"$Input{x}"}.
//
// # Decisions
//
//   - A string that is exactly one reference, operator or ${ } keeps the
//     value's type; mixed text renders values as text: integral numbers
//     without ".0", objects and lists as compact JSON, null as "null".
//   - A string without "$" is returned unchanged without a program. A "$"
//     followed by something that is not a name ("$", "$5") is text, and so
//     is an unknown name not followed by ( or { ("$HOME"); an unknown name
//     followed by ( or { is a compile error, as is a known operator not
//     followed by its arguments.
//   - Results are fresh trees of JSON types. Integral numbers (including
//     integral float64 from JSON, up to 2^53) are int64; others float64.
//     $Add and $Subtract compute exactly in int64 while every operand is an
//     integer, and return int64 whenever the result is integral.
//   - Anything that resolves to nothing is an *EvalError wrapping
//     ErrMissing: an absent key, a null value, an index past the end, a
//     $Find without a match, a ${ } whose result is null.
//   - $Substring and $Pick count characters (runes); negative start, end
//     and index count from the end. $Size counts the keys of an object (or
//     the items of a list); $Length counts the items of a list or the
//     characters of a string.
//   - $Join(list, 'sep') joins as text; $Join([l1, l2]) and $Join(l1, l2)
//     merge lists. $Concat's separator defaults to "".
//   - $Filter and $Find compare numerically when either side is a number
//     and the other a number or digit string; two strings compare as text.
//     Elements without the named field do not match.
//   - Dates are RFC 3339 / ISO-8601 text (a missing zone is UTC),
//     'YYYY-MM-DD', or Unix milliseconds (numbers or digit strings).
//     $Dateformat prints in UTC; text in [brackets] is copied as is.
//     $DateAdd returns an RFC 3339 string in UTC, so it chains into
//     $Dateformat; months and years clamp the day to the end of the month.
//   - $Var accepts execution_count (Job.Execution), attempt and event.
//   - $Variable and $Constant must name an app and key given in Options at
//     compile time; values are read from the Env at run time.
//   - With Env.Redact, $Secret and $Auth evaluate to "[secret]"; both make
//     Template.UsesSecrets true.
//
// Compile reports every problem of a template at once (errors.Join of
// *CompileError, each with the path of the string and a 1-based column).
package piping
