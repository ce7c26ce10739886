package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Placeholder types, written after the name: {{age:int:0:150}}.
const (
	// TypeString is a JSON string; min and max bound its length in characters.
	TypeString = "string"
	// TypeInt is a whole number (or a string of one); min and max bound its value.
	TypeInt = "int"
	// TypeNumber is any number (or a string of one); min and max bound its value.
	TypeNumber = "number"
	// TypeBool is true or false (or the strings "true" and "false").
	TypeBool = "bool"
	// TypeEmail is a bare address such as ada@example.com; min and max bound its length.
	TypeEmail = "email"
	// TypeUUID is a UUID in its 8-4-4-4-12 hex form.
	TypeUUID = "uuid"
	// TypeDate is a date, YYYY-MM-DD, or an RFC 3339 date-time.
	TypeDate = "date"
	// TypeDateTime is an RFC 3339 date-time such as 2025-03-14T09:30:00Z.
	TypeDateTime = "datetime"
	// TypeJSON is any JSON value, bound as its JSON text.
	TypeJSON = "json"
)

// typeAliases maps every accepted spelling of a type to its name.
var typeAliases = map[string]string{
	"string": TypeString, "text": TypeString,
	"int": TypeInt, "integer": TypeInt,
	"number": TypeNumber, "float": TypeNumber, "decimal": TypeNumber,
	"bool": TypeBool, "boolean": TypeBool,
	"email": TypeEmail, "uuid": TypeUUID,
	"date": TypeDate, "datetime": TypeDateTime, "timestamp": TypeDateTime,
	"json": TypeJSON,
}

// Job fields a statement can use as placeholders.
const (
	// NameIdempotencyKey is the run's idempotency key (the run id when jobd
	// gives none): the same on every attempt of the run.
	NameIdempotencyKey = "_idempotency_key"
	// NameRunID is the run's id.
	NameRunID = "_run_id"
	// NameJobID is the job's id (the same for every run of a series).
	NameJobID = "_job_id"
)

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$`)

// param is one placeholder of a statement, in the order it appears.
type param struct {
	// spec is the placeholder as written, without braces.
	spec string
	// name is the value's name: "id", "data.id", "filter.user.id", "_run_id".
	name string
	// scope is "data" or "filter" for a dotted name that starts with one,
	// "job" for the job fields, "" to look in data, then filter.
	scope string
	// path is the name's segments after the scope.
	path []string
	// typ is one of the Type constants, or "" for an untyped value.
	typ string
	// min and max are the bounds, when set.
	min, max *float64
}

// statement is an action's SQL, parsed once at Configure.
type statement struct {
	// text is the SQL with every placeholder replaced by the driver's
	// parameter marker ($1, $2, ... or ?).
	text string
	// params are the placeholders, one per marker, in order.
	params []param
	// returning is true when the SQL has a RETURNING clause.
	returning bool
}

// parseSQL turns src into a statement for driver. Every placeholder becomes
// a bound parameter; a placeholder inside a quoted string, a quoted
// identifier or a comment is an error, and so is a native parameter marker
// (which would shift the numbering).
func parseSQL(driver, src string) (*statement, error) {
	st := &statement{}
	var b strings.Builder
	typed := map[string]string{}
	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		switch {
		case strings.HasPrefix(src[i:], "{{"):
			end := strings.Index(src[i+2:], "}}")
			if end < 0 {
				return nil, fmt.Errorf("unclosed {{ at offset %d", i)
			}
			p, err := parsePlaceholder(src[i+2 : i+2+end])
			if err != nil {
				return nil, err
			}
			if p.typ != "" {
				if prev, ok := typed[p.name]; ok && prev != p.spec {
					return nil, fmt.Errorf("{{%s}} and {{%s}} give %s two different types", prev, p.spec, p.name)
				}
				typed[p.name] = p.spec
			}
			st.params = append(st.params, p)
			if driver == DriverPostgres {
				fmt.Fprintf(&b, "$%d", len(st.params))
			} else {
				b.WriteByte('?')
			}
			i += end + 4
		case c == '-' && strings.HasPrefix(src[i:], "--"), c == '#' && driver == DriverMySQL:
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = n - i
			}
			if err := noPlaceholder(src[i:i+end], "a comment"); err != nil {
				return nil, err
			}
			b.WriteString(src[i : i+end])
			i += end
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unclosed /* comment at offset %d", i)
			}
			if err := noPlaceholder(src[i:i+end+4], "a comment"); err != nil {
				return nil, err
			}
			b.WriteString(src[i : i+end+4])
			i += end + 4
		case c == '\'' || c == '"' || c == '`':
			backslash := driver == DriverMySQL ||
				(driver == DriverPostgres && c == '\'' && i > 0 && (src[i-1] == 'E' || src[i-1] == 'e'))
			end, err := quoteEnd(src, i, backslash)
			if err != nil {
				return nil, err
			}
			what := "a quoted string literal"
			if c != '\'' {
				what = "a quoted identifier"
			}
			if err := noPlaceholder(src[i:end], what); err != nil {
				return nil, err
			}
			b.WriteString(src[i:end])
			i = end
		case c == '$' && driver == DriverPostgres && (i == 0 || !isIdent(src[i-1])):
			if i+1 < n && isDigit(src[i+1]) {
				return nil, fmt.Errorf("native parameter %q at offset %d: use a {{name}} placeholder", src[i:i+2], i)
			}
			tagEnd := i + 1
			for tagEnd < n && (isIdentStart(src[tagEnd]) || isDigit(src[tagEnd])) {
				tagEnd++
			}
			if tagEnd < n && src[tagEnd] == '$' { // dollar-quoted string $tag$...$tag$
				tag := src[i : tagEnd+1]
				end := strings.Index(src[tagEnd+1:], tag)
				if end < 0 {
					return nil, fmt.Errorf("unclosed dollar-quoted string %s at offset %d", tag, i)
				}
				stop := tagEnd + 1 + end + len(tag)
				if err := noPlaceholder(src[i:stop], "a quoted string literal"); err != nil {
					return nil, err
				}
				b.WriteString(src[i:stop])
				i = stop
				continue
			}
			b.WriteByte(c)
			i++
		case c == '?' && driver != DriverPostgres,
			(c == '$' || c == ':' || c == '@') && driver == DriverSQLite && i+1 < n && isIdent(src[i+1]):
			return nil, fmt.Errorf("native parameter marker %q at offset %d: use a {{name}} placeholder", string(c), i)
		case isIdentStart(c) && (i == 0 || !isIdent(src[i-1])):
			end := i
			for end < n && isIdent(src[end]) {
				end++
			}
			if strings.EqualFold(src[i:end], "RETURNING") {
				st.returning = true
			}
			b.WriteString(src[i:end])
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	st.text = b.String()
	return st, nil
}

