package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// Defaults of the configuration, applied by [Config.withDefaults].
const (
	// MaxRowsDefault is the most rows a READ, AGGREGATE or RETURNING
	// statement returns; further rows are dropped and the output says
	// truncated.
	MaxRowsDefault = 1000
	// MaxOpenConnsDefault is a PostgreSQL or MySQL pool's connection limit.
	MaxOpenConnsDefault = 10
	// SQLiteMaxOpenConnsDefault is a SQLite pool's connection limit.
	SQLiteMaxOpenConnsDefault = 4
	// MaxIdleConnsDefault is how many idle connections a pool keeps.
	MaxIdleConnsDefault = 2
	// ConnMaxLifetimeDefault is how long a pooled connection is reused.
	ConnMaxLifetimeDefault = 30 * time.Minute
	// TimeoutDefault bounds one statement.
	TimeoutDefault = 30 * time.Second
	// PingTimeout bounds the check, at Configure, that a database answers.
	PingTimeout = 3 * time.Second
)

// Drivers.
const (
	// DriverPostgres is PostgreSQL, through pgx.
	DriverPostgres = "postgres"
	// DriverMySQL is MySQL or MariaDB, through go-sql-driver/mysql.
	DriverMySQL = "mysql"
	// DriverSQLite is SQLite, embedded (modernc.org/sqlite, no cgo).
	DriverSQLite = "sqlite"
)

// driverAliases are other accepted spellings of the drivers.
var driverAliases = map[string]string{"postgresql": DriverPostgres, "pgx": DriverPostgres, "mariadb": DriverMySQL, "sqlite3": DriverSQLite}

// Action kinds.
const (
	// KindRead returns rows.
	KindRead = "READ"
	// KindCount returns the number in the first column of the first row.
	KindCount = "COUNT"
	// KindCreate inserts; returns the rows affected and the last insert id.
	KindCreate = "CREATE"
	// KindUpdate updates; returns the rows affected.
	KindUpdate = "UPDATE"
	// KindDelete deletes; returns the rows affected.
	KindDelete = "DELETE"
	// KindAggregate returns rows, like KindRead.
	KindAggregate = "AGGREGATE"
)

var kinds = []string{KindRead, KindCount, KindCreate, KindUpdate, KindDelete, KindAggregate}

// tagPattern is what a database or action tag may look like.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)

// Config is the plugin's [plugins.db_action.config] block.
type Config struct {
	// MaxRows caps the rows of every result. Defaults to MaxRowsDefault.
	MaxRows int `json:"max_rows"`
	// Databases maps a database tag to its connection and actions.
	Databases map[string]DatabaseConfig `json:"databases"`
}

// DatabaseConfig is one [plugins.db_action.config.databases.<tag>] table.
type DatabaseConfig struct {
	// Driver is "postgres", "mysql" or "sqlite"; required. "postgresql",
	// "mariadb" and "sqlite3" are accepted too.
	Driver string `json:"driver"`
	// DSN is the connection string. For sqlite, a file path relative to
	// the plugin's data folder (or absolute, or ":memory:"); defaults to
	// "<tag>.db". Required for postgres and mysql.
	DSN string `json:"dsn"`
	// MaxOpenConns limits the pool. Defaults to MaxOpenConnsDefault
	// (SQLiteMaxOpenConnsDefault for sqlite).
	MaxOpenConns int `json:"max_open_conns"`
	// MaxIdleConns is how many idle connections the pool keeps. Defaults
	// to MaxIdleConnsDefault.
	MaxIdleConns int `json:"max_idle_conns"`
	// ConnMaxLifetime is how long a connection is reused. Defaults to
	// ConnMaxLifetimeDefault.
	ConnMaxLifetime Duration `json:"conn_max_lifetime"`
	// Timeout bounds each statement. Defaults to TimeoutDefault.
	Timeout Duration `json:"timeout"`
	// Init lists statements run once at Configure, in order (such as
	// CREATE TABLE IF NOT EXISTS). They take no placeholders.
	Init []string `json:"init"`
	// Actions maps an action tag to its statement.
	Actions map[string]ActionConfig `json:"actions"`
}

// ActionConfig is one [plugins.db_action.config.databases.<tag>.actions.<action>] table.
type ActionConfig struct {
	// Kind is READ, COUNT, CREATE, UPDATE, DELETE or AGGREGATE; required.
	Kind string `json:"kind"`
	// SQL is the statement, with {{name}} or {{name:TYPE:min:max}}
	// placeholders; required.
	SQL string `json:"sql"`
	// MaxRows overrides the top-level max_rows for this action.
	MaxRows int `json:"max_rows"`
	// Timeout overrides the database's timeout for this action.
	Timeout Duration `json:"timeout"`
	// Description is for people; the plugin does not use it.
	Description string `json:"description"`
}

