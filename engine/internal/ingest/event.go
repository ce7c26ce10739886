package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/sdk/wire"
	"github.com/nats-io/nats.go"
	json "github.com/segmentio/encoding/json"
)

// parseEvent decodes an event body. Data is only decoded, never evaluated.
func parseEvent(data []byte, hdr nats.Header, maxBytes int) (*run.Event, error) {
	if len(data) > maxBytes {
		return nil, fmt.Errorf("%w: the body is %d bytes, more than server.max_event_bytes (%d); publish less or raise the limit", run.ErrInvalidEvent, len(data), maxBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	if v := hdr.Get(wire.EnvelopeHeader); v != "" {
		if v != wire.EnvelopeV1 {
			return nil, fmt.Errorf("%w: header %s is %q; this jobd understands %q", run.ErrInvalidEvent, wire.EnvelopeHeader, v, wire.EnvelopeV1)
		}
		var env wire.Envelope
		if err := json.Unmarshal(data, &env); err != nil {
			return nil, fmt.Errorf("%w: the envelope is not a JSON object: %v", run.ErrInvalidEvent, err)
		}
		if len(env.Input) == 0 {
			env.Input = []byte("{}")
		}
		ev, err := run.DecodeInput(env.Input, "the envelope's input")
		if err != nil {
			return nil, err
		}
		if len(env.Sequence) > 0 && string(env.Sequence) != "null" {
			if err := json.Unmarshal(env.Sequence, &ev.Sequence); err != nil {
				return nil, fmt.Errorf("%w: the envelope's sequence must be an object of {sequence_tag: {event_tag: output}}: %v", run.ErrInvalidEvent, err)
			}
			ev.RawSeq = env.Sequence
		}
		return ev, nil
	}
	return run.DecodeInput(data, "the body")
}

// RunID derives a run's id from where its event is stored (the stream and
// its creation time, the epoch) and the job, so a redelivered event makes
// the same run id: the first 16 bytes of SHA-256 over
// stream "@" epoch NUL (seq | "id:" msgID) NUL event, in hex. The ids of
// runs already stored depend on this exact form. Exported so that the bench's no-plugin
// floor (engine/internal/bench) derives ids as the engine does.
func RunID(stream, epoch string, seq uint64, msgID, event string) string {
	var buf [256]byte // on the stack unless the parts are longer
	b := append(buf[:0], stream...)
	b = append(b, '@')
	b = append(b, epoch...)
	b = append(b, 0)
	if msgID != "" {
		b = append(b, "id:"...)
		b = append(b, msgID...)
	} else {
		b = strconv.AppendUint(b, seq, 10)
	}
	b = append(b, 0)
	b = append(b, event...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
