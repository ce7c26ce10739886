package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	toml "github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
	gotoml "github.com/pelletier/go-toml/v2"
)

// EnvPrefix starts every environment override: JOBD_NATS__URL sets nats.url.
const EnvPrefix = "JOBD_"

// secretEnvPrefix starts secrets, which are not configuration keys.
const secretEnvPrefix = "JOBD_SECRET_"

// Load reads the file at path, applies environment overrides from environ
// (os.Environ() when nil), fills defaults and checks every key and value it
// can check without plugins or templates. Relative paths in the result are
// resolved against the file's folder. The error is an *Error listing every
// problem.
func Load(path string, environ []string) (*Config, error) {
	if environ == nil {
		environ = os.Environ()
	}
	ps := &Problems{File: path}
	k := koanf.New(".")
	if err := k.Load(file.Provider(path), toml.Parser()); err != nil {
		ps.Add("", "%s", describeParseError(path, err))
		return nil, ps.Err()
	}
	envKeys := map[string]string{}
	envProvider := env.Provider(".", env.Opt{
		Prefix: EnvPrefix,
		TransformFunc: func(key, value string) (string, any) {
			if strings.HasPrefix(key, secretEnvPrefix) || strings.HasPrefix(key, "JOBD_PLUGIN_") {
				return "", nil
			}
			name := strings.ToLower(strings.TrimPrefix(key, EnvPrefix))
			if !strings.Contains(name, "__") && name != "jobs_dir" {
				return "", nil // JOBD_SOMETHING without a section is not an override
			}
			name = strings.ReplaceAll(name, "__", ".")
			envKeys[name] = key
			return name, envValue(k.Get(name), value)
		},
		EnvironFunc: func() []string { return environ },
	})
	if err := k.Load(envProvider, nil); err != nil {
		ps.Add("", "environment overrides: %v", err)
		return nil, ps.Err()
	}

	if !k.Exists("server.http") {
		_ = k.Set("server.http", HTTPDefault) // "" turns the endpoint off
	}
	raw := k.Raw()
	checkKeys(ps, "", raw, reflect.TypeOf(Config{}), envKeys)

	var cfg Config
	dc := &mapstructure.DecoderConfig{
		TagName:          "koanf",
		WeaklyTypedInput: true,
		Result:           &cfg,
		DecodeHook:       mapstructure.ComposeDecodeHookFunc(durationHook),
	}
	if err := k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{Tag: "koanf", DecoderConfig: dc}); err != nil {
		for _, msg := range decodeMessages(err) {
			msg = nameFeatures(nameJobs(msg, raw), raw)
			if m := quotedPath.FindStringSubmatch(msg); m != nil {
				ps.Add(m[1], "%s", m[2])
			} else {
				ps.Add("", "%s", msg)
			}
		}
	}
	cfg.File = path
	base := filepath.Dir(path)
	if cfg.JobsDir != "" {
		jobs, features, jobProblems := loadJobsDir(resolve(base, cfg.JobsDir))
		cfg.Jobs = append(cfg.Jobs, jobs...)
		cfg.Features = append(cfg.Features, features...)
		for _, p := range jobProblems {
			ps.AddProblem(p)
		}
	}
	cfg.setDefaults(base)
	cfg.featureDefaults(base)
	cfg.validate(ps)
	cfg.validateFeatures(ps)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// FromMap builds a configuration from a map, as Load does from a file; for
// tests and embedding.
func FromMap(name string, m map[string]any) (*Config, error) {
	dir, err := os.MkdirTemp("", "jobd-config")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	b, err := gotoml.Marshal(m)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return Load(path, []string{})
}

// envValue gives an environment override the type of the value it
// replaces (a port stays a number); a key absent from the file gets a
// boolean or integer when it reads as one, else the string.
func envValue(current any, v string) any {
	switch current.(type) {
	case string:
		return v
	case int64, int:
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			return i
		}
	case float64:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	case bool:
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	case []any:
		parts := strings.Split(v, ",")
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = strings.TrimSpace(p)
		}
		return out
	case nil:
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			return i
		}
		if v == "true" || v == "false" {
			return v == "true"
		}
	}
	return v
}

