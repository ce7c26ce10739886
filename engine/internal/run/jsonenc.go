package run

import (
	"encoding/json"
	"strconv"

	"github.com/jobd-dev/jobd/engine/internal/jsonenc"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// AppendResult appends r as the engine records it: the same document as
// json.Marshal(r), written without reflection.
func AppendResult(b []byte, r *wire.Result) []byte {
	b = append(b, `{"job_id":`...)
	b = jsonenc.AppendString(b, r.JobID)
	b = append(b, `,"run_id":`...)
	b = jsonenc.AppendString(b, r.RunID)
	b = append(b, `,"event":`...)
	b = jsonenc.AppendString(b, r.Event)
	b = append(b, `,"kind":`...)
	b = jsonenc.AppendString(b, r.Kind)
	b = append(b, `,"status":`...)
	b = jsonenc.AppendString(b, r.Status)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	if r.Subject != "" {
		b = append(b, `,"subject":`...)
		b = jsonenc.AppendString(b, r.Subject)
	}
	b = append(b, `,"received_at":`...)
	b = jsonenc.AppendTime(b, r.ReceivedAt)
	if r.StartedAt != nil {
		b = append(b, `,"started_at":`...)
		b = jsonenc.AppendTime(b, *r.StartedAt)
	}
	b = append(b, `,"finished_at":`...)
	b = jsonenc.AppendTime(b, r.FinishedAt)
	b = append(b, `,"duration_ms":`...)
	b = jsonenc.AppendFloat(b, r.DurationMS)
	if r.QueuedMS != 0 {
		b = append(b, `,"queued_ms":`...)
		b = jsonenc.AppendFloat(b, r.QueuedMS)
	}
	if r.Error != nil {
		b = append(b, `,"error":{"message":`...)
		b = jsonenc.AppendString(b, r.Error.Message)
		b = append(b, `,"class":`...)
		b = jsonenc.AppendString(b, r.Error.Class)
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
	if len(r.AttemptLog) > 0 {
		// Only runs that retried carry it: reflection is fine here.
		if log, err := json.Marshal(r.AttemptLog); err == nil {
			b = append(b, `,"attempt_log":`...)
			b = append(b, log...)
		}
	}
	return append(b, '}')
}
