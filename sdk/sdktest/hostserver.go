package sdktest

import (
	"context"
	"encoding/json"
	"maps"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

// hostServer serves the Host service to the plugin under test: it records
// what the plugin publishes and logs.
type hostServer struct {
	pluginpb.UnimplementedHostServer
	h *Harness
}

func (s *hostServer) Publish(ctx context.Context, req *pluginpb.PublishRequest) (*pluginpb.PublishResponse, error) {
	msg := Message{Subject: req.Subject, Data: append([]byte(nil), req.Data...), Headers: maps.Clone(req.Headers)}
	s.h.mu.Lock()
	s.h.published = append(s.h.published, msg)
	s.h.mu.Unlock()
	if f := s.h.opts.publish; f != nil {
		if err := f(ctx, msg.Subject, msg.Data, msg.Headers); err != nil {
			return nil, status.Error(codes.Unavailable, err.Error())
		}
	}
	return &pluginpb.PublishResponse{}, nil
}

func (s *hostServer) Log(_ context.Context, req *pluginpb.LogRequest) (*pluginpb.LogResponse, error) {
	l := Log{Level: req.Level, Message: req.Message}
	_ = json.Unmarshal(req.Attrs, &l.Attrs)
	s.h.mu.Lock()
	closed := s.h.closed
	s.h.logs = append(s.h.logs, l)
	s.h.mu.Unlock()
	if !closed {
		s.h.logf("plugin %s: %s %s", req.Level, req.Message, req.Attrs)
	}
	return &pluginpb.LogResponse{}, nil
}
