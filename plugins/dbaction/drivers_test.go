package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// dialect is what the suite needs to know about one driver.
type dialect struct {
	driver string
	// dsn of a reachable server (for sqlite, a file in the data folder).
	dsn string
	// idColumn is an auto-increment primary key.
	idColumn string
	// refusedDSN points at a port nothing listens on ("" for sqlite).
	refusedDSN string
	// returning tells whether the suite tests RETURNING.
	returning bool
}

func TestSQLite(t *testing.T) {
	exercise(t, dialect{driver: DriverSQLite, dsn: "suite.db", idColumn: "id INTEGER PRIMARY KEY AUTOINCREMENT", returning: true})
}

func TestPostgres(t *testing.T) {
	dsn := serverDSN(t, envPostgres)
	exercise(t, dialect{driver: DriverPostgres, dsn: dsn, idColumn: "id BIGSERIAL PRIMARY KEY", returning: true,
		refusedDSN: "postgres://postgres@127.0.0.1:" + closedPort(t) + "/jobd_test?sslmode=disable&connect_timeout=2"})
}

func TestMySQL(t *testing.T) {
	dsn := serverDSN(t, envMySQL)
	exercise(t, dialect{driver: DriverMySQL, dsn: dsn, idColumn: "id BIGINT AUTO_INCREMENT PRIMARY KEY", returning: true, // MariaDB 10.5+
		refusedDSN: "jobd:jobd@tcp(127.0.0.1:" + closedPort(t) + ")/jobd_test?timeout=2s"})
}

