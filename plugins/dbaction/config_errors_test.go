package main

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// Every pool setting left at zero takes its default; one that is set stays.
func TestDatabaseDefaults(t *testing.T) {
	c := Config{Databases: map[string]DatabaseConfig{
		"pg":   {Driver: "PostgreSQL", DSN: "postgres://h/db"},
		"lite": {Driver: "sqlite3"},
		"few":  {Driver: "mysql", DSN: "u@/db", MaxOpenConns: 1},
		"set":  {Driver: "mysql", DSN: "u@/db", MaxOpenConns: 7, MaxIdleConns: 5, ConnMaxLifetime: Duration(time.Minute), Timeout: Duration(time.Second)},
	}}.withDefaults()
	if c.MaxRows != MaxRowsDefault {
		t.Errorf("MaxRows = %d", c.MaxRows)
	}
	tests := []struct {
		tag, driver, dsn  string
		open, idle        int
		lifetime, timeout time.Duration
	}{
		{"pg", DriverPostgres, "postgres://h/db", MaxOpenConnsDefault, MaxIdleConnsDefault, ConnMaxLifetimeDefault, TimeoutDefault},
		{"lite", DriverSQLite, "lite.db", SQLiteMaxOpenConnsDefault, MaxIdleConnsDefault, ConnMaxLifetimeDefault, TimeoutDefault},
		{"few", DriverMySQL, "u@/db", 1, 1, ConnMaxLifetimeDefault, TimeoutDefault},
		{"set", DriverMySQL, "u@/db", 7, 5, time.Minute, time.Second},
	}
	for _, tt := range tests {
		db := c.Databases[tt.tag]
		if db.Driver != tt.driver || db.DSN != tt.dsn || db.MaxOpenConns != tt.open || db.MaxIdleConns != tt.idle ||
			time.Duration(db.ConnMaxLifetime) != tt.lifetime || time.Duration(db.Timeout) != tt.timeout {
			t.Errorf("%s: got %+v, want driver %s dsn %s open %d idle %d lifetime %v timeout %v",
				tt.tag, db, tt.driver, tt.dsn, tt.open, tt.idle, tt.lifetime, tt.timeout)
		}
	}
}

func TestOpenPoolSettings(t *testing.T) {
	dir := t.TempDir()
	db, err := openPool(DatabaseConfig{Driver: DriverSQLite, DSN: "a.db", MaxOpenConns: 3, MaxIdleConns: 2}, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Stats().MaxOpenConnections; got != 3 {
		t.Errorf("MaxOpenConnections = %d, want 3", got)
	}
	mem, err := openPool(DatabaseConfig{Driver: DriverSQLite, DSN: ":memory:", MaxOpenConns: 3}, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if got := mem.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("in memory: MaxOpenConnections = %d, want 1 (one database per connection)", got)
	}
	if _, err := openPool(DatabaseConfig{Driver: "oracle"}, dir); err == nil || !strings.Contains(err.Error(), `unknown driver "oracle"`) {
		t.Errorf("unknown driver: %v", err)
	}
}

// The SQLite defaults are added unless the DSN sets them; an in-memory
// database keeps its journal.
func TestSQLiteDSNDefaults(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		dsn    string
		path   string
		query  map[string]string
		memory bool
	}{
		{"a.db", filepath.Join(dir, "a.db"), map[string]string{"_busy_timeout": "5000", "_foreign_keys": "1", "_journal_mode": "WAL"}, false},
		{"a.db?_busy_timeout=100&cache=shared", filepath.Join(dir, "a.db"), map[string]string{"_busy_timeout": "100", "_foreign_keys": "1", "_journal_mode": "WAL", "cache": "shared"}, false},
		{"sub/b.db?_journal_mode=DELETE", filepath.Join(dir, "sub", "b.db"), map[string]string{"_busy_timeout": "5000", "_foreign_keys": "1", "_journal_mode": "DELETE"}, false},
		{":memory:", ":memory:", map[string]string{"_busy_timeout": "5000", "_foreign_keys": "1"}, true},
	}
	for _, tt := range tests {
		got, memory, err := sqliteDSN(tt.dsn, dir)
		if err != nil {
			t.Errorf("sqliteDSN(%q): %v", tt.dsn, err)
			continue
		}
		path, query, _ := strings.Cut(got, "?")
		q, _ := url.ParseQuery(query)
		flat := map[string]string{}
		for k := range q {
			flat[k] = q.Get(k)
		}
		if path != tt.path || memory != tt.memory || fmt.Sprint(flat) != fmt.Sprint(tt.query) {
			t.Errorf("sqliteDSN(%q) = %q, memory %v; want %s with %v, memory %v", tt.dsn, got, memory, tt.path, tt.query, tt.memory)
		}
	}
	if got, memory, err := sqliteDSN("file:x?mode=memory", dir); err != nil || got != "file:x?mode=memory" || !memory {
		t.Errorf("file URI = %q, %v, %v", got, memory, err)
	}
	if _, _, err := sqliteDSN("rel.db", ""); err == nil || !strings.Contains(err.Error(), "no data folder") {
		t.Errorf("relative without a data folder: %v", err)
	}
}

// A network or connection failure, a timeout and a cancellation are worth
// a retry; an error of the statement is permanent.
func TestPermanent(t *testing.T) {
	retry := []error{
		context.DeadlineExceeded,
		fmt.Errorf("query: %w", context.Canceled),
		&net.OpError{Op: "dial", Err: errors.New("refused")},
		&pgconn.PgError{Code: "40001"},
		&pgconn.PgError{Code: "08006"},
		&pgconn.PgError{Code: "55P03"},
		&mysql.MySQLError{Number: 1213},
		driver.ErrBadConn,
		mysql.ErrInvalidConn,
		io.EOF,
		fmt.Errorf("read: %w", io.ErrUnexpectedEOF),
		syscall.ECONNREFUSED,
		syscall.ECONNRESET,
		syscall.EPIPE,
		errors.New("something else"),
	}
	for _, err := range retry {
		if permanent(err) {
			t.Errorf("permanent(%T %v) = true, want a retry", err, err)
		}
	}
	perm := []error{
		&pgconn.PgError{Code: "23505"},
		&pgconn.PgError{Code: "42P01"},
		&mysql.MySQLError{Number: 1062},
		errors.New("failed to encode args[0]: unable to encode"),
	}
	for _, err := range perm {
		if !permanent(err) {
			t.Errorf("permanent(%T %v) = false, want permanent", err, err)
		}
	}
}
