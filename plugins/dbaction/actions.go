package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jobd-dev/jobd/sdk"
)

// Output is a successful job's result. Which fields are set depends on the
// action's kind (absent fields are left out of the JSON).
type Output struct {
	// Rows are the result rows, column name to value: READ, AGGREGATE, and
	// CREATE, UPDATE or DELETE with a RETURNING clause.
	Rows []map[string]any `json:"rows,omitzero"`
	// Count is the number of rows returned (READ, AGGREGATE) or the number
	// the statement counted (COUNT).
	Count *int64 `json:"count,omitzero"`
	// Affected is the number of rows a CREATE, UPDATE or DELETE changed.
	Affected *int64 `json:"affected,omitzero"`
	// LastInsertID is the id of the row a CREATE inserted, when the driver
	// reports one (MySQL, SQLite).
	LastInsertID *int64 `json:"last_insert_id,omitzero"`
	// Truncated is true when the statement returned more than max_rows rows
	// and only the first max_rows are in Rows.
	Truncated bool `json:"truncated,omitzero"`
}

// run executes a with args and shapes the output after its kind.
func (a *action) run(ctx context.Context, db *sql.DB, args []any) (*Output, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	switch {
	case a.kind == KindRead || a.kind == KindAggregate:
		rows, total, err := query(ctx, db, a.stmt.text, args, a.maxRows, false)
		if err != nil {
			return nil, err
		}
		n := int64(len(rows))
		return &Output{Rows: rows, Count: &n, Truncated: total > n}, nil
	case a.kind == KindCount:
		rows, _, err := query(ctx, db, a.stmt.text, args, 1, false)
		if err != nil {
			return nil, err
		}
		n, err := countOf(rows)
		if err != nil {
			return nil, sdk.Permanent(err)
		}
		return &Output{Count: &n}, nil
	case a.stmt.returning:
		// Every row must be read: the statement's effect is all of them.
		rows, total, err := query(ctx, db, a.stmt.text, args, a.maxRows, true)
		if err != nil {
			return nil, err
		}
		return &Output{Rows: rows, Affected: &total, Truncated: total > int64(len(rows))}, nil
	}
	res, err := db.ExecContext(ctx, a.stmt.text, args...)
	if err != nil {
		return nil, err
	}
	out := &Output{}
	if n, err := res.RowsAffected(); err == nil {
		out.Affected = &n
	}
	if a.kind == KindCreate && out.Affected != nil && *out.Affected > 0 {
		if id, err := res.LastInsertId(); err == nil && id > 0 {
			out.LastInsertID = &id
		}
	}
	return out, nil
}

// query runs text and returns up to limit rows and how many rows it saw:
// limit+1 at most, or every row when drain is set.
func query(ctx context.Context, db *sql.DB, text string, args []any, limit int, drain bool) ([]map[string]any, int64, error) {
	rs, err := db.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = rs.Close() }()
	cols, err := rs.ColumnTypes()
	if err != nil {
		return nil, 0, fmt.Errorf("read columns: %w", err)
	}
	out := []map[string]any{}
	var total int64
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		total++
		if len(out) >= limit {
			if drain {
				continue
			}
			break
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, 0, fmt.Errorf("read row: %w", err)
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			row[c.Name()] = jsonValue(vals[i], c.DatabaseTypeName())
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// jsonValue turns a scanned value into one that encodes well as JSON:
// bytes become text (numbers when the column is numeric: MySQL sends text
// for statements without parameters), JSON columns stay JSON.
func jsonValue(v any, dbType string) any {
	t := strings.ToUpper(dbType)
	var s string
	switch x := v.(type) {
	case []byte:
		s = string(x)
	case string:
		s = x
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	default:
		return v
	}
	switch {
	case t == "JSON" || t == "JSONB":
		if json.Valid([]byte(s)) {
			return json.RawMessage(s)
		}
	case strings.Contains(t, "INT") && !strings.Contains(t, "INTERVAL") || t == "YEAR":
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	case t == "FLOAT" || t == "DOUBLE" || t == "REAL" || t == "FLOAT4" || t == "FLOAT8":
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return s
}

// countOf reads a COUNT statement's number: the first column of the first
// row (0 when there is no row).
func countOf(rows []map[string]any) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if len(rows[0]) != 1 {
		return 0, fmt.Errorf("a COUNT statement must return one column (such as SELECT COUNT(*) ...), got %d", len(rows[0]))
	}
	for _, v := range rows[0] {
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == math.Trunc(x) {
				return int64(x), nil
			}
		case string:
			if i, err := strconv.ParseInt(x, 10, 64); err == nil {
				return i, nil
			}
		case nil:
			return 0, nil
		}
		return 0, fmt.Errorf("a COUNT statement must return a whole number, got %v (%T)", v, v)
	}
	return 0, nil
}
