package sdk_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

// shapes has fields whose JSON shape differs from a plain value.
type shapes struct {
	Port  int              `json:"port"`
	Tags  []string         `json:"tags"`
	Hosts map[string]int   `json:"hosts"`
	Ptr   *smtp            `json:"ptr"`
	Skip  string           `json:"-"`
	Keyed int              `json:",omitempty"`
	Dump  map[int]string   `json:"dump"`
	Any   any              `json:"any"`
	Raw   json.RawMessage  `json:"raw"`
	hide  string           //nolint:unused // must stay unknown to the decoder
	Nest  map[string]*smtp `json:"nest"`
}

// A value of the wrong shape is reported once, by the full decode, with its
// key path; keys json ignores (json:"-", unexported fields) are unknown.
func TestDecodeStrictShapes(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"object for an int", `{"port": {}}`, "port: want int, got object"},
		{"object for a list", `{"tags": {"a": 1}}`, "tags: want []string, got object"},
		{"list for an object", `{"ptr": [1]}`, "ptr: want sdk_test.smtp, got array"},
		{"string for a map", `{"hosts": "a"}`, "hosts: want map[string]int, got string"},
		// encoding/json names the map, not its key.
		{"object for a map of ints", `{"hosts": {"a": {}}}`, "hosts.a: want int, got object"},
		{"unknown key under a pointer", `{"ptr": {"prt": 1}}`, "ptr.prt: unknown key (known: host, port, timeout)"},
		{"unknown key in a map of pointers", `{"nest": {"x": {"prt": 1}}}`, "nest.x.prt: unknown key (known: host, port, timeout)"},
		{"json:\"-\" field", `{"Skip": "x"}`, "Skip: unknown key (known: Keyed, any, dump, hosts, nest, port, ptr, raw, tags)"},
		{"json:\"-\" as a key", `{"-": "x"}`, "-: unknown key (known: Keyed, any, dump, hosts, nest, port, ptr, raw, tags)"},
		{"unexported field", `{"hide": "x"}`, "hide: unknown key (known: Keyed, any, dump, hosts, nest, port, ptr, raw, tags)"},
		{"bad duration under a pointer", `{"ptr": {"timeout": "soon"}}`, `ptr.timeout: want a duration string`},
		{"not JSON", `{"port": `, "config: unexpected EOF"},
		{"null", `null`, "config: want an object, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v shapes
			err := sdk.DecodeStrict("", json.RawMessage(tt.raw), &v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecodeStrict(%s) = %v, want an error containing %q", tt.raw, err, tt.want)
			}
		})
	}

	var v shapes
	raw := `{"port": 1, "tags": ["a"], "hosts": {"h": 2}, "ptr": null, "Keyed": 3, "dump": {"1": "x"}, "any": {"k": [1]}, "raw": {"k": 1}, "nest": {"n": {"port": 4}}}`
	if err := sdk.DecodeStrict("cfg", json.RawMessage(raw), &v); err != nil {
		t.Fatalf("DecodeStrict(%s) = %v", raw, err)
	}
	if v.Port != 1 || v.Tags[0] != "a" || v.Hosts["h"] != 2 || v.Keyed != 3 || v.Dump[1] != "x" || v.Nest["n"].Port != 4 || string(v.Raw) != `{"k": 1}` || v.hide != "" {
		t.Errorf("decoded %+v", v)
	}
}

func TestJSONKind(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{map[string]any{}, "an object"},
		{[]any{}, "a list"},
		{"s", "a string"},
		{json.Number("1"), "a number"},
		{1.5, "a number"},
		{true, "a boolean"},
		{int8(1), "int8"},
	} {
		if got := sdk.JSONKind(tt.v); got != tt.want {
			t.Errorf("JSONKind(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestConfigureRequestDecodeStrict(t *testing.T) {
	var c smtp
	req := &sdk.ConfigureRequest{Config: json.RawMessage(`{"host": "h", "prt": 1}`)}
	if err := req.DecodeStrict(&c); err == nil || !strings.Contains(err.Error(), "prt: unknown key (known: host, port, timeout)") {
		t.Errorf("DecodeStrict = %v", err)
	}
	req.Config = json.RawMessage(`{"host": "h"}`)
	if err := req.DecodeStrict(&c); err != nil || c.Host != "h" {
		t.Errorf("DecodeStrict = %v, host %q", err, c.Host)
	}
}
