package main

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/jobd-dev/jobd/sdk"
)

// Errors a db_action job can fail with, besides the driver's own.
var (
	// ErrUnknownAction is the failure of a job whose event names no
	// configured database or action. Permanent.
	ErrUnknownAction = errors.New("unknown action")
	// ErrNotConfigured is returned by Handle before Configure succeeded.
	ErrNotConfigured = errors.New("db_action: Handle called before Configure")
)

// retryablePostgres lists SQLSTATEs (or their two-character classes) worth
// another attempt: connection exceptions (08), serialization failure and
// deadlock (40), insufficient resources such as too many connections (53),
// operator intervention such as a shutdown or a statement timeout (57),
// system errors (58), lock not available (55P03) and internal errors (XX).
var retryablePostgres = []string{"08", "40", "53", "57", "58", "XX", "55P03", "55006"}

// retryableMySQL lists MySQL/MariaDB error numbers worth another attempt.
var retryableMySQL = map[uint16]string{
	1040: "too many connections",
	1053: "server shutdown",
	1203: "too many user connections",
	1205: "lock wait timeout",
	1213: "deadlock",
	1317: "query interrupted",
	1927: "connection killed",
	2002: "cannot connect",
	2003: "cannot connect",
	2006: "server has gone away",
	2013: "connection lost",
	3024: "statement timeout",
	4031: "disconnected by the server",
}

// classify marks err for jobd: permanent when the same statement with the
// same values would fail again (constraint violations, syntax errors,
// unknown tables or columns, values the database refuses), retryable
// otherwise (connection refused or lost, deadlock, serialization failure,
// lock timeout, too many connections, timeouts). Errors a database server
// sends are classified by their code; errors without a code are transport
// errors and retry.
func classify(err error) error {
	if err == nil || sdk.IsPermanent(err) {
		return err
	}
	if permanent(err) {
		return sdk.Permanent(err)
	}
	return err
}

// permanent tells whether err would happen again on a retry.
func permanent(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		for _, code := range retryablePostgres {
			if strings.HasPrefix(pg.Code, code) {
				return false
			}
		}
		return true
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		_, retry := retryableMySQL[my.Number]
		return !retry
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_INTERRUPT:
			return false
		}
		return true
	}
	if transport(err) {
		return false
	}
	// pgx's failure to encode a value for the parameter's column type.
	return strings.Contains(err.Error(), "failed to encode args")
}

// transport tells whether err is about the connection rather than the
// statement.
func transport(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// describeFailure prefixes a failure with the action ("app:save: ...") and,
// for a MySQL error number or a timeout whose text is terse, what happened
// ("deadlock", "statement timed out").
func describeFailure(ref string, err error) error {
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		if what, ok := retryableMySQL[my.Number]; ok {
			return fmt.Errorf("%s: %s: %w", ref, what, err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: statement timed out: %w", ref, err)
	}
	return fmt.Errorf("%s: %w", ref, err)
}
