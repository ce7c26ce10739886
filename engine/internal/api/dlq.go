package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/jobs"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/streams"
)

// DeadLetterSummary is one line of `jobd dlq ls`.
type DeadLetterSummary struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Event  string    `json:"event"`
	JobID  string    `json:"job_id"`
	RunID  string    `json:"run_id"`
	Class  string    `json:"class"`
	Reason string    `json:"reason"`
}

// DeadLetterEntry is a dead letter with its stream sequence.
type DeadLetterEntry struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	run.DeadLetter
}

func (s *Server) dlqList(ctx context.Context, r *Request) (any, error) {
	st, err := s.js.Stream(ctx, streams.DLQ)
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	limit := r.Limit
	if limit <= 0 {
		limit = 100
	}
	out := []DeadLetterSummary{}
	for seq := info.State.LastSeq; seq >= info.State.FirstSeq && seq > 0 && len(out) < limit; seq-- {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		var dl run.DeadLetter
		if json.Unmarshal(m.Data, &dl) != nil || r.Event != "" && dl.Event != r.Event {
			continue
		}
		sum := DeadLetterSummary{Seq: seq, Time: m.Time, Event: dl.Event, JobID: dl.JobID, RunID: dl.RunID, Reason: dl.Reason}
		if dl.Error != nil {
			sum.Class = dl.Error.Class
		}
		out = append(out, sum)
	}
	return out, nil
}

func (s *Server) dlqGet(ctx context.Context, r *Request) (any, error) {
	st, err := s.js.Stream(ctx, streams.DLQ)
	if err != nil {
		return nil, err
	}
	m, err := st.GetMsg(ctx, r.Seq)
	if err != nil {
		return nil, fmt.Errorf("dead letter %d: %w", r.Seq, err)
	}
	e := &DeadLetterEntry{Seq: r.Seq, Time: m.Time}
	if err := json.Unmarshal(m.Data, &e.DeadLetter); err != nil {
		return nil, err
	}
	return e, nil
}

// ReplayReply answers a replay.
type ReplayReply struct {
	Seq   uint64 `json:"seq"`
	Event string `json:"event"`
	RunID string `json:"run_id"`
}

// dlqReplay runs a dead job again, at once, with the event it came from,
// and removes the dead letter.
func (s *Server) dlqReplay(ctx context.Context, r *Request) (any, error) {
	got, err := s.dlqGet(ctx, r)
	if err != nil {
		return nil, err
	}
	e := got.(*DeadLetterEntry)
	if e.Trigger == nil || len(e.Trigger.Data) == 0 || !json.Valid(e.Trigger.Data) || bytes.TrimSpace(e.Trigger.Data)[0] != '{' {
		return nil, fmt.Errorf("%w: dead letter %d cannot be replayed: its event was not a JSON object (%s)", jobs.ErrBadRequest, r.Seq, e.Reason)
	}
	runID := e.RunID + "-replay" + strconv.FormatUint(r.Seq, 10)
	rec := map[string]any{
		"run_id": runID, "job_id": e.JobID, "event": e.Event, "attempt": 1,
		"subject": e.Trigger.Subject, "received_at": time.Now().UTC(),
		"input": e.Trigger.Data, "sequence": e.Sequence,
	}
	body, _ := json.Marshal(rec)
	msg := nats.NewMsg(streams.RunsSubjectPrefix + e.Event)
	msg.Data = body
	msg.Header.Set(nats.MsgIdHdr, runID)
	if _, err := s.js.PublishMsg(ctx, msg); err != nil {
		return nil, err
	}
	st, err := s.js.Stream(ctx, streams.DLQ)
	if err != nil {
		return nil, err
	}
	if err := st.DeleteMsg(ctx, r.Seq); err != nil {
		return nil, err
	}
	return ReplayReply{Seq: r.Seq, Event: e.Event, RunID: runID}, nil
}

// PurgeReply answers a purge.
type PurgeReply struct {
	Purged uint64 `json:"purged"`
}

func (s *Server) dlqPurge(ctx context.Context, r *Request) (any, error) {
	st, err := s.js.Stream(ctx, streams.DLQ)
	if err != nil {
		return nil, err
	}
	before, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	var opts []jetstream.StreamPurgeOpt
	if r.Event != "" {
		opts = append(opts, jetstream.WithPurgeSubject(streams.DLQSubjectPrefix+r.Event))
	}
	if r.Seq > 0 {
		if err := st.DeleteMsg(ctx, r.Seq); err != nil {
			return nil, err
		}
		return PurgeReply{Purged: 1}, nil
	}
	if err := st.Purge(ctx, opts...); err != nil {
		return nil, err
	}
	after, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	return PurgeReply{Purged: before.State.Msgs - after.State.Msgs}, nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
