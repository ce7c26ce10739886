package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

// hostClient calls the host services jobd serves over go-plugin's broker.
type hostClient struct {
	client pluginpb.HostClient
	log    *slog.Logger
}

func dialHost(b *goplugin.GRPCBroker, id uint32) (*hostClient, error) {
	if id == 0 || b == nil {
		return &hostClient{}, nil
	}
	conn, err := b.Dial(id)
	if err != nil {
		return nil, fmt.Errorf("dial host services: %w", err)
	}
	h := &hostClient{client: pluginpb.NewHostClient(conn)}
	h.log = slog.New(&hostLogHandler{host: h})
	return h, nil
}

// Publish implements Host.
func (h *hostClient) Publish(ctx context.Context, subject string, data []byte, headers map[string]string) error {
	if h.client == nil {
		return ErrHostUnavailable
	}
	_, err := h.client.Publish(ctx, &pluginpb.PublishRequest{Subject: subject, Data: data, Headers: headers})
	if err != nil {
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	return nil
}

// stderrLog is the log with no host: stderr, which go-plugin forwards to
// jobd.
var stderrLog = slog.New(slog.NewJSONHandler(os.Stderr, nil))

func (h *hostClient) logger() *slog.Logger {
	if h.log == nil {
		return stderrLog
	}
	return h.log
}

// hostLogHandler is a slog.Handler that sends each record to the host.
type hostLogHandler struct {
	host   *hostClient
	attrs  []slog.Attr
	groups []string
}

func (l *hostLogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (l *hostLogHandler) Handle(ctx context.Context, r slog.Record) error {
	m := make(map[string]any, len(l.attrs)+r.NumAttrs())
	for _, a := range l.attrs {
		m[a.Key] = attrValue(a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = attrValue(a.Value)
		return true
	})
	attrs, err := json.Marshal(m)
	if err != nil {
		attrs = []byte("{}")
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err = l.host.client.Log(lctx, &pluginpb.LogRequest{
		Level:   levelName(r.Level),
		Message: r.Message,
		Attrs:   attrs,
	})
	return err
}

func (l *hostLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *l
	n.attrs = append(append([]slog.Attr{}, l.attrs...), as...)
	return &n
}

func (l *hostLogHandler) WithGroup(name string) slog.Handler {
	n := *l
	n.groups = append(append([]string{}, l.groups...), name)
	return &n
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warn"
	case l >= slog.LevelInfo:
		return "info"
	default:
		return "debug"
	}
}

// attrValue turns a log value into something JSON shows well: errors and
// other Stringers as their text.
func attrValue(v slog.Value) any {
	a := v.Resolve().Any()
	switch x := a.(type) {
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	}
	return a
}
