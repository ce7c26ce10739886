package main

import "github.com/jobd-dev/jobd/engine"

// clientConfig loads the configuration a client command needs to find the
// server. A missing default config.toml is fine: the defaults apply.
func clientConfig(g *globals, explicit bool) (*engine.Config, error) {
	return engine.LoadConfig(g.configFile, nil, explicit)
}
