package host

import (
	"context"
	"encoding/json"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

// hostServer serves the Host service to a plugin.
type hostServer struct {
	pluginpb.UnimplementedHostServer
	publish func(ctx context.Context, subject string, data []byte, headers map[string]string) error
	log     *slog.Logger
}

func (h *hostServer) Publish(ctx context.Context, req *pluginpb.PublishRequest) (*pluginpb.PublishResponse, error) {
	if h.publish == nil {
		return nil, status.Error(codes.Unimplemented, "jobd does not offer publishing to this plugin")
	}
	if err := h.publish(ctx, req.Subject, req.Data, req.Headers); err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return &pluginpb.PublishResponse{}, nil
}

func (h *hostServer) Log(ctx context.Context, req *pluginpb.LogRequest) (*pluginpb.LogResponse, error) {
	var attrs map[string]any
	_ = json.Unmarshal(req.Attrs, &attrs)
	args := make([]any, 0, 2*len(attrs))
	for k, v := range attrs {
		if k == "kind" {
			continue // the host's logger names the plugin's kind already
		}
		args = append(args, k, v)
	}
	level := slog.LevelInfo
	switch req.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	h.log.Log(ctx, level, req.Message, args...)
	return &pluginpb.LogResponse{}, nil
}
