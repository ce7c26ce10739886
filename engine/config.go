package engine

import (
	"errors"
	"os"

	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/config"
)

// Config is a loaded configuration: config.toml with its environment
// overrides applied and defaults filled in. Its fields mirror the file's
// sections ([server], [nats], [plugins], [[jobs]], …).
type Config = config.Config

// Catalog is a configuration's jobs, compiled: input templates, schedules
// and trigger subjects, ready to run.
type Catalog = catalog.Catalog

// ErrInvalidConfig is wrapped by every error that says the configuration
// is wrong; the error's text names the file, job and field.
var ErrInvalidConfig = config.ErrInvalid

// Load reads the configuration at path, with overrides from environ
// (JOBD_<SECTION>__<KEY>; nil means none), and compiles its jobs. The
// error lists every problem with the file, job and field and wraps
// ErrInvalidConfig.
func Load(path string, environ []string) (*Config, *Catalog, error) {
	cfg, err := config.Load(path, environ)
	if err != nil {
		return nil, nil, err
	}
	cat, err := catalog.Compile(cfg)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, cat, nil
}

// LoadConfig reads the configuration at path without compiling its jobs:
// what a client of a running jobd needs to find its server. When path does
// not exist and mustExist is false, the defaults apply.
func LoadConfig(path string, environ []string, mustExist bool) (*Config, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !mustExist {
		return config.FromMap(path, map[string]any{})
	}
	return config.Load(path, environ)
}

// Connect connects to the NATS server a jobd running with cfg uses (the
// embedded server's nats.listen when nats.url is empty), with cfg's
// credentials and TLS. name is the connection's name in the server.
func Connect(cfg *Config, name string) (*nats.Conn, error) {
	return ConnectWatch(cfg, name, func(error) {})
}
