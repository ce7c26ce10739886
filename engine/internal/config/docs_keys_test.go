package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// readmePath is the README whose "Configuration reference" documents every
// key of Config.
const readmePath = "../../../README.md"

// Every key Config reads is in the README's configuration reference, and
// every key the reference names is one Config reads.
func TestDocsEveryConfigKey(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	documented := referenceKeys(t, string(b))
	var keys []string
	configKeys(reflect.TypeOf(Config{}), "", &keys)
	if len(keys) < 40 {
		t.Fatalf("found only %d keys in Config: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !documented[k] && !hasPrefixKey(documented, k+".") {
			t.Errorf("config key %s is not in README's configuration reference", k)
		}
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
	}
	for k := range documented {
		if !known[k] && !hasPrefixKey(known, k+".") && !isUnderLeaf(known, k) {
			t.Errorf("README's configuration reference names %s, which Config does not read", k)
		}
	}
}

func hasPrefixKey(m map[string]bool, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// isUnderLeaf reports whether k lies inside a key Config reads as a whole
// (a map of any value: constants.*, a plugin's config table).
func isUnderLeaf(known map[string]bool, k string) bool {
	for p := range known {
		if strings.HasPrefix(k, p+".") {
			return true
		}
	}
	return false
}

// configKeys appends the key paths of t's fields under prefix: "server.http",
// "plugins.*.path" (* for a map key), "jobs[].schedule.cron". A map of any
// value is one key: a table read as a whole.
func configKeys(t reflect.Type, prefix string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeOf(Duration(0)) {
			*out = append(*out, prefix)
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("koanf")
			name, opts, _ := strings.Cut(tag, ",")
			if tag == "-" || !f.IsExported() {
				continue
			}
			if opts == "remain" {
				configKeys(f.Type, prefix, out)
				continue
			}
			configKeys(f.Type, keyJoin(prefix, name), out)
		}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			*out = append(*out, prefix)
			return
		}
		configKeys(t.Elem(), keyJoin(prefix, "*"), out)
	case reflect.Slice:
		if e := t.Elem(); e.Kind() == reflect.Struct {
			configKeys(e, prefix+"[]", out)
			return
		}
		*out = append(*out, prefix)
	default:
		*out = append(*out, prefix)
	}
}

func keyJoin(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// referenceKeys reads the key column of the README's configuration
// reference: `server.http`; `nats.creds`, `nats.token` (several keys);
// `jobs[].backoff.initial`, `.max` (siblings); `limit` (older: `executions`)
// (a sibling). <name> segments become *.
func referenceKeys(t *testing.T, readme string) map[string]bool {
	t.Helper()
	start := strings.Index(readme, "\n## Configuration reference")
	if start < 0 {
		t.Fatal("README has no ## Configuration reference")
	}
	section := readme[start+1:]
	if end := strings.Index(section, "\n## "); end > 0 {
		section = section[:end]
	}
	keys := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, k := range referenceKeysOf(strings.SplitN(strings.TrimPrefix(line, "| "), " | ", 2)[0]) {
			keys[k] = true
		}
	}
	if len(keys) < 30 {
		list := make([]string, 0, len(keys))
		for k := range keys {
			list = append(list, k)
		}
		sort.Strings(list)
		t.Fatalf("read only %v from the configuration reference", list)
	}
	return keys
}

