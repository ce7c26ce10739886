package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/jobd-dev/jobd/sdk"
)

// dialTimeoutDefault bounds connecting to PostgreSQL or MySQL when the DSN
// does not say.
const dialTimeoutDefault = 10 * time.Second

// sqliteDefaults are added to a SQLite DSN that does not set them: wait up
// to 5 s for a lock, enforce foreign keys, write-ahead log.
var sqliteDefaults = [][2]string{{"_busy_timeout", "5000"}, {"_foreign_keys", "1"}, {"_journal_mode", "WAL"}}

// database is one configured database: its pool and its actions.
type database struct {
	tag     string
	driver  string
	db      *sql.DB
	actions map[string]*action

	// init are the init statements; the first initDone have run.
	initMu   sync.Mutex
	init     []string
	initDone int
}

// action is one configured statement, parsed at Configure.
type action struct {
	// ref is "database_tag:action_tag".
	ref     string
	kind    string
	stmt    *statement
	maxRows int
	timeout time.Duration
}

// compileActions parses the SQL of every action of database tag. Errors
// name databases.<tag>.actions.<action>.sql.
func compileActions(tag string, cfg DatabaseConfig) (map[string]*action, []error) {
	acts := map[string]*action{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg.Actions)) {
		a := cfg.Actions[name]
		st, err := parseSQL(cfg.Driver, a.SQL)
		if err != nil {
			errs = append(errs, fmt.Errorf("databases.%s.actions.%s.sql: %w", tag, name, err))
			continue
		}
		acts[name] = &action{ref: tag + ":" + name, kind: a.Kind, stmt: st, maxRows: a.MaxRows, timeout: time.Duration(a.Timeout)}
	}
	for i, s := range cfg.Init {
		if strings.Contains(s, "{{") {
			errs = append(errs, fmt.Errorf("databases.%s.init[%d]: init statements take no placeholders", tag, i))
		}
	}
	return acts, errs
}

// openDatabase opens tag's pool, without connecting.
func openDatabase(tag string, cfg DatabaseConfig, actions map[string]*action, dataDir string) (*database, error) {
	db, err := openPool(cfg, dataDir)
	if err != nil {
		return nil, fmt.Errorf("databases.%s.dsn: %w", tag, err)
	}
	return &database{tag: tag, driver: cfg.Driver, db: db, actions: actions, init: cfg.Init}, nil
}

// openPool opens a database/sql pool for cfg with its pool settings.
func openPool(cfg DatabaseConfig, dataDir string) (*sql.DB, error) {
	var db *sql.DB
	maxOpen, maxIdle, lifetime := cfg.MaxOpenConns, cfg.MaxIdleConns, time.Duration(cfg.ConnMaxLifetime)
	switch cfg.Driver {
	case DriverPostgres:
		pc, err := pgx.ParseConfig(cfg.DSN)
		if err != nil {
			return nil, fmt.Errorf("parse postgres dsn: %w", redactDSN(err, cfg.DSN))
		}
		if pc.ConnectTimeout == 0 {
			pc.ConnectTimeout = dialTimeoutDefault
		}
		db = stdlib.OpenDB(*pc)
	case DriverMySQL:
		mc, err := mysql.ParseDSN(cfg.DSN)
		if err != nil {
			return nil, fmt.Errorf("parse mysql dsn: %w", redactDSN(err, cfg.DSN))
		}
		if mc.Timeout == 0 {
			mc.Timeout = dialTimeoutDefault
		}
		conn, err := mysql.NewConnector(mc)
		if err != nil {
			return nil, fmt.Errorf("mysql connector: %w", err)
		}
		db = sql.OpenDB(conn)
	case DriverSQLite:
		dsn, memory, err := sqliteDSN(cfg.DSN, dataDir)
		if err != nil {
			return nil, err
		}
		if db, err = sql.Open("sqlite", dsn); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		if memory { // each connection would have its own empty database
			maxOpen, maxIdle, lifetime = 1, 1, 0
		}
	default:
		return nil, fmt.Errorf("unknown driver %q", cfg.Driver)
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxIdle)
	db.SetConnMaxLifetime(lifetime)
	return db, nil
}

// sqliteDSN resolves a SQLite DSN: a relative path is relative to dataDir
// (its folder is created), and sqliteDefaults are added. A "file:" URI is
// used as written.
func sqliteDSN(dsn, dataDir string) (string, bool, error) {
	if strings.HasPrefix(dsn, "file:") {
		return dsn, strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory"), nil
	}
	path, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", false, fmt.Errorf("sqlite dsn query: %w", err)
	}
	memory := path == ":memory:"
	if !memory {
		if !filepath.IsAbs(path) {
			if dataDir == "" {
				return "", false, fmt.Errorf("%q is relative and jobd gave the plugin no data folder", path)
			}
			path = filepath.Join(dataDir, path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return "", false, fmt.Errorf("sqlite folder: %w", err)
		}
	}
	for _, kv := range sqliteDefaults {
		if q.Has(kv[0]) || memory && kv[0] == "_journal_mode" {
			continue
		}
		q.Set(kv[0], kv[1])
	}
	return path + "?" + q.Encode(), memory, nil
}

// redactDSN keeps a password in the DSN out of an error message.
func redactDSN(err error, dsn string) error {
	msg := err.Error()
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	if i := strings.Index(dsn, "@"); i > 0 {
		if _, pw, ok := strings.Cut(dsn[:i], ":"); ok && pw != "" && !strings.Contains(pw, "/") {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return errors.New(msg)
}

// start pings the database and runs its init statements. A database that
// does not answer is only logged (its init runs on the first job); an init
// statement the database refuses is an error.
func (d *database) start(ctx context.Context, log *slog.Logger) error {
	pctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	if err := d.db.PingContext(pctx); err != nil {
		log.Warn("db_action: database does not answer; its jobs will retry until it does",
			"database", d.tag, "driver", d.driver, "error", err)
		return nil
	}
	if err := d.runInit(ctx); err != nil && sdk.IsPermanent(err) {
		return err
	} else if err != nil {
		log.Warn("db_action: init statements failed; they run again before the next job",
			"database", d.tag, "error", err)
	}
	return nil
}

// runInit runs the init statements that have not run yet.
func (d *database) runInit(ctx context.Context) error {
	d.initMu.Lock()
	defer d.initMu.Unlock()
	for ; d.initDone < len(d.init); d.initDone++ {
		sctx, cancel := context.WithTimeout(ctx, TimeoutDefault)
		_, err := d.db.ExecContext(sctx, d.init[d.initDone])
		cancel()
		if err != nil {
			return classify(fmt.Errorf("databases.%s.init[%d]: %w", d.tag, d.initDone, err))
		}
	}
	return nil
}
