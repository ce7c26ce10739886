package runner

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The hot path encodes two things per run: the resolved input (a tree of
// maps, lists and scalars from piping) and the Result. encoding/json does
// both through reflection, sorts map keys through reflect values and
// compacts every json.RawMessage again; these encoders write the same JSON
// directly. Anything outside the known shapes falls back to encoding/json.

// appendValue appends v as JSON, object keys sorted.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			break
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e21 {
			return strconv.AppendFloat(b, x, 'f', -1, 64), nil
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case json.RawMessage:
		if len(x) == 0 {
			return append(b, "null"...), nil
		}
		return append(b, x...), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, x[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, enc...), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping what JSON requires and
// U+2028/U+2029 (as encoding/json does); invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendResult appends r as JSON, the same document json.Marshal(r) makes.
func appendResult(b []byte, r *Result) []byte {
	b = append(b, `{"job_id":`...)
	b = appendString(b, r.JobID)
	b = append(b, `,"run_id":`...)
	b = appendString(b, r.RunID)
	b = append(b, `,"event":`...)
	b = appendString(b, r.Event)
	b = append(b, `,"kind":`...)
	b = appendString(b, r.Kind)
	b = append(b, `,"status":`...)
	b = appendString(b, r.Status)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	if r.Subject != "" {
		b = append(b, `,"subject":`...)
		b = appendString(b, r.Subject)
	}
	b = append(b, `,"received_at":`...)
	b = appendTime(b, r.ReceivedAt)
	if r.StartedAt != nil {
		b = append(b, `,"started_at":`...)
		b = appendTime(b, *r.StartedAt)
	}
	b = append(b, `,"finished_at":`...)
	b = appendTime(b, r.FinishedAt)
	b = append(b, `,"duration_ms":`...)
	b, _ = appendValue(b, r.DurationMS)
	if r.Error != nil {
		b = append(b, `,"error":{"message":`...)
		b = appendString(b, r.Error.Message)
		b = append(b, `,"class":`...)
		b = appendString(b, r.Error.Class)
		b = append(b, '}')
	}
	if len(r.Input) > 0 {
		b = append(b, `,"input":`...)
		b = append(b, r.Input...)
	}
	if len(r.Output) > 0 && json.Valid(r.Output) {
		b = append(b, `,"output":`...)
		b = append(b, r.Output...)
	}
	return append(b, '}')
}

// AppendInput appends a resolved input as the engine encodes it for the
// plugin and the result: JSON, object keys sorted. Exported so that the
// benchmark's no-plugin floor (cmd/jobd-bench) does the engine's own work.
func AppendInput(b []byte, v any) ([]byte, error) { return appendValue(b, v) }

// AppendJSON appends r as the engine records it: the same document as
// json.Marshal(r), written without reflection.
func (r *Result) AppendJSON(b []byte) []byte { return appendResult(b, r) }
