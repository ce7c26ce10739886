package protocol

import (
	"math"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/experimental"
)

// The connection between jobd and a plugin is one long stream of batches on
// one machine, so its HTTP/2 settings are those of a bulk transfer rather
// than gRPC's defaults for calls over a network: flow-control windows large
// enough that the receiver rarely has to send a window update (gRPC's
// bandwidth estimator, which a fixed window turns off, otherwise grows them
// by rounds of pings and updates), and socket buffers that take a batch of
// jobs in a few reads. On a no-op plugin this saved about a tenth of its CPU
// per job (make bench, six paired runs). What a plugin holds unread is still
// bounded by the jobs jobd has in flight to it (plugins.<kind>.concurrency).
//
// A plugin built with this SDK takes messages as large as protobuf allows:
// gRPC's default limit of 4 MiB on what a side receives was reached by one
// batch of a few jobs with large inputs, and a message over it broke the
// stream, so every job in flight to the plugin failed as "unavailable".
// jobd also keeps its batches under [BatchBytes], for plugins built with an
// older SDK or in another language, which keep that default.
const (
	window     = 4 << 20
	socketBufs = 256 << 10
	maxMessage = math.MaxInt32
)

// BatchBytes is how large jobd lets one message of jobs grow before it
// starts another: under the 4 MiB a gRPC server takes by default, with room
// for the message's framing. A single job larger than this goes alone.
const BatchBytes = 3 << 20

// ServerOptions are the plugin side's gRPC server options. maxRecv is the
// largest message the server takes; 0 means no limit but gRPC's own (a
// test plugin passes gRPC's 4 MiB default to play one built with an older
// SDK or in another language).
func ServerOptions(maxRecv int) []grpc.ServerOption {
	if maxRecv <= 0 {
		maxRecv = maxMessage
	}
	return []grpc.ServerOption{
		experimental.BufferPool(BufferPool),
		grpc.ForceServerCodecV2(Codec),
		grpc.MaxRecvMsgSize(maxRecv),
		grpc.InitialWindowSize(window),
		grpc.InitialConnWindowSize(window),
		grpc.ReadBufferSize(socketBufs),
		grpc.WriteBufferSize(socketBufs),
	}
}

// DialOptions are jobd's (the host's) gRPC options for its connection to a
// plugin.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		experimental.WithBufferPool(BufferPool),
		// go-plugin sets the same receive limit; stated here so it holds
		// whoever dials.
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(Codec), grpc.MaxCallRecvMsgSize(maxMessage)),
		grpc.WithInitialWindowSize(window),
		grpc.WithInitialConnWindowSize(window),
		grpc.WithReadBufferSize(socketBufs),
		grpc.WithWriteBufferSize(socketBufs),
	}
}

// GRPCServer is go-plugin's default gRPC server with ServerOptions: what a
// plugin serves on (sdk.Serve, and sdk/sdktest in a test's process).
func GRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return goplugin.DefaultGRPCServer(append(opts, ServerOptions(0)...))
}

// GRPCServerMaxRecv is GRPCServer with a receive limit of maxRecv bytes.
func GRPCServerMaxRecv(maxRecv int) func([]grpc.ServerOption) *grpc.Server {
	return func(opts []grpc.ServerOption) *grpc.Server {
		return goplugin.DefaultGRPCServer(append(opts, ServerOptions(maxRecv)...))
	}
}
