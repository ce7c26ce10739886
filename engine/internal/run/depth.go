package run

import (
	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/jsondepth"
	"github.com/jobd-dev/jobd/sdk/host"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// DepthKey is the configuration key of the nesting limit, named in every
// refusal.
const DepthKey = "server.max_event_depth"

// MaxDepth is the nesting limit: max, or config.MaxEventDepthDefault when
// it is zero.
func MaxDepth(max int) int {
	if max > 0 {
		return max
	}
	return config.MaxEventDepthDefault
}

// TooDeep reports whether an event body nests past max, and names what
// did. An envelope {"input": …, "sequence": {sequence_tag: {event_tag:
// output}}} is allowed three levels more, so that outputs at the limit pass
// in its sequence; one scan of the whole body keeps the check linear.
func TooDeep(data []byte, hdr nats.Header, max int) (string, bool) {
	if hdr.Get(wire.EnvelopeHeader) != "" {
		return "the envelope's input or sequence", jsondepth.Exceeds(data, max+3)
	}
	return "the body", jsondepth.Exceeds(data, max)
}

// triggerOfLimited is TriggerOf for a dead letter, where an event past the
// nesting limit is kept as its first bytes of text, like one past the size
// limit: whole, it would make every reader of the dead letter decode it.
func (r *Executor) triggerOfLimited(subject string, data []byte, hdr nats.Header) *wire.TriggerEvent {
	if _, deep := TooDeep(data, hdr, MaxDepth(r.o.MaxEventDepth)); deep {
		return TriggerOf(subject, data, hdr, -1) // -1: never kept whole
	}
	return TriggerOf(subject, data, hdr, r.o.MaxEventBytes)
}

// limitOutput drops an output that nests past the limit, and turns a
// successful answer that carried one into a permanent failure: results,
// records and the sequences of later events would carry it to every reader.
func (r *Executor) limitOutput(res *host.Result) {
	max := MaxDepth(r.o.MaxEventDepth)
	if len(res.Output) == 0 || !jsondepth.Exceeds(res.Output, max) {
		return
	}
	res.Output = nil
	if res.Outcome == host.OK {
		res.Outcome = host.Permanent
		res.Error = (&jsondepth.Error{What: "the plugin's output", Max: max, Key: DepthKey}).Error()
	}
}