// quoteEnd returns the offset just past the quoted text starting at src[i].
// A doubled quote is an escaped quote; so is a backslash-escaped one when
// backslash is set.
func quoteEnd(src string, i int, backslash bool) (int, error) {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch {
		case backslash && src[j] == '\\':
			j++
		case src[j] == q && j+1 < len(src) && src[j+1] == q:
			j++
		case src[j] == q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unclosed %c at offset %d", q, i)
}

// noPlaceholder refuses a placeholder in quoted text or a comment: there it
// could only be spliced into the SQL, which jobd never does.
func noPlaceholder(s, where string) error {
	start := strings.Index(s, "{{")
	if start < 0 {
		return nil
	}
	end := strings.Index(s[start:], "}}")
	ph := s[start:]
	if end >= 0 {
		ph = s[start : start+end+2]
	}
	return fmt.Errorf("placeholder %s is inside %s (%.40s): placeholders are bound parameters, never text in the SQL; write it unquoted, e.g. name = {{name}}", ph, where, s)
}

// parsePlaceholder parses "name", "name:TYPE", "name:TYPE:min" or
// "name:TYPE:min:max" (min or max may be empty).
func parsePlaceholder(spec string) (param, error) {
	spec = strings.TrimSpace(spec)
	parts := strings.Split(spec, ":")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	p := param{spec: spec, name: parts[0]}
	if !namePattern.MatchString(p.name) {
		return p, fmt.Errorf("{{%s}}: invalid name %q: use letters, digits and '_', with '.' between levels", spec, p.name)
	}
	if len(parts) > 4 {
		return p, fmt.Errorf("{{%s}}: want {{name}} or {{name:TYPE:min:max}}", spec)
	}
	p.path = strings.Split(p.name, ".")
	switch p.path[0] {
	case "data", "filter":
		if len(p.path) == 1 {
			return p, fmt.Errorf("{{%s}}: name the field, as in {{%s.field}}", spec, p.path[0])
		}
		p.scope, p.path = p.path[0], p.path[1:]
	case NameIdempotencyKey, NameRunID, NameJobID:
		if len(p.path) > 1 {
			return p, fmt.Errorf("{{%s}}: %s has no fields", spec, p.path[0])
		}
		p.scope = "job"
	default:
		if strings.HasPrefix(p.path[0], "_") {
			return p, fmt.Errorf("{{%s}}: unknown job field %s (known: %s, %s, %s)", spec, p.path[0], NameIdempotencyKey, NameRunID, NameJobID)
		}
	}
	if len(parts) == 1 {
		return p, nil
	}
	typ, ok := typeAliases[strings.ToLower(parts[1])]
	if !ok {
		return p, fmt.Errorf("{{%s}}: unknown type %q (known: string, int, number, bool, email, uuid, date, datetime, json)", spec, parts[1])
	}
	p.typ = typ
	var err error
	if len(parts) > 2 {
		if p.min, err = parseBound(p, parts[2]); err != nil {
			return p, err
		}
	}
	if len(parts) > 3 {
		if p.max, err = parseBound(p, parts[3]); err != nil {
			return p, err
		}
	}
	if p.min != nil && p.max != nil && *p.min > *p.max {
		return p, fmt.Errorf("{{%s}}: min %v is above max %v", spec, *p.min, *p.max)
	}
	return p, nil
}

// parseBound parses a min or max: a length (a whole number from 0) for
// string, email and uuid; a whole number for int; any number for number.
func parseBound(p param, s string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	switch p.typ {
	case TypeString, TypeEmail, TypeUUID:
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("{{%s}}: length bound %q is not a whole number from 0", p.spec, s)
		}
		f := float64(v)
		return &f, nil
	case TypeInt:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("{{%s}}: bound %q is not a whole number", p.spec, s)
		}
		f := float64(v)
		return &f, nil
	case TypeNumber:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("{{%s}}: bound %q is not a number", p.spec, s)
		}
		return &v, nil
	}
	return nil, fmt.Errorf("{{%s}}: type %s takes no min or max", p.spec, p.typ)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
func isIdent(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }
