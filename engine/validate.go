package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/sdk/host"
)

// CheckPlugins starts every plugin the jobs use, and every plugin with a
// [plugins.<kind>] block that no job uses (so its configuration is checked
// too: unknown keys are errors wherever they are), asks it to describe
// itself, accept its configuration and check each of its jobs (their
// targets and static input, when the plugin can), and stops it again; it
// also checks that every secret the jobs read is set. The error is a
// *config.Error naming each problem's file, job and what went wrong (for a
// plugin that did not start, the first job that uses it, or its block).
func CheckPlugins(ctx context.Context, cfg *config.Config, cat *catalog.Catalog, opts Options) error {
	e := New(cfg, cat, opts)
	secrets, err := LoadSecrets(e.opts.Environ, cfg.Secrets.File)
	if err != nil {
		return err
	}
	e.secrets = secrets
	ps := &config.Problems{File: cfg.File}
	checkJobSecrets(ps, cfg, secrets)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, kind := range checkedKinds(cfg, cat) {
		wg.Add(1)
		go func(kind string) {
			defer wg.Done()
			pc := cfg.Plugins.Kinds[kind]
			popts, err := e.pluginOptions(kind, pc)
			var info host.Info
			var jobs config.Problems
			if err == nil {
				info, err = checkPlugin(ctx, popts, func(p *host.Plugin) { validateJobs(ctx, &jobs, cfg, kind, p) })
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				checkInputs(ps, cfg, kind, info.InputSchema)
				for _, p := range jobs.List() {
					ps.AddProblem(p)
				}
				return
			}
			var ce *config.Error
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					ps.Add(p.Path, "%s", p.Msg)
				}
				return
			}
			if errors.Is(err, host.ErrConfigure) {
				ps.Add("plugins."+kind+".config", "%v", err)
				return
			}
			if path := firstJobPath(cfg, kind); path != "plugins."+kind {
				ps.Add(path+".kind", "%v", err)
			} else {
				ps.Add(path, "%v (no job uses the plugin; its block is checked all the same)", err)
			}
		}(kind)
	}
	wg.Wait()
	return ps.Err()
}

// checkedKinds returns the kinds the jobs use, then, sorted, the kinds
// with a [plugins.<kind>] block that no job uses.
func checkedKinds(cfg *config.Config, cat *catalog.Catalog) []string {
	kinds := append([]string(nil), cat.Kinds()...)
	used := map[string]bool{}
	for _, k := range kinds {
		used[k] = true
	}
	var unused []string
	for k := range cfg.Plugins.Kinds {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	return append(kinds, unused...)
}

// checkPlugin starts a plugin, calls check with it when it started, and
// stops it.
func checkPlugin(ctx context.Context, o host.Options, check func(*host.Plugin)) (host.Info, error) {
	if _, err := os.Stat(o.Path); errors.Is(err, os.ErrNotExist) {
		return host.Info{}, fmt.Errorf("no plugin for kind %q: %s does not exist (build it, put a jobd-%s executable in plugins.dir, or set plugins.%s.path)", o.Kind, o.Path, o.Kind, o.Kind)
	}
	o.Publish = nil
	p, err := host.Start(ctx, o)
	if err != nil {
		return host.Info{}, err
	}
	defer p.Kill()
	if check != nil {
		check(p)
	}
	return p.Info(), nil
}

func firstJobPath(cfg *config.Config, kind string) string {
	for i, j := range cfg.Jobs {
		if j.Kind == kind {
			return config.JobPath(i, j.Event)
		}
	}
	return "plugins." + kind
}

// CheckPluginPaths checks that every plugin the jobs use has an executable,
// without starting it; start-up refuses a configuration that names a kind
// with no plugin.
func CheckPluginPaths(cfg *config.Config, cat *catalog.Catalog) error {
	ps := &config.Problems{File: cfg.File}
	for _, kind := range cat.Kinds() {
		p := cfg.Plugins.Kinds[kind].Path
		if _, err := os.Stat(p); err != nil {
			ps.Add(firstJobPath(cfg, kind)+".kind", "no plugin for kind %q: %s does not exist (build it, put a jobd-%s executable in plugins.dir, or set plugins.%s.path)", kind, p, kind, kind)
		}
	}
	return ps.Err()
}