// exercise runs every behaviour the plugin promises against one driver, on
// a table of its own (dropped at the end).
func exercise(t *testing.T, d dialect) {
	table := "users_" + strings.ToLower(rand.Text()[:8])
	T := func(sql string) string { return strings.ReplaceAll(sql, "<t>", table) }
	actions := map[string]any{
		"create":     map[string]any{"kind": "CREATE", "sql": T("INSERT INTO <t> (email, name, age) VALUES ({{email:email::100}}, {{name:string:1:60}}, {{age:int:0:150}})")},
		"create_raw": map[string]any{"kind": "CREATE", "sql": T("INSERT INTO <t> (email, name, age) VALUES ({{email}}, {{name}}, {{age}})")},
		"read":       map[string]any{"kind": "READ", "sql": T("SELECT id, email, name, age FROM <t> WHERE age >= {{filter.min_age:int}} ORDER BY id")},
		"by_email":   map[string]any{"kind": "READ", "sql": T("SELECT name FROM <t> WHERE email = {{email}}")},
		"read_all":   map[string]any{"kind": "READ", "sql": T("SELECT email FROM <t> ORDER BY id"), "max_rows": 2},
		"count":      map[string]any{"kind": "COUNT", "sql": T("SELECT COUNT(*) FROM <t> WHERE age >= {{min_age:int}}")},
		"count_all":  map[string]any{"kind": "COUNT", "sql": T("SELECT COUNT(*) FROM <t>")},
		"update":     map[string]any{"kind": "UPDATE", "sql": T("UPDATE <t> SET name = {{data.name:string:1:60}} WHERE email = {{filter.email:email}}")},
		"delete":     map[string]any{"kind": "DELETE", "sql": T("DELETE FROM <t> WHERE email = {{filter.email}}")},
		"bad_sql":    map[string]any{"kind": "READ", "sql": T("SELEC email FROM <t> WHERE age = {{age}}")},
		"aggregate":  map[string]any{"kind": "AGGREGATE", "sql": T("SELECT age, COUNT(*) AS n FROM <t> GROUP BY age ORDER BY age")},
	}
	if d.returning {
		actions["create_returning"] = map[string]any{"kind": "CREATE", "sql": T("INSERT INTO <t> (email, name, age) VALUES ({{email:email}}, {{name}}, {{age:int}}) RETURNING id, email")}
		actions["delete_returning"] = map[string]any{"kind": "DELETE", "sql": T("DELETE FROM <t> WHERE age > {{max_age:int}} RETURNING email"), "max_rows": 1}
	}
	dbs := map[string]any{"main": map[string]any{
		"driver": d.driver, "dsn": d.dsn, "timeout": "10s", "actions": actions,
		"init": []string{T("CREATE TABLE <t> (" + d.idColumn + ", email VARCHAR(100) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL, age INT)")},
	}}
	if d.refusedDSN != "" {
		dbs["down"] = map[string]any{"driver": d.driver, "dsn": d.refusedDSN,
			"actions": map[string]any{"count": map[string]any{"kind": "COUNT", "sql": "SELECT COUNT(*) FROM nowhere"}}}
	}
	p, logs, err := configure(t, map[string]any{"databases": dbs}, t.TempDir())
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if d.driver != DriverSQLite {
		t.Cleanup(func() { dropTable(t, d, table) })
	}

	ada := map[string]any{"email": "ada@example.com", "name": "Ada", "age": 36}
	t.Run("create", func(t *testing.T) {
		out := mustRun(t, p, "main:create", map[string]any{"data": ada})
		if num(t, out["affected"]) != 1 {
			t.Errorf("output %v, want affected 1", out)
		}
		if d.driver != DriverPostgres && num(t, out["last_insert_id"]) < 1 {
			t.Errorf("output %v, want a last_insert_id", out)
		}
		mustRun(t, p, "main:create", map[string]any{"data": map[string]any{"email": "bob@example.com", "name": "Bob", "age": "41"}})
		mustRun(t, p, "main:create_raw", map[string]any{"data": map[string]any{"email": "cy@example.com", "name": "Cy", "age": 7}})
	})
	t.Run("read", func(t *testing.T) {
		out := mustRun(t, p, "main:read", map[string]any{"filter": map[string]any{"min_age": 30}})
		rows, _ := out["rows"].([]any)
		if num(t, out["count"]) != 2 || len(rows) != 2 || out["truncated"] != nil {
			t.Fatalf("output %v, want 2 rows", out)
		}
		r := rows[0].(map[string]any)
		if r["email"] != "ada@example.com" || r["name"] != "Ada" || num(t, r["age"]) != 36 || num(t, r["id"]) < 1 {
			t.Errorf("first row %v", r)
		}
	})
	t.Run("count", func(t *testing.T) {
		if out := mustRun(t, p, "main:count", map[string]any{"filter": map[string]any{"min_age": 40}}); num(t, out["count"]) != 1 {
			t.Errorf("output %v, want count 1", out)
		}
		if out := mustRun(t, p, "main:count_all", nil); num(t, out["count"]) != 3 {
			t.Errorf("output %v, want count 3", out)
		}
	})
	t.Run("aggregate", func(t *testing.T) {
		out := mustRun(t, p, "main:aggregate", map[string]any{})
		rows, _ := out["rows"].([]any)
		if len(rows) != 3 || num(t, rows[0].(map[string]any)["age"]) != 7 || num(t, rows[0].(map[string]any)["n"]) != 1 {
			t.Errorf("output %v", out)
		}
	})
	t.Run("update", func(t *testing.T) {
		out := mustRun(t, p, "main:update", map[string]any{"data": map[string]any{"name": "Ada L."}, "filter": map[string]any{"email": "ada@example.com"}})
		if num(t, out["affected"]) != 1 {
			t.Errorf("output %v, want affected 1", out)
		}
	})
	t.Run("rows cap", func(t *testing.T) {
		out := mustRun(t, p, "main:read_all", nil)
		if rows, _ := out["rows"].([]any); len(rows) != 2 || out["truncated"] != true || num(t, out["count"]) != 2 {
			t.Errorf("output %v, want 2 rows and truncated", out)
		}
	})
	t.Run("typed placeholders are checked before the query", func(t *testing.T) {
		in := func(k string, v any) map[string]any {
			data := map[string]any{"email": "eve@example.com", "name": "Eve", "age": 20}
			data[k] = v
			return map[string]any{"data": data}
		}
		mustFail(t, p, "main:create", in("age", "abc"), true, "field age", "whole number")
		mustFail(t, p, "main:create", in("age", 151), true, "field age", "maximum 150")
		mustFail(t, p, "main:create", in("email", "not-an-email"), true, "field email", "email address")
		mustFail(t, p, "main:create", in("name", strings.Repeat("x", 61)), true, "field name", "length 61")
		mustFail(t, p, "main:create", map[string]any{"data": map[string]any{"email": "eve@example.com", "age": 1}}, true, "missing value for {{name:string:1:60}}")
		mustFail(t, p, "main:update", map[string]any{"data": map[string]any{"name": "X", "email": "ada@example.com"}}, true, `no "email" in filter`)
	})
	t.Run("constraint violations are permanent", func(t *testing.T) {
		mustFail(t, p, "main:create", map[string]any{"data": ada}, true, "main:create")
		mustFail(t, p, "main:create_raw", map[string]any{"data": map[string]any{"email": "nul@example.com", "name": nil, "age": 1}}, true)
	})
	t.Run("input is data, never SQL", func(t *testing.T) {
		evil := "x'); DROP TABLE " + table + "; --"
		mustRun(t, p, "main:create_raw", map[string]any{"data": map[string]any{"email": evil, "name": evil, "age": 1}})
		out := mustRun(t, p, "main:by_email", map[string]any{"data": map[string]any{"email": evil}})
		rows, _ := out["rows"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["name"] != evil {
			t.Fatalf("read back %v, want name %q", out, evil)
		}
		if out := mustRun(t, p, "main:count_all", nil); num(t, out["count"]) != 4 {
			t.Errorf("count %v after the injection attempt, want 4 (table intact)", out)
		}
	})
	if d.returning {
		t.Run("returning", func(t *testing.T) {
			out := mustRun(t, p, "main:create_returning", map[string]any{"data": map[string]any{"email": "dee@example.com", "name": "Dee", "age": 90}})
			rows, _ := out["rows"].([]any)
			if num(t, out["affected"]) != 1 || len(rows) != 1 || rows[0].(map[string]any)["email"] != "dee@example.com" || num(t, rows[0].(map[string]any)["id"]) < 1 {
				t.Fatalf("output %v", out)
			}
			mustRun(t, p, "main:create_returning", map[string]any{"data": map[string]any{"email": "eli@example.com", "name": "Eli", "age": 95}})
			out = mustRun(t, p, "main:delete_returning", map[string]any{"data": map[string]any{"max_age": 80}})
			if num(t, out["affected"]) != 2 || out["truncated"] != true {
				t.Errorf("output %v, want affected 2, one row, truncated", out)
			}
		})
	}
	t.Run("delete", func(t *testing.T) {
		out := mustRun(t, p, "main:delete", map[string]any{"filter": map[string]any{"email": "bob@example.com"}})
		if num(t, out["affected"]) != 1 {
			t.Errorf("output %v, want affected 1", out)
		}
	})
	t.Run("syntax error and unknown action are permanent", func(t *testing.T) {
		mustFail(t, p, "main:bad_sql", map[string]any{"data": map[string]any{"age": 1}}, true, "main:bad_sql")
		mustFail(t, p, "main:nope", nil, true, `database "main" has no action "nope"`)
	})
	if d.refusedDSN != "" {
		t.Run("connection refused is retryable", func(t *testing.T) {
			if !strings.Contains(logs.String(), "database does not answer") {
				t.Errorf("no warning logged for the unreachable database; log:\n%s", logs)
			}
			mustFail(t, p, "down:count", nil, false, "down:count")
		})
	}
}

// dropTable drops a suite's table from a server.
func dropTable(t *testing.T, d dialect, table string) {
	name := map[string]string{DriverPostgres: "pgx", DriverMySQL: "mysql"}[d.driver]
	db, err := sql.Open(name, d.dsn)
	if err != nil {
		t.Logf("drop %s: %v", table, err)
		return
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), fmt.Sprintf("DROP TABLE IF EXISTS %s", table)); err != nil {
		t.Logf("drop %s: %v", table, err)
	}
}

