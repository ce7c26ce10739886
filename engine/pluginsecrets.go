package engine

// pluginSecrets returns, by plugin kind, the secret values resolved into
// each plugin's configuration, and the configuration strings that hold
// them: they join the scrub set of every run of that kind, since a plugin
// may echo its configuration (an API that returns the request's headers
// puts "Authorization=Bearer <token>" into the output).
func (e *Engine) pluginSecrets() map[string][]string {
	out := map[string][]string{}
	for kind, pc := range e.cfg.Plugins.Kinds {
		var vals []string
		collectPluginSecrets(pc.Config, e.secrets, &vals)
		if len(vals) > 0 {
			out[kind] = vals
		}
	}
	return out
}

func collectPluginSecrets(v any, s *Secrets, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			collectPluginSecrets(e, s, out)
		}
	case []any:
		for _, e := range x {
			collectPluginSecrets(e, s, out)
		}
	case string:
		refs := secretRef.FindAllStringSubmatch(x, -1)
		if len(refs) == 0 {
			return
		}
		for _, ref := range refs {
			if val, err := s.Lookup(ref[1]); err == nil {
				*out = append(*out, val)
			}
		}
		resolved := secretRef.ReplaceAllStringFunc(x, func(ref string) string {
			val, err := s.Lookup(secretRef.FindStringSubmatch(ref)[1])
			if err != nil {
				return ref
			}
			return val
		})
		if len(resolved) >= 4 && resolved != x {
			*out = append(*out, resolved)
		}
	}
}
