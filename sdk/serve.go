package sdk

import (
	"os"
	"runtime"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
	"github.com/jobd-dev/jobd/sdk/internal/protocol"
)

// Serve serves p to jobd and returns when jobd stops the plugin. Call it from
// main. Started by hand (not by jobd), it prints a message and exits 1.
//
// Serve owns stdout (it carries the handshake line): write nothing there.
// Log through [Job.Log] (its lines reach jobd's log with the job's ids);
// stderr reaches jobd's log too.
//
// Unless GOMAXPROCS is set in its environment, Serve runs the plugin with
// half the CPUs Go would use (at least one): see [DefaultMaxProcs].
func Serve(p Plugin) {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(DefaultMaxProcs(runtime.GOMAXPROCS(0)))
	}
	go exitWithParent(os.Getppid())
	goplugin.Serve(serveConfig(p))
}

// DefaultMaxProcs is the GOMAXPROCS a plugin gets when its environment does
// not set one, from the n CPUs Go would use: half, at least one. A plugin
// shares the machine with jobd and its NATS server, and its handlers mostly
// wait on the network; a Go program with more Ps than it keeps busy spends
// CPU waking and parking them, which on 2 cores cost a no-op plugin a
// quarter of its CPU per job. A plugin that computes a lot can set
// GOMAXPROCS through its jobd configuration ([plugins.<kind>] env).
func DefaultMaxProcs(n int) int { return max(1, n/2) }

// exitWithParent ends the plugin when the jobd that started it is gone (for
// example killed with SIGKILL, which gives it no chance to stop its
// plugins), so no orphan keeps running.
func exitWithParent(parent int) {
	if parent <= 1 {
		return
	}
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != parent {
			os.Exit(0)
		}
	}
}

// sdk/sdktest serves a plugin in its test's own process through this.
func init() {
	protocol.NewPluginServer = func(p any, b *goplugin.GRPCBroker) pluginpb.PluginServer {
		return newServer(p.(Plugin), b)
	}
}

func serveConfig(p Plugin) *goplugin.ServeConfig {
	return &goplugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		Plugins: goplugin.PluginSet{
			protocol.PluginName: &protocol.GRPCPlugin{
				NewServer: func(b *goplugin.GRPCBroker) pluginpb.PluginServer {
					return newServer(p, b)
				},
			},
		},
		GRPCServer: protocol.GRPCServer,
	}
}
