package runner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	json "github.com/segmentio/encoding/json"
)

// Header names of the event contract.
const (
	// EnvelopeHeader marks a body that is {"input": …, "sequence": …}.
	EnvelopeHeader = "Jobd-Envelope"
	// EnvelopeV1 is the only envelope version.
	EnvelopeV1 = "v1"
)

// maxDeadLetterData bounds the event bytes kept in a dead letter when the
// event itself was refused for its size.
const maxDeadLetterData = 4096

// event is a trigger event decoded for piping.
type event struct {
	input    any
	sequence map[string]any
	rawInput json.RawMessage
	rawSeq   json.RawMessage
}

// errInvalidEvent wraps every reason an event cannot be used.
var errInvalidEvent = errors.New("invalid event")

// parseEvent decodes an event body. Data is only decoded, never evaluated.
func parseEvent(data []byte, hdr nats.Header, maxBytes int) (*event, error) {
	if len(data) > maxBytes {
		return nil, fmt.Errorf("%w: the body is %d bytes, more than server.max_event_bytes (%d); publish less or raise the limit", errInvalidEvent, len(data), maxBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	if v := hdr.Get(EnvelopeHeader); v != "" {
		if v != EnvelopeV1 {
			return nil, fmt.Errorf("%w: header %s is %q; this jobd understands %q", errInvalidEvent, EnvelopeHeader, v, EnvelopeV1)
		}
		var env struct {
			Input    json.RawMessage `json:"input"`
			Sequence json.RawMessage `json:"sequence"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			return nil, fmt.Errorf("%w: the envelope is not a JSON object: %v", errInvalidEvent, err)
		}
		if len(env.Input) == 0 {
			env.Input = []byte("{}")
		}
		ev, err := decodeInput(env.Input, "the envelope's input")
		if err != nil {
			return nil, err
		}
		if len(env.Sequence) > 0 && string(env.Sequence) != "null" {
			if err := json.Unmarshal(env.Sequence, &ev.sequence); err != nil {
				return nil, fmt.Errorf("%w: the envelope's sequence must be an object of {sequence_tag: {event_tag: output}}: %v", errInvalidEvent, err)
			}
			ev.rawSeq = env.Sequence
		}
		return ev, nil
	}
	return decodeInput(data, "the body")
}

func decodeInput(data []byte, what string) (*event, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%w: %s is not JSON (%v); jobd expects a JSON object, the job's $Input", errInvalidEvent, what, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("%w: %s is a JSON %s; jobd expects a JSON object, the job's $Input", errInvalidEvent, what, jsonKind(v))
	}
	return &event{input: v, rawInput: data}, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}

// RunID derives a run's id from where its event is stored (the stream and
// its creation time, the epoch) and the job, so a redelivered event makes
// the same run id: the first 16 bytes of SHA-256 over
// stream "@" epoch NUL (seq | "id:" msgID) NUL event, in hex. The ids of
// runs already stored depend on this exact form. Exported so that the bench's no-plugin
// floor (cmd/jobd-bench) derives ids as the engine does.
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

// triggerOf keeps an event for a dead letter: whole when it is JSON and not
// too large, else its first bytes as text.
func triggerOf(subject string, data []byte, hdr nats.Header, maxBytes int) *TriggerEvent {
	t := &TriggerEvent{Subject: subject, Size: len(data)}
	if len(hdr) > 0 {
		t.Headers = map[string]string{}
		for k := range hdr {
			t.Headers[k] = hdr.Get(k)
		}
	}
	if len(data) <= maxBytes && json.Valid(data) {
		t.Data = data
		return t
	}
	if len(data) > maxDeadLetterData {
		data = data[:maxDeadLetterData]
		t.Truncated = true
	}
	if utf8.Valid(data) {
		t.Text = string(data)
	} else {
		t.Text = fmt.Sprintf("%q", data)
	}
	return t
}
