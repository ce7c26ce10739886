package sdk

import (
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
	"github.com/jobd-dev/jobd/sdk/internal/protocol"
)

// Serve serves p to jobd and returns when jobd stops the plugin. Call it from
// main. Started by hand (not by jobd), it prints a message and exits 1.
//
// Serve owns stdout (it carries the handshake line): write nothing there.
// Log through [Job.Log] or [ConfigureRequest.Host].
func Serve(p Plugin) {
	goplugin.Serve(serveConfig(p))
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
		GRPCServer: goplugin.DefaultGRPCServer,
	}
}