// Duration is a duration written as a string such as "10s" (sdk.Duration).
type Duration = sdk.Duration

// decodeConfig decodes raw strictly (every unknown key is reported with its
// path) and applies the defaults.
func decodeConfig(raw json.RawMessage) (Config, error) {
	var cfg Config
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := sdk.DecodeStrict("", raw, &cfg); err != nil {
		return cfg, err
	}
	return cfg.withDefaults(), nil
}

// compile validates cfg and parses every action's SQL, reporting every
// problem at once.
func compile(cfg Config) (map[string]map[string]*action, error) {
	errs := []error{cfg.validate()}
	out := map[string]map[string]*action{}
	for _, tag := range slices.Sorted(maps.Keys(cfg.Databases)) {
		acts, aerrs := compileActions(tag, cfg.Databases[tag])
		out[tag] = acts
		errs = append(errs, aerrs...)
	}
	return out, errors.Join(errs...)
}

// withDefaults returns a copy of c with every unset field at its default.
func (c Config) withDefaults() Config {
	if c.MaxRows == 0 {
		c.MaxRows = MaxRowsDefault
	}
	dbs := make(map[string]DatabaseConfig, len(c.Databases))
	for tag, db := range c.Databases {
		db.Driver = strings.ToLower(strings.TrimSpace(db.Driver))
		if alias, ok := driverAliases[db.Driver]; ok {
			db.Driver = alias
		}
		if db.Driver == DriverSQLite && db.DSN == "" {
			db.DSN = tag + ".db"
		}
		if db.MaxOpenConns == 0 {
			db.MaxOpenConns = MaxOpenConnsDefault
			if db.Driver == DriverSQLite {
				db.MaxOpenConns = SQLiteMaxOpenConnsDefault
			}
		}
		if db.MaxIdleConns == 0 {
			db.MaxIdleConns = min(MaxIdleConnsDefault, db.MaxOpenConns)
		}
		if db.ConnMaxLifetime == 0 {
			db.ConnMaxLifetime = Duration(ConnMaxLifetimeDefault)
		}
		if db.Timeout == 0 {
			db.Timeout = Duration(TimeoutDefault)
		}
		acts := make(map[string]ActionConfig, len(db.Actions))
		for name, a := range db.Actions {
			a.Kind = strings.ToUpper(strings.TrimSpace(a.Kind))
			if a.MaxRows == 0 {
				a.MaxRows = c.MaxRows
			}
			if a.Timeout == 0 {
				a.Timeout = db.Timeout
			}
			acts[name] = a
		}
		db.Actions = acts
		dbs[tag] = db
	}
	c.Databases = dbs
	return c
}

// validate reports every invalid field at once, each named by its key path.
// The SQL of actions is checked later, by parseSQL.
func (c Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.MaxRows < 0 {
		bad("max_rows", "%d is negative", c.MaxRows)
	}
	for _, tag := range slices.Sorted(maps.Keys(c.Databases)) {
		db := c.Databases[tag]
		p := "databases." + tag
		if !tagPattern.MatchString(tag) {
			bad(p, "invalid database tag %q: use letters, digits, '_' and '-'", tag)
		}
		switch db.Driver {
		case DriverPostgres, DriverMySQL:
			if db.DSN == "" {
				bad(p+".dsn", "required with driver %q", db.Driver)
			}
		case DriverSQLite:
		case "":
			bad(p+".driver", "required: %q, %q or %q", DriverPostgres, DriverMySQL, DriverSQLite)
		default:
			bad(p+".driver", "want %q, %q or %q, got %q", DriverPostgres, DriverMySQL, DriverSQLite, db.Driver)
		}
		if db.MaxOpenConns < 0 {
			bad(p+".max_open_conns", "%d is negative", db.MaxOpenConns)
		}
		if db.MaxIdleConns < 0 {
			bad(p+".max_idle_conns", "%d is negative", db.MaxIdleConns)
		}
		for i, s := range db.Init {
			if strings.TrimSpace(s) == "" {
				bad(fmt.Sprintf("%s.init[%d]", p, i), "empty statement")
			}
		}
		for _, name := range slices.Sorted(maps.Keys(db.Actions)) {
			a := db.Actions[name]
			ap := p + ".actions." + name
			if !tagPattern.MatchString(name) {
				bad(ap, "invalid action tag %q: use letters, digits, '_' and '-'", name)
			}
			if !slices.Contains(kinds, a.Kind) {
				bad(ap+".kind", "want one of %s, got %q", strings.Join(kinds, ", "), a.Kind)
			}
			if strings.TrimSpace(a.SQL) == "" {
				bad(ap+".sql", "required")
			}
			if a.MaxRows < 0 {
				bad(ap+".max_rows", "%d is negative", a.MaxRows)
			}
		}
	}
	return errors.Join(errs...)
}
