package dispatch

import (
	"context"

	"github.com/jobd-dev/jobd/sdk/host"
)

// ValidateJob asks the running plugin to check a configured job (see
// host.Plugin.ValidateJob); host.ErrValidateUnsupported when it cannot.
func (p *Pool) ValidateJob(ctx context.Context, kind, event string, input []byte) ([]string, error) {
	p.mu.Lock()
	pl := p.plugin
	p.mu.Unlock()
	v, ok := pl.(interface {
		ValidateJob(ctx context.Context, kind, event string, input []byte) ([]string, error)
	})
	if !ok {
		return nil, host.ErrValidateUnsupported
	}
	return v.ValidateJob(ctx, kind, event, input)
}
