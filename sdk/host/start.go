package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
	"github.com/jobd-dev/jobd/sdk/internal/protocol"
)

// StartTimeoutDefault is how long Start waits for a plugin to start,
// answer Info and accept its configuration.
const StartTimeoutDefault = 30 * time.Second

// DeadlineGraceDefault is how long after a job's deadline the host waits
// for the plugin's answer before answering for it (a timeout).
const DeadlineGraceDefault = 2 * time.Second

// Start starts the plugin process, verifies its pin, versions and kind,
// configures it and opens the job stream.
func Start(ctx context.Context, opts Options) (*Plugin, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = StartTimeoutDefault
	}
	if opts.DeadlineGrace <= 0 {
		opts.DeadlineGrace = DeadlineGraceDefault
	}
	log := opts.Logger.With("kind", opts.Kind)
	fail := func(err error) error { return fmt.Errorf("plugin %q (%s): %w", opts.Kind, opts.Path, err) }

	if err := checkPin(opts.Path, opts.SHA256); err != nil {
		return nil, fail(err)
	}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fail(fmt.Errorf("data folder: %w", err))
		}
	}
	cmd := exec.Command(opts.Path)
	cmd.Env = append([]string{}, opts.Env...)
	stderr := &lineLogger{log: log}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake,
		Plugins:          goplugin.PluginSet{protocol.PluginName: &protocol.GRPCPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		GRPCDialOptions:  protocol.DialOptions(),
		StartTimeout:     opts.StartTimeout,
		Stderr:           stderr,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "plugin." + opts.Kind,
			Level:  hclog.Error,
			Output: stderr,
		}),
	})
	p, err := connect(ctx, client, opts, log)
	if err != nil {
		client.Kill()
		return nil, fail(err)
	}
	return p, nil
}

func connect(ctx context.Context, client *goplugin.Client, opts Options, log *slog.Logger) (*Plugin, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStart, err)
	}
	raw, err := rpc.Dispense(protocol.PluginName)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStart, err)
	}
	conn := raw.(*protocol.Conn)
	cctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()

	ir, err := conn.Client.Info(cctx, &pluginpb.InfoRequest{})
	if err != nil {
		return nil, fmt.Errorf("info: %w", err)
	}
	info := Info{
		Name: ir.Name, Version: ir.Version, Kinds: ir.Kinds, APIVersion: int(ir.ApiVersion),
		Description: ir.Description, InputSchema: ir.InputSchema, SampleConfig: ir.SampleConfig,
	}
	if info.APIVersion != sdk.APIVersion {
		return nil, fmt.Errorf("%w: plugin speaks API version %d, jobd supports %d", ErrAPIVersion, info.APIVersion, sdk.APIVersion)
	}
	if !contains(info.Kinds, opts.Kind) {
		return nil, fmt.Errorf("%w: expected kind %q, plugin serves %v", ErrKind, opts.Kind, info.Kinds)
	}

	brokerID := conn.Broker.NextId()
	hs := &hostServer{publish: opts.Publish, log: log}
	go conn.Broker.AcceptAndServe(brokerID, func(o []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(o...)
		pluginpb.RegisterHostServer(s, hs)
		return s
	})
	cfg := opts.Config
	if len(cfg) == 0 {
		cfg = []byte("{}")
	}
	_, err = conn.Client.Configure(cctx, &pluginpb.ConfigureRequest{
		Config: cfg, DataDir: opts.DataDir, HostBrokerId: brokerID,
		Kind: opts.Kind, ApiVersion: sdk.APIVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrConfigure, grpcMessage(err))
	}
	return open(client, conn, info, opts, log)
}

// checkPin compares the executable's SHA-256 with the pin.
func checkPin(path, pin string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStart, err)
	}
	defer f.Close()
	if pin == "" {
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read executable: %w", err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if !strings.EqualFold(got, strings.TrimSpace(pin)) {
		return fmt.Errorf("%w: expected %s, found %s", ErrPinMismatch, strings.ToLower(pin), got)
	}
	return nil
}

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// lineLogger logs each line the plugin writes to stderr. Lines in
// go-plugin's JSON log format keep their level; other lines (a panic, a stray
// print) are warnings.
type lineLogger struct {
	log *slog.Logger
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
		if line != "" {
			l.logLine(line)
		}
	}
	return len(p), nil
}

func (l *lineLogger) logLine(line string) {
	var rec map[string]any
	if json.Unmarshal([]byte(line), &rec) != nil || rec["@message"] == nil {
		l.log.Warn("plugin stderr", "line", line)
		return
	}
	level := slog.LevelInfo
	switch rec["@level"] {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	msg, _ := rec["@message"].(string)
	args := []any{}
	for k, v := range rec {
		if !strings.HasPrefix(k, "@") {
			args = append(args, k, v)
		}
	}
	l.log.Log(context.Background(), level, msg, args...)
}