// The defaults the README's configuration reference states are the ones
// Load fills in, for every key whose default is a value (not "now",
// "unlimited" or a blank).
func TestDocsConfigDefaults(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := FromMap("config.toml", map[string]any{
		"plugins": map[string]any{"k": map[string]any{}},
		"jobs":    []map[string]any{{"event": "e", "kind": "k"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	root := reflect.ValueOf(cfg).Elem()
	compared := 0
	for _, row := range referenceRows(t, string(b)) {
		if len(row.defaults) != len(row.keys) {
			continue
		}
		for i, key := range row.keys {
			want := row.defaults[i]
			if strings.Contains(want, "<") {
				continue // <dir>/jobd-<kind>: a rule, not a value
			}
			v, ok := lookupKey(root, key)
			if !ok {
				continue
			}
			compared++
			if got, ok := defaultMatches(v, want); !ok {
				t.Errorf("README says %s defaults to %s; Load gives %s", key, want, got)
			}
		}
	}
	if compared < 25 {
		t.Errorf("compared only %d defaults", compared)
	}
}

// referenceRow is one row of the configuration reference: its keys and
// the defaults in its second column.
type referenceRow struct{ keys, defaults []string }

func referenceRows(t *testing.T, readme string) []referenceRow {
	t.Helper()
	start := strings.Index(readme, "\n## Configuration reference")
	section := readme[start+1:]
	if end := strings.Index(section, "\n## "); end > 0 {
		section = section[:end]
	}
	span := regexp.MustCompile("`([^`]*)`")
	var rows []referenceRow
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.SplitN(strings.TrimPrefix(line, "| "), " | ", 3)
		if len(cells) < 3 {
			continue
		}
		keys := referenceKeysOf(cells[0])
		var defaults []string
		for _, m := range span.FindAllStringSubmatch(cells[1], -1) {
			defaults = append(defaults, m[1])
		}
		rows = append(rows, referenceRow{keys: keys, defaults: defaults})
	}
	return rows
}

// referenceKeysOf expands the key cell of one row, as referenceKeys does,
// keeping <name> segments as *.
func referenceKeysOf(cell string) []string {
	span := regexp.MustCompile("`([^`]*)`")
	placeholder := regexp.MustCompile(`<[^>]*>`)
	var keys []string
	parent := ""
	for _, m := range span.FindAllStringSubmatch(cell, -1) {
		k := placeholder.ReplaceAllString(m[1], "*")
		switch {
		case strings.HasPrefix(k, "."):
			k = parent + k
		case !strings.Contains(k, ".") && parent != "" && k != "jobs_dir":
			k = parent + "." + k
		}
		if i := strings.LastIndex(k, "."); i > 0 {
			parent = k[:i]
		}
		keys = append(keys, k)
	}
	return keys
}

// lookupKey finds the value of a key path in a loaded Config: jobs[] is
// the first job, * the plugin kind "k".
func lookupKey(v reflect.Value, key string) (reflect.Value, bool) {
	for _, seg := range strings.Split(key, ".") {
		index := strings.HasSuffix(seg, "[]")
		seg = strings.TrimSuffix(seg, "[]")
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return v, false
			}
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Struct:
			var next reflect.Value
			for i := 0; i < v.NumField(); i++ {
				name, opts, _ := strings.Cut(v.Type().Field(i).Tag.Get("koanf"), ",")
				if name == seg || (opts == "remain" && seg == "*") {
					next = v.Field(i)
					if opts == "remain" {
						next = next.MapIndex(reflect.ValueOf("k"))
					}
					break
				}
			}
			if !next.IsValid() {
				return v, false
			}
			v = next
		default:
			return v, false
		}
		if index {
			if v.Kind() != reflect.Slice || v.Len() == 0 {
				return v, false
			}
			v = v.Index(0)
		}
	}
	return v, true
}

// defaultMatches compares a loaded value with the README's default.
func defaultMatches(v reflect.Value, want string) (string, bool) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "unset", want == "0" || want == "false"
		}
		v = v.Elem()
	}
	if v.Type() == reflect.TypeOf(Duration(0)) {
		d := time.Duration(v.Int())
		w, err := time.ParseDuration(want)
		return d.String(), err == nil && w == d
	}
	switch v.Kind() {
	case reflect.String:
		got := v.String()
		if want == `""` {
			return got, got == ""
		}
		if filepath.IsAbs(got) && !filepath.IsAbs(want) {
			return got, strings.HasSuffix(got, string(filepath.Separator)+filepath.FromSlash(want))
		}
		return got, got == want
	case reflect.Slice:
		return fmt.Sprint(v.Interface()), want == "[]" && v.Len() == 0
	case reflect.Map:
		return fmt.Sprint(v.Interface()), want == "{}" && v.Len() == 0
	default:
		got := fmt.Sprint(v.Interface())
		return got, got == want
	}
}

// The repository's config.toml shows each default as a commented line
// (`# ack_wait = "30s"`): every such line of jobd's own sections (server,
// nats, plugins, a plugin's [plugins.<kind>] entry, jobs and jobs.backoff)
// states the value Load fills in.
func TestDocsConfigTOMLDefaults(t *testing.T) {
	b, err := os.ReadFile("../../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := FromMap("config.toml", map[string]any{
		"plugins": map[string]any{"k": map[string]any{}},
		"jobs":    []map[string]any{{"event": "e", "kind": "k"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	root := reflect.ValueOf(cfg).Elem()
	table := regexp.MustCompile(`^#?\s*\[(\[?)([a-z_.]+)\]?\]\s*$`)
	setting := regexp.MustCompile(`^#\s+([a-z_0-9]+) = (.+?)\s*(#.*)?$`)
	section, compared := "", 0
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if m := table.FindStringSubmatch(line); m != nil {
			section = m[2]
			if m[1] == "[" {
				section += "[]"
			}
			continue
		}
		m := setting.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := ""
		switch parts := strings.Split(section, "."); {
		case section == "server", section == "nats", section == "plugins", section == "jobs[]":
			key = section + "." + m[1]
		case section == "jobs[].backoff" || section == "jobs.backoff":
			key = "jobs[].backoff." + m[1]
		case len(parts) == 2 && parts[0] == "plugins":
			key = "plugins.*." + m[1]
		default:
			continue // a plugin's own configuration: its README and tests hold it
		}
		v, ok := lookupKey(root, key)
		if !ok {
			t.Errorf("config.toml shows %s = %s, a key Config does not read", key, m[2])
			continue
		}
		want := strings.Trim(m[2], `"`)
		if want == "" {
			want = `""`
		}
		if key == "plugins.*.path" {
			// The default is per kind: <plugins.dir>/jobd-<kind>.
			kind := strings.Split(section, ".")[1]
			if p := filepath.ToSlash(filepath.Join(PluginsDirDefault, "jobd-"+kind)); want != p {
				t.Errorf("config.toml shows %s = %s as the default; it is %q", key, m[2], p)
			}
			compared++
			continue
		}
		got, ok := defaultMatches(v, want)
		if !ok && v.Kind() == reflect.Float64 {
			var f float64
			_, err := fmt.Sscan(want, &f)
			ok = err == nil && f == v.Float()
		}
		if !ok {
			t.Errorf("config.toml shows %s = %s as the default; Load gives %s", key, m[2], got)
		}
		compared++
	}
	if compared < 20 {
		t.Errorf("compared only %d commented defaults of config.toml", compared)
	}
}
