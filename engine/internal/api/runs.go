package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/jobs"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/engine/internal/timers"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// Runs are read where they already are, with no index of their own and no
// consumer: finished runs are the results in JOBD_RESULTS (subject
// jobd.result.<event>), read newest first one message at a time by
// sequence; runs waiting for a retry are timers in JOBD_TIMERS whose run
// record is a retry. Both reads are bounded: they look at the newest
// maxScan messages of each stream.
const (
	// maxScan bounds the messages one runs request reads per stream.
	maxScan = 20000
	// runsLimitDefault is how many runs runs.list answers by default.
	runsLimitDefault = 50
)

// ErrRunNotFound means no run with the id is among the newest results and
// pending retries.
var ErrRunNotFound = errors.New("run not found")

// scanBack calls fn with the newest messages of a stream, newest first,
// until fn returns false or maxScan messages were read.
func (s *Server) scanBack(ctx context.Context, stream string, fn func(m *jetstream.RawStreamMsg) bool) error {
	st, err := s.js.Stream(ctx, stream)
	if err != nil {
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	read := 0
	for seq := info.State.LastSeq; seq >= info.State.FirstSeq && seq > 0 && read < maxScan; seq-- {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted or purged
		}
		if err != nil {
			return err
		}
		read++
		if !fn(m) {
			return nil
		}
	}
	return nil
}

// result decodes a message of the results stream; nil for a failure report
// or anything else.
func result(m *jetstream.RawStreamMsg) *wire.Result {
	if !strings.HasPrefix(m.Subject, streams.ResultSubjectPrefix) {
		return nil
	}
	var r wire.Result
	if json.Unmarshal(m.Data, &r) != nil {
		return nil
	}
	return &r
}

// waiting decodes a timer that holds a retry; nil for anything else (a
// scheduled occurrence, a dispatched job's first run).
func waiting(m *jetstream.RawStreamMsg) (*run.Record, time.Time) {
	if !strings.HasPrefix(m.Header.Get(timers.HeaderTarget), streams.RunsSubjectPrefix) {
		return nil, time.Time{}
	}
	var rec run.Record
	if json.Unmarshal(m.Data, &rec) != nil || rec.Attempt < 2 || rec.Occurrence != 0 {
		return nil, time.Time{}
	}
	ms, _ := strconv.ParseInt(m.Header.Get(timers.HeaderAt), 10, 64)
	return &rec, time.UnixMilli(ms).UTC()
}

func summaryOf(r *wire.Result) wire.RunSummary {
	end := r.FinishedAt
	return wire.RunSummary{RunID: r.RunID, JobID: r.JobID, Event: r.Event, Kind: r.Kind, Status: r.Status,
		Attempts: r.Attempts, Subject: r.Subject, ReceivedAt: r.ReceivedAt, FinishedAt: &end,
		DurationMS: r.DurationMS, Error: r.Error}
}

func waitingSummary(rec *run.Record, at time.Time) wire.RunSummary {
	return wire.RunSummary{RunID: rec.RunID, JobID: rec.JobID, Event: rec.Event, Status: wire.StatusWaiting,
		Attempts: rec.Attempt - 1, Subject: rec.Subject, ReceivedAt: rec.ReceivedAt, NextAttemptAt: &at, Error: rec.LastError}
}

// runsList answers the newest runs that match the request, newest first.
func (s *Server) runsList(ctx context.Context, r *wire.Request) (any, error) {
	limit := r.Limit
	if limit <= 0 {
		limit = runsLimitDefault
	}
	match := func(sum *wire.RunSummary) bool {
		return (r.Job == "" || sum.Event == r.Job || sum.JobID == r.Job) &&
			(r.Status == "" || sum.Status == r.Status) &&
			(r.Since == nil || !sum.ReceivedAt.Before(*r.Since))
	}
	out := []wire.RunSummary{}
	finished := map[string]bool{}
	if r.Status != wire.StatusWaiting && r.Status != wire.StatusCancelled {
		err := s.scanBack(ctx, streams.Results, func(m *jetstream.RawStreamMsg) bool {
			if r.Since != nil && m.Time.Before(*r.Since) {
				return false // older than since: so is everything before it
			}
			res := result(m)
			if res == nil {
				return true
			}
			finished[res.RunID] = true
			if sum := summaryOf(res); match(&sum) && len(out) < limit {
				out = append(out, sum)
			}
			return len(out) < limit
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", streams.Results, err)
		}
	}
	if r.Status == "" || r.Status == wire.StatusWaiting || r.Status == wire.StatusCancelled {
		var wait []wire.RunSummary
		err := s.scanBack(ctx, streams.Timers, func(m *jetstream.RawStreamMsg) bool {
			rec, at := waiting(m)
			if rec == nil || finished[rec.RunID] {
				return true
			}
			sum := waitingSummary(rec, at)
			if s.run.RunCancelled(rec) {
				sum.Status = wire.StatusCancelled // its retry will be dropped
			}
			if match(&sum) {
				wait = append(wait, sum)
			}
			return len(wait) < limit
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", streams.Timers, err)
		}
		out = append(wait, out...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ReceivedAt.After(out[j].ReceivedAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// findRun looks for a run's result, else its pending retry.
func (s *Server) findRun(ctx context.Context, id string) (*wire.Result, *run.Record, time.Time, error) {
	if id == "" {
		return nil, nil, time.Time{}, fmt.Errorf("%w: a run id is needed", jobs.ErrBadRequest)
	}
	var res *wire.Result
	err := s.scanBack(ctx, streams.Results, func(m *jetstream.RawStreamMsg) bool {
		if r := result(m); r != nil && r.RunID == id {
			res = r // the newest result (a replay's, after the dead run's)
			return false
		}
		return true
	})
	if err != nil || res != nil {
		return res, nil, time.Time{}, err
	}
	var rec *run.Record
	var at time.Time
	err = s.scanBack(ctx, streams.Timers, func(m *jetstream.RawStreamMsg) bool {
		if w, t := waiting(m); w != nil && w.RunID == id {
			rec, at = w, t
			return false
		}
		return true
	})
	if err == nil && rec == nil {
		err = fmt.Errorf("%w: %s is not among the newest %d results and pending retries", ErrRunNotFound, id, maxScan)
	}
	return nil, rec, at, err
}

func (s *Server) runsGet(ctx context.Context, r *wire.Request) (any, error) {
	res, rec, at, err := s.findRun(ctx, r.RunID)
	if err != nil {
		return nil, err
	}
	if res != nil {
		return &wire.RunInfo{RunSummary: summaryOf(res), Result: res}, nil
	}
	info := &wire.RunInfo{RunSummary: waitingSummary(rec, at), Cancelled: s.run.RunCancelled(rec),
		Waiting: &wire.WaitingRun{Attempt: rec.Attempt, At: at, Input: rec.Input, AttemptLog: rec.AttemptLog}}
	if info.Cancelled {
		info.Status = wire.StatusCancelled
	}
	return info, nil
}

func (s *Server) runsCancel(ctx context.Context, r *wire.Request) (any, error) {
	res, rec, _, err := s.findRun(ctx, r.RunID)
	if err != nil {
		return nil, err
	}
	if res != nil {
		return nil, fmt.Errorf("%w: run %s is finished (%s); only a run waiting for a retry can be cancelled", jobs.ErrBadRequest, r.RunID, res.Status)
	}
	if s.run.RunCancelled(rec) {
		return nil, fmt.Errorf("%w: run %s is cancelled already", jobs.ErrBadRequest, r.RunID)
	}
	return s.run.CancelRun(ctx, rec)
}
