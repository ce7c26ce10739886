package engine_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/jobd-dev/jobd/engine/internal/api"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// A job removed from the configuration has its series cancelled at the
// next start, configured and dispatched ones alike.
func TestRemovedJobsSeriesAreCancelledAtStart(t *testing.T) {
	orphan := `
[[jobs]]
event = "orphan_test"
kind = "test"
input = {mode = "ok"}
[jobs.schedule]
cron = "0 3 * * *"
`
	en := newEnv(t, workJob+orphan)
	var reply wire.DispatchReply
	if e := en.request(api.DispatchSubject, map[string]any{"event": "orphan_test", "schedule": map[string]any{"every": "1h"}}, &reply); e != "" {
		t.Fatal(e)
	}
	var before []*wire.Record
	if e := en.request(api.Prefix+".jobs.list", wire.Request{Event: "orphan_test"}, &before); e != "" || len(before) != 2 {
		t.Fatalf("records before = %+v %s", before, e)
	}
	en.stop()
	if err := os.WriteFile(en.cfgPath, []byte(fmt.Sprintf(header, pluginDir)+workJob), 0o644); err != nil {
		t.Fatal(err)
	}
	en.start()
	var after []*wire.Record
	if e := en.request(api.Prefix+".jobs.list", wire.Request{Event: "orphan_test"}, &after); e != "" || len(after) != 2 {
		t.Fatalf("records after = %+v %s", after, e)
	}
	for _, r := range after {
		if r.Status != wire.StatusCancelled || r.Reason != "removed from configuration" || r.NextRunAt != nil {
			t.Errorf("record %s (%s): status %q reason %q next %v", r.ID, r.Origin, r.Status, r.Reason, r.NextRunAt)
		}
	}
}
