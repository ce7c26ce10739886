package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// MsgIDPrefix starts every published event's message id (the header
// wire.MsgIDHeader): "feature:<idempotency key>".
const MsgIDPrefix = "feature:"

// Keys of a wrapped input.
const (
	// FieldInput holds the feature's input in a wrapped input.
	FieldInput = "input"
	// FieldSequence holds earlier events' outputs in a wrapped input.
	FieldSequence = "sequence"
)

// parseEnvelope makes the envelope published to start a feature (header
// wire.EnvelopeHeader: wire.EnvelopeV1) from a job's input. An object with an
// "input" key is a wrapped input: its "input" is the feature's input and
// its optional "sequence" the earlier outputs, and no other key may stand
// beside them. Any other object is the feature's input as a whole. null or
// an absent input is {}. Every error is permanent.
func parseEnvelope(raw json.RawMessage) (wire.Envelope, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return wire.Envelope{Input: json.RawMessage("{}")}, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return wire.Envelope{}, sdk.Permanent(fmt.Errorf("input: want an object (the feature's input, or {\"input\": {...}, \"sequence\": {...}}), got %s", kindOf(raw)))
	}
	in, wrapped := top[FieldInput]
	if !wrapped {
		return wire.Envelope{Input: compact(raw)}, nil
	}
	var extra []string
	for k := range top {
		if k != FieldInput && k != FieldSequence {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return wire.Envelope{}, sdk.Permanent(fmt.Errorf("input.%s: unknown key beside %q: a wrapped input has only %q and %q (to pass a feature input that has a field %q, wrap it: {\"input\": {...}})",
			strings.Join(extra, ", input."), FieldInput, FieldInput, FieldSequence, FieldInput))
	}
	env := wire.Envelope{Input: json.RawMessage("{}")}
	if !isNull(in) {
		if kindOf(in) != "an object" {
			return wire.Envelope{}, sdk.Permanent(fmt.Errorf("input.input: want an object (the feature's input), got %s", kindOf(in)))
		}
		env.Input = compact(in)
	}
	if seq := top[FieldSequence]; !isNull(seq) {
		var tags map[string]json.RawMessage
		if err := json.Unmarshal(seq, &tags); err != nil || tags == nil {
			return wire.Envelope{}, sdk.Permanent(fmt.Errorf("input.sequence: want an object {\"<sequence_tag>\": {\"<event_tag>\": <output>}}, got %s", kindOf(seq)))
		}
		for _, tag := range slices.Sorted(maps.Keys(tags)) {
			if kindOf(tags[tag]) != "an object" {
				return wire.Envelope{}, sdk.Permanent(fmt.Errorf("input.sequence.%s: want an object of event outputs {\"<event_tag>\": <output>}, got %s", tag, kindOf(tags[tag])))
			}
		}
		env.Sequence = compact(seq)
	}
	return env, nil
}

// msgID is the event's Nats-Msg-Id: the same for every attempt of a run, so
// JetStream drops a retry's second publish as a duplicate.
func msgID(key string) string { return MsgIDPrefix + key }

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

func compact(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// kindOf names the JSON type of a raw value.
func kindOf(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "invalid JSON"
	}
	return sdk.JSONKind(v)
}
