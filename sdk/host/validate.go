package host

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

// ErrValidateUnsupported means the plugin does not check jobs (it does not
// implement sdk.JobValidator, or was built before the ValidateJob call
// existed): the check is skipped.
var ErrValidateUnsupported = errors.New("plugin does not validate jobs")

// ValidateJob asks the plugin to check one configured job: its target and
// its static input (input is the job's input template as JSON). It returns
// the plugin's problems with the job, none when it is fine, or
// ErrValidateUnsupported when the plugin does not check jobs.
func (p *Plugin) ValidateJob(ctx context.Context, kind, event string, input []byte) ([]string, error) {
	resp, err := p.conn.Client.ValidateJob(ctx, &pluginpb.ValidateJobRequest{Kind: kind, Event: event, Input: input})
	if status.Code(err) == codes.Unimplemented {
		return nil, ErrValidateUnsupported
	}
	if err != nil {
		return nil, fmt.Errorf("plugin %s: validate job %q: %w", p.opts.Kind, event, err)
	}
	return resp.Problems, nil
}
