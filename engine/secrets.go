package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	gotoml "github.com/pelletier/go-toml/v2"
)

// SecretEnvPrefix starts the environment variables $Secret{KEY} reads:
// $Secret{API_KEY} reads JOBD_SECRET_API_KEY.
const SecretEnvPrefix = "JOBD_SECRET_"

// Secrets resolves $Secret{KEY} from the environment, then from the
// secrets file.
type Secrets struct {
	env  map[string]string
	file map[string]string
	path string
}

// LoadSecrets reads secrets from environ and the optional file (TOML or
// JSON, a flat table of strings).
func LoadSecrets(environ []string, path string) (*Secrets, error) {
	s := &Secrets{env: map[string]string{}, file: map[string]string{}, path: path}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, SecretEnvPrefix) {
			s.env[strings.TrimPrefix(k, SecretEnvPrefix)] = v
		}
	}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets.file: %w", err)
	}
	var m map[string]any
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = json.Unmarshal(b, &m)
	} else {
		err = gotoml.Unmarshal(b, &m)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets.file %s: %w", path, err)
	}
	for k, v := range m {
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("secrets.file %s: %s: secrets must be strings", path, k)
		}
		s.file[k] = str
	}
	return s, nil
}

// Lookup returns the secret named key.
func (s *Secrets) Lookup(key string) (string, error) {
	if v, ok := s.env[key]; ok {
		return v, nil
	}
	if v, ok := s.file[key]; ok {
		return v, nil
	}
	where := SecretEnvPrefix + key
	if s.path != "" {
		where += " or add " + key + " to " + s.path
	}
	return "", fmt.Errorf("secret %q is not set (set %s)", key, where)
}
