// Package host is the jobd side of the plugin protocol: it starts a plugin
// binary, checks its pin and versions, hands it its configuration, serves it
// host services, and carries jobs to it and results back over one gRPC
// stream, many jobs per message.
//
// Plugin authors do not need this package; jobd and sdk/sdktest use it.
package host
