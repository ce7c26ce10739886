package ingest

import (
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/engine/internal/jsondepth"
	"github.com/jobd-dev/jobd/engine/internal/run"
)

// parseEventLimited is parseEvent behind the nesting limit, checked by a
// linear scan before anything decodes the body: decoding deep nesting costs
// far more than linear time (50 s for an 80 KB event 40,000 deep), and the
// event would stall every other one meanwhile. A body too large is refused
// for its size first.
func (r *Consumer) parseEventLimited(data []byte, hdr nats.Header) (*run.Event, error) {
	if len(data) <= r.o.MaxEventBytes {
		max := run.MaxDepth(r.o.MaxEventDepth)
		if what, deep := run.TooDeep(data, hdr, max); deep {
			return nil, fmt.Errorf("%w: %v", run.ErrInvalidEvent, &jsondepth.Error{What: what, Max: max, Key: run.DepthKey})
		}
	}
	return parseEvent(data, hdr, r.o.MaxEventBytes)
}
