package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/sdk/host"
)

// ValidateJob crosses the protocol to a plugin that implements
// sdk.JobValidator; one that does not answers Unimplemented, which the host
// reports as ErrValidateUnsupported (skip), as for a plugin built before the
// call existed.
func TestValidateJob(t *testing.T) {
	p := start(t, host.Options{Env: []string{"TESTPLUGIN_VALIDATE=1"}})
	problems, err := p.ValidateJob(context.Background(), "test", "bad", []byte(`{"mode": "nonsense"}`))
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0], `mode "nonsense"`) {
		t.Fatalf("ValidateJob = %q, %v", problems, err)
	}
	if problems, err := p.ValidateJob(context.Background(), "test", "good", []byte(`{"mode": "ok"}`)); err != nil || len(problems) != 0 {
		t.Fatalf("ValidateJob of a good job = %q, %v", problems, err)
	}
	old := start(t, host.Options{})
	if _, err := old.ValidateJob(context.Background(), "test", "bad", []byte(`{"mode": "nonsense"}`)); !errors.Is(err, host.ErrValidateUnsupported) {
		t.Fatalf("a plugin without ValidateJob: %v, want ErrValidateUnsupported", err)
	}
}
