package wire

import "encoding/json"

// Headers of an event.
const (
	// EnvelopeHeader marks an event whose body is an Envelope rather than
	// the input itself; its value is the envelope's version.
	EnvelopeHeader = "Jobd-Envelope"
	// EnvelopeV1 is the only envelope version, EnvelopeHeader's value.
	EnvelopeV1 = "v1"
	// MsgIDHeader makes a re-published event a duplicate rather than a
	// second run, within the stream's duplicate window (two minutes by default).
	MsgIDHeader = "Nats-Msg-Id"
)

// Envelope is the body of an event published with the header
// EnvelopeHeader: EnvelopeV1, for producers that pass earlier events'
// outputs along with the input.
type Envelope struct {
	// Input is the job's $Input, a JSON object. An absent or null input
	// is {}.
	Input json.RawMessage `json:"input"`
	// Sequence holds earlier events' outputs,
	// {"<sequence_tag>": {"<event_tag>": <output>}}, readable by the job as
	// $Sequence{sequence_tag}{event_tag}{…}. It may be absent or null.
	Sequence json.RawMessage `json:"sequence,omitempty"`
}
