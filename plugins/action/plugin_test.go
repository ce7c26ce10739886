package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/sdktest"
)

// The plugin passes the SDK's conformance suite through the real protocol,
// against a local API that answers 503 on /notes/down and never on
// /notes/hang.
func TestConformance(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body: only then does the server notice a client that
		// gives up, and end r.Context().
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/notes/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/notes/hang":
			<-r.Context().Done()
		default:
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer srv.Close()
	note := func(id string) map[string]any {
		return map[string]any{"action": "echo:post_note", "params": map[string]any{"id": id}, "body": map[string]any{"text": "hi"}}
	}
	sdktest.Conformance(t, func() sdk.Plugin { return &Plugin{} }, sdktest.Case{
		Config: map[string]any{"apps": map[string]any{"echo": map[string]any{"base_url": srv.URL,
			"actions": map[string]any{"post_note": map[string]any{"method": "POST", "path": "/notes/:id"}}}}},
		Input:          note("1"),
		BadInput:       map[string]any{"action": "echo:post_note"},
		RetryableInput: note("down"),
		BlockingInput:  note("hang"),
		BadConfig:      map[string]any{"apps": map[string]any{"echo": map[string]any{"base_url": "not a url"}}},
	})
}

// sampleBlock returns sample.conf's [plugins.action.config] table as the
// JSON jobd hands the plugin, after edit changes the sample's text.
func sampleBlock(t *testing.T, edit func(string) string) map[string]any {
	t.Helper()
	var root map[string]any
	if err := toml.Unmarshal([]byte(edit(sampleConfig)), &root); err != nil {
		t.Fatalf("sample.conf is not TOML: %v", err)
	}
	if len(root) != 1 || root["plugins"] == nil {
		t.Fatalf("sample.conf top-level tables %v, want only plugins", slices.Collect(maps.Keys(root)))
	}
	return root["plugins"].(map[string]any)["action"].(map[string]any)["config"].(map[string]any)
}

// TestSampleConfig configures a plugin with sample.conf as jobd would (no
// server listens: Configure calls nothing), runs its action against a local
// server, and checks that every commented key is a real key.
func TestSampleConfig(t *testing.T) {
	block := sampleBlock(t, func(s string) string { return s })
	raw, _ := json.Marshal(block)
	newPlugin(t, string(raw))

	srv := startRecorder(t)
	block["apps"].(map[string]any)["echo"].(map[string]any)["base_url"] = srv.URL
	raw, _ = json.Marshal(block)
	p := newPlugin(t, string(raw))
	mustRun(t, p, newJob("echo:post_note", "sample", `{"params": {"id": 42}, "body": {"text": "hello"}}`))
	if r := srv.last(t); r.Method != "POST" || r.RawPath != "/notes/42" || r.Header.Get("Accept") != "application/json" {
		t.Errorf("request %+v", r)
	}

	uncommented := sampleBlock(t, func(s string) string {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if trimmed := strings.TrimSpace(l); strings.HasPrefix(trimmed, "# ") {
				l = strings.Replace(l, "# ", "", 1)
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	})
	raw, _ = json.Marshal(uncommented)
	cfg, err := decodeConfig(raw)
	if err != nil {
		t.Fatalf("uncommented sample.conf: %v", err)
	}
	if a := cfg.Apps["echo"]; a.Auth.Type != AuthBearer || len(a.Retry) != 2 || a.Actions["post_note"].Headers["X-Source"] != "jobd" {
		t.Errorf("uncommented sample.conf decoded to %+v", a)
	}
}

func TestReadmeShowsSampleConfig(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```toml\n"+sampleConfig+"```") {
		t.Error("README.md does not show sample.conf verbatim")
	}
}

func TestInfoAndSchema(t *testing.T) {
	info := (&Plugin{}).Info()
	if info.Name != "action" || info.Version != Version || info.Description == "" {
		t.Errorf("info %+v", info)
	}
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(info.InputSchema, &schema); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	var fields []string
	typ := reflect.TypeFor[Input]()
	for i := range typ.NumField() {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		fields = append(fields, tag)
	}
	if got := slices.Sorted(maps.Keys(schema.Properties)); !slices.Equal(got, slices.Sorted(slices.Values(fields))) {
		t.Errorf("schema fields %v, input fields %v", got, fields)
	}
}

func TestConfigureReplacesApps(t *testing.T) {
	p := newPlugin(t, appConfig("http://127.0.0.1:1", ""))
	err := p.Configure(context.Background(), &sdk.ConfigureRequest{Config: json.RawMessage(`{"apps": {"x": {}}}`)})
	if err == nil || !strings.Contains(err.Error(), "apps.x.base_url: required") {
		t.Fatalf("error %v", err)
	}
	if _, err := resolve(p.apps, "crm:post_note"); err != nil {
		t.Errorf("a refused configuration replaced the previous one: %v", err)
	}
	empty := &Plugin{}
	if err := empty.Configure(context.Background(), &sdk.ConfigureRequest{}); err != nil {
		t.Errorf("an absent configuration is refused: %v", err)
	}
}
