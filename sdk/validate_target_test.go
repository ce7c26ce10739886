package sdk_test

import (
	"encoding/json"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

func TestValidateJobRequestTarget(t *testing.T) {
	for _, c := range []struct {
		input, want string
		ok          bool
	}{
		{`{}`, "app:event_tag", true},
		{`{"action": ""}`, "app:event_tag", true},
		{`{"action": "crm:add_note"}`, "crm:add_note", true},
		{`{"action": "$Input{action}"}`, "$Input{action}", false},
		{`{"action": 7}`, "", false},
		{``, "app:event_tag", true},
	} {
		r := &sdk.ValidateJobRequest{Event: "app:event_tag", Input: json.RawMessage(c.input)}
		if got, ok := r.Target("action"); got != c.want || ok != c.ok {
			t.Errorf("Target(%s) = %q, %v; want %q, %v", c.input, got, ok, c.want, c.ok)
		}
	}
}
