package main

import (
	"context"
	"errors"

	"github.com/jobd-dev/jobd/sdk"
)

var _ sdk.JobValidator = (*Plugin)(nil)

// ValidateJob checks that the action a job names (its input's
// "action" when that is fixed, else its event tag) exists: a job naming
// "app:purge_olde" is refused when jobd starts, not at 03:00.
func (p *Plugin) ValidateJob(_ context.Context, req *sdk.ValidateJobRequest) error {
	p.mu.RLock()
	apps := p.apps
	p.mu.RUnlock()
	if apps == nil {
		return ErrNotConfigured
	}
	ref, ok := req.Target("action")
	if !ok {
		return nil // named per run: known only then
	}
	_, err := resolve(apps, ref)
	var perm *sdk.PermanentError
	if errors.As(err, &perm) {
		return perm.Err
	}
	return err
}
