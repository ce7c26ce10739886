package main

import (
	"testing"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/sdktest"
)

// The plugin passes the SDK's conformance suite, on SQLite in the data
// folder (the sample configuration is checked too). A recursive query that counts for ever stands
// for a statement that blocks; the job's context must interrupt it.
func TestConformance(t *testing.T) {
	sdktest.Conformance(t, func() sdk.Plugin { return &Plugin{} }, sdktest.Case{
		Config: map[string]any{
			"databases": map[string]any{
				"app": map[string]any{
					"driver": "sqlite",
					"dsn":    "app.db",
					"init":   []string{"CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"},
					"actions": map[string]any{
						"add":     map[string]any{"kind": "CREATE", "sql": "INSERT INTO notes (body) VALUES ({{body:string:1:100}})"},
						"forever": map[string]any{"kind": "READ", "sql": "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT MAX(n) AS n FROM c"},
					},
				},
			},
		},
		Input:         map[string]any{"action": "app:add", "data": map[string]any{"body": "hello"}},
		BadInput:      map[string]any{"action": "app:add", "data": map[string]any{"body": ""}},
		BlockingInput: map[string]any{"action": "app:forever"},
		BadConfig:     map[string]any{"databases": map[string]any{"app": map[string]any{"driver": "oracle"}}},
	})
}
