package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

func TestValidateJobNamesUnknownActions(t *testing.T) {
	p := mustConfigure(t, map[string]any{"databases": map[string]any{"app": map[string]any{
		"driver": "sqlite", "dsn": "v.db",
		"actions": map[string]any{"purge_old": map[string]any{"kind": "DELETE", "sql": "DELETE FROM t WHERE v = {{v}}"}},
	}}}, t.TempDir())
	for _, c := range []struct{ name, event, input, want string }{
		{"known", "app:purge_old", `{}`, ""},
		{"unknown action", "app:purge_olde", `{}`, `database "app" has no action "purge_olde"`},
		{"unknown database", "shop:purge_old", `{}`, `no database "shop"`},
		{"not a reference", "cleanup", `{}`, `want "database_tag:action_tag"`},
		{"fixed action in the input", "cleanup", `{"action": "app:purge_olde"}`, `no action "purge_olde"`},
		{"piped action", "cleanup", `{"action": "$Input{action}"}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := p.ValidateJob(context.Background(), &sdk.ValidateJobRequest{Kind: "db_action", Event: c.event, Input: json.RawMessage(c.input)})
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("ValidateJob = %v, want %q", err, c.want)
			}
		})
	}
}
