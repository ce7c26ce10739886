package main

import (
	"reflect"
	"strings"
	"testing"
)

// Each kind of quoted text and comment the scanner skips, per driver: a
// placeholder inside is refused, one just after is bound.
func TestParseSQLQuotesAndComments(t *testing.T) {
	pg, my, lite := DriverPostgres, DriverMySQL, DriverSQLite
	tests := []struct {
		name, driver, sql string
		want, wantErr     string // the SQL sent to the driver, or a part of the error
		names             []string
	}{
		// MySQL # comments; elsewhere # is an operator.
		{name: "mysql # comment", driver: my, sql: "SELECT 1 # {{a}}", wantErr: "placeholder {{a}} is inside a comment"},
		{name: "mysql # comment ends at the line", driver: my, sql: "SELECT 1 # x\n, {{a}}", want: "SELECT 1 # x\n, ?", names: []string{"a"}},
		{name: "postgres # is an operator", driver: pg, sql: "SELECT 1 # {{a}}", want: "SELECT 1 # $1", names: []string{"a"}},
		{name: "sqlite # is not a comment", driver: lite, sql: "SELECT 1 # {{a}}", want: "SELECT 1 # ?", names: []string{"a"}},
		// -- comments, to the end of the line or of the input.
		{name: "-- comment at the end", driver: lite, sql: "SELECT {{a}} -- {{b}}", wantErr: "placeholder {{b}} is inside a comment"},
		{name: "-- comment ends at the line", driver: pg, sql: "SELECT 1 -- x\n, {{a}}", want: "SELECT 1 -- x\n, $1", names: []string{"a"}},
		{name: "a single - is minus", driver: lite, sql: "SELECT 2 - {{a}}", want: "SELECT 2 - ?", names: []string{"a"}},
		// /* */ comments.
		{name: "block comment", driver: pg, sql: "SELECT /* {{a}} */ 1", wantErr: "placeholder {{a}} is inside a comment"},
		{name: "block comment over lines", driver: my, sql: "SELECT /* x\n{{a}} */ 1", wantErr: "inside a comment"},
		{name: "after a block comment", driver: lite, sql: "SELECT /* x */ {{a}}", want: "SELECT /* x */ ?", names: []string{"a"}},
		{name: "unclosed block comment", driver: lite, sql: "SELECT /* x", wantErr: "unclosed /* comment at offset 7"},
		{name: "a single / is division", driver: lite, sql: "SELECT 4 / {{a}}", want: "SELECT 4 / ?", names: []string{"a"}},
		// Backtick identifiers.
		{name: "backtick identifier", driver: my, sql: "SELECT `{{a}}` FROM t", wantErr: "placeholder {{a}} is inside a quoted identifier"},
		{name: "after a backtick identifier", driver: my, sql: "SELECT `c` FROM t WHERE a = {{a}}", want: "SELECT `c` FROM t WHERE a = ?", names: []string{"a"}},
		{name: "double-quoted identifier", driver: pg, sql: `SELECT "a""{{b}}"`, wantErr: "inside a quoted identifier"},
		{name: "unclosed backtick", driver: my, sql: "SELECT `a", wantErr: "unclosed ` at offset 7"},
		// Doubled quotes and backslashes.
		{name: "doubled quote", driver: pg, sql: "SELECT 'it''s {{a}}'", wantErr: "inside a quoted string literal"},
		{name: "doubled quote then a placeholder", driver: pg, sql: "SELECT 'it''s', {{a}}", want: "SELECT 'it''s', $1", names: []string{"a"}},
		{name: "quote at the very end", driver: lite, sql: "SELECT {{a}}, 'x'", want: "SELECT ?, 'x'", names: []string{"a"}},
		{name: "postgres backslash is text", driver: pg, sql: `SELECT '\', {{a}}`, want: `SELECT '\', $1`, names: []string{"a"}},
		{name: "sqlite backslash is text", driver: lite, sql: `SELECT '\', {{a}}`, want: `SELECT '\', ?`, names: []string{"a"}},
		{name: "postgres E string", driver: pg, sql: `SELECT E'\', {{a}}'`, wantErr: "inside a quoted string literal"},
		{name: "postgres e string", driver: pg, sql: `SELECT e'\', {{a}}'`, wantErr: "inside a quoted string literal"},
		{name: "postgres E string escapes only in single quotes", driver: pg, sql: `SELECT E"\", {{a}}`, want: `SELECT E"\", $1`, names: []string{"a"}},
		{name: "quote at the start", driver: pg, sql: `'\', {{a}}`, want: `'\', $1`, names: []string{"a"}},
		{name: "mysql backslash in a backtick", driver: my, sql: "SELECT `a\\`, {{a}}`", wantErr: "inside a quoted identifier"},
		// Dollar quotes and native markers.
		{name: "dollar quote with a tag", driver: pg, sql: "SELECT $t1$ {{a}} $t1$", wantErr: "inside a quoted string literal"},
		{name: "after a dollar quote", driver: pg, sql: "SELECT $t$ x $t$, {{a}}", want: "SELECT $t$ x $t$, $1", names: []string{"a"}},
		{name: "unclosed dollar quote", driver: pg, sql: "SELECT $t$ x", wantErr: "unclosed dollar-quoted string $t$ at offset 7"},
		{name: "dollar inside an identifier", driver: pg, sql: "SELECT a$1, {{a}}", want: "SELECT a$1, $1", names: []string{"a"}},
		{name: "lone dollar", driver: pg, sql: "SELECT $ {{a}}", want: "SELECT $ $1", names: []string{"a"}},
		{name: "dollar at the end", driver: pg, sql: "SELECT {{a}} $", want: "SELECT $1 $", names: []string{"a"}},
		{name: "native marker at the start", driver: pg, sql: "$1", wantErr: `native parameter "$1" at offset 0`},
		{name: "mysql ?", driver: my, sql: "SELECT ?", wantErr: `native parameter marker "?" at offset 7`},
		{name: "sqlite ?", driver: lite, sql: "SELECT ?", wantErr: "native parameter marker"},
		{name: "sqlite $name", driver: lite, sql: "SELECT $a", wantErr: `native parameter marker "$"`},
		{name: "sqlite @name", driver: lite, sql: "SELECT @a", wantErr: `native parameter marker "@"`},
		{name: "sqlite lone :", driver: lite, sql: "SELECT 1 :", want: "SELECT 1 :"},
		{name: "sqlite : before a space", driver: lite, sql: "SELECT 1 : 2", want: "SELECT 1 : 2"},
		{name: "mysql $name is text", driver: my, sql: "SELECT $a, :b, @c", want: "SELECT $a, :b, @c"},
		// RETURNING as a word only.
		{name: "returning as part of a word", driver: pg, sql: "SELECT returning_id, xreturning FROM t", want: "SELECT returning_id, xreturning FROM t"},
		{name: "placeholder at the end", driver: pg, sql: "{{a}}", want: "$1", names: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := parseSQL(tt.driver, tt.sql)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseSQL(%s, %q) = %v, want an error containing %q", tt.driver, tt.sql, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseSQL(%s, %q) = %v", tt.driver, tt.sql, err)
			}
			var names []string
			for _, p := range st.params {
				names = append(names, p.name)
			}
			if st.text != tt.want || !reflect.DeepEqual(names, tt.names) || st.returning {
				t.Errorf("parseSQL(%s, %q) = %q %v returning=%v, want %q %v", tt.driver, tt.sql, st.text, names, st.returning, tt.want, tt.names)
			}
		})
	}
}

