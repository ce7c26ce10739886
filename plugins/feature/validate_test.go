package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

func TestValidateJobChecksTheSubject(t *testing.T) {
	p := newPlugin(t, `{}`)
	if err := p.ValidateJob(context.Background(), &sdk.ValidateJobRequest{Kind: "feature", Event: "booking_follow_up"}); err != nil {
		t.Fatalf("a good tag: %v", err)
	}
	err := p.ValidateJob(context.Background(), &sdk.ValidateJobRequest{Kind: "feature", Event: "bad tag*"})
	if err == nil || !strings.Contains(err.Error(), `feature "bad tag*"`) {
		t.Fatalf("a tag that makes no subject: %v", err)
	}
}
