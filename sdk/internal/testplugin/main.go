// Command testplugin is a jobd plugin for tests. Its behaviour is driven by
// the job's input:
//
//	{"mode": "ok" | "fail" | "permanent" | "retry_after" | "crash" | "hang",
//	 "fail_until": 3,   // fail (retryable) while attempt < fail_until
//	 "sleep_ms": 10,    // sleep before answering
//	 "echo_config": true, // the output holds the plugin's configuration
//	 "publish": {"subject": "...", "data": {...}}}
//
// Every call is appended as one JSON line to <data dir>/calls.jsonl.
//
// With TESTPLUGIN_API_VERSION=N in its environment it claims API version N
// in its Info, so tests can check that the host refuses it. With
// TESTPLUGIN_VALIDATE=1 it checks jobs (sdk.JobValidator): a job whose
// input has "mode": "nonsense" is refused; without it, it does not check
// jobs at all, as a plugin built before ValidateJob existed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
	"github.com/jobd-dev/jobd/sdk/internal/protocol"
)

type input struct {
	Mode      string `json:"mode"`
	FailUntil int    `json:"fail_until"`
	SleepMS   int    `json:"sleep_ms"`
	Env       bool   `json:"env"`
	// EchoConfig puts the plugin's configuration into the output, as an
	// API that echoes request headers does with a token.
	EchoConfig bool `json:"echo_config"`
	Publish    *struct {
		Subject string          `json:"subject"`
		Data    json.RawMessage `json:"data"`
	} `json:"publish"`
}

type plugin struct {
	mu     sync.Mutex
	file   *os.File
	host   sdk.Host
	config json.RawMessage
}

func (p *plugin) Info() sdk.Info {
	return sdk.Info{Name: "test", Version: "0.0.1", Kinds: []string{"test", "test2"}, Description: "test plugin"}
}

func (p *plugin) Configure(_ context.Context, req *sdk.ConfigureRequest) error {
	var cfg struct {
		Refuse bool `json:"refuse"`
	}
	if err := req.Decode(&cfg); err != nil {
		return err
	}
	if cfg.Refuse {
		return errors.New("refused by configuration")
	}
	if err := os.MkdirAll(req.DataDir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(req.DataDir, "calls.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.file = f
	p.host = req.Host
	p.config = req.Config
	return nil
}

func (p *plugin) record(job *sdk.Job) {
	line, _ := json.Marshal(map[string]any{
		"run_id": job.RunID, "job_id": job.ID, "event": job.Event, "attempt": job.Attempt,
		"max_attempts": job.MaxAttempts, "key": job.IdempotencyKey, "input": job.Input,
		"at": time.Now().UnixMilli(), "deadline": job.Deadline.UnixMilli(),
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = p.file.Write(append(line, '\n'))
}

func (p *plugin) Handle(ctx context.Context, job *sdk.Job) (*sdk.Result, error) {
	var in input
	if err := job.Decode(&in); err != nil {
		return nil, err
	}
	p.record(job)
	if in.SleepMS > 0 {
		select {
		case <-time.After(time.Duration(in.SleepMS) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if in.Publish != nil {
		if err := job.Host.Publish(ctx, in.Publish.Subject, in.Publish.Data, nil); err != nil {
			return nil, err
		}
	}
	failing := in.FailUntil == 0 || job.Attempt < in.FailUntil
	switch in.Mode {
	case "fail":
		if failing {
			return nil, fmt.Errorf("failing on attempt %d", job.Attempt)
		}
	case "permanent":
		return nil, sdk.Permanent(errors.New("permanent failure"))
	case "retry_after":
		if failing {
			return nil, sdk.RetryAfter(errors.New("rate limited"), 1500*time.Millisecond)
		}
	case "crash":
		if failing {
			os.Exit(3)
		}
	case "hang":
		if failing {
			<-ctx.Done()
			time.Sleep(time.Hour) // ignore the deadline: the host must answer
		}
	}
	out := map[string]any{"attempt": job.Attempt, "echo": json.RawMessage(job.Input)}
	if in.Env {
		out["environ"] = os.Environ()
	}
	if in.EchoConfig {
		out["config"] = p.config
	}
	return &sdk.Result{Output: out}, nil
}

// otherVersion serves the plugin but says it speaks another API version.
type otherVersion struct {
	pluginpb.PluginServer
	version uint32
}

func (o otherVersion) Info(ctx context.Context, req *pluginpb.InfoRequest) (*pluginpb.InfoResponse, error) {
	resp, err := o.PluginServer.Info(ctx, req)
	if resp != nil {
		resp.ApiVersion = o.version
	}
	return resp, err
}

// main serves the plugin with sdk.Serve, or, told by its environment to play
// a plugin built otherwise (another API version, gRPC's default receive
// limit), with the SDK's server under those settings.
func main() {
	version, verr := strconv.ParseUint(os.Getenv("TESTPLUGIN_API_VERSION"), 10, 32)
	maxRecv, rerr := strconv.Atoi(os.Getenv("TESTPLUGIN_MAX_RECV"))
	if verr != nil && rerr != nil {
		if os.Getenv("TESTPLUGIN_VALIDATE") != "" {
			sdk.Serve(&validating{&plugin{}})
			return
		}
		sdk.Serve(&plugin{})
		return
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		Plugins: goplugin.PluginSet{
			protocol.PluginName: &protocol.GRPCPlugin{
				NewServer: func(b *goplugin.GRPCBroker) pluginpb.PluginServer {
					srv := protocol.NewPluginServer(&plugin{}, b)
					if verr == nil {
						return otherVersion{srv, uint32(version)}
					}
					return srv
				},
			},
		},
		GRPCServer: protocol.GRPCServerMaxRecv(maxRecv),
	})
}

// validating is the plugin with sdk.JobValidator.
type validating struct{ *plugin }

func (v *validating) ValidateJob(_ context.Context, req *sdk.ValidateJobRequest) error {
	var in input
	if err := req.Decode(&in); err != nil {
		return err
	}
	if in.Mode == "nonsense" {
		return fmt.Errorf("mode %q: want ok, fail, permanent, retry_after, crash or hang", in.Mode)
	}
	return nil
}
