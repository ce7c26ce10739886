package runner

import (
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/engine/config"
	"github.com/jobd-dev/jobd/engine/internal/jsondepth"
	"github.com/jobd-dev/jobd/sdk/host"
)

// depthKey is the configuration key of the nesting limit, named in every
// refusal.
const depthKey = "server.max_event_depth"

// maxDepth is the nesting limit: Options.MaxEventDepth, or
// config.MaxEventDepthDefault when it is zero.
func (r *Runner) maxDepth() int {
	if r.o.MaxEventDepth > 0 {
		return r.o.MaxEventDepth
	}
	return config.MaxEventDepthDefault
}

// tooDeep reports whether an event body nests past the limit. An envelope
// {"input": …, "sequence": {sequence_tag: {event_tag: output}}} is allowed
// three levels more, so that outputs at the limit pass in its sequence; one
// scan of the whole body keeps the check linear.
func (r *Runner) tooDeep(data []byte, hdr nats.Header) (string, bool) {
	if hdr.Get(EnvelopeHeader) != "" {
		return "the envelope's input or sequence", jsondepth.Exceeds(data, r.maxDepth()+3)
	}
	return "the body", jsondepth.Exceeds(data, r.maxDepth())
}

// parseEventLimited is parseEvent behind the nesting limit, checked by a
// linear scan before anything decodes the body: decoding deep nesting costs
// far more than linear time (50 s for an 80 KB event 40,000 deep), and the
// event would stall every other one meanwhile. A body too large is refused
// for its size first.
func (r *Runner) parseEventLimited(data []byte, hdr nats.Header) (*event, error) {
	if len(data) <= r.o.MaxEventBytes {
		if what, deep := r.tooDeep(data, hdr); deep {
			return nil, fmt.Errorf("%w: %v", errInvalidEvent, &jsondepth.Error{What: what, Max: r.maxDepth(), Key: depthKey})
		}
	}
	return parseEvent(data, hdr, r.o.MaxEventBytes)
}

// triggerOfLimited is triggerOf for a dead letter, where an event past the
// nesting limit is kept as its first bytes of text, like one past the size
// limit: whole, it would make every reader of the dead letter decode it.
func (r *Runner) triggerOfLimited(subject string, data []byte, hdr nats.Header) *TriggerEvent {
	if _, deep := r.tooDeep(data, hdr); deep {
		return triggerOf(subject, data, hdr, -1) // -1: never kept whole
	}
	return triggerOf(subject, data, hdr, r.o.MaxEventBytes)
}

// checkDispatchDepth refuses a dispatch whose input or sequence nests past
// the limit, before they are decoded.
func (r *Runner) checkDispatchDepth(req *DispatchRequest) error {
	if err := jsondepth.Check(req.Input, r.maxDepth(), "input", depthKey); err != nil {
		return badRequest("%v", err)
	}
	// A sequence is {sequence_tag: {event_tag: output}}: the outputs lie
	// two levels in.
	if jsondepth.Exceeds(req.Sequence, r.maxDepth()+2) {
		return badRequest("%v", &jsondepth.Error{What: "sequence", Max: r.maxDepth(), Key: depthKey})
	}
	return nil
}

// limitOutput drops an output that nests past the limit, and turns a
// successful answer that carried one into a permanent failure: results,
// records and the sequences of later events would carry it to every reader.
func (r *Runner) limitOutput(res *host.Result) {
	if len(res.Output) == 0 || !jsondepth.Exceeds(res.Output, r.maxDepth()) {
		return
	}
	res.Output = nil
	if res.Outcome == host.OK {
		res.Outcome = host.Permanent
		res.Error = (&jsondepth.Error{What: "the plugin's output", Max: r.maxDepth(), Key: depthKey}).Error()
	}
}