func TestParseSQLReturning(t *testing.T) {
	for _, sql := range []string{"RETURNING {{a}}", "INSERT INTO t VALUES (1) RETURNING id", "DELETE FROM t\nreturning *"} {
		st, err := parseSQL(DriverPostgres, sql)
		if err != nil || !st.returning {
			t.Errorf("parseSQL(%q) = %+v, %v, want returning", sql, st, err)
		}
	}
	// Only a whole word counts: here the word is "1returning".
	if st, err := parseSQL(DriverPostgres, "SELECT 1returning"); err != nil || st.returning {
		t.Errorf("parseSQL(SELECT 1returning) = %+v, %v, want no returning", st, err)
	}
}

func TestParsePlaceholder(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		spec    string
		want    param
		wantErr string
	}{
		{spec: "a", want: param{spec: "a", name: "a", path: []string{"a"}}},
		{spec: " data.x.y : TEXT ", want: param{spec: "data.x.y : TEXT", name: "data.x.y", scope: "data", path: []string{"x", "y"}, typ: TypeString}},
		{spec: "filter.id:uuid", want: param{spec: "filter.id:uuid", name: "filter.id", scope: "filter", path: []string{"id"}, typ: TypeUUID}},
		{spec: "_run_id", want: param{spec: "_run_id", name: "_run_id", scope: "job", path: []string{"_run_id"}}},
		{spec: "_job_id", want: param{spec: "_job_id", name: "_job_id", scope: "job", path: []string{"_job_id"}}},
		{spec: "_idempotency_key", want: param{spec: "_idempotency_key", name: "_idempotency_key", scope: "job", path: []string{"_idempotency_key"}}},
		{spec: "n:int::5", want: param{spec: "n:int::5", name: "n", path: []string{"n"}, typ: TypeInt, max: f(5)}},
		{spec: "n:integer:-3", want: param{spec: "n:integer:-3", name: "n", path: []string{"n"}, typ: TypeInt, min: f(-3)}},
		{spec: "n:int:5:5", want: param{spec: "n:int:5:5", name: "n", path: []string{"n"}, typ: TypeInt, min: f(5), max: f(5)}},
		{spec: "x:float:0.5:1.5", want: param{spec: "x:float:0.5:1.5", name: "x", path: []string{"x"}, typ: TypeNumber, min: f(0.5), max: f(1.5)}},
		{spec: "s:string:0:10", want: param{spec: "s:string:0:10", name: "s", path: []string{"s"}, typ: TypeString, min: f(0), max: f(10)}},
		{spec: "e:email:3", want: param{spec: "e:email:3", name: "e", path: []string{"e"}, typ: TypeEmail, min: f(3)}},
		{spec: "b:Boolean", want: param{spec: "b:Boolean", name: "b", path: []string{"b"}, typ: TypeBool}},
		{spec: "a:int:1:2:3", wantErr: "want {{name}} or {{name:TYPE:min:max}}"},
		{spec: "data", wantErr: "name the field, as in {{data.field}}"},
		{spec: "filter", wantErr: "name the field, as in {{filter.field}}"},
		{spec: "_run_id.x", wantErr: "_run_id has no fields"},
		{spec: "_other", wantErr: "unknown job field _other"},
		{spec: "a:blob", wantErr: `unknown type "blob"`},
		{spec: "a:bool:1", wantErr: "type bool takes no min or max"},
		{spec: "a:json::1", wantErr: "type json takes no min or max"},
		{spec: "a:int:x", wantErr: `bound "x" is not a whole number`},
		{spec: "a:int:1.5", wantErr: `bound "1.5" is not a whole number`},
		{spec: "a:number:x", wantErr: `bound "x" is not a number`},
		{spec: "a:string:-1", wantErr: `length bound "-1" is not a whole number from 0`},
		{spec: "a:uuid:1:x", wantErr: `length bound "x" is not a whole number from 0`},
		{spec: "a:number:2:1", wantErr: "min 2 is above max 1"},
		{spec: "a b", wantErr: `invalid name "a b"`},
		{spec: "", wantErr: `invalid name ""`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			p, err := parsePlaceholder(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parsePlaceholder(%q) = %v, want an error containing %q", tt.spec, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(p, tt.want) {
				t.Errorf("parsePlaceholder(%q) = %+v, %v, want %+v", tt.spec, p, err, tt.want)
			}
		})
	}
}

// A name may carry one type, written the same way each time it has one.
func TestParseSQLTypesPerName(t *testing.T) {
	if _, err := parseSQL(DriverSQLite, "SELECT {{a:int}}, {{a}}, {{a:int}}"); err != nil {
		t.Errorf("the same type twice and an untyped use: %v", err)
	}
	if _, err := parseSQL(DriverSQLite, "SELECT {{a}}, {{a:int}}, {{a:int:1}}"); err == nil || !strings.Contains(err.Error(), "{{a:int}} and {{a:int:1}} give a two different types") {
		t.Errorf("two specs for a name: %v", err)
	}
}
