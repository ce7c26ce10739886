// Package sdk is what jobd plugin authors import.
//
// A plugin is a small program that runs jobs of one or more kinds. jobd
// starts it as a child process, hands it its configuration once, and then
// sends it jobs; the plugin answers each with a result or an error. jobd
// decides everything else centrally: retries, backoff, allow_fail, dead
// letters. A plugin never sees NATS, streams or retry counters.
//
// A plugin implements [Plugin] and calls [Serve] from main:
//
//	func main() { sdk.Serve(&slack.Plugin{}) }
//
// The package's Example is a whole plugin, run offline through the real
// protocol by package sdktest.
//
// Errors tell jobd what to do next: a plain error is retryable, [Permanent]
// stops retrying at once, [RetryAfter] asks for a specific delay (a
// rate-limited API's Retry-After).
//
// The package hides hashicorp/go-plugin, gRPC and the handshake; the wire
// protocol is the versioned protobuf service in sdk/proto/jobd/plugin/v1,
// which a plugin in any language can implement.
package sdk
