package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

func TestValidateJobNamesUnknownMessages(t *testing.T) {
	p, _ := newPlugin(t, `{"messages": {"n": {"m": {"body": "B"}}}}`)
	for _, c := range []struct{ name, input, want string }{
		{"no message", `{"email": {"to": "a@b.c"}}`, ""},
		{"known", `{"message": "n:m"}`, ""},
		{"unknown", `{"message": "n:x"}`, `"n:x" is not configured`},
		{"piped", `{"message": "$Input{message}"}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := p.ValidateJob(context.Background(), &sdk.ValidateJobRequest{Kind: "notification", Event: "remind", Input: json.RawMessage(c.input)})
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("ValidateJob = %v, want %q", err, c.want)
			}
		})
	}
}
