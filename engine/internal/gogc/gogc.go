// Package gogc applies server.gogc, the Go garbage collector's target, to
// the process.
package gogc

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// Apply sets the process's garbage collector target to percent
// (server.gogc), unless the GOGC environment variable is set: the Go runtime
// has applied that one already, and an operator's explicit choice wins over
// the configuration. engine.Start calls it; engine/internal/bench prepares its floor
// process with it, as jobd's.
func Apply(percent int, log *slog.Logger) {
	if v := os.Getenv("GOGC"); v != "" {
		log.Debug("GOGC set in the environment; server.gogc not applied", "GOGC", v)
		return
	}
	debug.SetGCPercent(percent)
}
