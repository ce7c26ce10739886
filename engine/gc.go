package engine

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// ApplyGC sets the process's garbage collector target to percent
// (server.gogc), unless the GOGC environment variable is set: the Go runtime
// has applied that one already, and an operator's explicit choice wins over
// the configuration. Start calls it; engine/internal/bench prepares its floor
// process with it, as jobd's.
func ApplyGC(percent int, log *slog.Logger) {
	if v := os.Getenv("GOGC"); v != "" {
		log.Debug("GOGC set in the environment; server.gogc not applied", "GOGC", v)
		return
	}
	debug.SetGCPercent(percent)
}
