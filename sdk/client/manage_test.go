package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// answer is what the fake jobd replies on one subject: a JSON body, or a
// refusal with a code.
type answer struct {
	body any
	code string
	msg  string
}

// fakeJobd is a NATS micro service named like jobd's that records every
// request and answers from a table, the way jobd's API does.
type fakeJobd struct {
	mu   sync.Mutex
	got  map[string]json.RawMessage
	with map[string]answer
}

func startFake(t *testing.T, nc *nats.Conn, with map[string]answer) *fakeJobd {
	t.Helper()
	f := &fakeJobd{got: map[string]json.RawMessage{}, with: with}
	svc, err := micro.AddService(nc, micro.Config{Name: wire.ServiceName, Version: "0.0.0", QueueGroup: wire.ServiceName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	i := 0
	for subject := range with {
		i++
		h := micro.HandlerFunc(func(req micro.Request) {
			f.mu.Lock()
			f.got[req.Subject()] = append(json.RawMessage(nil), req.Data()...)
			a := f.with[req.Subject()]
			f.mu.Unlock()
			if a.code != "" {
				body, _ := json.Marshal(wire.ErrorReply{Error: a.msg})
				_ = req.Error(a.code, a.msg, body)
				return
			}
			_ = req.RespondJSON(a.body)
		})
		if err := svc.AddEndpoint(fmt.Sprintf("endpoint%d", i), h, micro.WithEndpointSubject(subject)); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// request returns the body the fake received on subject.
func (f *fakeJobd) request(t *testing.T, subject string) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.got[subject]
	if !ok {
		t.Fatalf("nothing was sent on %s; got %v", subject, f.got)
	}
	return string(b)
}

var (
	t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
)

func newClient(t *testing.T, nc *nats.Conn) *client.Client {
	t.Helper()
	c, err := client.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every management call sends its request on its subject and decodes the
// reply into its wire type.
func TestManagementCalls(t *testing.T) {
	nc := startNATS(t)
	rec := &wire.Record{ID: "j1", Event: "digest", Kind: "notification", Status: wire.StatusScheduled, Origin: wire.OriginDispatch, ScheduledAt: t0, NextRunAt: &t1}
	paused := *rec
	paused.Status = wire.StatusPaused
	entry := wire.DeadLetterEntry{Seq: 7, Time: t0, DeadLetter: wire.DeadLetter{
		Result: wire.Result{JobID: "j1", RunID: "r1", Event: "digest", Status: wire.StatusFailed, Error: &wire.ErrorInfo{Message: "boom", Class: wire.ClassPermanent}},
		Reason: "permanent error",
	}}
	api := wire.APISubject
	f := startFake(t, nc, map[string]answer{
		wire.DispatchSubject:             {body: wire.DispatchReply{JobID: "j1", Status: wire.StatusScheduled, ScheduledAt: t0, Recurring: true, NextRunAt: &t0}},
		api(wire.EndpointJobsList):       {body: []*wire.Record{rec}},
		api(wire.EndpointJobsGet):        {body: rec},
		api(wire.EndpointJobsHistory):    {body: []wire.HistoryEntry{{Number: 1, RunID: "r1", Attempts: 2, Status: wire.StatusCompleted, EndedAt: t0}}},
		api(wire.EndpointJobsCancel):     {body: rec},
		api(wire.EndpointJobsPause):      {body: &paused},
		api(wire.EndpointJobsResume):     {body: rec},
		api(wire.EndpointJobsRetry):      {body: rec},
		api(wire.EndpointJobsReschedule): {body: rec},
		api(wire.EndpointDLQList):        {body: []wire.DeadLetterSummary{{Seq: 7, Time: t0, Event: "digest", JobID: "j1", RunID: "r1", Class: wire.ClassPermanent, Reason: "permanent error"}}},
		api(wire.EndpointDLQGet):         {body: entry},
		api(wire.EndpointDLQReplay):      {body: wire.ReplayReply{Seq: 7, Event: "digest", RunID: "r1-replay7"}},
		api(wire.EndpointDLQPurge):       {body: wire.PurgeReply{Purged: 3}},
		api(wire.EndpointStats):          {body: wire.Stats{Jobs: map[string]int{"scheduled": 1}, Streams: map[string]uint64{wire.StreamDLQ: 1}}},
	})
	c := newClient(t, nc)
	retries := 2

	cases := []struct {
		name    string
		subject string
		call    func(context.Context) (any, error)
		request string // the JSON jobd receives
	}{
		{"Dispatch", wire.DispatchSubject, func(ctx context.Context) (any, error) {
			return c.Dispatch(ctx, &wire.DispatchRequest{Event: "digest", Input: json.RawMessage(`{"a":1}`), Retries: &retries, Schedule: &wire.Schedule{Every: "1h"}})
		}, `{"event":"digest","input":{"a":1},"retries":2,"schedule":{"start_at":null,"delay":null,"every":"1h","cron":"","tz":"","limit":0,"executions":0,"end_date":null,"misfire":""}}`},
		{"Jobs", api(wire.EndpointJobsList), func(ctx context.Context) (any, error) {
			return c.Jobs(ctx, wire.Request{Status: wire.StatusScheduled, Event: "digest", Recurring: true, Limit: 5})
		}, `{"status":"scheduled","event":"digest","recurring":true,"limit":5}`},
		{"Job", api(wire.EndpointJobsGet), func(ctx context.Context) (any, error) { return c.Job(ctx, "j1") }, `{"id":"j1"}`},
		{"JobHistory", api(wire.EndpointJobsHistory), func(ctx context.Context) (any, error) { return c.JobHistory(ctx, "j1") }, `{"id":"j1"}`},
		{"CancelJob", api(wire.EndpointJobsCancel), func(ctx context.Context) (any, error) { return c.CancelJob(ctx, "j1") }, `{"id":"j1"}`},
		{"PauseJob", api(wire.EndpointJobsPause), func(ctx context.Context) (any, error) { return c.PauseJob(ctx, "j1") }, `{"id":"j1"}`},
		{"ResumeJob", api(wire.EndpointJobsResume), func(ctx context.Context) (any, error) { return c.ResumeJob(ctx, "j1") }, `{"id":"j1"}`},
		{"RetryJob", api(wire.EndpointJobsRetry), func(ctx context.Context) (any, error) { return c.RetryJob(ctx, "j1") }, `{"id":"j1"}`},
		{"RescheduleJob", api(wire.EndpointJobsReschedule), func(ctx context.Context) (any, error) {
			return c.RescheduleJob(ctx, "j1", &wire.Schedule{Cron: "0 9 * * *", TZ: "Europe/Paris"})
		}, `{"id":"j1","schedule":{"start_at":null,"delay":null,"every":null,"cron":"0 9 * * *","tz":"Europe/Paris","limit":0,"executions":0,"end_date":null,"misfire":""}}`},
		{"DeadLetters", api(wire.EndpointDLQList), func(ctx context.Context) (any, error) {
			return c.DeadLetters(ctx, wire.Request{Event: "digest", Limit: 10})
		}, `{"event":"digest","limit":10}`},
		{"DeadLetter", api(wire.EndpointDLQGet), func(ctx context.Context) (any, error) { return c.DeadLetter(ctx, 7) }, `{"seq":7}`},
		{"ReplayDeadLetter", api(wire.EndpointDLQReplay), func(ctx context.Context) (any, error) { return c.ReplayDeadLetter(ctx, 7) }, `{"seq":7}`},
		{"PurgeDeadLetters", api(wire.EndpointDLQPurge), func(ctx context.Context) (any, error) {
			return c.PurgeDeadLetters(ctx, wire.Request{Event: "digest"})
		}, `{"event":"digest"}`},
		{"Stats", api(wire.EndpointStats), func(ctx context.Context) (any, error) { return c.Stats(ctx) }, `{}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.call(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if req := f.request(t, tc.subject); req != tc.request {
				t.Errorf("request on %s:\n got %s\nwant %s", tc.subject, req, tc.request)
			}
			// The decoded reply is the value the service sent.
			if g, w := asJSON(t, got), asJSON(t, f.with[tc.subject].body); g != w {
				t.Errorf("reply:\n got %s\nwant %s", g, w)
			}
		})
	}
	if j, err := c.PauseJob(ctx(t), "j1"); err != nil || j.Status != wire.StatusPaused || !j.NextRunAt.Equal(t1) {
		t.Errorf("PauseJob = %+v, %v; want the paused record", j, err)
	}
}

// A refusal is an *APIError with jobd's code and reason, matching the
// sentinel of its code.
func TestRefusals(t *testing.T) {
	nc := startNATS(t)
	startFake(t, nc, map[string]answer{
		wire.DispatchSubject:                  {code: "400", msg: `bad request: no job with event "nope"; configured: digest`},
		wire.APISubject(wire.EndpointJobsGet): {code: "404", msg: "job not found"},
		wire.APISubject(wire.EndpointStats):   {code: "500", msg: "stream JOBD_DLQ: timeout"},
	})
	c := newClient(t, nc)
	cases := []struct {
		name     string
		call     func() error
		code     int
		sentinel error
		message  string
	}{
		{"400 is ErrBadRequest", func() error { _, err := c.Dispatch(ctx(t), &wire.DispatchRequest{Event: "nope"}); return err },
			400, client.ErrBadRequest, `bad request: no job with event "nope"; configured: digest`},
		{"404 is ErrNotFound", func() error { _, err := c.Job(ctx(t), "j404"); return err },
			404, client.ErrNotFound, "job not found"},
		{"500 is neither", func() error { _, err := c.Stats(ctx(t)); return err },
			500, nil, "stream JOBD_DLQ: timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *client.APIError", err, err)
			}
			if apiErr.Code != tc.code || apiErr.Message != tc.message || err.Error() != tc.message {
				t.Errorf("err = %+v (%q), want code %d and message %q", apiErr, err, tc.code, tc.message)
			}
			for _, s := range []error{client.ErrBadRequest, client.ErrNotFound, client.ErrNoJobd} {
				if got := errors.Is(err, s); got != (s == tc.sentinel) {
					t.Errorf("errors.Is(err, %v) = %v", s, got)
				}
			}
		})
	}
}

// With no jobd on the server, a call says so at once instead of waiting.
func TestNoJobd(t *testing.T) {
	c := newClient(t, startNATS(t))
	start := time.Now()
	_, err := c.Dispatch(ctx(t), &wire.DispatchRequest{Event: "digest"})
	if !errors.Is(err, client.ErrNoJobd) || !strings.Contains(err.Error(), "is jobd running?") || !strings.Contains(err.Error(), wire.DispatchSubject) {
		t.Fatalf("err = %v, want ErrNoJobd naming %s", err, wire.DispatchSubject)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if _, err := c.Jobs(ctx(t), wire.Request{}); !errors.Is(err, client.ErrNoJobd) {
		t.Errorf("Jobs: err = %v, want ErrNoJobd", err)
	}
}

// A responder that never answers ends with the caller's context.
func TestContextDeadline(t *testing.T) {
	nc := startNATS(t)
	sub, err := nc.Subscribe(wire.APISubject(wire.EndpointStats), func(*nats.Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	c := newClient(t, nc)
	cctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Stats(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

// The client refuses, without a round trip, a request that names nothing.
func TestRequestsWithoutSubject(t *testing.T) {
	c := newClient(t, startNATS(t))
	for name, call := range map[string]func() error{
		"Job":              func() error { _, err := c.Job(ctx(t), ""); return err },
		"JobHistory":       func() error { _, err := c.JobHistory(ctx(t), ""); return err },
		"CancelJob":        func() error { _, err := c.CancelJob(ctx(t), ""); return err },
		"RescheduleJob":    func() error { _, err := c.RescheduleJob(ctx(t), "j1", nil); return err },
		"DeadLetter":       func() error { _, err := c.DeadLetter(ctx(t), 0); return err },
		"ReplayDeadLetter": func() error { _, err := c.ReplayDeadLetter(ctx(t), 0); return err },
		"Dispatch":         func() error { _, err := c.Dispatch(ctx(t), nil); return err },
	} {
		if err := call(); !errors.Is(err, client.ErrBadRequest) {
			t.Errorf("%s: err = %v, want ErrBadRequest", name, err)
		}
	}
}
