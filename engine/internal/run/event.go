package run

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/jobd-dev/jobd/sdk/wire"
	"github.com/nats-io/nats.go"
	json "github.com/segmentio/encoding/json"
)

// maxDeadLetterData bounds the event bytes kept in a dead letter when the
// event itself was refused for its size.
const maxDeadLetterData = 4096

// Event is a run's event decoded for piping: its $Input and $Sequence,
// and the bytes they were decoded from.
type Event struct {
	Input    any
	Sequence map[string]any
	RawInput json.RawMessage
	RawSeq   json.RawMessage
}

// ErrInvalidEvent wraps every reason an event cannot be used.
var ErrInvalidEvent = errors.New("invalid event")

// DecodeInput decodes an event's $Input, which must be a JSON object; what
// names it in the error. Data is only decoded, never evaluated.
func DecodeInput(data []byte, what string) (*Event, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%w: %s is not JSON (%v); jobd expects a JSON object, the job's $Input", ErrInvalidEvent, what, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("%w: %s is a JSON %s; jobd expects a JSON object, the job's $Input", ErrInvalidEvent, what, jsonKind(v))
	}
	return &Event{Input: v, RawInput: data}, nil
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

// TriggerOf keeps an event for a dead letter: whole when it is JSON and not
// too large, else its first bytes as text.
func TriggerOf(subject string, data []byte, hdr nats.Header, maxBytes int) *wire.TriggerEvent {
	t := &wire.TriggerEvent{Subject: subject, Size: len(data)}
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
