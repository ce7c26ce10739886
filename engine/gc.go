package engine

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// applyGC sets the process's garbage collector target to percent, unless
// the GOGC environment variable is set: the Go runtime has applied that one
// already, and an operator's explicit choice wins over the configuration.
func applyGC(percent int, log *slog.Logger) {
	if v := os.Getenv("GOGC"); v != "" {
		log.Debug("GOGC set in the environment; server.gogc not applied", "GOGC", v)
		return
	}
	debug.SetGCPercent(percent)
}
