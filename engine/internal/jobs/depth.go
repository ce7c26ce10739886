package jobs

import (
	"github.com/jobd-dev/jobd/engine/internal/jsondepth"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// checkDispatchDepth refuses a dispatch whose input or sequence nests past
// server.max_event_depth, before they are decoded (decoding deep nesting
// costs far more than linear time).
func (r *Manager) checkDispatchDepth(req *wire.DispatchRequest) error {
	max := run.MaxDepth(r.o.MaxEventDepth)
	if err := jsondepth.Check(req.Input, max, "input", run.DepthKey); err != nil {
		return badRequest("%v", err)
	}
	// A sequence is {sequence_tag: {event_tag: output}}: the outputs lie
	// two levels in.
	if jsondepth.Exceeds(req.Sequence, max+2) {
		return badRequest("%v", &jsondepth.Error{What: "sequence", Max: max, Key: run.DepthKey})
	}
	return nil
}
