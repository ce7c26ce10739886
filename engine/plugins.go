package engine

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/host"
)

// PluginReport describes one plugin as `jobd plugins` shows it.
type PluginReport struct {
	Kind       string   `json:"kind"`
	Path       string   `json:"path"`
	SHA256     string   `json:"sha256"`
	Pinned     bool     `json:"pinned"`
	Version    string   `json:"version,omitempty"`
	Kinds      []string `json:"kinds,omitempty"`
	APIVersion int      `json:"api_version,omitempty"`
	Protocol   int      `json:"protocol,omitempty"`
	Health     string   `json:"health"`
	Error      string   `json:"error,omitempty"`
}

// DiscoverPlugins returns the plugin kinds jobd knows: every jobd-<kind>
// executable in plugins.dir and every [plugins.<kind>] entry, sorted.
func DiscoverPlugins(cfg *config.Config) map[string]config.Plugin {
	out := map[string]config.Plugin{}
	for kind, p := range cfg.Plugins.Kinds {
		out[kind] = p
	}
	entries, _ := os.ReadDir(cfg.Plugins.Dir)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, "jobd-") {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Mode()&0o111 == 0 {
			continue
		}
		kind := strings.TrimPrefix(name, "jobd-")
		if _, ok := out[kind]; !ok {
			out[kind] = config.Plugin{Path: filepath.Join(cfg.Plugins.Dir, name), Concurrency: config.ConcurrencyDefault}
		}
	}
	return out
}

// InspectPlugins starts every discovered plugin, asks it to describe itself
// and accept its configuration, and stops it: what `jobd plugins` shows.
func InspectPlugins(ctx context.Context, cfg *config.Config, opts Options) []PluginReport {
	e := New(cfg, nil, opts)
	secrets, err := LoadSecrets(e.opts.Environ, cfg.Secrets.File)
	if err != nil {
		secrets = &Secrets{}
	}
	e.secrets = secrets
	found := DiscoverPlugins(cfg)
	reports := make([]PluginReport, 0, len(found))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for kind, pc := range found {
		wg.Add(1)
		go func(kind string, pc config.Plugin) {
			defer wg.Done()
			r := inspectPlugin(ctx, e, kind, pc)
			mu.Lock()
			reports = append(reports, r)
			mu.Unlock()
		}(kind, pc)
	}
	wg.Wait()
	sort.Slice(reports, func(i, j int) bool { return reports[i].Kind < reports[j].Kind })
	return reports
}

func inspectPlugin(ctx context.Context, e *Engine, kind string, pc config.Plugin) PluginReport {
	r := PluginReport{Kind: kind, Path: pc.Path, Pinned: pc.SHA256 != "", Health: "unhealthy"}
	sum, err := host.FileSHA256(pc.Path)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.SHA256 = sum
	popts, err := e.pluginOptions(kind, pc)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	popts.Publish = nil
	p, err := host.Start(ctx, popts)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer p.Kill()
	info := p.Info()
	r.Version, r.Kinds, r.APIVersion, r.Protocol = info.Version, info.Kinds, info.APIVersion, p.Protocol()
	r.Health = "ok"
	return r
}

// PluginAPIVersion is the plugin API version this engine speaks (what
// `jobd version` reports and plugins must serve).
const PluginAPIVersion = sdk.APIVersion
