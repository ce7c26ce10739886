package main

import (
	"log/slog"
	"os"

	"github.com/jobd-dev/jobd/engine"
)

// newLogger builds the process logger from server.log_level and
// server.log_format; it writes to stderr.
func newLogger(cfg *engine.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Server.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Server.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
