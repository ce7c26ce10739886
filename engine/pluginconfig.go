package engine

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/jobd-dev/jobd/engine/internal/config"
)

var secretRef = regexp.MustCompile(`\$Secret\{([A-Za-z0-9_.\-]+)\}`)

// resolvePluginSecrets returns a copy of a plugin's configuration block with
// every $Secret{KEY} replaced by the secret's value, so plugins receive plain
// values and never read jobd's environment. A missing secret is a problem
// naming the key path.
func resolvePluginSecrets(kind string, cfg map[string]any, s *Secrets) (map[string]any, error) {
	ps := &config.Problems{}
	out, _ := resolveValue("plugins."+kind+".config", cfg, s, ps).(map[string]any)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func resolveValue(path string, v any, s *Secrets, ps *config.Problems) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out[k] = resolveValue(path+"."+k, x[k], s, ps)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveValue(fmt.Sprintf("%s[%d]", path, i), e, s, ps)
		}
		return out
	case string:
		return secretRef.ReplaceAllStringFunc(x, func(ref string) string {
			key := secretRef.FindStringSubmatch(ref)[1]
			val, err := s.Lookup(key)
			if err != nil {
				ps.Add(path, "%v", err)
				return ref
			}
			return val
		})
	}
	return v
}
