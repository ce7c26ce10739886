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
	ref, ok := target(req)
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

// target is the "app_tag:action_tag" a job names, unless its input
// pipes it.
func target(req *sdk.ValidateJobRequest) (string, bool) {
	var in struct {
		Action any `json:"action"`
	}
	_ = req.Decode(&in)
	switch a := in.Action.(type) {
	case nil:
		return req.Event, true
	case string:
		if a == "" {
			return req.Event, true
		}
		return a, !sdk.IsTemplate(a)
	}
	return "", false
}
