package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseSQL(t *testing.T) {
	tests := []struct {
		name, driver, sql string
		// want is the SQL sent to the driver; wantErr a part of the error.
		want, wantErr string
		names         []string
		returning     bool
	}{
		{name: "postgres numbers markers", driver: DriverPostgres,
			sql:  "UPDATE t SET a = {{a}}, b = {{ data.b : int : 1 : 9 }} WHERE id = {{filter.id:uuid}}",
			want: "UPDATE t SET a = $1, b = $2 WHERE id = $3", names: []string{"a", "data.b", "filter.id"}},
		{name: "mysql and sqlite use ?", driver: DriverMySQL,
			sql: "SELECT * FROM t WHERE a = {{a}} AND a2 = {{a}}", want: "SELECT * FROM t WHERE a = ? AND a2 = ?", names: []string{"a", "a"}},
		{name: "quotes and comments kept", driver: DriverSQLite,
			sql:  "SELECT 'it''s {', \"col\" -- {x}\n FROM t /* } */ WHERE a = {{a}}",
			want: "SELECT 'it''s {', \"col\" -- {x}\n FROM t /* } */ WHERE a = ?", names: []string{"a"}},
		{name: "returning detected", driver: DriverPostgres,
			sql: "INSERT INTO t (a) VALUES ({{a}}) returning id", want: "INSERT INTO t (a) VALUES ($1) returning id", names: []string{"a"}, returning: true},
		{name: "returning in a string is not", driver: DriverPostgres,
			sql: "INSERT INTO t (a) VALUES ('RETURNING')", want: "INSERT INTO t (a) VALUES ('RETURNING')"},
		{name: "postgres casts, jsonb ? and dollar quotes", driver: DriverPostgres,
			sql:  "SELECT {{a}}::int, j ? 'k', $q$ {{not}} $q$",
			want: "", wantErr: "inside a quoted string literal"},
		{name: "postgres casts and jsonb ?", driver: DriverPostgres,
			sql: "SELECT {{a}}::int, j ? 'k', $$ x $$", want: "SELECT $1::int, j ? 'k', $$ x $$", names: []string{"a"}},
		{name: "placeholder in quotes", driver: DriverMySQL, sql: "SELECT * FROM t WHERE a = '%{{a}}%'", wantErr: "placeholder {{a}} is inside a quoted string literal"},
		{name: "placeholder in a quoted identifier", driver: DriverSQLite, sql: "SELECT \"{{col}}\" FROM t", wantErr: "inside a quoted identifier"},
		{name: "placeholder in a comment", driver: DriverPostgres, sql: "SELECT 1 -- {{a}}", wantErr: "inside a comment"},
		{name: "mysql backslash escape", driver: DriverMySQL, sql: `SELECT 'a\'{{b}}'`, wantErr: "inside a quoted string literal"},
		{name: "native postgres marker", driver: DriverPostgres, sql: "SELECT $1", wantErr: `native parameter "$1"`},
		{name: "native sqlite marker", driver: DriverSQLite, sql: "SELECT :name", wantErr: "native parameter marker"},
		{name: "unclosed", driver: DriverSQLite, sql: "SELECT {{a", wantErr: "unclosed {{"},
		{name: "unclosed quote", driver: DriverSQLite, sql: "SELECT 'a", wantErr: "unclosed '"},
		{name: "bad name", driver: DriverSQLite, sql: "SELECT {{1a}}", wantErr: "invalid name"},
		{name: "unknown job field", driver: DriverSQLite, sql: "SELECT {{_secret}}", wantErr: "unknown job field"},
		{name: "two types for one name", driver: DriverSQLite, sql: "SELECT {{a:int}}, {{a:string}}", wantErr: "two different types"},
		{name: "bad bound", driver: DriverSQLite, sql: "SELECT {{a:string:x}}", wantErr: "not a whole number from 0"},
		{name: "min above max", driver: DriverSQLite, sql: "SELECT {{a:int:5:1}}", wantErr: "min 5 is above max 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := parseSQL(tt.driver, tt.sql)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range st.params {
				names = append(names, p.name)
			}
			if st.text != tt.want || !reflect.DeepEqual(names, tt.names) || st.returning != tt.returning {
				t.Errorf("got %q %v returning=%v, want %q %v %v", st.text, names, st.returning, tt.want, tt.names, tt.returning)
			}
		})
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		spec    string
		raw     string // JSON
		want    any
		wantErr string
	}{
		{spec: "a", raw: `"x"`, want: "x"},
		{spec: "a", raw: `42`, want: int64(42)},
		{spec: "a", raw: `4.5`, want: 4.5},
		{spec: "a", raw: `null`, want: nil},
		{spec: "a", raw: `{"k":[1]}`, want: `{"k":[1]}`},
		{spec: "a:int:1:10", raw: `"7"`, want: int64(7)},
		{spec: "a:int", raw: `7.5`, wantErr: "want a whole number"},
		{spec: "a:int:1:10", raw: `0`, wantErr: "below the minimum 1"},
		{spec: "a:number::1.5", raw: `1.6`, wantErr: "above the maximum 1.5"},
		{spec: "a:number", raw: `"abc"`, wantErr: `want a number, got "abc"`},
		{spec: "a:bool", raw: `"false"`, want: false},
		{spec: "a:bool", raw: `1`, wantErr: "want true or false"},
		{spec: "a:string:2:3", raw: `"héé"`, want: "héé"},
		{spec: "a:string:2:3", raw: `"héééé"`, wantErr: "length 5 is above the maximum 3"},
		{spec: "a:string", raw: `12`, wantErr: "want a string, got the number 12"},
		{spec: "a:string", raw: `null`, wantErr: "got null"},
		{spec: "a:email", raw: `"Ada <ada@example.com>"`, wantErr: "want an email address"},
		{spec: "a:uuid", raw: `"123e4567-e89b-12d3-a456-426614174000"`, want: "123e4567-e89b-12d3-a456-426614174000"},
		{spec: "a:uuid", raw: `"123"`, wantErr: "want a UUID"},
		{spec: "a:date", raw: `"2025-02-30"`, wantErr: "want a date"},
		{spec: "a:date", raw: `"2025-03-14T09:30:00+01:00"`, want: "2025-03-14T09:30:00+01:00"},
		{spec: "a:datetime", raw: `"2025-03-14"`, wantErr: "want an RFC 3339 date-time"},
		{spec: "a:json", raw: `[1,"a"]`, want: `[1,"a"]`},
	}
	for _, tt := range tests {
		t.Run(tt.spec+"="+tt.raw, func(t *testing.T) {
			p, err := parsePlaceholder(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			var raw any
			dec := json.NewDecoder(strings.NewReader(tt.raw))
			dec.UseNumber()
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			got, err := convert(p, raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}
