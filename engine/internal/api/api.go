// Package api serves jobd's request–reply interface over NATS: job dispatch
// on jobd.dispatch and management on jobd.api.* (a NATS micro service named
// "jobd"), so the command line works against any replica of a cluster.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/jobd-dev/jobd/engine/internal/feature"
	"github.com/jobd-dev/jobd/engine/internal/jobs"
	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/engine/internal/transient"
	"github.com/jobd-dev/jobd/sdk/wire"
)

var semver = regexp.MustCompile(`^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// Subjects of the interface.
const (
	DispatchSubject = wire.DispatchSubject
	Prefix          = wire.APIPrefix
)

// Options configure a Server.
type Options struct {
	NC *nats.Conn
	JS jetstream.JetStream
	// Jobs serves dispatch and the job operations.
	Jobs  *jobs.Manager
	Store *jobstore.Store
	// Features serves the feature-run endpoints; nil without features.
	Features Features
	// Version is reported by the service (a semantic version, or
	// 0.0.0-dev).
	Version string
	Logger  *slog.Logger
}

// Server serves the interface.
type Server struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	run   *jobs.Manager
	store *jobstore.Store
	log   *slog.Logger
	ver   string

	mu  sync.Mutex
	svc micro.Service

	features Features
}

// New returns a server; Start registers it.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Server{nc: o.NC, js: o.JS, run: o.Jobs, store: o.Store, features: o.Features, log: o.Logger, ver: o.Version}
}

// Start registers the service on the connection; every replica serves it
// in the queue group "jobd".
func (s *Server) Start(context.Context) error {
	version := s.ver
	if !semver.MatchString(version) {
		version = "0.0.0-dev" // micro wants semantic versions; builds from git say "dev" or a hash
	}
	svc, err := micro.AddService(s.nc, micro.Config{
		Name:        "jobd",
		Version:     version,
		Description: "jobd job dispatch and management",
		QueueGroup:  "jobd",
	})
	if err != nil {
		return fmt.Errorf("api service: %w", err)
	}
	s.mu.Lock()
	s.svc = svc
	s.mu.Unlock()
	if err := svc.AddEndpoint("dispatch", micro.HandlerFunc(s.dispatch), micro.WithEndpointSubject(DispatchSubject)); err != nil {
		return err
	}
	endpoints := map[string]func(context.Context, *wire.Request) (any, error){
		"jobs.list":   s.list,
		"jobs.get":    s.get,
		"jobs.cancel": func(ctx context.Context, r *wire.Request) (any, error) { return s.run.Cancel(ctx, r.ID) },
		"jobs.pause":  func(ctx context.Context, r *wire.Request) (any, error) { return s.run.Pause(ctx, r.ID) },
		"jobs.resume": func(ctx context.Context, r *wire.Request) (any, error) { return s.run.Resume(ctx, r.ID) },
		"jobs.retry":  func(ctx context.Context, r *wire.Request) (any, error) { return s.run.Retry(ctx, r.ID) },
		"jobs.reschedule": func(ctx context.Context, r *wire.Request) (any, error) {
			return s.run.Reschedule(ctx, r.ID, r.Schedule)
		},
		"jobs.history": s.history,
		"stats":        s.stats,
		"dlq.list":     s.dlqList,
		"dlq.get":      s.dlqGet,
		"dlq.replay":   s.dlqReplay,
		"dlq.purge":    s.dlqPurge,
		"runs.list":    s.runsList,
		"runs.get":     s.runsGet,
		"runs.cancel":  s.runsCancel,
	}
	for name, fn := range s.featureEndpoints() {
		endpoints[name] = fn
	}
	for name, fn := range endpoints {
		fn := fn
		retryable := transient.NotProcessed
		if reads[name] {
			retryable = transient.Is
		}
		h := micro.HandlerFunc(func(req micro.Request) { s.serve(req, retryable, fn) })
		if err := svc.AddEndpoint(strings.ReplaceAll(name, ".", "_"), h, micro.WithEndpointSubject(Prefix+"."+name)); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops serving. Safe to call more than once, or without Start.
func (s *Server) Stop(context.Context) {
	s.mu.Lock()
	svc := s.svc
	s.svc = nil
	s.mu.Unlock()
	if svc != nil {
		_ = svc.Stop()
	}
}

// reads are the endpoints that change nothing: they are repeated after
// any transient error, a timeout included; the others only after one that
// guarantees nothing was done (transient.NotProcessed).
var reads = map[string]bool{
	"jobs.list": true, "jobs.get": true, "jobs.history": true, "stats": true, "dlq.list": true, "dlq.get": true,
}

// serve answers a request with fn, repeated with backoff (within the
// request's 30 s) while it fails with an error retryable accepts: a
// JetStream leader election or a server restarting is no failure of the
// request.
func (s *Server) serve(req micro.Request, retryable func(error) bool, fn func(context.Context, *wire.Request) (any, error)) {
	var r wire.Request
	if len(req.Data()) > 0 {
		if err := json.Unmarshal(req.Data(), &r); err != nil {
			respondError(req, fmt.Errorf("%w: request is not JSON: %v", jobs.ErrBadRequest, err))
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out any
	err := transient.Retry(ctx, retryable, func(ctx context.Context) (err error) {
		out, err = fn(ctx, &r)
		return err
	}, func(err error, wait time.Duration) {
		s.log.Debug("management request: transient error; retrying", "subject", req.Subject(), "error", err, "wait", wait)
	})
	if err != nil {
		respondError(req, err)
		return
	}
	_ = req.RespondJSON(out)
}

func (s *Server) dispatch(req micro.Request) {
	var r wire.DispatchRequest
	dec := json.NewDecoder(bytesReader(req.Data()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		respondError(req, fmt.Errorf("%w: %v (fields: event, input, sequence, retries, allow_fail, schedule)", jobs.ErrBadRequest, err))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var reply *wire.DispatchReply
	err := transient.Retry(ctx, transient.NotProcessed, func(ctx context.Context) (err error) {
		reply, err = s.run.Dispatch(ctx, &r)
		return err
	}, nil)
	if err != nil {
		respondError(req, err)
		return
	}
	_ = req.RespondJSON(reply)
}

// respondError answers with the micro error headers and a JSON body
// {"error": "..."}.
func respondError(req micro.Request, err error) {
	code := "500"
	switch {
	case errors.Is(err, jobs.ErrBadRequest):
		code = "400"
	case errors.Is(err, jobstore.ErrNotFound), errors.Is(err, jetstream.ErrMsgNotFound), errors.Is(err, ErrRunNotFound), errors.Is(err, feature.ErrNotFound):
		code = "404"
	case errors.Is(err, feature.ErrEnded):
		code = "400"
	}
	body, _ := json.Marshal(map[string]string{"error": err.Error()})
	_ = req.Error(code, err.Error(), body)
}

func (s *Server) list(ctx context.Context, r *wire.Request) (any, error) {
	return s.store.List(ctx, jobstore.Filter{Status: r.Status, Event: r.Event, Recurring: r.Recurring, Limit: r.Limit})
}

func (s *Server) get(ctx context.Context, r *wire.Request) (any, error) {
	rec, _, err := s.store.Get(ctx, r.ID)
	return rec, err
}

func (s *Server) history(ctx context.Context, r *wire.Request) (any, error) {
	if _, _, err := s.store.Get(ctx, r.ID); err != nil {
		return nil, err
	}
	return s.store.History(ctx, r.ID)
}

// Stats counts jobs by status and messages in each stream.
type Stats struct {
	Jobs    map[string]int    `json:"jobs"`
	Streams map[string]uint64 `json:"streams"`
}

func (s *Server) stats(ctx context.Context, _ *wire.Request) (any, error) {
	st := Stats{Jobs: map[string]int{}, Streams: map[string]uint64{}}
	recs, err := s.store.List(ctx, jobstore.Filter{})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		st.Jobs[r.Status]++
	}
	for _, name := range []string{streams.Events, streams.Runs, streams.Results, streams.DLQ, jobstore.HistoryStream} {
		if str, err := s.js.Stream(ctx, name); err == nil {
			st.Streams[name] = str.CachedInfo().State.Msgs
		}
	}
	return st, nil
}
