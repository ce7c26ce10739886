package config

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// readmePath is the README whose "Configuration reference" documents every
// key of Config.
const readmePath = "../../README.md"

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
	span := regexp.MustCompile("`([^`]*)`")
	placeholder := regexp.MustCompile(`<[^>]*>`)
	keys := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.SplitN(strings.TrimPrefix(line, "| "), " | ", 2)[0]
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
