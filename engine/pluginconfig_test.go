package engine

import (
	"reflect"
	"strings"
	"testing"
)

func TestResolvePluginSecrets(t *testing.T) {
	s, err := LoadSecrets([]string{"JOBD_SECRET_API_TOKEN=tok", "OTHER=x"}, "")
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]any{
		"apps": map[string]any{"crm": map[string]any{
			"auth":    map[string]any{"token": "$Secret{API_TOKEN}", "header": "Bearer $Secret{API_TOKEN}"},
			"retries": int64(3),
			"list":    []any{"$Secret{API_TOKEN}", "plain"},
		}},
	}
	got, err := resolvePluginSecrets("action", in, s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apps": map[string]any{"crm": map[string]any{
			"auth":    map[string]any{"token": "tok", "header": "Bearer tok"},
			"retries": int64(3),
			"list":    []any{"tok", "plain"},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if in["apps"].(map[string]any)["crm"].(map[string]any)["auth"].(map[string]any)["token"] != "$Secret{API_TOKEN}" {
		t.Fatal("the configuration itself was changed")
	}
	_, err = resolvePluginSecrets("action", map[string]any{"a": map[string]any{"b": "$Secret{MISSING}"}}, s)
	if err == nil || !strings.Contains(err.Error(), "plugins.action.config.a.b") || !strings.Contains(err.Error(), "JOBD_SECRET_MISSING") {
		t.Fatalf("error = %v", err)
	}
}
