// Package protocol holds what both sides of the jobd plugin protocol share:
// the go-plugin handshake and the glue between go-plugin and the generated
// gRPC service.
package protocol

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

// Version is the wire protocol version in the go-plugin handshake. A plugin
// built for another version is refused by go-plugin during the handshake.
const Version = 1

// PluginName is the name of the single plugin every binary serves.
const PluginName = "jobd"

// Handshake is the go-plugin handshake: jobd sets the cookie in the plugin's
// environment; a binary started by hand sees it missing and says so.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  Version,
	MagicCookieKey:   "JOBD_PLUGIN_MAGIC",
	MagicCookieValue: "c3a1e9f0-jobd-plugin",
}

// GRPCPlugin connects go-plugin to the jobd service. On the plugin side NewServer
// is set; on the host side GRPCClient returns a *Conn.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	// NewServer builds the service implementation for the plugin side.
	NewServer func(broker *goplugin.GRPCBroker) pluginpb.PluginServer
}

// GRPCServer registers the plugin service.
func (p *GRPCPlugin) GRPCServer(broker *goplugin.GRPCBroker, s *grpc.Server) error {
	pluginpb.RegisterPluginServer(s, p.NewServer(broker))
	return nil
}

// GRPCClient returns a *Conn for the host side.
func (p *GRPCPlugin) GRPCClient(_ context.Context, broker *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Conn{Client: pluginpb.NewPluginClient(c), Broker: broker}, nil
}

// Conn is the host side's handle on a plugin connection.
type Conn struct {
	Client pluginpb.PluginClient
	Broker *goplugin.GRPCBroker
}

// NewPluginServer builds the gRPC service for a plugin value (an sdk.Plugin;
// typed any because this package cannot import sdk). Package sdk sets it
// when it initialises; sdk/sdktest uses it to serve a plugin inside a test's
// own process. Being internal, it is reachable only from packages under sdk/.
var NewPluginServer func(plugin any, broker *goplugin.GRPCBroker) pluginpb.PluginServer
