package main

import (
	"errors"
	"os"

	"github.com/jobd-dev/jobd/engine/config"
)

// clientConfig loads the configuration a client command needs to find the
// server. A missing default config.toml is fine: the defaults apply.
func clientConfig(g *globals, explicit bool) (*config.Config, error) {
	if _, err := os.Stat(g.configFile); errors.Is(err, os.ErrNotExist) && !explicit {
		return config.FromMap("config.toml", map[string]any{})
	}
	return config.Load(g.configFile, nil)
}
