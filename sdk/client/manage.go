package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// RequestTimeoutDefault bounds a request to jobd whose context has no
// deadline: as long as jobd gives itself to answer one.
const RequestTimeoutDefault = 30 * time.Second

// Dispatch asks jobd to run a job defined in its configuration with the
// request's input and schedule, and returns the new job's id and first
// time. A refusal (an unknown event, an input that is not an object, a bad
// schedule) is an *APIError that matches ErrBadRequest.
func (c *Client) Dispatch(ctx context.Context, req *wire.DispatchRequest) (*wire.DispatchReply, error) {
	if req == nil {
		return nil, fmt.Errorf("%s: %w: the request is nil", wire.DispatchSubject, ErrBadRequest)
	}
	var out wire.DispatchReply
	if err := c.request(ctx, wire.DispatchSubject, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Jobs lists the jobs that match the request's Status, Event and Recurring,
// at most Limit of them when it is above 0.
func (c *Client) Jobs(ctx context.Context, req wire.Request) ([]*wire.Record, error) {
	var out []*wire.Record
	if err := c.api(ctx, wire.EndpointJobsList, req, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Job returns the job with the id; an unknown id is an *APIError that
// matches ErrNotFound.
func (c *Client) Job(ctx context.Context, id string) (*wire.Record, error) {
	return c.jobCall(ctx, wire.EndpointJobsGet, wire.Request{ID: id})
}

// JobHistory returns the job's runs, oldest first.
func (c *Client) JobHistory(ctx context.Context, id string) ([]wire.HistoryEntry, error) {
	if id == "" {
		return nil, errNoID(wire.EndpointJobsHistory)
	}
	var out []wire.HistoryEntry
	if err := c.api(ctx, wire.EndpointJobsHistory, wire.Request{ID: id}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CancelJob stops a job: it never runs again, and a run in flight
// finishes. It returns the job as it is now.
func (c *Client) CancelJob(ctx context.Context, id string) (*wire.Record, error) {
	return c.jobCall(ctx, wire.EndpointJobsCancel, wire.Request{ID: id})
}

// PauseJob stops a job's series until ResumeJob. It returns the job as it
// is now.
func (c *Client) PauseJob(ctx context.Context, id string) (*wire.Record, error) {
	return c.jobCall(ctx, wire.EndpointJobsPause, wire.Request{ID: id})
}

// ResumeJob continues a paused job; occurrences missed while it was paused
// follow its misfire policy. It returns the job as it is now.
func (c *Client) ResumeJob(ctx context.Context, id string) (*wire.Record, error) {
	return c.jobCall(ctx, wire.EndpointJobsResume, wire.Request{ID: id})
}

// RetryJob runs a finished job once more, now, with its input. It returns
// the job as it is now.
func (c *Client) RetryJob(ctx context.Context, id string) (*wire.Record, error) {
	return c.jobCall(ctx, wire.EndpointJobsRetry, wire.Request{ID: id})
}

// RescheduleJob replaces a job's schedule; its series goes on from now. It
// returns the job as it is now.
func (c *Client) RescheduleJob(ctx context.Context, id string, s *wire.Schedule) (*wire.Record, error) {
	if s == nil {
		return nil, fmt.Errorf("%s: %w: the schedule is nil", wire.APISubject(wire.EndpointJobsReschedule), ErrBadRequest)
	}
	return c.jobCall(ctx, wire.EndpointJobsReschedule, wire.Request{ID: id, Schedule: s})
}

// DeadLetters lists the latest dead letters, newest first: those of the
// request's Event when it is set, at most Limit (jobd's default is 100).
func (c *Client) DeadLetters(ctx context.Context, req wire.Request) ([]wire.DeadLetterSummary, error) {
	var out []wire.DeadLetterSummary
	if err := c.api(ctx, wire.EndpointDLQList, req, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeadLetter returns the dead letter at sequence seq of the dead-letter
// stream; an unknown sequence is an *APIError that matches ErrNotFound.
func (c *Client) DeadLetter(ctx context.Context, seq uint64) (*wire.DeadLetterEntry, error) {
	if seq == 0 {
		return nil, errNoSeq(wire.EndpointDLQGet)
	}
	var out wire.DeadLetterEntry
	if err := c.api(ctx, wire.EndpointDLQGet, wire.Request{Seq: seq}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReplayDeadLetter runs a dead job again, at once, with the event it came
// from, and removes the dead letter.
func (c *Client) ReplayDeadLetter(ctx context.Context, seq uint64) (*wire.ReplayReply, error) {
	return c.ReplayDeadLetterRequest(ctx, wire.Request{Seq: seq})
}

// ReplayDeadLetterRequest replays the dead letter at req.Seq; with
// req.NewKey the replay gets a new run id and idempotency key instead of
// the dead run's.
func (c *Client) ReplayDeadLetterRequest(ctx context.Context, req wire.Request) (*wire.ReplayReply, error) {
	if req.Seq == 0 {
		return nil, errNoSeq(wire.EndpointDLQReplay)
	}
	var out wire.ReplayReply
	if err := c.api(ctx, wire.EndpointDLQReplay, wire.Request{Seq: req.Seq, NewKey: req.NewKey}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PurgeDeadLetters removes the dead letter at the request's Seq when it is
// set, else those of its Event when it is set, else all of them.
func (c *Client) PurgeDeadLetters(ctx context.Context, req wire.Request) (*wire.PurgeReply, error) {
	var out wire.PurgeReply
	if err := c.api(ctx, wire.EndpointDLQPurge, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Stats counts jobs by status and the messages in each of jobd's streams.
func (c *Client) Stats(ctx context.Context) (*wire.Stats, error) {
	var out wire.Stats
	if err := c.api(ctx, wire.EndpointStats, wire.Request{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) jobCall(ctx context.Context, endpoint string, req wire.Request) (*wire.Record, error) {
	if req.ID == "" {
		return nil, errNoID(endpoint)
	}
	var out wire.Record
	if err := c.api(ctx, endpoint, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) api(ctx context.Context, endpoint string, req wire.Request, out any) error {
	return c.request(ctx, wire.APISubject(endpoint), req, out)
}

// request sends req as JSON on subject and decodes the reply into out. A
// refusal is an *APIError; no responder is ErrNoJobd.
func (c *Client) request(ctx context.Context, subject string, req, out any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", subject, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, RequestTimeoutDefault)
		defer cancel()
	}
	msg, err := c.nc.RequestWithContext(ctx, subject, body)
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("%s: %w", subject, ErrNoJobd)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", subject, err)
	}
	if code := msg.Header.Get(wire.ErrorCodeHeader); code != "" {
		n, err := strconv.Atoi(code)
		if err != nil {
			n = 500
		}
		return &APIError{Code: n, Message: msg.Header.Get(wire.ErrorHeader)}
	}
	if err := json.Unmarshal(msg.Data, out); err != nil {
		return fmt.Errorf("%s: decode reply: %w", subject, err)
	}
	return nil
}

func errNoID(endpoint string) error {
	return fmt.Errorf("%s: %w: a job id is required", wire.APISubject(endpoint), ErrBadRequest)
}

func errNoSeq(endpoint string) error {
	return fmt.Errorf("%s: %w: a dead letter's sequence is required (from 1)", wire.APISubject(endpoint), ErrBadRequest)
}
