package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/jobs"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/wire"
)

func (s *Server) dlqList(ctx context.Context, r *wire.Request) (any, error) {
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
	out := []wire.DeadLetterSummary{}
	for seq := info.State.LastSeq; seq >= info.State.FirstSeq && seq > 0 && len(out) < limit; seq-- {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		var dl wire.DeadLetter
		if json.Unmarshal(m.Data, &dl) != nil || r.Event != "" && dl.Event != r.Event {
			continue
		}
		sum := wire.DeadLetterSummary{Seq: seq, Time: m.Time, Event: dl.Event, JobID: dl.JobID, RunID: dl.RunID, Reason: dl.Reason}
		if dl.Error != nil {
			sum.Class = dl.Error.Class
		}
		out = append(out, sum)
	}
	return out, nil
}

func (s *Server) dlqGet(ctx context.Context, r *wire.Request) (any, error) {
	st, err := s.js.Stream(ctx, streams.DLQ)
	if err != nil {
		return nil, err
	}
	m, err := st.GetMsg(ctx, r.Seq)
	if err != nil {
		return nil, fmt.Errorf("dead letter %d: %w", r.Seq, err)
	}
	e := &wire.DeadLetterEntry{Seq: r.Seq, Time: m.Time}
	if err := json.Unmarshal(m.Data, &e.DeadLetter); err != nil {
		return nil, err
	}
	return e, nil
}

// dlqReplay runs a dead job again, at once, with the event it came from
// (keeping its run id and idempotency key unless asked for a new one), and
// removes the dead letter.
func (s *Server) dlqReplay(ctx context.Context, r *wire.Request) (any, error) {
	got, err := s.dlqGet(ctx, r)
	if err != nil {
		return nil, err
	}
	e := got.(*wire.DeadLetterEntry)
	if e.Trigger == nil || len(e.Trigger.Data) == 0 || !json.Valid(e.Trigger.Data) || bytes.TrimSpace(e.Trigger.Data)[0] != '{' {
		return nil, fmt.Errorf("%w: dead letter %d cannot be replayed: its event was not a JSON object (%s)", jobs.ErrBadRequest, r.Seq, e.Reason)
	}
	reply, err := s.run.Replay(ctx, e, r.NewKey)
	if err != nil {
		return nil, err
	}
	st, err := s.js.Stream(ctx, streams.DLQ)
	if err != nil {
		return nil, err
	}
	if err := st.DeleteMsg(ctx, r.Seq); err != nil {
		return nil, err
	}
	return reply, nil
}

func (s *Server) dlqPurge(ctx context.Context, r *wire.Request) (any, error) {
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
		return wire.PurgeReply{Purged: 1}, nil
	}
	if err := st.Purge(ctx, opts...); err != nil {
		return nil, err
	}
	after, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	return wire.PurgeReply{Purged: before.State.Msgs - after.State.Msgs}, nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