// TestPostgresTypes binds typed placeholders to PostgreSQL's own column
// types and reads them back.
func TestPostgresTypes(t *testing.T) {
	dsn := serverDSN(t, envPostgres)
	table := "types_" + strings.ToLower(rand.Text()[:8])
	d := dialect{driver: DriverPostgres, dsn: dsn}
	t.Cleanup(func() { dropTable(t, d, table) })
	p := mustConfigure(t, map[string]any{"databases": map[string]any{"pg": map[string]any{
		"driver": "postgres", "dsn": dsn,
		"init": []string{"CREATE TABLE " + table + " (u UUID, d DATE, ts TIMESTAMPTZ, b BOOLEAN, n NUMERIC(10,2), f DOUBLE PRECISION, j JSONB, i BIGINT, s TEXT)"},
		"actions": map[string]any{
			"add":  map[string]any{"kind": "CREATE", "sql": "INSERT INTO " + table + " VALUES ({{u:uuid}}, {{d:date}}, {{ts:datetime}}, {{b:bool}}, {{n:number}}, {{f:number}}, {{j:json}}, {{i}}, {{s}}) RETURNING u, d, b, n, f, j, i, s"},
			"slow": map[string]any{"kind": "READ", "sql": "SELECT pg_sleep(2)", "timeout": "200ms"},
			"days": map[string]any{"kind": "UPDATE", "sql": "UPDATE " + table + " SET s = 'closed', b = {{b:bool}} WHERE d < now() - make_interval(days => {{filter.days:int:1:365}}) RETURNING s"},
		},
	}}}, t.TempDir())
	out := mustRun(t, p, "pg:add", map[string]any{"data": map[string]any{
		"u": "123e4567-e89b-12d3-a456-426614174000", "d": "2025-03-14", "ts": "2025-03-14T09:30:00Z", "b": true,
		"n": 12.5, "f": 0.25, "j": map[string]any{"k": []any{1, "two"}}, "i": "42", "s": "text"}})
	row := out["rows"].([]any)[0].(map[string]any)
	want := map[string]string{"u": "123e4567-e89b-12d3-a456-426614174000", "b": "true", "n": "12.50", "f": "0.25", "i": "42", "s": "text", "j": `map[k:[1 two]]`}
	for k, v := range want {
		if got := fmt.Sprint(row[k]); got != v {
			t.Errorf("%s = %s (%T), want %s", k, got, row[k], v)
		}
	}
	if d := fmt.Sprint(row["d"]); !strings.HasPrefix(d, "2025-03-14") {
		t.Errorf("d = %s", d)
	}
	out = mustRun(t, p, "pg:days", map[string]any{"data": map[string]any{"b": false}, "filter": map[string]any{"days": 30}})
	if num(t, out["affected"]) != 1 {
		t.Errorf("days: %v", out)
	}
	mustFail(t, p, "pg:slow", nil, false, "timed out")
}
