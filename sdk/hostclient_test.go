package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"testing"

	"google.golang.org/grpc"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

// fakeHost records what the plugin sends to jobd's host services.
type fakeHost struct {
	published []*pluginpb.PublishRequest
	logs      []*pluginpb.LogRequest
	err       error
}

func (f *fakeHost) Publish(_ context.Context, in *pluginpb.PublishRequest, _ ...grpc.CallOption) (*pluginpb.PublishResponse, error) {
	f.published = append(f.published, in)
	return &pluginpb.PublishResponse{}, f.err
}

func (f *fakeHost) Log(_ context.Context, in *pluginpb.LogRequest, _ ...grpc.CallOption) (*pluginpb.LogResponse, error) {
	f.logs = append(f.logs, in)
	return &pluginpb.LogResponse{}, f.err
}

func TestHostClientPublish(t *testing.T) {
	ctx := context.Background()
	none, err := dialHost(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := none.Publish(ctx, "s", nil, nil); !errors.Is(err, ErrHostUnavailable) {
		t.Errorf("Publish without host services = %v, want ErrHostUnavailable", err)
	}
	if none.logger() != stderrLog {
		t.Error("without host services the log is not stderr")
	}

	f := &fakeHost{}
	h := &hostClient{client: f}
	if err := h.Publish(ctx, "jobd.events.x", []byte("{}"), map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if len(f.published) != 1 || f.published[0].Subject != "jobd.events.x" || string(f.published[0].Data) != "{}" || f.published[0].Headers["k"] != "v" {
		t.Errorf("published %v", f.published)
	}
	f.err = errors.New("no stream")
	if err := h.Publish(ctx, "jobd.events.x", nil, nil); err == nil || err.Error() != "publish jobd.events.x: no stream" || !errors.Is(err, f.err) {
		t.Errorf("Publish error = %v", err)
	}
}

type stringer struct{}

func (stringer) String() string { return "as text" }

func TestHostLogHandler(t *testing.T) {
	f := &fakeHost{}
	h := &hostClient{client: f}
	h.log = slog.New(&hostLogHandler{host: h})
	log := h.logger().With("job_id", "j1").WithGroup("g")
	log.Debug("d")
	log.Info("i", "n", 3)
	log.Warn("w", "err", errors.New("boom"))
	log.Error("e", "s", stringer{})
	log.Log(context.Background(), slog.LevelError+4, "worse")
	log.Log(context.Background(), slog.LevelInfo-1, "below info")

	want := []struct {
		level, msg string
		attrs      map[string]any
	}{
		{"debug", "d", map[string]any{"job_id": "j1"}},
		{"info", "i", map[string]any{"job_id": "j1", "n": 3.0}},
		{"warn", "w", map[string]any{"job_id": "j1", "err": "boom"}},
		{"error", "e", map[string]any{"job_id": "j1", "s": "as text"}},
		{"error", "worse", map[string]any{"job_id": "j1"}},
		{"debug", "below info", map[string]any{"job_id": "j1"}},
	}
	if len(f.logs) != len(want) {
		t.Fatalf("%d log lines, want %d", len(f.logs), len(want))
	}
	for i, w := range want {
		got := f.logs[i]
		var attrs map[string]any
		if err := json.Unmarshal(got.Attrs, &attrs); err != nil {
			t.Fatal(err)
		}
		if got.Level != w.level || got.Message != w.msg || !reflect.DeepEqual(attrs, w.attrs) {
			t.Errorf("line %d = %s %q %v, want %s %q %v", i, got.Level, got.Message, attrs, w.level, w.msg, w.attrs)
		}
	}
	if !(&hostLogHandler{}).Enabled(context.Background(), slog.LevelDebug-4) {
		t.Error("the host handler drops low levels; jobd filters")
	}
	// WithAttrs copies: the parent logger keeps its attributes.
	f.logs = nil
	h.logger().Info("plain")
	if len(f.logs) != 1 || string(f.logs[0].Attrs) != "{}" {
		t.Errorf("parent logger's attrs = %s", f.logs[0].Attrs)
	}
}
