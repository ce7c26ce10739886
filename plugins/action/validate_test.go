package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

func TestValidateJobNamesUnknownActions(t *testing.T) {
	p := newPlugin(t, appConfig("http://127.0.0.1:1", ""))
	for _, c := range []struct{ name, event, input, want string }{
		{"known", "crm:post_note", `{}`, ""},
		{"unknown action", "crm:post_nite", `{}`, `app "crm" has no action "post_nite"`},
		{"unknown app", "shop:post_note", `{}`, `no app "shop"`},
		{"fixed action in the input", "whatever", `{"action": "crm:purge_olde"}`, `no action "purge_olde"`},
		{"piped action", "whatever", `{"action": "$Input{action}"}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := p.ValidateJob(context.Background(), &sdk.ValidateJobRequest{Kind: "action", Event: c.event, Input: json.RawMessage(c.input)})
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("ValidateJob = %v, want %q", err, c.want)
			}
		})
	}
}
