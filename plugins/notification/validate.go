package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jobd-dev/jobd/sdk"
)

var _ sdk.JobValidator = (*Plugin)(nil)

// ValidateJob checks that the stored message a job names (its input's
// "message", when fixed) is configured.
func (p *Plugin) ValidateJob(_ context.Context, req *sdk.ValidateJobRequest) error {
	if p.sent == nil {
		return errors.New("notification: ValidateJob called before Configure")
	}
	var in map[string]any
	_ = req.Decode(&in)
	name, ok := in[FieldMessage].(string)
	if !ok || name == "" || sdk.IsTemplate(name) {
		return nil // none, or named per run
	}
	_, err := messageRef{name: name}.resolve(p.cfg.Messages)
	var perm *sdk.PermanentError
	if errors.As(err, &perm) {
		return fmt.Errorf("%w", perm.Err)
	}
	return err
}
