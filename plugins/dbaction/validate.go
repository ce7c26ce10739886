package main

import (
	"context"
	"errors"

	"github.com/jobd-dev/jobd/sdk"
)

var _ sdk.JobValidator = (*Plugin)(nil)

// ValidateJob checks that the stored statement a job names (its input's
// "action" when that is fixed, else its event tag) exists: a job naming
// "app:purge_olde" is refused when jobd starts, not at 03:00.
func (p *Plugin) ValidateJob(_ context.Context, req *sdk.ValidateJobRequest) error {
	p.mu.RLock()
	dbs := p.dbs
	p.mu.RUnlock()
	if dbs == nil {
		return ErrNotConfigured
	}
	ref, ok := req.Target("action")
	if !ok {
		return nil // named per run: known only then
	}
	_, _, err := resolve(dbs, ref)
	var perm *sdk.PermanentError
	if errors.As(err, &perm) {
		return perm.Err
	}
	return err
}
