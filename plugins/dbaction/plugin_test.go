package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/jobd-dev/jobd/sdk"
)

// sampleBlock decodes sample.conf as jobd would hand it over: the
// [plugins.db_action.config] table as JSON.
func sampleBlock(t *testing.T) map[string]any {
	t.Helper()
	var root map[string]any
	if err := toml.Unmarshal([]byte(sampleConfig), &root); err != nil {
		t.Fatalf("sample.conf is not TOML: %v", err)
	}
	cfg, ok := root["plugins"].(map[string]any)["db_action"].(map[string]any)["config"].(map[string]any)
	if !ok {
		t.Fatal("sample.conf has no [plugins.db_action.config]")
	}
	return cfg
}

func TestInfo(t *testing.T) {
	info := (&Plugin{}).Info()
	if info.Name != "db_action" || len(info.Kinds) != 1 || info.Kinds[0] != "db_action" {
		t.Errorf("info %+v", info)
	}
	if !json.Valid(info.InputSchema) {
		t.Error("the input schema is not JSON")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```toml\n"+info.SampleConfig+"```") {
		t.Error("README.md does not show sample.conf verbatim in a ```toml block")
	}
}

// TestSampleConfig runs the laptop example: the sample configuration, as is,
// on SQLite in the data folder.
func TestSampleConfig(t *testing.T) {
	dir := t.TempDir()
	p := mustConfigure(t, sampleBlock(t), dir)
	if _, err := os.Stat(filepath.Join(dir, "app.db")); err != nil {
		t.Errorf("no app.db in the data folder: %v", err)
	}
	save := func(key, email string) map[string]any {
		res, err := p.Handle(context.Background(), newJob("app:save_reminder", key, map[string]any{
			"data": map[string]any{"event_id": "evt-42", "email": email, "remind_at": "2025-03-20"}}))
		if err != nil {
			t.Fatalf("save_reminder: %v", err)
		}
		b, _ := json.Marshal(res.Output)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return out
	}
	if out := save("run-1", "ada@example.com"); out["affected"] != 1.0 || out["last_insert_id"] != 1.0 {
		t.Errorf("first save: %v", out)
	}
	if out := save("run-1", "ada@example.com"); out["affected"] != 0.0 {
		t.Errorf("a retry of the same run inserted again: %v", out)
	}
	save("run-2", "ada@example.com")
	out := mustRun(t, p, "app:count_reminders", map[string]any{"filter": map[string]any{"email": "ada@example.com"}})
	if num(t, out["count"]) != 2 {
		t.Errorf("count %v, want 2", out)
	}
	mustFail(t, p, "app:save_reminder", map[string]any{"data": map[string]any{"event_id": "e", "email": "ada", "remind_at": "soon"}},
		true, "field email", "field remind_at")
}

// TestSQLiteBusyIsRetryable holds a write lock on the file from another
// connection: the job fails with SQLITE_BUSY, which is retryable.
func TestSQLiteBusyIsRetryable(t *testing.T) {
	dir := t.TempDir()
	p := mustConfigure(t, map[string]any{"databases": map[string]any{"app": map[string]any{
		"driver": "sqlite", "dsn": "busy.db?_busy_timeout=50",
		"init":    []string{"CREATE TABLE t (v TEXT)"},
		"actions": map[string]any{"add": map[string]any{"kind": "CREATE", "sql": "INSERT INTO t (v) VALUES ({{v}})"}},
	}}}, dir)
	other, err := sql.Open("sqlite", filepath.Join(dir, "busy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	mustFail(t, p, "app:add", map[string]any{"data": map[string]any{"v": "x"}}, false, "app:add")
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	mustRun(t, p, "app:add", map[string]any{"data": map[string]any{"v": "x"}})
}

// TestUnreachableDatabaseIsNotRefused: a database that cannot be reached at
// Configure does not refuse the plugin; its jobs fail retryably, and neither
// the log nor the error shows the DSN's password.
func TestUnreachableDatabaseIsNotRefused(t *testing.T) {
	p, logs, err := configure(t, map[string]any{"databases": map[string]any{"pg": map[string]any{
		"driver": "postgres", "dsn": "postgres://u:secret@127.0.0.1:" + closedPort(t) + "/x?sslmode=disable&connect_timeout=1",
		"init":    []string{"CREATE TABLE IF NOT EXISTS t (v TEXT)"},
		"actions": map[string]any{"n": map[string]any{"kind": "COUNT", "sql": "SELECT COUNT(*) FROM t"}},
	}}}, t.TempDir())
	if err != nil {
		t.Fatalf("Configure refused an unreachable database: %v", err)
	}
	if !strings.Contains(logs.String(), "database does not answer") {
		t.Errorf("no warning logged: %s", logs)
	}
	if strings.Contains(logs.String(), "secret") {
		t.Errorf("the log shows the password: %s", logs)
	}
	err = mustFail(t, p, "pg:n", nil, false)
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestHandleBeforeConfigure(t *testing.T) {
	_, err := (&Plugin{}).Handle(context.Background(), newJob("a:b", "k", nil))
	if err == nil || sdk.IsPermanent(err) {
		t.Fatalf("error %v, want a retryable error", err)
	}
}

func TestJobPlaceholders(t *testing.T) {
	p := mustConfigure(t, map[string]any{"databases": map[string]any{"app": map[string]any{
		"driver": "sqlite", "dsn": ":memory:",
		"actions": map[string]any{"ids": map[string]any{"kind": "READ",
			"sql": "SELECT {{_idempotency_key}} AS k, {{_run_id}} AS r, {{_job_id}} AS j, {{data.user.tags.1}} AS tag, {{flag:bool}} AS f"}},
	}}}, "")
	res, err := p.Handle(context.Background(), newJob("app:ids", "key-1", map[string]any{
		"data": map[string]any{"user": map[string]any{"tags": []any{"a", "b"}}}, "filter": map[string]any{"flag": "true"}}))
	if err != nil {
		t.Fatal(err)
	}
	row := res.Output.(*Output).Rows[0]
	if row["k"] != "key-1" || row["r"] != "run-key-1" || row["j"] != "job-1" || row["tag"] != "b" || row["f"] != int64(1) {
		t.Errorf("row %v", row)
	}
}
