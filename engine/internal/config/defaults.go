package config

import (
	"fmt"
	"path/filepath"
)

// setDefaults fills every unset field with its default and resolves
// relative paths against base, the config file's folder.
func (c *Config) setDefaults(base string) {
	s := &c.Server
	if s.DataDir == "" {
		s.DataDir = DataDirDefault
	}
	s.DataDir = resolve(base, s.DataDir)
	if s.Env == "" {
		s.Env = EnvDefault
	}
	if s.LogLevel == "" {
		s.LogLevel = LogLevelDefault
	}
	if s.LogFormat == "" {
		s.LogFormat = LogFormatDefault
	}
	if s.MaxEventBytes == 0 {
		s.MaxEventBytes = MaxEventBytesDefault
	}
	if s.MaxEventDepth == 0 {
		s.MaxEventDepth = MaxEventDepthDefault
	}
	if s.MaxOutputBytes == 0 {
		s.MaxOutputBytes = MaxOutputBytesDefault
	}
	if s.ShutdownTimeout == 0 {
		s.ShutdownTimeout = Duration(ShutdownTimeoutDefault)
	}
	if s.StartTimeout == 0 {
		s.StartTimeout = Duration(StartTimeoutDefault)
	}
	if s.AckWait == 0 {
		s.AckWait = Duration(AckWaitDefault)
	}
	if s.DedupeWindow == 0 {
		s.DedupeWindow = Duration(DedupeWindowDefault)
	}
	if s.TimerHorizon == 0 {
		s.TimerHorizon = Duration(TimerHorizonDefault)
	}
	if s.TimerSlot == 0 {
		s.TimerSlot = Duration(TimerSlotDefault)
	}
	if s.JobsMaxAge == 0 {
		s.JobsMaxAge = Duration(ResultsMaxAgeDefault)
	}
	if s.ResultsMaxAge == 0 {
		s.ResultsMaxAge = Duration(ResultsMaxAgeDefault)
	}
	if s.GOGC == 0 {
		s.GOGC = GOGCDefault
	}
	n := &c.NATS
	if n.Listen == "" {
		n.Listen = ListenDefault
	}
	for _, p := range []*string{&n.Creds, &n.TLSCA, &n.TLSCert, &n.TLSKey} {
		*p = resolve(base, *p)
	}
	c.Secrets.File = resolve(base, c.Secrets.File)

	if c.Plugins.Dir == "" {
		c.Plugins.Dir = PluginsDirDefault
	}
	c.Plugins.Dir = resolve(base, c.Plugins.Dir)
	if c.Plugins.Kinds == nil {
		c.Plugins.Kinds = map[string]Plugin{}
	}
	for kind, p := range c.Plugins.Kinds {
		c.Plugins.Kinds[kind] = c.pluginDefaults(base, kind, p)
	}
	for _, j := range c.Jobs {
		if _, ok := c.Plugins.Kinds[j.Kind]; !ok && j.Kind != "" {
			c.Plugins.Kinds[j.Kind] = c.pluginDefaults(base, j.Kind, Plugin{})
		}
	}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		if j.Timeout == 0 {
			j.Timeout = Duration(TimeoutDefault)
		}
		b := &j.Backoff
		if b.Initial == 0 {
			b.Initial = Duration(BackoffInitialDefault)
		}
		if b.Max == 0 {
			b.Max = Duration(BackoffMaxDefault)
		}
		if b.MaxRetryAfter == 0 {
			b.MaxRetryAfter = Duration(BackoffMaxRetryAfterDefault)
		}
		if b.Multiplier == 0 {
			b.Multiplier = BackoffMultiplier
		}
		if b.Jitter == nil {
			v := BackoffJitterDefault
			b.Jitter = &v
		}
		if j.Input == nil {
			j.Input = map[string]any{}
		}
	}
}

func (c *Config) pluginDefaults(base, kind string, p Plugin) Plugin {
	if p.Path == "" {
		p.Path = filepath.Join(c.Plugins.Dir, fmt.Sprintf("jobd-%s", kind))
	} else {
		p.Path = resolve(base, p.Path)
	}
	if p.Concurrency == 0 {
		p.Concurrency = ConcurrencyDefault
	}
	if p.QueueTimeout == 0 {
		p.QueueTimeout = Duration(QueueTimeoutDefault)
	}
	return p
}

// PluginDataDir is the folder a plugin kind may write to.
func (c *Config) PluginDataDir(kind string) string {
	return filepath.Join(c.Server.DataDir, "plugins", kind)
}
