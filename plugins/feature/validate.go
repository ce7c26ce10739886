package main

import (
	"context"
	"fmt"

	"github.com/jobd-dev/jobd/sdk"
)

var _ sdk.JobValidator = (*Plugin)(nil)

// ValidateJob checks that the feature a job starts (its event tag) makes a
// subject it can publish on.
func (p *Plugin) ValidateJob(_ context.Context, req *sdk.ValidateJobRequest) error {
	p.mu.RLock()
	cfg := p.cfg
	p.mu.RUnlock()
	if cfg == nil {
		return ErrNotConfigured
	}
	subject := cfg.subject(req.Event)
	if err := checkSubject(subject); err != nil {
		return fmt.Errorf("feature %q: %w", req.Event, err)
	}
	return nil
}