func describeParseError(path string, err error) string {
	var de *gotoml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Sprintf("line %d, column %d: %s", row, col, de.Error())
	}
	if errors.Is(err, os.ErrNotExist) {
		return "no such file (give one with -c FILE)"
	}
	return err.Error()
}

// decodeMessages splits mapstructure's joined error into one line each.
func decodeMessages(err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "*"))
		if line == "" || strings.Contains(line, "error(s) decoding") || strings.HasPrefix(line, "decoding failed") {
			continue
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		out = []string{err.Error()}
	}
	return out
}

var (
	jobIndex   = regexp.MustCompile(`jobs\[(\d+)\]`)
	quotedPath = regexp.MustCompile(`^'([^']+)' (.*)$`)
)

// nameJobs rewrites jobs[3] as jobs[<event>] in a message.
func nameJobs(msg string, raw map[string]any) string {
	jobs, _ := raw["jobs"].([]any)
	return jobIndex.ReplaceAllStringFunc(msg, func(s string) string {
		i, _ := strconv.Atoi(jobIndex.FindStringSubmatch(s)[1])
		if i < len(jobs) {
			if m, ok := jobs[i].(map[string]any); ok {
				if ev, ok := m["event"].(string); ok && ev != "" {
					return JobPath(i, ev)
				}
			}
		}
		return s
	})
}

// checkKeys reports every key in raw that t does not define.
func checkKeys(ps *Problems, path string, raw any, t reflect.Type, envKeys map[string]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := raw.(map[string]any)
		if !ok {
			return // a type error, reported by the decoder
		}
		fields := map[string]reflect.StructField{}
		var remain *reflect.StructField
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("koanf"), ",")
			if tag[0] == "-" {
				continue
			}
			if len(tag) > 1 && tag[1] == "remain" {
				remain = &f
				continue
			}
			fields[tag[0]] = f
		}
		keys := make([]string, 0, len(m))
		for key := range m {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			sub := join(path, key)
			if f, ok := fields[key]; ok {
				checkKeys(ps, sub, m[key], f.Type, envKeys)
				continue
			}
			if remain != nil {
				checkKeys(ps, sub, m[key], remain.Type.Elem(), envKeys)
				continue
			}
			msg := "unknown key"
			if ev, ok := envKeys[sub]; ok {
				msg += fmt.Sprintf(" (from environment variable %s)", ev)
			}
			if guess := closest(key, fields); guess != "" {
				msg += fmt.Sprintf("; did you mean %q?", guess)
			} else if names := known(fields); names != "" {
				msg += "; known keys here: " + names
			}
			ps.Add(join(path, key), "%s", msg)
		}
	case reflect.Map:
		if m, ok := raw.(map[string]any); ok {
			for key, v := range m {
				checkKeys(ps, join(path, key), v, t.Elem(), envKeys)
			}
		}
	case reflect.Slice:
		if l, ok := raw.([]any); ok {
			for i, v := range l {
				p := fmt.Sprintf("%s[%d]", path, i)
				if path == "jobs" {
					ev := ""
					if m, ok := v.(map[string]any); ok {
						ev, _ = m["event"].(string)
					}
					p = JobPath(i, ev)
				} else if name := featureElementName(path, v); name != "" {
					p = fmt.Sprintf("%s[%s]", path, name)
				}
				checkKeys(ps, p, v, t.Elem(), envKeys)
			}
		}
	}
}

func known(fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// closest returns the known key nearest to key, if it is near enough to be
// a typo.
func closest(key string, fields map[string]reflect.StructField) string {
	best, bestD := "", 3
	for name := range fields {
		if d := distance(key, name); d < bestD || d == bestD && name < best {
			best, bestD = name, d
		}
	}
	if bestD > 2 {
		return ""
	}
	return best
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}
